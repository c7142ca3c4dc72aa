//! The chain pages: the overview, the block list, a block with its
//! receipts, and a transaction.

use super::PageError;
use super::html::{self, Frame, block_link, num, record, short, state_pill, text};
use super::views::{self, answer};
use crate::producer::Shared;
use crate::rpc;
use maud::{Markup, html};
use molt_rpc_types::{BlockView, GetTransaction, ReceiptView};
use molt_runtime::{Query, SYSTEM_PACKAGE};
use serde_json::{Value, json};

/// Blocks per page of the block list.
const BLOCKS_PER_PAGE: u64 = 25;
/// Blocks the overview's measured interval is averaged over.
const INTERVAL_WINDOW: u64 = 20;

pub(super) fn frame<'a>(s: &Shared, q: &Query<'_>, section: &'a str) -> Frame<'a> {
    Frame {
        chain_id: s.runtime.chain_id().to_string(),
        height: q.height(),
        section,
    }
}

/// The mean interval of the last blocks in milliseconds, from their
/// timestamps (`None` before the second block).
pub(super) fn measured_interval(q: &Query<'_>) -> Result<Option<u64>, PageError> {
    let head = q.height();
    let from = head.saturating_sub(INTERVAL_WINDOW).max(1);
    if head <= from {
        return Ok(None);
    }
    let (Some(a), Some(b)) = (q.block(from)?, q.block(head)?) else {
        return Ok(None);
    };
    Ok(Some(
        b.header.timestamp_ms.saturating_sub(a.header.timestamp_ms) / (head - from),
    ))
}

fn blocks_table(q: &Query<'_>, top: u64, count: u64) -> Result<Markup, PageError> {
    let mut rows = Vec::new();
    for h in (top.saturating_sub(count.saturating_sub(1))..=top).rev() {
        if let Some(b) = q.block(h)? {
            rows.push(b);
        }
    }
    Ok(html! {
        table {
            tr { th.num { "height" } th { "id" } th.num { "epoch" } th.num { "transactions" } th { "proposer" } th { "time" } }
            @for b in &rows {
                tr {
                    td.num { (block_link(b.header.height)) }
                    td { (short(&b.header.id().to_string())) }
                    td.num { (b.header.epoch) }
                    td.num { (b.transactions.len()) }
                    td { (short(&b.header.proposer.to_string())) }
                    td { (html::time(b.header.timestamp_ms)) }
                }
            }
        }
    })
}

pub(super) fn overview(s: &Shared) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let latest = q.latest_block()?;
    let params = serde_json::to_value(q.params()?).unwrap_or(Value::Null);
    let status = serde_json::to_value(crate::status::node_status(s)).unwrap_or(Value::Null);
    let framework = views::view_u64(&q, &SYSTEM_PACKAGE, "framework_version", json!([]))?;
    let interval = measured_interval(&q)?;
    let validators = q.validators()?;
    let total: u64 = validators.iter().map(|v| v.voting_power).sum();
    let upgrade = &status["upgrade"];
    let content = html! {
        div.cards {
            div.card { div.label { "head" } div.value { (q.height()) } div.muted { (html::time(latest.header.timestamp_ms)) } }
            div.card { div.label { "block interval" } div.value {
                @match interval { Some(ms) => { (ms) " ms" }, None => { "-" } }
            } div.muted { "mean of the last " (INTERVAL_WINDOW) " blocks" } }
            div.card { div.label { "epoch" } div.value { (latest.header.epoch) } div.muted { "length " (num(&params, "epoch_length")) " blocks" } }
            div.card { div.label { "framework" } div.value { "release " (framework) } }
            div.card { div.label { "validators" } div.value { (validators.len()) } div.muted { "total power " (total) } }
            div.card { div.label { "mempool" } div.value { (num(&status["mempool"], "transactions")) } div.muted { (num(&status["mempool"], "bytes")) " bytes" } }
            div.card { div.label { "this node" } div.value { (state_pill(&text(upgrade, "state"))) }
                div.muted { "release " (text(&status["version"], "release")) } }
        }
        h2 { "Validators" }
        table {
            tr { th { "address" } th { "public key" } th.num { "voting power" } th.num { "share" } }
            @for v in &validators {
                tr {
                    td { code { (v.address) } }
                    td { (short(&v.public_key.to_string())) }
                    td.num { (v.voting_power) }
                    td.num { (html::percent(v.voting_power, total)) "%" }
                }
            }
        }
        h2 { "Latest blocks" }
        (blocks_table(&q, q.height(), 10)?)
        p { a href="/dashboard/blocks" { "All blocks" } }
        h2 { "Parameters" }
        (record(&params))
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard"),
        "Overview",
        true,
        content,
    ))
}

pub(super) fn blocks(s: &Shared, before: Option<&str>) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let top = match before {
        Some(b) => views::number(b, "a height")?
            .saturating_sub(1)
            .min(q.height()),
        None => q.height(),
    };
    let next = top.saturating_sub(BLOCKS_PER_PAGE - 1);
    let content = html! {
        p.muted { "Blocks " (next) " to " (top) " of " (q.height() + 1) "." }
        (blocks_table(&q, top, BLOCKS_PER_PAGE)?)
        div.pager {
            @if top < q.height() { a href="/dashboard/blocks" { "Newest" } }
            @if next > 0 { a href={ "/dashboard/blocks?before=" (next) } { "Older" } }
        }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/blocks"),
        "Blocks",
        before.is_none(),
        content,
    ))
}

fn receipt_row(r: &Value) -> Markup {
    let status = &r["status"];
    let (label, detail) = match status {
        Value::String(s) => (s.clone(), String::new()),
        Value::Object(m) => match m.iter().next() {
            Some((k, v)) => (k.clone(), v.to_string()),
            None => ("?".into(), String::new()),
        },
        other => (other.to_string(), String::new()),
    };
    html! {
        td { (state_pill(&label)) @if !detail.is_empty() { " " span.muted { (detail) } } }
        td.num { (num(r, "gas_used")) }
        td { @for e in r["events"].as_array().into_iter().flatten() { div { (text(e, "name")) " " span.muted { "from " (short(&text(e, "emitter"))) } } } }
    }
}

pub(super) fn block(s: &Shared, height: &str) -> Result<Markup, PageError> {
    let height = views::number(height, "a height")?;
    let q = s.runtime.query()?;
    let Some(b) = q.block(height)? else {
        return Err(PageError::NotFound(format!(
            "no block at height {height}; the chain is at {}",
            q.height()
        )));
    };
    let view = serde_json::to_value(BlockView::new(&b, false)).unwrap_or(Value::Null);
    let ids: Vec<String> = b.transactions.iter().map(|t| t.id().to_string()).collect();
    let mut receipts = Vec::new();
    for tx in &b.transactions {
        let r = q.receipt(&tx.id())?.map(|r| ReceiptView::from(&r));
        receipts.push((
            tx.id().to_string(),
            r.map(|r| serde_json::to_value(r).unwrap_or(Value::Null)),
        ));
    }
    let mut header = view.clone();
    if let Some(m) = header.as_object_mut() {
        m.remove("transactions");
    }
    let content = html! {
        p {
            @if height > 0 { a href={ "/dashboard/block/" (height - 1) } { "← parent" } " " }
            @if height < q.height() { a href={ "/dashboard/block/" (height + 1) } { "child →" } }
        }
        (record(&header))
        p.muted { "time " (html::time(num(&view, "timestamp_ms"))) }
        h2 { "Transactions (" (ids.len()) ")" }
        @if ids.is_empty() { p.muted { "An empty block." } } @else {
            table {
                tr { th { "transaction" } th { "status" } th.num { "gas" } th { "events" } }
                @for (id, r) in &receipts {
                    tr {
                        td { a href={ "/dashboard/tx/" (id) } { (short(id)) } }
                        @match r { Some(r) => { (receipt_row(r)) }, None => { td colspan="3" { "no receipt" } } }
                    }
                }
            }
        }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/blocks"),
        &format!("Block {height}"),
        false,
        content,
    ))
}

pub(super) fn transaction(s: &Shared, id: &str) -> Result<Markup, PageError> {
    let parsed = id.parse().map_err(|_| {
        PageError::BadRequest(format!(
            "{id:?} is not a transaction id (0x followed by 64 hex digits)"
        ))
    })?;
    let q = s.runtime.query()?;
    let found = answer(rpc::get_transaction(s, GetTransaction { id: parsed }))?;
    let content = match found.get("receipt") {
        Some(receipt) => html! {
            p { "Included in block " (block_link(num(receipt, "height"))) " at position " (num(receipt, "index")) "." }
            table { tr { th { "status" } th.num { "gas" } th { "events" } } tr { (receipt_row(receipt)) } }
            h2 { "Receipt" }
            (record(receipt))
            h2 { "Transaction" }
            (record(&found["transaction"]))
        },
        None => html! { div.notice { "Pending: in this node's mempool, not yet in a block." } },
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/blocks"),
        "Transaction",
        found.get("receipt").is_none(),
        content,
    ))
}
