//! `molt gov propose`, `vote` and `resolve`: transactions to governance's
//! entry functions, each checked against what the chain holds before it is
//! signed (the payload's hash locally, the proposal's state and approved
//! hash on chain) and simulated by the node like every CLI transaction.

use super::record::{self, ProposalRecord};
use crate::chain::Ctx;
use crate::output::Reported;
use crate::script::ProposalScript;
use crate::tx::{Submitted, Transacted, TxArgs, finish};
use anyhow::{Context, Result, anyhow, bail};
use molt_rpc_types::TransactionLookup;
use molt_runtime::GOVERNANCE_PACKAGE;
use molt_types::{TransactionPayload, sha3_256};
use serde_json::{Value, json};
use std::path::Path;

/// The longest metadata URL governance accepts.
const MAX_URL_BYTES: usize = 512;

fn governance_call(
    ctx: &Ctx<'_>,
    function: &str,
    args: Value,
    coin: u64,
) -> Result<TransactionPayload> {
    Ok(TransactionPayload::Call {
        package: GOVERNANCE_PACKAGE,
        function: function.into(),
        args: ctx.encode_args(&GOVERNANCE_PACKAGE, function, &args)?,
        coin,
    })
}

/// The first field (`id: u64`, little-endian borsh) of governance's event
/// `name` in an included transaction.
fn event_u64(done: &Submitted, name: &str) -> Option<u64> {
    let TransactionLookup::Included { receipt, .. } = &done.lookup else {
        return None;
    };
    let e = receipt
        .events
        .iter()
        .find(|e| e.emitter == GOVERNANCE_PACKAGE && e.name == name)?;
    Some(u64::from_le_bytes(e.data.get(..8)?.try_into().ok()?))
}

/// Adds the proposal as it stands after the transaction to its JSON.
fn with_proposal(ctx: &Ctx<'_>, done: Transacted, id: u64) -> Result<Transacted> {
    Ok(match done {
        Transacted::Submitted(mut v) if v.succeeded() => {
            if let Some(p) = record::proposal(ctx, id)? {
                v.extra.insert("proposal".into(), serde_json::to_value(&p)?);
            }
            Transacted::Submitted(v)
        }
        other => other,
    })
}

fn recorded(v: &Submitted) -> Option<ProposalRecord> {
    serde_json::from_value(v.extra.get("proposal")?.clone()).ok()
}

pub fn propose(
    ctx: &Ctx<'_>,
    dir: &Path,
    metadata_url: &str,
    metadata_file: Option<&Path>,
    tx: &TxArgs,
) -> Result<()> {
    let script = ProposalScript::load(dir)?;
    if let Some(s) = &script.step
        && s.step != 1
    {
        bail!(
            "{} is step {} of {}: propose the first step (its `1-...` sibling); one vote approves \
             the whole chain of next-step hashes and the later steps are resolved in order",
            dir.display(),
            s.step,
            s.of
        );
    }
    molt_payload::Payload::decode(&script.payload, usize::MAX).with_context(|| {
        format!(
            "{} is not a governance payload, so no proposal is opened for it",
            script.path.display()
        )
    })?;
    if metadata_url.len() > MAX_URL_BYTES {
        bail!(
            "the metadata URL is {} bytes; governance accepts at most {MAX_URL_BYTES}",
            metadata_url.len()
        );
    }
    let metadata = match metadata_file {
        Some(f) => std::fs::read(f)
            .with_context(|| format!("cannot read metadata file {}", f.display()))?,
        None => script.readme.clone().ok_or_else(|| {
            anyhow!(
                "{} has no README.md to hash as the proposal's metadata; give --metadata-file",
                dir.display()
            )
        })?,
    };
    let metadata_hash = sha3_256(&metadata);
    // The track's deposit, attached: governance refuses any other amount.
    let deposit = record::track(ctx)?.deposit;
    let payload = governance_call(
        ctx,
        "propose",
        json!([script.hash, metadata_url, metadata_hash]),
        deposit,
    )?;
    let what = format!(
        "a proposal of payload {} ({}) with the track's deposit of {deposit}",
        script.hash,
        script.describe()
    );
    let mut done = ctx.transact(tx, payload, &what)?;
    if let Transacted::Submitted(v) = &mut done
        && let Some(id) = event_u64(v, "Proposed")
    {
        v.extra.insert("proposal_id".into(), json!(id));
        v.extra.insert("metadata_hash".into(), json!(metadata_hash));
        v.extra.insert("deposit".into(), json!(deposit));
        done = with_proposal(ctx, done, id)?;
    }
    let hash = script.hash;
    finish(ctx, done, &what, |v| match recorded(v) {
        Some(p) => format!(
            "proposal {} opened for execution hash {hash}\n\
             voters: the validators at height {}, total power {}; {}\n\
             voting until height {}\n\
             deposit: {deposit} held by governance, refunded when the proposal is decided, \
             forfeited if it expires undecided\n\
             next: each validator runs `molt gov vote --proposal-id {}`",
            p.id,
            p.created_height,
            p.total_power,
            p.tally(),
            p.expiry_height,
            p.id
        ),
        None => format!("proposal opened for execution hash {hash}"),
    })
}

pub fn vote(ctx: &Ctx<'_>, id: u64, approve: bool, tx: &TxArgs) -> Result<()> {
    let p = record::existing(ctx, id)?;
    if p.state != "Voting" {
        bail!(
            "proposal {id} is {}: voting has ended ({}; decided at height {}, voting ran to height {})",
            p.state,
            p.tally(),
            p.decided_height,
            p.expiry_height
        );
    }
    let side = if approve { "yes" } else { "no" };
    let what = format!("a {side} vote on proposal {id}");
    let payload = governance_call(ctx, "vote", json!([id, approve]), 0)?;
    let done = ctx.transact(tx, payload, &what)?;
    let done = with_proposal(ctx, done, id)?;
    finish(ctx, done, &what, |v| {
        let Some(p) = recorded(v) else {
            return format!("voted {side} on proposal {id}");
        };
        let refund = format!(
            "; the deposit of {} went back to {}",
            p.track.deposit, p.proposer
        );
        let next = match p.state.as_str() {
            "Accepted" => format!(
                "\naccepted{refund}: resolve it in a block after {} with \
                 `molt gov resolve --proposal-id {id} --proposal-script-dir DIR`",
                p.decided_height
            ),
            "Rejected" => format!("\nrejected: it can no longer reach 2/3{refund}"),
            _ => String::new(),
        };
        format!(
            "voted {side} on proposal {id}: {}; state {}{next}",
            p.tally(),
            p.state
        )
    })
}

/// Why `script` cannot resolve `p` now, in words, or `None` if it can.
fn mismatch(p: &ProposalRecord, script: &ProposalScript) -> Option<String> {
    let id = p.id;
    match p.state.as_str() {
        "Accepted" | "Executing" => {}
        "Voting" => {
            return Some(format!(
                "proposal {id} is not accepted yet ({}); it can be resolved once more than 2/3 \
                 of its voters' power said yes (voting runs to height {})",
                p.tally(),
                p.expiry_height
            ));
        }
        "Executed" => {
            return Some(format!(
                "proposal {id} is executed: all of its {} step(s) resolved; there is nothing left \
                 to resolve",
                p.steps_resolved
            ));
        }
        other => {
            return Some(format!(
                "proposal {id} is {other} ({}); only an accepted proposal resolves",
                p.tally()
            ));
        }
    }
    let expected = p.pending_hash?;
    if expected == script.hash {
        return None;
    }
    let mut why = format!(
        "proposal {id} approves execution hash {expected} next ({} step(s) resolved so far), \
         but {} hashes to {}.",
        p.steps_resolved,
        script.describe(),
        script.hash
    );
    let siblings = script.siblings();
    let expected_step = siblings.iter().find(|s| s.hash == expected);
    if let Some(s) = &script.step
        && s.step <= p.steps_resolved
    {
        why.push_str(" This step already resolved: a step cannot be replayed.");
        if let Some(e) = expected_step {
            why.push_str(&format!(" The next one is {}.", e.describe()));
        }
    } else if let Some(s) = expected_step {
        why.push_str(&format!(
            " The expected payload is {}: resolve that first; steps resolve in order.",
            s.describe()
        ));
    } else {
        why.push_str(
            " No step next to it has that hash: the directory was written for another proposal, \
             or the framework changed after the proposal was made (a payload one byte different \
             has another hash).",
        );
    }
    Some(why)
}

pub fn resolve(ctx: &Ctx<'_>, dir: &Path, id: u64, tx: &TxArgs) -> Result<()> {
    let script = ProposalScript::load(dir)?;
    let p = record::existing(ctx, id)?;
    if let Some(why) = mismatch(&p, &script) {
        return Err(Reported {
            message: format!("not resolving proposal {id}; nothing was sent: {why}"),
            human: String::new(),
            details: json!({
                "proposal": p,
                "payload_hash": script.hash,
            }),
            on_stdout: false,
        }
        .into());
    }
    let payload = governance_call(
        ctx,
        "resolve",
        json!([id, format!("0x{}", hex::encode(&script.payload))]),
        0,
    )?;
    let what = format!("resolving proposal {id} with {}", script.describe());
    let done = ctx.transact(tx, payload, &what)?;
    let done = with_proposal(ctx, done, id)?;
    let siblings = script.siblings();
    finish(ctx, done, &what, |v| {
        let Some(p) = recorded(v) else {
            return format!("resolved proposal {id}");
        };
        let next = match p.pending_hash {
            None => "every step resolved: the proposal is executed".to_string(),
            Some(h) => match siblings.iter().find(|s| s.hash == h) {
                Some(s) => format!(
                    "next step approved: {h}: `molt gov resolve --proposal-id {id} \
                     --proposal-script-dir {}`",
                    s.path.display()
                ),
                None => format!("next step approved: {h}"),
            },
        };
        format!(
            "resolved step {} of proposal {id} ({}); {next}",
            p.steps_resolved,
            script.describe()
        )
    })
}
