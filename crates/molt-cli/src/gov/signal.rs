//! Proposer signalling (`signalling`, framework address `0x4`): what a
//! validator's blocks signal for (through the node's admin socket), the
//! rounds' leaders, and submitting a round's winner as a stakeholders'
//! proposal.

use super::stake::{self, event_u64};
use crate::chain::Ctx;
use crate::output::Reported;
use crate::tx::{Transacted, TxArgs, finish};
use anyhow::{Context, Result, anyhow};
use molt_node::admin::{self, SignalChange};
use molt_runtime::{SIGNALLING_PACKAGE, STAKEHOLDERS_PACKAGE};
use molt_types::{Digest, TransactionPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to wait for the node's admin endpoint.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);

/// `signalling::RoundConfig`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundConfig {
    pub round_size: u64,
    pub quorum_size: u64,
    pub lifetime_rounds: u64,
    pub execution_delay_rounds: u64,
}

/// `signalling::Round`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub round: u64,
    pub leader: Option<(Digest, u64)>,
    pub proposal: Option<u64>,
}

/// The admin socket: `--admin-socket`, else `<data dir>/admin.sock` with
/// the dev node's data directory (`<home>/dev`) by default.
pub fn admin_socket(home: &Path, data_dir: Option<&Path>, socket: Option<&Path>) -> PathBuf {
    match (socket, data_dir) {
        (Some(s), _) => s.to_path_buf(),
        (None, Some(d)) => d.join(admin::ADMIN_SOCKET),
        (None, None) => home.join("dev").join(admin::ADMIN_SOCKET),
    }
}

/// What `molt gov signal` was asked to do.
pub enum SignalRequest {
    Show,
    Clear,
    Set(Digest),
}

pub fn signal(ctx: &Ctx<'_>, request: SignalRequest, socket: &Path) -> Result<()> {
    let change = match &request {
        SignalRequest::Show => SignalChange::Keep,
        SignalRequest::Clear => SignalChange::Clear,
        SignalRequest::Set(h) => SignalChange::Set(*h),
    };
    let now = admin::signal(socket, change, ADMIN_TIMEOUT).with_context(|| {
        format!(
            "cannot reach the validator node's admin socket {}: is the node running with that data \
             directory? (give --data-dir DIR or --admin-socket PATH; `molt node` prints its admin \
             socket when it starts)",
            socket.display()
        )
    })?;
    let text = match (&request, now) {
        (SignalRequest::Show, Some(h)) => {
            format!("the node's blocks signal for execution hash {h}")
        }
        (SignalRequest::Show, None) => "the node's blocks signal for nothing".to_string(),
        (SignalRequest::Clear, _) => {
            "signal cleared: the node's blocks signal for nothing from now on".to_string()
        }
        (SignalRequest::Set(_), Some(h)) => format!(
            "the node's blocks signal for execution hash {h} from its next block on; \
             `molt gov rounds` shows the rounds' leaders"
        ),
        (SignalRequest::Set(_), None) => "the node reports no signal in force".to_string(),
    };
    ctx.out
        .result(&text, json!({ "signal": now, "admin_socket": socket }));
    Ok(())
}

fn view(ctx: &Ctx<'_>, function: &str, args: Value) -> Result<Value> {
    ctx.view_value(&SIGNALLING_PACKAGE, function, args)
}

pub fn round_config(ctx: &Ctx<'_>) -> Result<RoundConfig> {
    let v = view(ctx, "round_config", json!([]))?;
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("signalling's round_config reads {v}, not a round configuration: {e}"))
}

pub fn round(ctx: &Ctx<'_>, number: u64) -> Result<Round> {
    let v = view(ctx, "round", json!([number]))?;
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("signalling's round {number} reads {v}, not a round: {e}"))
}

/// Why round `r` cannot be submitted in a block at `height`, or `None`.
fn why_not(c: &RoundConfig, r: &Round, height: u64) -> Option<String> {
    let size = c.round_size.max(1);
    let current = height / size;
    let number = r.round;
    if let Some(p) = r.proposal {
        return Some(format!(
            "round {number}'s winner was already submitted: it is stakeholders' proposal {p} \
             (`molt gov show {p} --track stakeholders`)"
        ));
    }
    if current <= number.saturating_add(c.execution_delay_rounds) {
        let from = number
            .saturating_add(c.execution_delay_rounds)
            .saturating_add(1)
            .saturating_mul(size);
        return Some(format!(
            "round {number} is not over: rounds are {size} blocks (round {number} is heights {}..={}), \
             and its winner can be submitted from height {from} on{}",
            number.saturating_mul(size),
            number.saturating_add(1).saturating_mul(size) - 1,
            if c.execution_delay_rounds > 0 {
                format!(
                    " (after an execution delay of {} round(s))",
                    c.execution_delay_rounds
                )
            } else {
                String::new()
            }
        ));
    }
    if current > number.saturating_add(c.lifetime_rounds) {
        return Some(format!(
            "round {number}'s lifetime is over: a winner can be submitted up to round {} (height {}), \
             and this is round {current}",
            number.saturating_add(c.lifetime_rounds),
            number
                .saturating_add(c.lifetime_rounds)
                .saturating_add(1)
                .saturating_mul(size)
                - 1
        ));
    }
    match r.leader {
        None => Some(format!(
            "no block signalled in round {number}: nothing reached the quorum of {} signals",
            c.quorum_size
        )),
        Some((h, n)) if n < c.quorum_size => Some(format!(
            "round {number}'s leader {h} has {n} signal(s), short of the quorum of {} (of {} blocks)",
            c.quorum_size, c.round_size
        )),
        Some(_) => None,
    }
}

fn status(c: &RoundConfig, r: &Round, height: u64) -> String {
    let current = height / c.round_size.max(1);
    if let Some(p) = r.proposal {
        return format!("submitted as stakeholders' proposal {p}");
    }
    if r.round == current {
        return "open (signals being collected)".to_string();
    }
    match why_not(c, r, height + 1) {
        None => format!(
            "won: submit with `molt gov submit-round-winner {}`",
            r.round
        ),
        Some(_) if current > r.round.saturating_add(c.lifetime_rounds) => "expired".to_string(),
        Some(_) if r.leader.is_some_and(|(_, n)| n < c.quorum_size) => {
            "over, without quorum".to_string()
        }
        Some(_) if r.leader.is_none() => "over, no signals".to_string(),
        Some(_) => "in its execution delay".to_string(),
    }
}

pub fn rounds(ctx: &Ctx<'_>, only: Option<u64>, recent: u64, hash: Option<Digest>) -> Result<()> {
    let c = round_config(ctx)?;
    let height = stake::height(ctx)?;
    let current = height / c.round_size.max(1);
    let numbers: Vec<u64> = match only {
        Some(r) => vec![r],
        None => (current.saturating_sub(recent.saturating_sub(1))..=current)
            .rev()
            .collect(),
    };
    let mut text = format!(
        "round {current} at height {height}: rounds of {} blocks, quorum {} signals, winners \
         submittable for {} round(s) after a delay of {} round(s)",
        c.round_size, c.quorum_size, c.lifetime_rounds, c.execution_delay_rounds
    );
    let mut shown = Vec::new();
    for n in numbers {
        let r = round(ctx, n)?;
        let signals = match hash {
            Some(h) => Some(
                view(ctx, "signals", json!([n, h]))?
                    .as_u64()
                    .unwrap_or_default(),
            ),
            None => None,
        };
        let leader = match r.leader {
            Some((h, k)) => format!("leader {h} with {k} signal(s)"),
            None => "no signals".to_string(),
        };
        let _ = write!(
            text,
            "\n  round {n:>4}  heights {}..={}  {leader}; {}",
            n.saturating_mul(c.round_size),
            n.saturating_add(1).saturating_mul(c.round_size) - 1,
            status(&c, &r, height)
        );
        if let (Some(h), Some(k)) = (hash, signals) {
            let _ = write!(text, "; {h}: {k} signal(s)");
        }
        shown.push(json!({
            "round": r.round,
            "leader": r.leader.map(|(h, k)| json!({"execution_hash": h, "signals": k})),
            "proposal": r.proposal,
            "status": status(&c, &r, height),
            "signals": signals,
            "first_height": n.saturating_mul(c.round_size),
            "last_height": n.saturating_add(1).saturating_mul(c.round_size) - 1,
        }));
    }
    ctx.out.result(
        &text,
        json!({
            "height": height,
            "current_round": current,
            "config": c,
            "hash": hash,
            "rounds": shown,
        }),
    );
    Ok(())
}

pub fn submit_round_winner(ctx: &Ctx<'_>, number: u64, tx: &TxArgs) -> Result<()> {
    let c = round_config(ctx)?;
    let r = round(ctx, number)?;
    let height = stake::height(ctx)?;
    // The transaction runs in the next block at the earliest.
    if let Some(why) = why_not(&c, &r, height + 1) {
        return Err(Reported {
            message: format!("not submitting round {number}'s winner; nothing was sent: {why}"),
            human: String::new(),
            details: json!({ "round": r, "config": c, "height": height }),
            on_stdout: false,
        }
        .into());
    }
    let (hash, signals) = r
        .leader
        .ok_or_else(|| anyhow!("round {number} has no leader"))?;
    let what = format!("submitting round {number}'s winner {hash} ({signals} signals)");
    let payload = TransactionPayload::Call {
        package: SIGNALLING_PACKAGE,
        function: "submit_round_winner".into(),
        args: ctx.encode_args(&SIGNALLING_PACKAGE, "submit_round_winner", &json!([number]))?,
        coin: 0,
    };
    let mut done = ctx.transact(tx, payload, &what)?;
    let mut made = None;
    if let Transacted::Submitted(v) = &mut done
        && let Some(id) = event_u64(v, &STAKEHOLDERS_PACKAGE, "Proposed")
    {
        let s = stake::existing(ctx, id)?;
        v.extra.insert("proposal_id".into(), json!(id));
        v.extra
            .insert("phases".into(), serde_json::to_value(&s.phases)?);
        made = Some(s);
    }
    finish(ctx, done, &what, |_| match made {
        Some(s) => format!(
            "round {number}'s winner {hash} is stakeholders' proposal {}\nphases:\n{}\
             see it with `molt gov show {} --track stakeholders`",
            s.proposal.id,
            stake::phase_lines(&s, s.proposal.created_height),
            s.proposal.id
        ),
        None => format!("submitted round {number}'s winner {hash}"),
    })
}
