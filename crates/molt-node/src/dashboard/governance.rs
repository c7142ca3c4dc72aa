//! The governance pages: the validators' track (`governance`, 0x2) and the
//! stakeholders' track (`stakeholders`, 0x3) with each proposal's state,
//! tally against its threshold and timeline in heights, and the payload
//! simulation (`molt_govSimulate`).
//!
//! Every figure is what the tracks' own views return at the page's height;
//! the only arithmetic here is the validators' threshold, more than 2/3 of
//! the snapshot power, `floor(2 * total / 3) + 1` (docs/governance.md).

use super::PageError;
use super::chain::frame;
use super::html::{
    self, block_link, more_than_two_thirds, num, record, short, state_pill, tally_bar, text,
    timeline,
};
use super::views::{self, answer, view, view_u64};
use crate::producer::Shared;
use crate::rpc;
use maud::{Markup, html};
use molt_rpc_types::GovSimulate;
use molt_runtime::{GOVERNANCE_PACKAGE, Query, STAKEHOLDERS_PACKAGE};
use serde_json::{Value, json};

/// Proposals of each track on the governance page.
const PROPOSALS_SHOWN: u64 = 25;
/// Payload bytes the simulation form takes (its hex is in the URL).
const MAX_FORM_PAYLOAD: usize = 128 * 1024;

/// Governance proposal `id` with its current state, or `None`.
fn validators_proposal(q: &Query<'_>, id: u64) -> Result<Option<Value>, PageError> {
    let Some(mut p) =
        view(q, &GOVERNANCE_PACKAGE, "proposal", json!([id]))?.filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    if let Some(Value::String(state)) = view(q, &GOVERNANCE_PACKAGE, "state", json!([id]))? {
        p["state"] = Value::String(state);
    }
    Ok(Some(p))
}

/// A stakeholders' proposal with its state and phases, or `None`.
fn stake_proposal(q: &Query<'_>, id: u64) -> Result<Option<(Value, String, Value)>, PageError> {
    let Some(p) = view(q, &STAKEHOLDERS_PACKAGE, "proposal", json!([id]))?.filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    let state = match view(q, &STAKEHOLDERS_PACKAGE, "state", json!([id]))? {
        Some(Value::String(s)) => s,
        other => other.map(|v| v.to_string()).unwrap_or_default(),
    };
    let phases = view(q, &STAKEHOLDERS_PACKAGE, "phases", json!([id]))?.unwrap_or(Value::Null);
    Ok(Some((p, state, phases)))
}

fn validators_row(p: &Value) -> Markup {
    let total = num(p, "total_power");
    html! {
        tr {
            td.num { a href={ "/dashboard/governance/" (num(p, "id")) } { (num(p, "id")) } }
            td { (state_pill(&text(p, "state"))) }
            td { (tally_bar(num(p, "yes"), num(p, "no"), total, more_than_two_thirds(total))) }
            td.num { (num(p, "yes")) " / " (more_than_two_thirds(total)) " of " (total) }
            td.num { (num(p, "expiry_height")) }
            td { (short(&text(p, "execution_hash"))) }
        }
    }
}

fn stake_row(q: &Query<'_>, p: &Value, state: &str, phases: &Value) -> Result<Markup, PageError> {
    let id = num(p, "id");
    let passes = view(q, &STAKEHOLDERS_PACKAGE, "tally_passes", json!([id]))?
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    Ok(html! {
        tr {
            td.num { a href={ "/dashboard/stakeholders/" (id) } { (id) } }
            td { (state_pill(state)) }
            td.num { (num(p, "yea")) } td.num { (num(p, "nay")) }
            td { @if passes { span.pill.ok { "passes" } } @else { span.pill { "does not pass" } } }
            td.num { (num(phases, "queued_through") + 1) "..=" (num(phases, "executable_through")) }
            td { (short(&text(p, "execution_hash"))) }
        }
    })
}

pub(super) fn overview(s: &Shared) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let next = view_u64(&q, &GOVERNANCE_PACKAGE, "next_proposal_id", json!([]))?;
    let mut proposals = Vec::new();
    for id in (0..next).rev().take(PROPOSALS_SHOWN as usize) {
        if let Some(p) = validators_proposal(&q, id)? {
            proposals.push(p);
        }
    }
    let track = view(&q, &GOVERNANCE_PACKAGE, "track", json!([]))?.unwrap_or(Value::Null);
    let stake_next = view_u64(&q, &STAKEHOLDERS_PACKAGE, "next_proposal_id", json!([]))?;
    let mut stake_rows = Vec::new();
    for id in (0..stake_next).rev().take(PROPOSALS_SHOWN as usize) {
        if let Some((p, state, phases)) = stake_proposal(&q, id)? {
            stake_rows.push(stake_row(&q, &p, &state, &phases)?);
        }
    }
    let config =
        view(&q, &STAKEHOLDERS_PACKAGE, "configuration", json!([]))?.unwrap_or(Value::Null);
    let content = html! {
        h2 { "Validators' track" }
        p.muted {
            (next) " proposal(s). New proposals: deposit " (num(&track, "deposit"))
            ", voting period " (num(&track, "voting_period_blocks")) " blocks, payload limit "
            (num(&track, "max_payload_bytes")) " bytes; a proposal passes with more than 2/3 of the validators' power at its creation."
        }
        @if proposals.is_empty() { p.muted { "No proposals yet (" code { "molt gov propose" } ")." } } @else {
            table {
                tr { th.num { "id" } th { "state" } th { "tally" } th.num { "yes / needed of total" } th.num { "voting until" } th { "execution hash" } }
                @for p in &proposals { (validators_row(p)) }
            }
        }
        h2 { "Stakeholders' track" }
        p.muted { (stake_next) " proposal(s)." }
        @if stake_rows.is_empty() { p.muted { "No proposals yet (" code { "molt gov submit-round-winner" } " or " code { "molt gov propose-with-lock" } ")." } } @else {
            table {
                tr { th.num { "id" } th { "state" } th.num { "yea" } th.num { "nay" } th { "tally" } th.num { "executable" } th { "execution hash" } }
                @for r in &stake_rows { (r) }
            }
        }
        h2 { "Stakeholders' configuration" }
        (record(&config))
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/governance"),
        "Governance",
        true,
        content,
    ))
}

pub(super) fn proposal(s: &Shared, id: &str) -> Result<Markup, PageError> {
    let id = views::number(id, "a proposal id")?;
    let q = s.runtime.query()?;
    let p = validators_proposal(&q, id)?.ok_or_else(|| {
        PageError::NotFound(format!("the validators' track has no proposal {id}"))
    })?;
    let total = num(&p, "total_power");
    let needed = more_than_two_thirds(total);
    let deposit = view(&q, &GOVERNANCE_PACKAGE, "deposit_status", json!([id]))?;
    let mut points = vec![
        ("created", num(&p, "created_height")),
        ("voting until", num(&p, "expiry_height")),
    ];
    if num(&p, "decided_height") > 0 {
        points.push(("decided", num(&p, "decided_height")));
    }
    let content = html! {
        p { (state_pill(&text(&p, "state"))) " " (outlook(&p, q.height())) }
        h2 { "Tally" }
        (tally_bar(num(&p, "yes"), num(&p, "no"), total, needed))
        p { "yes " strong { (num(&p, "yes")) } ", no " (num(&p, "no")) " of " (total)
            " (passes at " (needed) " yes: more than 2/3 of the power at creation)" }
        h2 { "Timeline (heights)" }
        (timeline(&points, q.height()))
        h2 { "Payload" }
        p { "Execution hash " code { (text(&p, "execution_hash")) } "; steps resolved " (num(&p, "steps_resolved")) "." }
        @if let Some(h) = p["pending_hash"].as_str() { p { "Next step to resolve: " code { (h) } } }
        p { a href={ "/dashboard/simulate?proposal=" (id) } { "Simulate its payload" } " (the chain keeps only the hash; paste the payload there)." }
        @if let Some(d) = deposit.as_ref().and_then(|d| d.as_str()) { p { "Deposit: " (d) } }
        h2 { "Record" }
        (record(&p))
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/governance"),
        &format!("Proposal {id} (validators' track)"),
        true,
        content,
    ))
}

/// What a validators' proposal waits for, in words.
fn outlook(p: &Value, height: u64) -> String {
    match text(p, "state").as_str() {
        "Voting" => format!(
            "open for votes until height {} ({} block(s) left); {} more yes power passes it",
            num(p, "expiry_height"),
            num(p, "expiry_height").saturating_sub(height),
            more_than_two_thirds(num(p, "total_power")).saturating_sub(num(p, "yes"))
        ),
        "Accepted" => format!(
            "accepted at height {}: anyone with the payload may resolve it",
            num(p, "decided_height")
        ),
        "Executing" => format!(
            "{} step(s) resolved; the next is approved",
            num(p, "steps_resolved")
        ),
        "Executed" => format!("executed: {} step(s) resolved", num(p, "steps_resolved")),
        "Rejected" => format!("rejected at height {}", num(p, "decided_height")),
        "Expired" => format!("expired undecided at height {}", num(p, "expiry_height")),
        other => other.to_string(),
    }
}

pub(super) fn stakeholders_proposal(s: &Shared, id: &str) -> Result<Markup, PageError> {
    let id = views::number(id, "a proposal id")?;
    let q = s.runtime.query()?;
    let (p, state, phases) = stake_proposal(&q, id)?.ok_or_else(|| {
        PageError::NotFound(format!("the stakeholders' track has no proposal {id}"))
    })?;
    let snapshot = num(&phases, "pending_through");
    let total = view_u64(
        &q,
        &STAKEHOLDERS_PACKAGE,
        "total_power_at",
        json!([snapshot]),
    )?;
    let passes = view(&q, &STAKEHOLDERS_PACKAGE, "tally_passes", json!([id]))?
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut points = Vec::new();
    for (name, key) in [
        ("pending until", "pending_through"),
        ("voting until", "active_through"),
        ("queued until", "queued_through"),
        ("executable until", "executable_through"),
    ] {
        if phases.get(key).is_some() {
            points.push((name, num(&phases, key)));
        }
    }
    let (yea, nay) = (num(&p, "yea"), num(&p, "nay"));
    let content = html! {
        p { (state_pill(&state)) " "
            @if passes { span.pill.ok { "the tally passes now" } } @else { span.pill { "the tally does not pass now" } } }
        h2 { "Tally" }
        (tally_bar(yea, nay, total, 0))
        p { "yea " strong { (yea) } ", nay " (nay) "; total power at the snapshot (height " (snapshot) "): " (total) }
        h2 { "Timeline (heights)" }
        (timeline(&points, q.height()))
        h2 { "Phases" }
        (record(&phases))
        h2 { "Record" }
        (record(&p))
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/governance"),
        &format!("Proposal {id} (stakeholders' track)"),
        true,
        content,
    ))
}

/// Hex text (with or without `0x`, whitespace ignored) as bytes.
fn payload_bytes(text: &str) -> Result<Vec<u8>, PageError> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = clean.strip_prefix("0x").unwrap_or(&clean);
    if digits.len() / 2 > MAX_FORM_PAYLOAD {
        return Err(PageError::BadRequest(format!(
            "the form takes payloads up to {MAX_FORM_PAYLOAD} bytes; use `molt gov simulate FILE` for larger ones"
        )));
    }
    hex::decode(digits).map_err(|e| {
        PageError::BadRequest(format!(
            "the payload is not hex ({e}): paste the 0x-prefixed hex of the payload's encoding"
        ))
    })
}

pub(super) fn simulate(
    s: &Shared,
    payload: Option<&str>,
    proposal: Option<&str>,
) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let proposal_id = proposal
        .map(|p| views::number(p, "a proposal id"))
        .transpose()?;
    let result = match payload {
        Some(text) => Some(answer(rpc::gov_simulate(
            s,
            GovSimulate {
                payload: payload_bytes(text)?,
                proposal: proposal_id,
            },
        ))?),
        None => None,
    };
    let content = html! {
        p.muted { "Resolves a governance payload on a copy of the state at height " (q.height())
            " and shows what it would do; nothing is written. The same as " code { "molt gov simulate" } "." }
        form method="get" action="/dashboard/simulate" {
            textarea name="payload" placeholder="0x… (the payload's encoding as hex)" { (payload.unwrap_or("")) }
            p { "As proposal " input type="text" name="proposal" value=(proposal.unwrap_or("")) placeholder="(a new proposal)" size="14";
                " " button type="submit" { "Simulate" } }
        }
        @if let Some(r) = &result { (simulation(r)) }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/simulate"),
        "Simulate a payload",
        false,
        content,
    ))
}

fn simulation(r: &Value) -> Markup {
    let status = text(r, "status");
    html! {
        h2 { "Result" }
        p { (state_pill(if status == "success" { "success" } else { "failed" })) " " (status) }
        table.kv {
            tr { th { "execution hash" } td { code { (text(r, "execution_hash")) } } }
            tr { th { "resolved as proposal" } td { (num(r, "proposal")) } }
            tr { th { "actions" } td { ol { @for a in r["actions"].as_array().into_iter().flatten() { li { (a.as_str().unwrap_or("?")) } } } } }
            tr { th { "ends the epoch" } td { (r["ends_epoch"].as_bool().unwrap_or(false)) } }
            tr { th { "gas" } td { (num(r, "gas_used")) } }
            tr { th { "forked from" } td { "block " (block_link(num(&r["block"], "parent_height"))) } }
        }
        @for c in r["compatibility"].as_array().into_iter().flatten() {
            h2 { "Upgrade of " (short(&text(c, "package"))) }
            p { @if c["compatible"].as_bool() == Some(true) { span.pill.ok { "compatible" } } @else { span.pill.bad { "incompatible" } } }
            (record(c))
        }
        @if !r["upgrades"].as_array().is_none_or(|a| a.is_empty()) { h2 { "Packages upgraded" } (record(&r["upgrades"])) }
        @if !r["params"].is_null() { h2 { "Parameters scheduled" } (record(&r["params"])) }
        @if !r["validators"].is_null() { h2 { "Validator set scheduled" } (record(&r["validators"])) }
        @if !r["protocol_upgrades"].as_array().is_none_or(|a| a.is_empty()) { h2 { "Protocol upgrades" } (record(&r["protocol_upgrades"])) }
        @if !r["next_step"].is_null() { p { "Approves the next step " code { (text(r, "next_step")) } } }
        h2 { "Events" }
        (record(&r["events"]))
    }
}
