//! The page frame (navigation, style, live script) and the small pieces
//! every page draws with: hashes, addresses, times, tallies, timelines and
//! records of any shape.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

const CSS: &str = include_str!("assets/dashboard.css");
const LIVE_JS: &str = include_str!("assets/live.js");

/// The sections in the navigation bar: (path, label).
const SECTIONS: [(&str, &str); 7] = [
    ("/dashboard", "Overview"),
    ("/dashboard/blocks", "Blocks"),
    ("/dashboard/packages", "Packages"),
    ("/dashboard/governance", "Governance"),
    ("/dashboard/simulate", "Simulate"),
    ("/dashboard/registry", "Registry"),
    ("/dashboard/protocol", "Protocol upgrades"),
];

/// What the frame says about the chain: its id and the height shown.
pub(super) struct Frame<'a> {
    pub chain_id: String,
    pub height: u64,
    /// The section this page belongs to (a `SECTIONS` path).
    pub section: &'a str,
}

/// A whole page: `title`, the frame, and `content` as its `<main>`;
/// `live` false leaves the page alone when blocks arrive (forms).
pub(super) fn page(frame: &Frame<'_>, title: &str, live: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Molt " (frame.chain_id) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    span.brand { "Molt" }
                    nav {
                        @for (path, label) in SECTIONS {
                            a href=(path) class=[(path == frame.section).then_some("here")] { (label) }
                        }
                    }
                    span.status {
                        (frame.chain_id) " · " span #head { "height " (frame.height) }
                        span #live .live.off { "static" }
                    }
                }
                main data-live=(if live { "on" } else { "off" }) {
                    h1 { (title) }
                    (content)
                }
                script { (PreEscaped(LIVE_JS)) }
            }
        }
    }
}

/// A page that only says what went wrong.
pub(super) fn error_page(message: &str) -> Markup {
    let frame = Frame {
        chain_id: String::new(),
        height: 0,
        section: "",
    };
    let body =
        html! { div.error { (message) } p { a href="/dashboard" { "Back to the overview" } } };
    // The head height is unknown here; the live script fills it in.
    page(&frame, "Not shown", false, body)
}

/// A hash or address, shortened for tables, whole in its title.
pub(super) fn short(full: &str) -> Markup {
    let chars: Vec<char> = full.chars().collect();
    let shown = if chars.len() > 18 {
        let head: String = chars[..10].iter().collect();
        let tail: String = chars[chars.len() - 6..].iter().collect();
        format!("{head}…{tail}")
    } else {
        full.to_string()
    };
    html! { code title=(full) { (shown) } }
}

/// A link to a package page.
pub(super) fn package_link(id: &str) -> Markup {
    html! { a href={ "/dashboard/package/" (id) } { (short(id)) } }
}

/// A link to a block page.
pub(super) fn block_link(height: u64) -> Markup {
    html! { a href={ "/dashboard/block/" (height) } { (height) } }
}

/// A proposal or transaction state as a coloured pill.
pub(super) fn state_pill(state: &str) -> Markup {
    let class = match state {
        "Executed" | "Accepted" | "success" | "Success" | "Approved" | "ready" | "Ready" => "ok",
        "Rejected" | "Expired" | "Dropped" | "failed" | "Failed" | "halted" => "bad",
        "Voting" | "Active" | "Pending" | "Queued" | "Executing" | "Executable" => "info",
        _ => "warn",
    };
    html! { span class={ "pill " (class) } { (state) } }
}

/// Milliseconds since the UNIX epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(super) fn time(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `part` of `whole` as a whole percentage, at most 100.
pub(super) fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    let p = u128::from(part) * 100 / u128::from(whole);
    u64::try_from(p.min(100)).unwrap_or(100)
}

/// The least power that is more than 2/3 of `total`,
/// `floor(2 * total / 3) + 1`: the threshold of the validators' governance
/// track and of protocol upgrade plans.
pub(super) fn more_than_two_thirds(total: u64) -> u64 {
    u64::try_from(2 * u128::from(total) / 3 + 1).unwrap_or(u64::MAX)
}

/// A tally bar: `yes` (green) and `no` (red, from the right) of `total`,
/// with a mark at `needed` (none if 0: the threshold is not one number).
pub(super) fn tally_bar(yes: u64, no: u64, total: u64, needed: u64) -> Markup {
    html! {
        div.bar title={ "yes " (yes) ", no " (no) " of " (total) "; passes at " (needed) } {
            div.fill style={ "width:" (percent(yes, total)) "%" } {}
            div.fill.no style={ "left:auto;right:0;width:" (percent(no, total)) "%" } {}
            @if needed > 0 { div.mark style={ "left:" (percent(needed, total)) "%" } {} }
        }
    }
}

/// A timeline of named heights from the first to the last, with `now`.
pub(super) fn timeline(points: &[(&str, u64)], now: u64) -> Markup {
    let lo = points.iter().map(|p| p.1).min().unwrap_or(0).min(now);
    let hi = points.iter().map(|p| p.1).max().unwrap_or(0).max(now);
    let span = hi.saturating_sub(lo).max(1);
    html! {
        div.timeline {
            @for (name, h) in points {
                span style={ "left:" (percent(h - lo, span)) "%" } { (name) " " (h) }
            }
            span.now style={ "left:" (percent(now - lo, span)) "%;bottom:14px" } { "now " (now) }
        }
    }
}

/// Any JSON record as a table of its fields (nested records as nested
/// tables, lists one per line), for what has no page of its own.
pub(super) fn record(v: &Value) -> Markup {
    match v {
        Value::Object(map) => html! {
            table.kv {
                @for (k, v) in map {
                    tr { th { (k) } td { (record(v)) } }
                }
            }
        },
        Value::Array(items) if items.is_empty() => html! { span.muted { "none" } },
        Value::Array(items) => html! {
            @for item in items { div { (record(item)) } }
        },
        Value::Null => html! { span.muted { "none" } },
        Value::String(s) if s.starts_with("0x") => html! { code { (s) } },
        Value::String(s) => html! { (s) },
        other => html! { (other.to_string()) },
    }
}

/// `v[key]` as a number (0 if absent).
pub(super) fn num(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// `v[key]` as text (`""` if absent; numbers and others as JSON).
pub(super) fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_civil_utc() {
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            time(1_796_083_200_000 + 3_723_000),
            "2026-12-01 01:02:03 UTC"
        );
    }

    #[test]
    fn bars_never_pass_their_whole() {
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(u64::MAX, 1), 100);
    }

    #[test]
    fn shortening_keeps_whole_characters() {
        let s = short(&"é".repeat(30)).into_string();
        assert!(s.contains("éééééééééé…éééééé"), "{s}");
        assert!(short("0x12").into_string().contains(">0x12<"));
    }

    #[test]
    fn text_is_escaped() {
        let page = record(&serde_json::json!({"name": "<script>x</script>"})).into_string();
        assert!(page.contains("&lt;script&gt;"), "{page}");
    }
}
