//! The stakeholders' track (`stakeholders`, framework address `0x3`,
//! docs/cli-stakeholders.md): coin deposited as voting power, delayed
//! withdrawals, emergency proposals, partial votes, execution and dropping,
//! and a proposal's phases and tally as its views report them.
//!
//! Every transaction is checked against the chain first (power, the
//! proposal's state, a withdrawal's unlock height, the payload's hash) so
//! that what the package would refuse is explained before anything is
//! signed; the node's simulation then runs as for every CLI transaction.

use crate::chain::Ctx;
use crate::keys;
use crate::output::Reported;
use crate::script::ProposalScript;
use crate::tx::{Submitted, Transacted, TxArgs, finish};
use anyhow::{Context, Result, anyhow};
use molt_rpc_types::{GetChainInfo, TransactionLookup};
use molt_runtime::STAKEHOLDERS_PACKAGE;
use molt_types::{Address, Digest, TransactionPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// 10^18: a whole, for `quorum` and `required_yea_margin`.
const ONE: u128 = 1_000_000_000_000_000_000;

/// `stakeholders::ProposeConfig`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposeConfig {
    pub lock_amount: u64,
    pub lock_delay: u64,
}

/// `stakeholders::Configuration`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Configuration {
    pub voting_delay: u64,
    pub voting_duration: u64,
    pub execution_delay: u64,
    pub grace_period: u64,
    pub quorum: u64,
    pub required_yea_margin: u64,
    pub minimum_votes: u64,
    pub propose: ProposeConfig,
    pub max_payload_bytes: u64,
}

/// `stakeholders::Proposal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proposal {
    pub id: u64,
    pub execution_hash: Digest,
    pub proposer: Address,
    pub created_height: u64,
    pub config: Configuration,
    pub yea: u64,
    pub nay: u64,
    pub final_state: Option<String>,
}

/// `stakeholders::Phases`: the last height of each phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phases {
    pub pending_through: u64,
    pub active_through: u64,
    pub queued_through: u64,
    pub executable_through: u64,
}

/// `stakeholders::Withdrawal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Withdrawal {
    pub id: u64,
    pub owner: Address,
    pub recipient: Address,
    pub amount: u64,
    pub unlocks_at: u64,
    pub finalized: bool,
}

/// `stakeholders::Ballot`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ballot {
    pub yea: u64,
    pub nay: u64,
}

fn decode<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("stakeholders' {what} reads {v}, not what this CLI expects: {e}"))
}

fn view(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<Value> {
    ctx.view_value(&STAKEHOLDERS_PACKAGE, function, args)
}

fn view_u64(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<u64> {
    let v = view(ctx, function, args)?;
    v.as_u64()
        .ok_or_else(|| anyhow!("stakeholders::{function} returned {v}, not a number"))
}

pub fn height(ctx: &Ctx<'_>) -> Result<u64> {
    Ok(ctx.rpc.request(&GetChainInfo)?.height)
}

pub fn configuration(ctx: &Ctx<'_>) -> Result<Configuration> {
    decode(view(ctx, "configuration", json!([]))?, "configuration")
}

/// A proposal with its state and phases at the latest height.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub proposal: Proposal,
    pub state: String,
    pub phases: Phases,
}

pub fn standing(ctx: &Ctx<'_>, id: u64) -> Result<Option<Standing>> {
    let v = view(ctx, "proposal", json!([id]))?;
    if v.is_null() {
        return Ok(None);
    }
    let proposal: Proposal = decode(v, "proposal")?;
    let state = match view(ctx, "state", json!([id]))? {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let phases = decode(view(ctx, "phases", json!([id]))?, "phases")?;
    Ok(Some(Standing {
        proposal,
        state,
        phases,
    }))
}

pub fn existing(ctx: &Ctx<'_>, id: u64) -> Result<Standing> {
    standing(ctx, id)?.ok_or_else(|| {
        let next = view_u64(ctx, "next_proposal_id", json!([])).unwrap_or(0);
        let so_far = match next {
            0 => "it has none yet".to_string(),
            n => format!("ids 0..={}", n - 1),
        };
        anyhow!(
            "the stakeholders' track has no proposal {id} ({so_far}); a standard one comes from \
             `molt gov submit-round-winner ROUND`, an emergency one from \
             `molt gov propose-with-lock`"
        )
    })
}

/// The tally arithmetic of `stakeholders::passes`, for people.
#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    pub yea: u64,
    pub nay: u64,
    /// Total power after the block at `pending_through`.
    pub total_power: u64,
    /// Whether `total_power` is final (the snapshot height has passed).
    pub snapshot_taken: bool,
    pub snapshot_height: u64,
    pub minimum_votes: u64,
    /// The least votes cast (yea + nay) that count: ceil(T * quorum).
    pub quorum_needed: u64,
    /// The least yea that passes with the votes cast so far.
    pub yea_needed: u64,
    pub passes: bool,
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

pub fn tally(ctx: &Ctx<'_>, s: &Standing, height: u64) -> Result<Tally> {
    let c = &s.proposal.config;
    let snapshot_height = s.phases.pending_through;
    let total_power = view_u64(ctx, "total_power_at", json!([snapshot_height]))?;
    let quorum_needed = ceil_div(u128::from(total_power) * u128::from(c.quorum), ONE);
    let (yea, nay) = (s.proposal.yea, s.proposal.nay);
    let cast = u128::from(yea) + u128::from(nay);
    let yea_needed = if nay == 0 {
        // All cast votes yea accept, once the quorum is met.
        quorum_needed.max(1)
    } else {
        let share = ceil_div(ONE + u128::from(c.required_yea_margin), 2);
        ceil_div(cast * share, ONE) + 1
    };
    let passes = matches!(
        view(ctx, "tally_passes", json!([s.proposal.id]))?,
        Value::Bool(true)
    );
    Ok(Tally {
        yea,
        nay,
        total_power,
        snapshot_taken: height >= snapshot_height,
        snapshot_height,
        minimum_votes: c.minimum_votes,
        quorum_needed: u64::try_from(quorum_needed).unwrap_or(u64::MAX),
        yea_needed: u64::try_from(yea_needed).unwrap_or(u64::MAX),
        passes,
    })
}

impl Tally {
    pub fn line(&self) -> String {
        let total = if self.snapshot_taken {
            format!(
                "total power {} at height {}",
                self.total_power, self.snapshot_height
            )
        } else {
            format!(
                "total power {} so far (the snapshot is taken at height {})",
                self.total_power, self.snapshot_height
            )
        };
        let minimum = if self.total_power < self.minimum_votes {
            format!(
                "; below the minimum of {} total power, nothing passes",
                self.minimum_votes
            )
        } else {
            String::new()
        };
        format!(
            "yea {} / nay {}; {total}; quorum {} votes cast; passes with at least {} yea \
             (with the votes cast so far){minimum}; {}",
            self.yea,
            self.nay,
            self.quorum_needed,
            self.yea_needed,
            if self.passes {
                "passes now"
            } else {
                "does not pass now"
            }
        )
    }
}

/// Each phase with its boundary heights, the current one marked.
pub fn phase_lines(s: &Standing, height: u64) -> String {
    let p = &s.phases;
    let rows = [
        ("Pending", s.proposal.created_height, p.pending_through),
        ("Active", p.pending_through + 1, p.active_through),
        ("Queued", p.active_through + 1, p.queued_through),
        ("Executable", p.queued_through + 1, p.executable_through),
    ];
    let mut out = String::new();
    for (name, from, through) in rows {
        let mark = if (from..=through).contains(&height) {
            "  <- now"
        } else {
            ""
        };
        let _ = writeln!(out, "  {name:<10} heights {from}..={through}{mark}");
    }
    if height > p.executable_through {
        let _ = writeln!(out, "  (height {height} is past every phase)");
    }
    out
}

/// What the proposal waits for, in words.
fn outlook(s: &Standing, height: u64) -> String {
    let p = &s.phases;
    let id = s.proposal.id;
    match s.state.as_str() {
        "Pending" => format!(
            "pending: votes open after height {} ({} block(s) from now); power is counted as it \
             stands at height {}",
            p.pending_through,
            p.pending_through.saturating_sub(height),
            p.pending_through
        ),
        "Active" => format!(
            "open for votes through height {} ({} block(s) left): \
             `molt gov vote --proposal-id {id} --amount A --yea|--nay`",
            p.active_through,
            p.active_through.saturating_sub(height)
        ),
        "Queued" => format!(
            "accepted and queued: executable from height {} through {}",
            p.queued_through + 1,
            p.executable_through
        ),
        "Executable" => format!(
            "executable through height {} by anyone with the payload: \
             `molt gov execute {id} --payload-dir DIR`",
            p.executable_through
        ),
        "Rejected" => format!(
            "rejected: the tally did not pass when voting ended at height {}",
            p.active_through
        ),
        "Expired" => format!("expired: not executed by height {}", p.executable_through),
        "Executed" => "executed".to_string(),
        "Dropped" => "dropped".to_string(),
        "Droppable" => format!(
            "droppable: its proposer {} is no longer the governance proposer; \
             anyone may `molt gov drop {id}`",
            s.proposal.proposer
        ),
        other => other.to_string(),
    }
}

pub fn show(ctx: &Ctx<'_>, id: u64) -> Result<()> {
    let s = existing(ctx, id)?;
    let height = height(ctx)?;
    let t = tally(ctx, &s, height)?;
    let kind = if s.proposal.proposer == STAKEHOLDERS_PACKAGE {
        "emergency: propose_with_lock, never droppable"
    } else {
        "standard: from the governance proposer"
    };
    let mut text = String::new();
    let _ = writeln!(text, "stakeholders' proposal {id}: {}", s.state);
    let _ = writeln!(text, "  {}", outlook(&s, height));
    let _ = writeln!(text, "execution hash: {}", s.proposal.execution_hash);
    let _ = writeln!(text, "proposer: {} ({kind})", s.proposal.proposer);
    let _ = writeln!(text, "tally: {}", t.line());
    let _ = writeln!(
        text,
        "phases (created at height {}, now {height}):",
        s.proposal.created_height
    );
    text.push_str(&phase_lines(&s, height));
    let c = &s.proposal.config;
    let _ = write!(
        text,
        "configuration at creation: voting delay {}, voting duration {}, execution delay {}, \
         grace period {} blocks; quorum {}, yea margin {} (parts of 10^18); minimum votes {}; \
         payload limit {} bytes",
        c.voting_delay,
        c.voting_duration,
        c.execution_delay,
        c.grace_period,
        c.quorum,
        c.required_yea_margin,
        c.minimum_votes,
        c.max_payload_bytes
    );
    ctx.out.result(
        &text,
        json!({
            "track": "stakeholders",
            "proposal": s.proposal,
            "state": s.state,
            "phases": s.phases,
            "tally": t,
            "height": height,
        }),
    );
    Ok(())
}

fn call(ctx: &Ctx<'_>, function: &str, args: Value, coin: u64) -> Result<TransactionPayload> {
    Ok(TransactionPayload::Call {
        package: STAKEHOLDERS_PACKAGE,
        function: function.into(),
        args: ctx.encode_args(&STAKEHOLDERS_PACKAGE, function, &args)?,
        coin,
    })
}

/// The first field (`id: u64`) of the event `name` that `emitter` emitted
/// in an included transaction.
pub fn event_u64(done: &Submitted, emitter: &Address, name: &str) -> Option<u64> {
    let TransactionLookup::Included { receipt, .. } = &done.lookup else {
        return None;
    };
    let e = receipt
        .events
        .iter()
        .find(|e| e.emitter == *emitter && e.name == name)?;
    Some(u64::from_le_bytes(e.data.get(..8)?.try_into().ok()?))
}

/// Refuses before anything is sent, with the chain facts in the JSON.
fn refuse(message: String, details: Value) -> anyhow::Error {
    Reported {
        message: format!("{message}; nothing was sent"),
        human: String::new(),
        details,
        on_stdout: false,
    }
    .into()
}

fn sender(ctx: &Ctx<'_>, tx: &TxArgs) -> Result<Address> {
    Ok(keys::load(&ctx.home, &tx.from)?.address())
}

fn power_of(ctx: &Ctx<'_>, who: &Address) -> Result<u64> {
    view_u64(ctx, "power", json!([who]))
}

pub fn deposit(ctx: &Ctx<'_>, amount: u64, beneficiary: Option<&str>, tx: &TxArgs) -> Result<()> {
    if amount == 0 {
        return Err(refuse(
            "--amount must be more than 0: the deposit's coin becomes voting power".into(),
            json!({ "amount": amount }),
        ));
    }
    let beneficiary = match beneficiary {
        Some(b) => keys::resolve_address(&ctx.home, b)?,
        None => sender(ctx, tx)?,
    };
    let what = format!("a deposit of {amount} as voting power of {beneficiary}");
    let payload = call(ctx, "deposit", json!([beneficiary]), amount)?;
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut power = None;
    if let Transacted::Submitted(v) = &mut done
        && v.succeeded()
    {
        let p = power_of(ctx, &beneficiary)?;
        let total = view_u64(ctx, "total_power", json!([]))?;
        v.extra.insert("beneficiary".into(), json!(beneficiary));
        v.extra.insert("amount".into(), json!(amount));
        v.extra.insert("power".into(), json!(p));
        v.extra.insert("total_power".into(), json!(total));
        power = Some((p, total));
    }
    finish(ctx, done, &what, |_| match power {
        Some((p, total)) => {
            format!("deposited {amount}: {beneficiary} now has power {p} (total power {total})")
        }
        None => format!("deposited {amount} for {beneficiary}"),
    })
}

pub fn withdraw(ctx: &Ctx<'_>, amount: u64, recipient: Option<&str>, tx: &TxArgs) -> Result<()> {
    let owner = sender(ctx, tx)?;
    let recipient = match recipient {
        Some(r) => keys::resolve_address(&ctx.home, r)?,
        None => owner,
    };
    let power = power_of(ctx, &owner)?;
    if amount == 0 || amount > power {
        return Err(refuse(
            format!(
                "cannot withdraw {amount}: {owner} has voting power {power} on the stakeholders' \
                 track (withdraw 1..={power}; `molt gov deposit` adds power)"
            ),
            json!({ "owner": owner, "power": power, "amount": amount }),
        ));
    }
    let what = format!("a withdrawal of {amount} of {owner}'s power to {recipient}");
    let payload = call(ctx, "initiate_withdraw", json!([recipient, amount]), 0)?;
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut record = None;
    if let Transacted::Submitted(v) = &mut done
        && let Some(id) = event_u64(v, &STAKEHOLDERS_PACKAGE, "WithdrawalInitiated")
    {
        let w: Withdrawal = decode(view(ctx, "withdrawal", json!([id]))?, "withdrawal")?;
        let left = power_of(ctx, &owner)?;
        v.extra.insert("withdrawal_id".into(), json!(id));
        v.extra.insert("unlocks_at".into(), json!(w.unlocks_at));
        v.extra
            .insert("withdrawal".into(), serde_json::to_value(&w)?);
        v.extra.insert("power".into(), json!(left));
        record = Some((w, left));
    }
    finish(ctx, done, &what, |_| match record {
        Some((w, left)) => format!(
            "withdrawal {} of {} to {} initiated: {owner}'s power is now {left}\n\
             it unlocks at height {}: then anyone runs `molt gov finalize-withdraw {}`",
            w.id, w.amount, w.recipient, w.unlocks_at, w.id
        ),
        None => format!("withdrawal of {amount} initiated"),
    })
}

pub fn finalize_withdraw(ctx: &Ctx<'_>, id: u64, tx: &TxArgs) -> Result<()> {
    let v = view(ctx, "withdrawal", json!([id]))?;
    if v.is_null() {
        let next = view_u64(ctx, "next_withdrawal_id", json!([]))?;
        return Err(refuse(
            format!(
                "there is no withdrawal {id} ({next} so far); `molt gov withdraw` prints the id \
                 of the one it initiates"
            ),
            json!({ "withdrawal_id": id, "next_withdrawal_id": next }),
        ));
    }
    let w: Withdrawal = decode(v, "withdrawal")?;
    let height = height(ctx)?;
    if w.finalized {
        return Err(refuse(
            format!(
                "withdrawal {id} is already finalized: {} went to {}",
                w.amount, w.recipient
            ),
            json!({ "withdrawal": w, "height": height }),
        ));
    }
    // The transaction lands in the next block at the earliest.
    if height + 1 < w.unlocks_at {
        let left = w.unlocks_at - height - 1;
        return Err(refuse(
            format!(
                "withdrawal {id} is still locked: it unlocks at height {} and the chain is at \
                 height {height}, so {left} more block(s) must pass before it can be finalized",
                w.unlocks_at
            ),
            json!({ "withdrawal": w, "height": height, "blocks_left": left }),
        ));
    }
    let what = format!(
        "finalizing withdrawal {id} ({} to {})",
        w.amount, w.recipient
    );
    let payload = call(ctx, "finalize_withdraw", json!([id]), 0)?;
    let mut done = ctx.transact(tx, payload, &what)?;
    if let Transacted::Submitted(v) = &mut done {
        v.extra
            .insert("withdrawal".into(), serde_json::to_value(&w)?);
    }
    finish(ctx, done, &what, |_| {
        format!(
            "withdrawal {id} finalized: {} paid to {}",
            w.amount, w.recipient
        )
    })
}

pub fn power(ctx: &Ctx<'_>, who: &str, at_height: Option<u64>) -> Result<()> {
    let address = keys::resolve_address(&ctx.home, who)?;
    let height = height(ctx)?;
    let (power, total) = match at_height {
        Some(h) => (
            view_u64(ctx, "power_at", json!([address, h]))?,
            view_u64(ctx, "total_power_at", json!([h]))?,
        ),
        None => (
            power_of(ctx, &address)?,
            view_u64(ctx, "total_power", json!([]))?,
        ),
    };
    let clamp = view_u64(ctx, "exit_clamp", json!([address]))?;
    let at = match at_height {
        Some(h) if h > height => format!(
            "after the block at height {h} (the chain is at height {height}: so far, the latest)"
        ),
        Some(h) => format!("after the block at height {h}"),
        None => format!("at height {height}"),
    };
    let mut text = format!("address: {address}\npower: {power} {at}\ntotal power: {total} {at}");
    if clamp > height {
        let _ = write!(
            text,
            "\nexit clamp: its withdrawals cannot unlock before height {clamp} (it voted on a \
             proposal that is executable from then on)"
        );
    }
    ctx.out.result(
        &text,
        json!({
            "address": address,
            "power": power,
            "total_power": total,
            "at_height": at_height,
            "height": height,
            "exit_clamp": clamp,
        }),
    );
    Ok(())
}

/// The hash of `--payload` (a proposal script directory or a payload
/// file) or `--hash`.
pub fn payload_hash(payload: Option<&Path>, hash: Option<&str>) -> Result<Digest> {
    match (payload, hash) {
        (Some(p), _) => {
            let script = ProposalScript::load(p)?;
            molt_payload::Payload::decode(&script.payload, usize::MAX).with_context(|| {
                format!(
                    "{} is not a governance payload, so its hash is not used",
                    script.path.display()
                )
            })?;
            Ok(script.hash)
        }
        (None, Some(h)) => h.parse().with_context(|| {
            format!("{h:?} is not an execution hash (0x and 64 hex digits, SHA3-256 of a payload)")
        }),
        (None, None) => Err(anyhow!("give --payload FILE_OR_DIR or --hash HASH")),
    }
}

pub fn propose_with_lock(
    ctx: &Ctx<'_>,
    hash: Digest,
    recipient: Option<&str>,
    tx: &TxArgs,
) -> Result<()> {
    let owner = sender(ctx, tx)?;
    let recipient = match recipient {
        Some(r) => keys::resolve_address(&ctx.home, r)?,
        None => owner,
    };
    let c = configuration(ctx)?;
    let power = power_of(ctx, &owner)?;
    if power < c.propose.lock_amount {
        return Err(refuse(
            format!(
                "an emergency proposal locks {} of the proposer's power, and {owner} has {power}; \
                 deposit {} more with `molt gov deposit --amount {}`",
                c.propose.lock_amount,
                c.propose.lock_amount - power,
                c.propose.lock_amount - power
            ),
            json!({ "power": power, "lock_amount": c.propose.lock_amount }),
        ));
    }
    let what = format!(
        "an emergency proposal of execution hash {hash}, locking {} of {owner}'s power for {} blocks",
        c.propose.lock_amount, c.propose.lock_delay
    );
    let payload = call(ctx, "propose_with_lock", json!([hash, recipient]), 0)?;
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut made = None;
    if let Transacted::Submitted(v) = &mut done
        && let Some(id) = event_u64(v, &STAKEHOLDERS_PACKAGE, "Proposed")
    {
        let s = existing(ctx, id)?;
        let withdrawal = event_u64(v, &STAKEHOLDERS_PACKAGE, "WithdrawalInitiated");
        v.extra.insert("proposal_id".into(), json!(id));
        v.extra.insert("withdrawal_id".into(), json!(withdrawal));
        v.extra
            .insert("phases".into(), serde_json::to_value(&s.phases)?);
        made = Some((s, withdrawal));
    }
    finish(ctx, done, &what, |_| match made {
        Some((s, w)) => format!(
            "emergency proposal {} opened for execution hash {hash}\n\
             {} of {owner}'s power became withdrawal {} to {recipient} (unlocks after {} blocks)\n\
             phases:\n{}next: `molt gov vote --proposal-id {} --amount A --yea` once it is Active",
            s.proposal.id,
            c.propose.lock_amount,
            w.map_or("?".to_string(), |w| w.to_string()),
            c.propose.lock_delay,
            phase_lines(&s, s.proposal.created_height),
            s.proposal.id
        ),
        None => format!("emergency proposal opened for execution hash {hash}"),
    })
}

pub fn vote(ctx: &Ctx<'_>, id: u64, amount: u64, yea: bool, tx: &TxArgs) -> Result<()> {
    let s = existing(ctx, id)?;
    let height = height(ctx)?;
    let opens_next = s.state == "Pending" && s.phases.pending_through == height;
    if s.state != "Active" && !opens_next {
        return Err(refuse(
            format!(
                "stakeholders' proposal {id} is {}, and votes are accepted only while it is \
                 Active (heights {}..={}); now {height}: {}",
                s.state,
                s.phases.pending_through + 1,
                s.phases.active_through,
                outlook(&s, height)
            ),
            json!({ "state": s.state, "phases": s.phases, "height": height }),
        ));
    }
    let voter = sender(ctx, tx)?;
    let snapshot = view_u64(ctx, "power_at", json!([voter, s.phases.pending_through]))?;
    let ballot: Ballot = decode(view(ctx, "ballot", json!([id, voter]))?, "ballot")?;
    let available = snapshot.saturating_sub(ballot.yea + ballot.nay);
    if amount == 0 || amount > available {
        return Err(refuse(
            format!(
                "{voter} can cast 1..={available} on proposal {id}: its power at the snapshot \
                 (height {}) was {snapshot} and it already cast yea {} / nay {}",
                s.phases.pending_through, ballot.yea, ballot.nay
            ),
            json!({ "available": available, "power_at_snapshot": snapshot, "ballot": ballot }),
        ));
    }
    let side = if yea { "yea" } else { "nay" };
    let what = format!("a {side} vote of {amount} on stakeholders' proposal {id}");
    let payload = call(ctx, "vote", json!([id, amount, yea]), 0)?;
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut after = None;
    if let Transacted::Submitted(v) = &mut done
        && v.succeeded()
    {
        let s = existing(ctx, id)?;
        let t = tally(ctx, &s, height + 1)?;
        v.extra.insert("tally".into(), serde_json::to_value(&t)?);
        v.extra.insert("state".into(), json!(s.state));
        after = Some(t);
    }
    finish(ctx, done, &what, |_| match after {
        Some(t) => format!("voted {side} with {amount} on proposal {id}: {}", t.line()),
        None => format!("voted {side} with {amount} on proposal {id}"),
    })
}

pub fn execute(ctx: &Ctx<'_>, id: u64, dir: &Path, tx: &TxArgs) -> Result<()> {
    let script = ProposalScript::load(dir)?;
    let s = existing(ctx, id)?;
    let height = height(ctx)?;
    if script.hash != s.proposal.execution_hash {
        return Err(refuse(
            format!(
                "not executing stakeholders' proposal {id}: it approves execution hash {}, but {} \
                 hashes to {} (a payload one byte different has another hash)",
                s.proposal.execution_hash,
                script.describe(),
                script.hash
            ),
            json!({ "proposal": s.proposal, "payload_hash": script.hash }),
        ));
    }
    let limit = s.proposal.config.max_payload_bytes;
    if script.payload.len() as u64 > limit {
        return Err(refuse(
            format!(
                "not executing stakeholders' proposal {id}: the payload is {} bytes and the \
                 proposal's configuration allows at most {limit}",
                script.payload.len()
            ),
            json!({ "payload_bytes": script.payload.len(), "max_payload_bytes": limit }),
        ));
    }
    // The next block is the earliest the transaction runs in.
    let next = height + 1;
    let executable =
        s.state == "Executable" || (s.state == "Queued" && s.phases.queued_through < next);
    if !executable {
        return Err(refuse(
            format!(
                "not executing stakeholders' proposal {id}: it is {} at height {height}, and it \
                 executes only while Executable (heights {}..={}): {}",
                s.state,
                s.phases.queued_through + 1,
                s.phases.executable_through,
                outlook(&s, height)
            ),
            json!({ "state": s.state, "phases": s.phases, "height": height }),
        ));
    }
    let what = format!(
        "executing stakeholders' proposal {id} with {}",
        script.describe()
    );
    let payload = call(
        ctx,
        "execute",
        json!([id, format!("0x{}", hex::encode(&script.payload))]),
        0,
    )?;
    let done = ctx.transact(tx, payload, &what)?;
    finish(ctx, done, &what, |_| {
        format!(
            "executed stakeholders' proposal {id} ({})",
            script.describe()
        )
    })
}

pub fn drop_proposal(ctx: &Ctx<'_>, id: u64, tx: &TxArgs) -> Result<()> {
    let s = existing(ctx, id)?;
    let height = height(ctx)?;
    if s.state != "Droppable" {
        return Err(refuse(
            format!(
                "stakeholders' proposal {id} is {}, not Droppable: only a standard proposal whose \
                 proposer ({}) is no longer the governance proposer may be dropped",
                s.state, s.proposal.proposer
            ),
            json!({ "state": s.state, "height": height }),
        ));
    }
    let what = format!("dropping stakeholders' proposal {id}");
    let payload = call(ctx, "drop_proposal", json!([id]), 0)?;
    let done = ctx.transact(tx, payload, &what)?;
    finish(ctx, done, &what, |_| {
        format!("dropped stakeholders' proposal {id} (final)")
    })
}

pub fn list(ctx: &Ctx<'_>, limit: u64) -> Result<()> {
    let next = view_u64(ctx, "next_proposal_id", json!([]))?;
    let height = height(ctx)?;
    let mut shown = Vec::new();
    for id in (0..next)
        .rev()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        if let Some(s) = standing(ctx, id)? {
            shown.push(s);
        }
    }
    let mut text = format!("{next} stakeholders' proposal(s) at height {height}");
    if (shown.len() as u64) < next {
        let _ = write!(text, "; the latest {} shown", shown.len());
    }
    for s in &shown {
        let _ = write!(
            text,
            "\n  {:>4}  {:<10}  yea {} / nay {}  executable {}..={}  {}",
            s.proposal.id,
            s.state,
            s.proposal.yea,
            s.proposal.nay,
            s.phases.queued_through + 1,
            s.phases.executable_through,
            s.proposal.execution_hash
        );
    }
    ctx.out.result(
        &text,
        json!({ "track": "stakeholders", "count": next, "height": height, "proposals": shown }),
    );
    Ok(())
}
