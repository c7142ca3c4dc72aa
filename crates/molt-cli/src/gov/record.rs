//! Governance's records as its views return them (decoded through its
//! on-chain interface, so a framework upgrade that adds fields at the end
//! still reads), and the tally arithmetic people are shown.

use crate::chain::Ctx;
use anyhow::{Result, anyhow};
use molt_runtime::GOVERNANCE_PACKAGE;
use molt_types::{Address, Digest};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `governance::Proposal`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub id: u64,
    pub proposer: Address,
    pub execution_hash: Digest,
    pub metadata_url: String,
    pub metadata_hash: Digest,
    pub created_height: u64,
    pub expiry_height: u64,
    pub track: TrackRecord,
    pub total_power: u64,
    pub yes: u64,
    pub no: u64,
    pub state: String,
    pub decided_height: u64,
    pub pending_hash: Option<Digest>,
    pub steps_resolved: u64,
}

/// `governance::TrackParams`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackRecord {
    pub deposit: u64,
    pub voting_period_blocks: u64,
    pub max_payload_bytes: u64,
}

impl ProposalRecord {
    /// The least yes power that passes: more than 2/3 of the snapshot,
    /// `floor(2 * total / 3) + 1`, in exact integers.
    pub fn yes_needed(&self) -> u64 {
        let t = u128::from(self.total_power);
        u64::try_from(2 * t / 3 + 1).unwrap_or(u64::MAX)
    }

    /// The tally for people: `yes 30 / no 0 of 90 (more than 60 passes)`.
    pub fn tally(&self) -> String {
        format!(
            "yes {} / no {} of {} (passes at {} yes: more than 2/3)",
            self.yes,
            self.no,
            self.total_power,
            self.yes_needed()
        )
    }
}

/// Proposal `id` with its state at the latest height (a voting proposal
/// past its expiry reads `Expired`), or `None` if there is none.
pub fn proposal(ctx: &Ctx<'_>, id: u64) -> Result<Option<ProposalRecord>> {
    let v = ctx.view_value(&GOVERNANCE_PACKAGE, "proposal", json!([id]))?;
    if v.is_null() {
        return Ok(None);
    }
    let mut p: ProposalRecord = serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("governance's proposal {id} reads {v}, not a proposal: {e}"))?;
    if let Value::String(s) = ctx.view_value(&GOVERNANCE_PACKAGE, "state", json!([id]))? {
        p.state = s;
    }
    Ok(Some(p))
}

/// The track new proposals get (governance's `track` view).
pub fn track(ctx: &Ctx<'_>) -> Result<TrackRecord> {
    let v = ctx.view_value(&GOVERNANCE_PACKAGE, "track", json!([]))?;
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow!("governance's track reads {v}, not a track: {e}"))
}

/// Where proposal `id`'s deposit is: `Held`, `Refunded` or `Forfeited`
/// (`None` from a framework release without the `deposit_status` view).
pub fn deposit_status(ctx: &Ctx<'_>, id: u64) -> Option<String> {
    match ctx.view_value(&GOVERNANCE_PACKAGE, "deposit_status", json!([id])) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Like [`proposal`], with a helpful error when there is none.
pub fn existing(ctx: &Ctx<'_>, id: u64) -> Result<ProposalRecord> {
    proposal(ctx, id)?.ok_or_else(|| {
        anyhow!(
            "there is no proposal {id}; `molt gov list` shows the proposals, \
             `molt view 0x2 next_proposal_id` the id the next one gets"
        )
    })
}

/// The id the next proposal gets (the number of proposals so far).
pub fn next_id(ctx: &Ctx<'_>) -> Result<u64> {
    let v = ctx.view_value(&GOVERNANCE_PACKAGE, "next_proposal_id", json!([]))?;
    v.as_u64()
        .ok_or_else(|| anyhow!("next_proposal_id returned {v}, not a number"))
}
