//! `molt gov show` and `molt gov list`: proposals as governance's views
//! report them at the latest height.

use super::record::{self, ProposalRecord};
use crate::chain::Ctx;
use anyhow::Result;
use molt_rpc_types::GetChainInfo;
use serde_json::json;
use std::fmt::Write as _;

/// What the proposal waits for, in words.
fn outlook(p: &ProposalRecord, height: u64) -> String {
    match p.state.as_str() {
        "Voting" => format!(
            "open for votes until height {} ({} block(s) left); {} more yes power passes it",
            p.expiry_height,
            p.expiry_height.saturating_sub(height),
            p.yes_needed().saturating_sub(p.yes)
        ),
        "Accepted" => format!(
            "accepted at height {}: resolvable in any later block by anyone with the payload",
            p.decided_height
        ),
        "Executing" => format!(
            "{} step(s) resolved; the next step is approved",
            p.steps_resolved
        ),
        "Executed" => format!("executed: {} step(s) resolved", p.steps_resolved),
        "Rejected" => format!(
            "rejected at height {}: it could no longer reach 2/3",
            p.decided_height
        ),
        "Expired" => format!(
            "expired: not decided by height {}; no more votes",
            p.expiry_height
        ),
        other => other.to_string(),
    }
}

pub fn show(ctx: &Ctx<'_>, id: u64) -> Result<()> {
    let p = record::existing(ctx, id)?;
    let height = ctx.rpc.request(&GetChainInfo)?.height;
    let mut s = String::new();
    let _ = writeln!(s, "proposal {id}: {}", p.state);
    let _ = writeln!(s, "  {}", outlook(&p, height));
    let _ = writeln!(s, "execution hash: {}", p.execution_hash);
    if let Some(h) = p.pending_hash {
        let _ = writeln!(s, "next to resolve: {h}");
    }
    let _ = writeln!(s, "steps resolved: {}", p.steps_resolved);
    let _ = writeln!(s, "tally: {}", p.tally());
    let _ = writeln!(
        s,
        "heights: created {}, voting until {}, decided {}, now {height}",
        p.created_height,
        p.expiry_height,
        if p.decided_height == 0 {
            "-".to_string()
        } else {
            p.decided_height.to_string()
        }
    );
    let _ = writeln!(s, "proposer: {}", p.proposer);
    let _ = writeln!(
        s,
        "metadata: {} (SHA3-256 {})",
        p.metadata_url, p.metadata_hash
    );
    let deposit = record::deposit_status(ctx, id);
    let _ = writeln!(
        s,
        "deposit: {} {}",
        p.track.deposit,
        match deposit.as_deref() {
            Some("Held") => "held by governance until the proposal is decided",
            Some("Refunded") => "refunded to the proposer",
            Some("Forfeited") => "forfeited to governance (the proposal expired undecided)",
            _ => "(this framework release does not report it)",
        }
    );
    let _ = write!(
        s,
        "track: deposit {}, voting period {} blocks, payload limit {} bytes",
        p.track.deposit, p.track.voting_period_blocks, p.track.max_payload_bytes
    );
    let json = json!({
        "proposal": p,
        "yes_needed": p.yes_needed(),
        "height": height,
        "deposit_status": deposit,
    });
    ctx.out.result(&s, json);
    Ok(())
}

pub fn list(ctx: &Ctx<'_>, limit: u64) -> Result<()> {
    let next = record::next_id(ctx)?;
    let height = ctx.rpc.request(&GetChainInfo)?.height;
    let mut shown = Vec::new();
    for id in (0..next)
        .rev()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        if let Some(p) = record::proposal(ctx, id)? {
            shown.push(p);
        }
    }
    let mut s = format!("{next} proposal(s) at height {height}");
    if shown.len() < usize::try_from(next).unwrap_or(usize::MAX) {
        let _ = write!(s, "; the latest {} shown", shown.len());
    }
    for p in &shown {
        let _ = write!(
            s,
            "\n  {:>4}  {:<9}  yes {}/{} of {}  expires {}  {}",
            p.id,
            p.state,
            p.yes,
            p.yes_needed(),
            p.total_power,
            p.expiry_height,
            p.execution_hash
        );
    }
    ctx.out.result(
        &s,
        json!({ "count": next, "height": height, "proposals": shown }),
    );
    Ok(())
}
