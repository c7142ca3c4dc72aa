//! `molt upgrade` and `molt cap`: program upgrades and upgrade capabilities.
//!
//! `molt upgrade` runs the same compatibility checker as the node
//! (`molt_interface::check_upgrade`) against the on-chain interface before
//! anything is signed, so `--dry-run` and a real upgrade transaction report
//! identical findings.

use crate::chain::{Ctx, TxArgs, load_module, report_tx};
use crate::inspect::read_interface;
use anyhow::{Context, Result, anyhow, bail};
use molt_interface::{Interface, check_upgrade};
use molt_types::{Address, TicketCall, TransactionPayload, UpgradePolicy};
use serde_json::{Value, json};
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub enum CapCommand {
    /// Tighten the upgrade policy: compatible < additive < dep_only < immutable.
    Restrict {
        package: String,
        #[arg(long)]
        policy: UpgradePolicy,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Destroy the UpgradeCap: the package can never be upgraded again.
    MakeImmutable {
        package: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Give the UpgradeCap to another account, a multisig or a program.
    Transfer {
        package: String,
        /// The new holder: an address (a program's original id for a program) or a key name.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// The package's on-chain state that an upgrade is checked against.
struct OnChain {
    original_id: Address,
    latest: Value,
    interface: Interface,
    module: Vec<u8>,
    cap: Option<(Address, UpgradePolicy, Address)>,
}

fn on_chain(ctx: &Ctx<'_>, package: &Address) -> Result<OnChain> {
    let pkg = ctx.rpc.call("molt_getPackage", json!([package]))?;
    let latest = pkg["versions"]
        .as_array()
        .and_then(|v| v.last())
        .cloned()
        .ok_or_else(|| anyhow!("package {package} has no versions"))?;
    let interface: Interface = serde_json::from_value(latest["interface"].clone())?;
    let m = ctx
        .rpc
        .call("molt_getModule", json!([latest["package_id"]]))?;
    let module = hex::decode(
        m["module"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("0x"),
    )?;
    let cap = if pkg["upgrade_cap"].is_null() {
        None
    } else {
        let c = &pkg["upgrade_cap"];
        Some((
            serde_json::from_value(c["id"].clone())?,
            serde_json::from_value(c["policy"].clone())?,
            serde_json::from_value(c["owner"].clone())?,
        ))
    };
    Ok(OnChain {
        original_id: serde_json::from_value(pkg["original_id"].clone())?,
        latest,
        interface,
        module,
        cap,
    })
}

fn ticket(ctx: &Ctx<'_>, spec: &str, args_json: &str) -> Result<TicketCall> {
    let (pkg, function) = spec
        .split_once("::")
        .ok_or_else(|| anyhow!("--ticket is PACKAGE::FUNCTION, e.g. 0x12..::authorize"))?;
    let package: Address = pkg
        .parse()
        .with_context(|| format!("{pkg:?} is not an address"))?;
    let args = ctx.encode_args(&package, function, args_json, "--ticket-args")?;
    Ok(TicketCall {
        package,
        function: function.into(),
        args,
    })
}

/// What `molt upgrade` does after the local check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Print the findings only.
    DryRun,
    /// Submit if the check passes.
    Submit,
    /// Submit whatever the check says.
    Force,
}

pub fn upgrade(
    ctx: &Ctx<'_>,
    package: &str,
    path: &Path,
    mode: Mode,
    ticket_spec: Option<&str>,
    ticket_args: &str,
    tx: &TxArgs,
) -> Result<()> {
    let package: Address = package
        .parse()
        .with_context(|| format!("{package:?} is not an address"))?;
    let module = load_module(ctx, path)?;
    let new = read_interface(&module)
        .with_context(|| format!("{} is not a Molt program", path.display()))?;
    let chain = on_chain(ctx, &package)?;
    let Some((cap_id, policy, holder)) = chain.cap else {
        bail!(
            "package {} is immutable: its UpgradeCap was destroyed",
            chain.original_id
        );
    };
    let report = check_upgrade(&chain.interface, &chain.module, &new, &module, policy);
    let version = chain.latest["version"].as_u64().unwrap_or(0);
    let edition = chain.latest["edition"].as_u64().unwrap_or(0);
    let checksum = molt_types::sha3_256(&module);
    if !report.is_compatible() && mode != Mode::Force {
        let n = report.violations.len();
        let text = format!(
            "{}\n{n} violation(s) of policy {policy}: the upgrade of {} would be rejected",
            report.render(),
            chain.original_id
        );
        if ctx.out.json {
            ctx.out.result(
                &text,
                json!({"compatible": false, "policy": policy, "report": report}),
            );
        } else {
            eprintln!("{text}");
        }
        bail!("incompatible upgrade ({n} violation(s) of policy {policy})");
    }
    if !report.is_compatible() {
        ctx.out.progress(&format!(
            "{}\nsubmitting anyway (--force): the node will check it again",
            report.render()
        ));
    }
    if mode == Mode::DryRun {
        let text = format!(
            "compatible under policy {policy}: would create version {} (edition {}) of {}, checksum {checksum}\n\
             UpgradeCap {cap_id} is held by {holder}",
            version + 1,
            edition + 1,
            chain.original_id
        );
        ctx.out.result(&text, json!({"compatible": true, "policy": policy, "report": report, "next_version": version + 1, "next_edition": edition + 1, "checksum": checksum}));
        return Ok(());
    }
    let ticket = match ticket_spec {
        Some(spec) => Some(ticket(ctx, spec, ticket_args)?),
        None => None,
    };
    let v = ctx.submit(
        tx,
        TransactionPayload::Upgrade {
            package: chain.original_id,
            module,
            ticket,
        },
    )?;
    let included = v["status"] == "included" && v["receipt"]["status"] == "success";
    let mut v = v;
    if included {
        let after = ctx
            .rpc
            .call("molt_getPackage", json!([chain.original_id]))?;
        if let Some(latest) = after["versions"].as_array().and_then(|a| a.last()) {
            v["upgraded"] = json!({"version": latest["version"], "edition": latest["edition"], "package_id": latest["package_id"], "checksum": latest["checksum"]});
        }
    }
    let summary = v["upgraded"].clone();
    report_tx(ctx, v, |_| {
        format!(
            "upgraded {} to version {} (edition {}): package id {}",
            chain.original_id,
            summary["version"],
            summary["edition"],
            summary["package_id"].as_str().unwrap_or_default()
        )
    })
}

fn cap_of(ctx: &Ctx<'_>, package: &str) -> Result<Address> {
    let package: Address = package
        .parse()
        .with_context(|| format!("{package:?} is not an address"))?;
    let chain = on_chain(ctx, &package)?;
    chain
        .cap
        .map(|(id, _, _)| id)
        .ok_or_else(|| anyhow!("package {} is already immutable", chain.original_id))
}

pub fn cap(ctx: &Ctx<'_>, cmd: CapCommand) -> Result<()> {
    match cmd {
        CapCommand::Restrict {
            package,
            policy,
            tx,
        } => {
            let cap = cap_of(ctx, &package)?;
            let payload = if policy == UpgradePolicy::Immutable {
                TransactionPayload::MakeImmutable { cap }
            } else {
                TransactionPayload::RestrictUpgradePolicy { cap, policy }
            };
            let v = ctx.submit(&tx, payload)?;
            report_tx(ctx, v, |_| {
                format!("UpgradeCap {cap} now has policy {policy}")
            })
        }
        CapCommand::MakeImmutable { package, tx } => {
            let cap = cap_of(ctx, &package)?;
            let v = ctx.submit(&tx, TransactionPayload::MakeImmutable { cap })?;
            report_tx(ctx, v, |_| {
                format!("UpgradeCap {cap} destroyed: {package} is immutable")
            })
        }
        CapCommand::Transfer { package, to, tx } => {
            let cap = cap_of(ctx, &package)?;
            let to = crate::keys::resolve_address(&ctx.home, &to)?;
            let v = ctx.submit(&tx, TransactionPayload::TransferUpgradeCap { cap, to })?;
            report_tx(ctx, v, |_| format!("UpgradeCap {cap} transferred to {to}"))
        }
    }
}
