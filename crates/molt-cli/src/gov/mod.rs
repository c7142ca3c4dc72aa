//! `molt gov`: the validators' track of the `governance` framework package
//! (`0x2`, docs/governance.md) from the command line: propose a payload,
//! vote, resolve its steps, show and list proposals, and simulate a payload
//! before any of it. And the stakeholders' track (`stakeholders`, `0x3`,
//! with proposer signalling at `0x4`, docs/cli-stakeholders.md): deposit
//! and withdraw voting power, signal, submit round winners, propose with a
//! lock, vote with an amount, execute and drop.
//!
//! Every command reads or sends through the node (`--rpc`); the ones that
//! send a transaction take the usual transaction flags (`--from`,
//! `--dry-run`, ...) and simulate first, so a vote or resolve that governance
//! would refuse is explained before anything is sent.

mod record;
mod show;
mod signal;
mod simulate;
mod stake;
mod track;

use crate::chain::Ctx;
use crate::tx::TxArgs;
use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Which track `molt gov show` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Track {
    /// The validators' track (`governance`, 0x2).
    Validators,
    /// The stakeholders' track (`stakeholders`, 0x3).
    Stakeholders,
}

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
    /// Vote on a proposal. Validators' track: yes (a validator of its
    /// snapshot, once), or no with --should-fail. Stakeholders' track: with
    /// --amount and --yea or --nay, cast that much of the sender's power at
    /// the proposal's snapshot (partial votes add up).
    #[command(group(ArgGroup::new("side").args(["yea", "nay"])))]
    Vote {
        #[arg(long)]
        proposal_id: u64,
        /// Validators' track: vote no.
        #[arg(long, conflicts_with_all = ["amount", "yea", "nay"])]
        should_fail: bool,
        /// Stakeholders' track: the power to cast (needs --yea or --nay).
        #[arg(long, requires = "side")]
        amount: Option<u64>,
        /// Stakeholders' track: vote yea (with --amount).
        #[arg(long, requires = "amount")]
        yea: bool,
        /// Stakeholders' track: vote nay (with --amount).
        #[arg(long, requires = "amount")]
        nay: bool,
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
    /// A proposal's state, tally, threshold and heights. With --track
    /// stakeholders: a stakeholders' proposal's state, tally (yea/nay,
    /// total power at the snapshot, quorum, yea needed) and phase heights.
    Show {
        proposal_id: u64,
        /// The track whose proposal this is.
        #[arg(long, value_enum, default_value = "validators")]
        track: Track,
    },
    /// The latest proposals, newest first (of the validators' track, or
    /// with --track stakeholders of the stakeholders').
    List {
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// The track whose proposals to list.
        #[arg(long, value_enum, default_value = "validators")]
        track: Track,
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
    /// Stakeholders' track: attach --amount coin to `stakeholders::deposit`;
    /// it becomes the beneficiary's voting power.
    Deposit {
        /// Coin to lock as voting power.
        #[arg(long)]
        amount: u64,
        /// Whose power it becomes (address or key name). Default: the sender.
        #[arg(long)]
        beneficiary: Option<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: lower the sender's power by --amount now and
    /// start a delayed withdrawal; prints its id and unlock height.
    Withdraw {
        /// Power to withdraw.
        #[arg(long)]
        amount: u64,
        /// Who receives the coin (address or key name). Default: the sender.
        #[arg(long)]
        recipient: Option<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: pay an unlocked withdrawal to its recipient
    /// (anyone may). A locked one is refused locally, saying how many
    /// blocks remain.
    FinalizeWithdraw {
        withdrawal_id: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: an account's voting power and the total power,
    /// now or after the block at --at-height.
    Power {
        /// Address or key name.
        #[arg(default_value = "dev0")]
        who: String,
        #[arg(long)]
        at_height: Option<u64>,
    },
    /// What the local validator node's blocks signal for (proposer
    /// signalling, 0x4), through its admin socket: set a hash, the hash of
    /// a payload, clear it, or show it.
    #[command(group(ArgGroup::new("what").required(true).args(["hash", "payload", "clear", "show"])))]
    Signal {
        /// The execution hash to signal for (0x and 64 hex digits).
        hash: Option<String>,
        /// Signal for this payload: a proposal script directory or a payload
        /// file (its SHA3-256).
        #[arg(long)]
        payload: Option<PathBuf>,
        /// Stop signalling.
        #[arg(long)]
        clear: bool,
        /// Only show the signal in force.
        #[arg(long)]
        show: bool,
        /// The node's data directory (its admin socket is DIR/admin.sock).
        /// Default: the dev node's, <home>/dev.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The node's admin socket.
        #[arg(long, conflicts_with = "data_dir")]
        admin_socket: Option<PathBuf>,
    },
    /// Proposer signalling: the current round, the round configuration, and
    /// the recent rounds' leaders, signals and submitted proposals.
    Rounds {
        /// Show only this round.
        #[arg(long)]
        round: Option<u64>,
        /// How many rounds up to the current one to show.
        #[arg(long, default_value_t = 3, conflicts_with = "round")]
        recent: u64,
        /// Also show this execution hash's signals in each round.
        #[arg(long)]
        hash: Option<String>,
    },
    /// Proposer signalling: submit a round's winner as a stakeholders'
    /// proposal. Quorum, round-over and lifetime are checked first.
    SubmitRoundWinner {
        round: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: an emergency proposal, locking the track's
    /// lock amount of the sender's power in a delayed withdrawal.
    #[command(group(ArgGroup::new("payload_or_hash").required(true).args(["payload", "hash"])))]
    ProposeWithLock {
        /// A proposal script directory or a payload file (its SHA3-256 is
        /// proposed).
        #[arg(long)]
        payload: Option<PathBuf>,
        /// The execution hash to propose.
        #[arg(long)]
        hash: Option<String>,
        /// Who receives the locked coin when it unlocks. Default: the sender.
        #[arg(long)]
        recipient: Option<String>,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: run an Executable proposal's payload. The
    /// payload's hash and the proposal's state are checked first.
    Execute {
        proposal_id: u64,
        /// A proposal script directory or a payload file.
        #[arg(long)]
        payload_dir: PathBuf,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Stakeholders' track: drop a Droppable proposal (final).
    Drop {
        proposal_id: u64,
        #[command(flatten)]
        tx: TxArgs,
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
            amount: None,
            tx,
            ..
        } => track::vote(ctx, proposal_id, !should_fail, &tx),
        GovCommand::Vote {
            proposal_id,
            amount: Some(amount),
            yea,
            tx,
            ..
        } => stake::vote(ctx, proposal_id, amount, yea, &tx),
        GovCommand::Resolve {
            proposal_script_dir,
            proposal_id,
            tx,
        } => track::resolve(ctx, &proposal_script_dir, proposal_id, &tx),
        GovCommand::Show {
            proposal_id,
            track: Track::Validators,
        } => show::show(ctx, proposal_id),
        GovCommand::Show {
            proposal_id,
            track: Track::Stakeholders,
        } => stake::show(ctx, proposal_id),
        GovCommand::Deposit {
            amount,
            beneficiary,
            tx,
        } => stake::deposit(ctx, amount, beneficiary.as_deref(), &tx),
        GovCommand::Withdraw {
            amount,
            recipient,
            tx,
        } => stake::withdraw(ctx, amount, recipient.as_deref(), &tx),
        GovCommand::FinalizeWithdraw { withdrawal_id, tx } => {
            stake::finalize_withdraw(ctx, withdrawal_id, &tx)
        }
        GovCommand::Power { who, at_height } => stake::power(ctx, &who, at_height),
        GovCommand::Signal {
            hash,
            payload,
            clear,
            show: _,
            data_dir,
            admin_socket,
        } => {
            let request = match (hash, payload) {
                (Some(h), _) => signal::SignalRequest::Set(parse_hash(&h)?),
                (None, Some(p)) => signal::SignalRequest::Set(stake::payload_hash(Some(&p), None)?),
                (None, None) if clear => signal::SignalRequest::Clear,
                (None, None) => signal::SignalRequest::Show,
            };
            let socket =
                signal::admin_socket(&ctx.home, data_dir.as_deref(), admin_socket.as_deref());
            signal::signal(ctx, request, &socket)
        }
        GovCommand::Rounds {
            round,
            recent,
            hash,
        } => {
            let hash = hash.as_deref().map(parse_hash).transpose()?;
            signal::rounds(ctx, round, recent, hash)
        }
        GovCommand::SubmitRoundWinner { round, tx } => signal::submit_round_winner(ctx, round, &tx),
        GovCommand::ProposeWithLock {
            payload,
            hash,
            recipient,
            tx,
        } => {
            let hash = stake::payload_hash(payload.as_deref(), hash.as_deref())?;
            stake::propose_with_lock(ctx, hash, recipient.as_deref(), &tx)
        }
        GovCommand::Execute {
            proposal_id,
            payload_dir,
            tx,
        } => stake::execute(ctx, proposal_id, &payload_dir, &tx),
        GovCommand::Drop { proposal_id, tx } => stake::drop_proposal(ctx, proposal_id, &tx),
        GovCommand::List {
            limit,
            track: Track::Validators,
        } => show::list(ctx, limit),
        GovCommand::List {
            limit,
            track: Track::Stakeholders,
        } => stake::list(ctx, limit),
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

/// An execution hash given on the command line.
fn parse_hash(s: &str) -> Result<molt_types::Digest> {
    s.parse().with_context(|| {
        format!("{s:?} is not an execution hash: give 0x and 64 hex digits (SHA3-256 of a payload)")
    })
}
