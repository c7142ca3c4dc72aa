//! The registry page (canonical deployments, `registry` at 0x5) and the
//! protocol upgrade page (`protocol` at 0x6 with this node's own halt
//! state): plans with their votes and power, the accepted plan, the
//! countdown to its height, and each validator's readiness (the plan its
//! vote is for).

use super::PageError;
use super::chain::frame;
use super::html::{
    self, block_link, more_than_two_thirds, num, package_link, record, short, state_pill,
    tally_bar, text,
};
use super::views::{view, view_u64};
use crate::producer::Shared;
use maud::{Markup, html};
use molt_runtime::{PROTOCOL_PACKAGE, REGISTRY_PACKAGE};
use serde_json::{Value, json};

/// Services read per `services` call.
const SERVICES_PAGE: u64 = 100;
/// Most services the page lists.
const MAX_SERVICES: u64 = 1_000;

pub(super) fn registry(s: &Shared) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let count = view_u64(&q, &REGISTRY_PACKAGE, "service_count", json!([]))?;
    let mut services = Vec::new();
    let mut at = 0;
    while at < count.min(MAX_SERVICES) {
        let page = view(
            &q,
            &REGISTRY_PACKAGE,
            "services",
            json!([at, SERVICES_PAGE]),
        )?
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
        if page.is_empty() {
            break;
        }
        at += page.len() as u64;
        services.extend(page);
    }
    let mut histories = Vec::new();
    for svc in &services {
        let name = text(svc, "name");
        let history = view(&q, &REGISTRY_PACKAGE, "history", json!([name]))?
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        histories.push((name, history));
    }
    let content = html! {
        p.muted { (count) " service(s). A service's canonical version changes only through the stakeholders' track (a payload's RegistryAdd action)." }
        @if services.is_empty() { p.muted { "No services yet." } } @else {
            table {
                tr { th { "service" } th { "canonical" } th { "label" } th.num { "since" } th.num { "versions" } }
                @for svc in &services {
                    @let c = &svc["canonical"];
                    tr {
                        td { strong { (text(svc, "name")) } }
                        td { (package_link(&text(c, "package"))) }
                        td { (text(c, "label")) }
                        td.num { (block_link(num(c, "added_height"))) }
                        td.num { (num(svc, "versions")) }
                    }
                }
            }
            @for (name, history) in &histories {
                h2 { "History of " (name) }
                table {
                    tr { th.num { "#" } th { "package" } th { "label" } th.num { "added at" } }
                    @for (i, v) in history.iter().enumerate() {
                        tr {
                            td.num { (i + 1) @if i + 1 == history.len() { " " span.pill.ok { "canonical" } } }
                            td { (package_link(&text(v, "package"))) }
                            td { (text(v, "label")) }
                            td.num { (block_link(num(v, "added_height"))) }
                        }
                    }
                }
            }
        }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/registry"),
        "Registry",
        true,
        content,
    ))
}

/// A plan's binaries, as the chain's plan (a map) or the protocol
/// package's (a list of pairs) gives them.
fn binaries(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, h)| (k.clone(), h.as_str().unwrap_or_default().to_string()))
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or_default().to_string(),
                    p[1].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn plan_line(plan: &Value) -> Markup {
    html! { strong { (text(plan, "version")) } " at height " (num(plan, "height")) }
}

pub(super) fn protocol(s: &Shared) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let tallies = view(&q, &PROTOCOL_PACKAGE, "proposals", json!([]))?
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let scheduled = view(&q, &PROTOCOL_PACKAGE, "scheduled", json!([]))?.unwrap_or(Value::Null);
    let status = serde_json::to_value(crate::status::node_status(s)).unwrap_or(Value::Null);
    let held = &status["upgrade"]["plan"];
    let head = q.height();
    let interval_ms = super::chain::measured_interval(&q)?;
    let mut readiness = Vec::new();
    for v in q.validators()? {
        let vote =
            view(&q, &PROTOCOL_PACKAGE, "vote_of", json!([v.address]))?.unwrap_or(Value::Null);
        readiness.push((v, vote));
    }
    let target = if held.is_null() { &scheduled } else { held };
    let content = html! {
        h2 { "The plan" }
        @if target.is_null() {
            p.muted { "No protocol upgrade is scheduled. This node runs release " (text(&status["version"], "release")) "." }
        } @else {
            @let height = num(target, "height");
            @let left = height.saturating_sub(head);
            div.cards {
                div.card { div.label { "accepted plan" } div.value { (text(target, "version")) } div.muted { "the last height of the old release: " (height) } }
                div.card { div.label { "countdown" } div.value { (left) " blocks" }
                    div.muted { @match interval_ms { Some(ms) if left > 0 => { "about " (left.saturating_mul(ms) / 1000) " s at " (ms) " ms a block" }, _ => { "at or past the height" } } } }
                div.card { div.label { "this node" } div.value { (state_pill(&text(&status["upgrade"], "state"))) } div.muted { "runs " (text(&status["version"], "release")) } }
            }
            @let bins = binaries(&target["binaries"]);
            @if !bins.is_empty() {
                table { tr { th { "platform" } th { "binary checksum (SHA3-256)" } }
                    @for (platform, hash) in &bins { tr { td { (platform) } td { code { (hash) } } } } }
            }
        }
        h2 { "Votes" }
        @if tallies.is_empty() { p.muted { "No plan has votes (" code { "molt protocol propose" } ")." } } @else {
            table {
                tr { th { "plan" } th { "power" } th.num { "power / total" } th.num { "voters" } }
                @for t in &tallies {
                    @let total = num(t, "total");
                    tr {
                        td { (plan_line(&t["plan"])) }
                        td { (tally_bar(num(t, "power"), 0, total, more_than_two_thirds(total))) }
                        td.num { (num(t, "power")) " / " (total) }
                        td.num { (t["voters"].as_array().map_or(0, Vec::len)) }
                    }
                }
            }
        }
        h2 { "Validators' readiness" }
        table {
            tr { th { "validator" } th.num { "power" } th { "vote" } th { "ready for the plan" } }
            @for (v, vote) in &readiness {
                tr {
                    td { (short(&v.address.to_string())) }
                    td.num { (v.voting_power) }
                    td { @if vote.is_null() { span.muted { "none" } } @else { (plan_line(vote)) } }
                    td {
                        @if target.is_null() { span.muted { "-" } }
                        @else if !vote.is_null() && text(vote, "version") == text(target, "version") { span.pill.ok { "voted for it" } }
                        @else if tallies.is_empty() { span.pill.info { "accepted; votes cleared" } }
                        @else { span.pill.warn { "no vote for it" } }
                    }
                }
            }
        }
        @if !target.is_null() {
            p.muted { "Votes are cleared when a plan is accepted. From then on a validator is ready when its node runs release "
                (text(target, "version")) " or later before height " (num(target, "height"))
                " (each operator's " code { "molt-visor check" } "); this node runs " (text(&status["version"], "release"))
                " and is " (text(&status["upgrade"], "state")) "." }
        }
        @if !scheduled.is_null() { h2 { "Last scheduled by the validators" } (record(&scheduled)) }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/protocol"),
        "Protocol upgrades",
        true,
        content,
    ))
}
