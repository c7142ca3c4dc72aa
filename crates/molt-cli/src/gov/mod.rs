//! `molt gov`: the validators' track of the `governance` framework package
//! (`0x2`, docs/governance.md) from the command line: propose a payload,
//! vote, resolve its steps, show and list proposals, and simulate a payload
//! before any of it.
//!
//! Every command reads or sends through the node (`--rpc`); the ones that
//! send a transaction take the usual transaction flags (`--from`,
//! `--dry-run`, ...) and simulate first, so a vote or resolve that governance
//! would refuse is explained before anything is sent.

mod record;
mod show;
mod simulate;
mod track;

use crate::chain::Ctx;
use crate::tx::TxArgs;
use anyhow::{Result, bail};
use clap::Subcommand;
use std::path::PathBuf;

pub use simulate::{check_line, simulate_script};

#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Open a proposal for the payload in a proposal script directory (the
    /// first step that `molt framework upgrade` wrote). The payload's hash
    /// is checked locally first; prints the proposal id.
    Propose {
        /// The step directory (`.../framework_upgrade/1-system`) or a payload file.
        #[arg(long)]
        proposal_script_dir: PathBuf,
        /// Where the proposal is explained (at most 512 bytes).
        #[arg(long)]
        metadata_url: String,
        /// The document the URL serves, whose SHA3-256 becomes the metadata
        /// hash. Default: the directory's README.md.
        #[arg(long)]
        metadata_file: Option<PathBuf>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Vote yes on a proposal (a validator of its snapshot, once), or no
    /// with --should-fail.
    Vote {
        #[arg(long)]
        proposal_id: u64,
        /// Vote no.
        #[arg(long)]
        should_fail: bool,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Resolve the next step of an accepted proposal with the payload in a
    /// proposal script directory. The on-chain hash is compared first and
    /// any mismatch explained before anything is sent.
    Resolve {
        #[arg(long)]
        proposal_script_dir: PathBuf,
        #[arg(long)]
        proposal_id: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// A proposal's state, tally, threshold and heights.
    Show { proposal_id: u64 },
    /// The latest proposals, newest first.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
    /// Simulate resolving a governance payload on the node, writing nothing:
    /// upgrades with their compatibility reports, parameters and validator
    /// set scheduled, epoch end, events, gas and the first failure. Exits
    /// with an error if the payload would fail.
    Simulate {
        /// A proposal script directory, or a file holding the payload's
        /// encoding as raw bytes or as 0x-prefixed hex text.
        path: Option<PathBuf>,
        /// The same as PATH (kept for scripts written before PATH).
        #[arg(long, conflicts_with = "path")]
        payload: Option<PathBuf>,
        /// Resolve it as this existing proposal (which must approve the
        /// payload's hash) instead of as a new one. The chain keeps only a
        /// proposal's hash, so the payload is needed either way.
        #[arg(long)]
        proposal_id: Option<u64>,
    },
}

pub fn run(ctx: &Ctx<'_>, cmd: GovCommand) -> Result<()> {
    match cmd {
        GovCommand::Propose {
            proposal_script_dir,
            metadata_url,
            metadata_file,
            tx,
        } => track::propose(
            ctx,
            &proposal_script_dir,
            &metadata_url,
            metadata_file.as_deref(),
            &tx,
        ),
        GovCommand::Vote {
            proposal_id,
            should_fail,
            tx,
        } => track::vote(ctx, proposal_id, !should_fail, &tx),
        GovCommand::Resolve {
            proposal_script_dir,
            proposal_id,
            tx,
        } => track::resolve(ctx, &proposal_script_dir, proposal_id, &tx),
        GovCommand::Show { proposal_id } => show::show(ctx, proposal_id),
        GovCommand::List { limit } => show::list(ctx, limit),
        GovCommand::Simulate {
            path,
            payload,
            proposal_id,
        } => match path.or(payload) {
            Some(p) => simulate::simulate(ctx, &p, proposal_id),
            None => bail!(
                "give the payload to simulate: a proposal script directory or a payload file \
                 (`molt gov simulate DIR [--proposal-id N]`)"
            ),
        },
    }
}
