//! `molt protocol`: the validators' protocol (binary) upgrade proposals
//! (`protocol`, framework address `0x6`; docs/protocol-upgrades.md).
//!
//! `propose` is a validator's vote for a plan (release version, height,
//! one binary checksum per platform); more than two thirds of the epoch's
//! power behind one plan schedules it, and every node older than its
//! version halts at its height for `molt-visor` to swap the binary.
//! Proposing the release the node already runs withdraws the vote, as
//! `withdraw` does. Each command checks what the package would refuse
//! first and explains it before anything is signed.

use crate::chain::Ctx;
use crate::tx::{Transacted, TxArgs, finish};
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use molt_rpc_types::{GetChainInfo, GetNodeStatus};
use molt_runtime::PROTOCOL_PACKAGE;
use molt_types::{Digest, TransactionPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ProtocolCommand {
    /// As a validator, vote for a protocol upgrade plan: from HEIGHT on,
    /// only binaries at VERSION or later go on. Accepted (and scheduled) at
    /// more than 2/3 of the epoch's voting power; a new proposal replaces
    /// this validator's earlier vote; proposing the version the node runs
    /// withdraws it.
    Propose {
        /// The release (semver, e.g. 0.2.0).
        #[arg(long)]
        version: String,
        /// The last height the old release produces.
        #[arg(long)]
        height: u64,
        /// A platform's binary checksum: `linux-x86_64=0x<SHA3-256>`
        /// (repeatable).
        #[arg(long = "binary", value_name = "PLATFORM=HASH")]
        binaries: Vec<String>,
        /// A platform's binary file, hashed here: `linux-x86_64=PATH`
        /// (repeatable).
        #[arg(long = "binary-file", value_name = "PLATFORM=PATH")]
        binary_files: Vec<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// As a validator, withdraw this validator's vote.
    Withdraw {
        #[command(flatten)]
        tx: TxArgs,
    },
    /// The plans with votes and their power, the plan this package
    /// scheduled last, and the plan the chain holds.
    Show,
}

/// `protocol::Plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub version: String,
    pub height: u64,
    pub binaries: Vec<(String, Digest)>,
}

/// `protocol::Tally`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tally {
    pub plan: Plan,
    pub power: u64,
    pub total: u64,
    pub voters: Vec<molt_types::Address>,
}

fn view(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<Value> {
    ctx.view_value(&PROTOCOL_PACKAGE, function, args)
}

fn decode<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("protocol::{what} reads {v}, not what this CLI expects: {e}"))
}

fn call(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<TransactionPayload> {
    Ok(TransactionPayload::Call {
        package: PROTOCOL_PACKAGE,
        function: function.into(),
        args: ctx.encode_args(&PROTOCOL_PACKAGE, function, &args)?,
        coin: 0,
    })
}

pub fn run(ctx: &Ctx<'_>, cmd: ProtocolCommand) -> Result<()> {
    match cmd {
        ProtocolCommand::Propose {
            version,
            height,
            binaries,
            binary_files,
            tx,
        } => propose(ctx, &version, height, &binaries, &binary_files, &tx),
        ProtocolCommand::Withdraw { tx } => withdraw(ctx, &tx),
        ProtocolCommand::Show => show(ctx),
    }
}

fn split<'a>(arg: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    arg.split_once('=')
        .filter(|(p, v)| !p.is_empty() && !v.is_empty())
        .ok_or_else(|| anyhow!("{flag} {arg:?} is not PLATFORM=VALUE (e.g. linux-x86_64=...)"))
}

fn propose(
    ctx: &Ctx<'_>,
    version: &str,
    height: u64,
    binaries: &[String],
    files: &[String],
    tx: &TxArgs,
) -> Result<()> {
    let running = ctx.rpc.request(&GetNodeStatus)?.version.release;
    if running == version {
        eprintln!("the node runs {version} already: proposing it withdraws this validator's vote");
        return withdraw(ctx, tx);
    }
    molt_runtime::parse_release(version).map_err(|e| anyhow!("--version: {e}"))?;
    let now = ctx.rpc.request(&GetChainInfo)?.height;
    if height <= now + 1 {
        bail!(
            "--height {height} is not ahead of the chain (height {now}); a plan needs a later \
             height, with time for every validator to install the new binary"
        );
    }
    let mut list: Vec<(String, Digest)> = Vec::new();
    for b in binaries {
        let (platform, hash) = split(b, "--binary")?;
        let hash: Digest = hash
            .parse()
            .map_err(|e| anyhow!("--binary {b}: the checksum is not 0x and 64 hex digits: {e}"))?;
        list.push((platform.to_string(), hash));
    }
    for f in files {
        let (platform, path) = split(f, "--binary-file")?;
        let bytes = std::fs::read(PathBuf::from(path))
            .map_err(|e| anyhow!("--binary-file {f}: cannot read {path}: {e}"))?;
        list.push((platform.to_string(), molt_types::sha3_256(&bytes)));
    }
    if list.is_empty() {
        bail!(
            "give each platform's binary: --binary linux-x86_64=0x... or --binary-file linux-x86_64=PATH"
        );
    }
    list.sort();
    if list.windows(2).any(|w| w[0].0 == w[1].0) {
        bail!("a platform is named twice: one binary per platform");
    }
    let what = format!("a vote for protocol upgrade {version} at height {height}");
    let payload = call(ctx, "propose", json!([version, height, list]))?;
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut accepted = false;
    if let Transacted::Submitted(v) = &mut done
        && v.succeeded()
    {
        accepted = matches!(
            &v.lookup,
            molt_rpc_types::TransactionLookup::Included { receipt, .. }
                if receipt.events.iter().any(|e| e.emitter == PROTOCOL_PACKAGE && e.name == "PlanAccepted")
        );
        let tallies: Vec<Tally> = decode(view(ctx, "proposals", json!([]))?, "proposals")?;
        v.extra.insert("accepted".into(), json!(accepted));
        v.extra
            .insert("proposals".into(), serde_json::to_value(&tallies)?);
    }
    finish(ctx, done, &what, |_| {
        if accepted {
            format!(
                "voted: {version} at height {height} is accepted and scheduled; nodes older than \
                 {version} halt at {height} (`molt-visor check` before then)"
            )
        } else {
            format!(
                "voted for {version} at height {height}; it needs more than 2/3 of the voting \
                 power (`molt protocol show`)"
            )
        }
    })
}

fn withdraw(ctx: &Ctx<'_>, tx: &TxArgs) -> Result<()> {
    let me = crate::keys::load(&ctx.home, &tx.from)?.address();
    if view(ctx, "vote_of", json!([me]))?.is_null() {
        bail!("{me} has no vote to withdraw (`molt protocol show` lists the votes)");
    }
    let what = "withdrawing this validator's protocol upgrade vote".to_string();
    let payload = call(ctx, "withdraw", json!([]))?;
    let done = ctx.transact(tx, payload, &what)?;
    finish(ctx, done, &what, |_| format!("{me} withdrew its vote"))
}

fn show(ctx: &Ctx<'_>) -> Result<()> {
    let tallies: Vec<Tally> = decode(view(ctx, "proposals", json!([]))?, "proposals")?;
    let scheduled: Option<Plan> = decode(view(ctx, "scheduled", json!([]))?, "scheduled")?;
    let status = ctx.rpc.request(&GetNodeStatus)?;
    let mut text = String::new();
    if tallies.is_empty() {
        text.push_str("no protocol upgrade proposal has votes");
    }
    for t in &tallies {
        let needed = (2 * u128::from(t.total)) / 3 + 1;
        let _ = writeln!(
            text,
            "{} at height {}: power {} of {} (accepted at {needed}), {} voter(s)",
            t.plan.version,
            t.plan.height,
            t.power,
            t.total,
            t.voters.len()
        );
    }
    if let Some(s) = &scheduled {
        let _ = write!(
            text,
            "\nlast scheduled by the validators: {} at height {}",
            s.version, s.height
        );
    }
    let _ = write!(
        text,
        "\nthis node runs {}; chain height {}",
        status.version.release, status.height
    );
    ctx.out.result(
        text.trim_start(),
        json!({
            "proposals": tallies,
            "scheduled": scheduled,
            "node_release": status.version.release,
            "upgrade": status.upgrade,
            "height": status.height,
        }),
    );
    Ok(())
}
