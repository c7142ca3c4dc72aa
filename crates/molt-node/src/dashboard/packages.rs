//! The package pages: every package (searchable by name or id), and one
//! package's versions, the compatibility report and interface changes of
//! each upgrade, its upgrade cap and its storage items.

use super::PageError;
use super::chain::frame;
use super::html::{self, block_link, package_link, short};
use super::views;
use crate::producer::Shared;
use maud::{Markup, html};
use molt_interface::{Interface, check_upgrade};
use molt_runtime::{PackageVersion, Query};
use molt_types::Address;
use std::collections::BTreeSet;

/// Packages per page of the list.
const PACKAGES_PER_PAGE: usize = 50;
/// Most package records a search reads before it stops and says so.
const SEARCH_LIMIT: usize = 10_000;
/// Storage items shown on a package page.
const STORAGE_ITEMS: usize = 50;
/// Value bytes shown per storage item.
const VALUE_PREVIEW: usize = 48;

/// One row of the list: the record's latest version and its cap's policy.
struct Row {
    original: Address,
    latest: PackageVersion,
    versions: usize,
}

fn rows(
    q: &Query<'_>,
    search: Option<&str>,
    after: Option<Address>,
) -> Result<(Vec<Row>, Option<Address>, bool), PageError> {
    let needle = search.map(str::to_lowercase);
    let mut out = Vec::new();
    let mut cursor = after;
    let mut read = 0;
    loop {
        let page = q.packages_page(cursor.as_ref(), PACKAGES_PER_PAGE)?;
        let Some(last) = page.last() else {
            return Ok((out, None, false));
        };
        cursor = Some(last.original_id);
        for record in &page {
            read += 1;
            let Some(latest) = q.package(&record.latest())? else {
                continue;
            };
            let hit = needle.as_ref().is_none_or(|n| {
                latest.interface.name.to_lowercase().contains(n)
                    || record
                        .versions
                        .iter()
                        .chain([&record.original_id])
                        .any(|id| id.to_string().contains(n.as_str()))
            });
            if hit {
                out.push(Row {
                    original: record.original_id,
                    latest,
                    versions: record.versions.len(),
                });
                if out.len() == PACKAGES_PER_PAGE {
                    return Ok((out, cursor, false));
                }
            }
        }
        if read >= SEARCH_LIMIT {
            return Ok((out, cursor, true));
        }
    }
}

pub(super) fn list(
    s: &Shared,
    search: Option<&str>,
    after: Option<&str>,
) -> Result<Markup, PageError> {
    let q = s.runtime.query()?;
    let after = after
        .map(|a| views::address(a, "a package id"))
        .transpose()?;
    let (rows, next, stopped) = rows(&q, search, after)?;
    let search_param = search.unwrap_or("");
    let content = html! {
        form.inline method="get" action="/dashboard/packages" {
            input type="text" name="q" value=(search_param) placeholder="name or id (part of it)";
            " " button type="submit" { "Search" }
        }
        @if stopped { div.notice { "The search read " (SEARCH_LIMIT) " packages and stopped; use More to go on." } }
        @if rows.is_empty() { p.muted { "No package matches." } } @else {
            table {
                tr { th { "name" } th { "original id" } th.num { "versions" } th { "latest" } th { "checksum" } th { "owner" } th { "policy" } th.num { "since" } }
                @for r in &rows {
                    tr {
                        td { a href={ "/dashboard/package/" (r.original) } { (r.latest.interface.name) } }
                        td { (package_link(&r.original.to_string())) }
                        td.num { (r.versions) }
                        td { "v" (r.latest.version) " " (short(&r.latest.package_id.to_string())) }
                        td { (short(&r.latest.checksum.to_string())) }
                        td { (short(&r.latest.owner.to_string())) }
                        td { (r.latest.policy) }
                        td.num { (block_link(r.latest.height)) }
                    }
                }
            }
        }
        @if let Some(n) = next {
            div.pager { a href={ "/dashboard/packages?q=" (search_param) "&after=" (n) } { "More" } }
        }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/packages"),
        "Packages",
        true,
        content,
    ))
}

/// Names in `new` but not `old`, and in `old` but not `new`.
fn changed(old: &BTreeSet<String>, new: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        new.difference(old).cloned().collect(),
        old.difference(new).cloned().collect(),
    )
}

fn names(i: &Interface) -> [(&'static str, BTreeSet<String>); 3] {
    [
        (
            "function",
            i.functions.iter().map(|f| f.to_string()).collect(),
        ),
        (
            "event",
            i.events
                .iter()
                .map(|e| format!("{}: {}", e.name, e.ty))
                .collect(),
        ),
        ("storage", i.storage.iter().map(|d| d.to_string()).collect()),
    ]
}

fn upgrade_section(
    q: &Query<'_>,
    old: &PackageVersion,
    new: &PackageVersion,
) -> Result<Markup, PageError> {
    let old_module = q.module(&old.package_id)?.unwrap_or_default();
    let new_module = q.module(&new.package_id)?.unwrap_or_default();
    let report = check_upgrade(
        &old.interface,
        &old_module,
        &new.interface,
        &new_module,
        new.policy,
    );
    let (old_names, new_names) = (names(&old.interface), names(&new.interface));
    Ok(html! {
        h2 { "v" (old.version) " → v" (new.version) " at height " (block_link(new.height)) }
        p {
            "Checked under the " (report.policy) " policy: "
            @if report.is_compatible() { span.pill.ok { "compatible" } }
            @else { span.pill.bad { (report.violations.len()) " violation(s)" } }
        }
        @if !report.violations.is_empty() {
            table {
                tr { th { "code" } th { "declaration" } th { "old" } th { "new" } th { "what to do" } }
                @for v in &report.violations {
                    tr {
                        td { code { (v.code.code()) } " " (v.code.title()) }
                        td { (v.declaration) }
                        td { code { (v.old.as_deref().unwrap_or("-")) } }
                        td { code { (v.new.as_deref().unwrap_or("-")) } }
                        td { (v.hint) }
                    }
                }
            }
        }
        ul {
            @for ((kind, before), (_, after)) in old_names.iter().zip(new_names.iter()) {
                @let (added, removed) = changed(before, after);
                @for a in &added { li.diff-add { "+ " (kind) " " code { (a) } } }
                @for r in &removed { li.diff-del { "− " (kind) " " code { (r) } } }
            }
            @if old.checksum == new.checksum { li.muted { "the same module" } }
        }
    })
}

/// Bytes as printable text if they are, else hex.
fn show_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            t.to_string()
        }
        _ => format!("0x{}", hex::encode(b)),
    }
}

pub(super) fn package(s: &Shared, id: &str) -> Result<Markup, PageError> {
    let id = views::address(id, "a package id")?;
    let q = s.runtime.query()?;
    let Some((record, versions)) = q.package_history(&id)? else {
        return Err(PageError::NotFound(format!(
            "no package with id {id} at height {}",
            q.height()
        )));
    };
    let cap = match record.cap {
        Some(c) => q.upgrade_cap(&c)?,
        None => None,
    };
    let latest = versions.last();
    let storage = q.storage_page(&record.original_id, None, STORAGE_ITEMS)?;
    let title = latest.map_or_else(
        || "Package".to_string(),
        |v| format!("Package {}", v.interface.name),
    );
    let content = html! {
        table.kv {
            tr { th { "original id" } td { code { (record.original_id) } } }
            @if let Some(v) = latest {
                tr { th { "latest version" } td { "v" (v.version) " " code { (v.package_id) } } }
                tr { th { "owner" } td { code { (v.owner) } } }
            }
            tr { th { "upgrade cap" } td {
                @match &cap {
                    Some(c) => { code { (c.id) } " held by " code { (c.owner) } ", policy " strong { (c.policy) } },
                    None => { "none: the package can never be upgraded" },
                }
            } }
        }
        h2 { "Versions" }
        table {
            tr { th.num { "version" } th { "package id" } th { "checksum (SHA3-256)" } th { "owner" } th { "policy" } th.num { "height" } th { "transaction" } }
            @for v in versions.iter().rev() {
                tr {
                    td.num { "v" (v.version) }
                    td { code { (v.package_id) } }
                    td { code { (v.checksum) } }
                    td { (short(&v.owner.to_string())) }
                    td { (v.policy) }
                    td.num { (block_link(v.height)) }
                    td { a href={ "/dashboard/tx/" (v.transaction) } { (short(&v.transaction.to_string())) } }
                }
            }
        }
        @for pair in versions.windows(2).rev() {
            (upgrade_section(&q, &pair[0], &pair[1])?)
        }
        @if let Some(v) = latest {
            h2 { "Interface of v" (v.version) }
            ul {
                @for f in &v.interface.functions { li { code { (f) } @if f.view { " " span.pill { "view" } } } }
            }
            @if !v.interface.storage.is_empty() {
                p.muted { "Declared storage: " @for d in &v.interface.storage { code { (d) } " " } }
            }
        }
        h2 { "Storage items" }
        @if storage.is_empty() { p.muted { "No storage items." } } @else {
            p.muted { "The first " (storage.len()) " keys in byte order, at height " (q.height()) "." }
            table {
                tr { th { "key" } th.num { "bytes" } th { "value" } }
                @for (k, v) in &storage {
                    tr {
                        td { code { (show_bytes(k)) } }
                        td.num { (v.len()) }
                        td { code { "0x" (hex::encode(&v[..v.len().min(VALUE_PREVIEW)])) @if v.len() > VALUE_PREVIEW { "…" } } }
                    }
                }
            }
        }
    };
    Ok(html::page(
        &frame(s, &q, "/dashboard/packages"),
        &title,
        true,
        content,
    ))
}
