//! The dashboard: HTML pages about the chain, served by the node at
//! [`DASHBOARD_PATH`] on its RPC port (docs/observability.md, DESIGN.md 6).
//!
//! # Pages
//!
//! | path | shows |
//! | --- | --- |
//! | `/dashboard` | head, block interval, epoch, framework version, validators with power, mempool, this node's upgrade state, the latest blocks |
//! | `/dashboard/blocks?before=H` | 25 blocks below height `H` (default: the head) |
//! | `/dashboard/block/H` | one block's header and its transactions with receipts |
//! | `/dashboard/tx/ID` | one transaction and its receipt (or that it is pending) |
//! | `/dashboard/packages?q=TEXT` | packages (filtered by an id containing `TEXT`) |
//! | `/dashboard/package/ID` | versions with checksums, policies, owners, each upgrade's compatibility report and interface changes, storage items |
//! | `/dashboard/governance` | both tracks' proposals: state, tally against the threshold, timeline in heights |
//! | `/dashboard/governance/ID`, `/dashboard/stakeholders/ID` | one proposal of a track |
//! | `/dashboard/simulate?payload=HEX&proposal=ID` | a payload's actions and what resolving it would do (`molt_govSimulate`) |
//! | `/dashboard/registry` | canonical deployments and their histories |
//! | `/dashboard/protocol` | protocol upgrade votes with power, the accepted plan, the countdown to its height, each validator's readiness |
//!
//! # Contract
//!
//! - Read-only: every page is rendered from one [`molt_runtime::Query`]
//!   (one committed height, named on the page) and the node's own live
//!   state (mempool, upgrade state), except the answers it shares with the
//!   RPC (a transaction lookup, a payload simulation), which take their
//!   own snapshot as `molt_getTransaction` and `molt_govSimulate` do.
//!   Rendering never writes; a simulation runs on a fork thrown away.
//! - Self-contained: the style sheet and the script are in the binary and
//!   inlined in each page; nothing is fetched from anywhere but this node.
//! - Live: the script subscribes to `molt_subscribeBlocks` over a WebSocket
//!   on the same port and re-fetches the page's `<main>` after each block
//!   (at most once a second); without script the pages are complete.
//! - Bad input (an id that is not hex, an unknown height) is a page that
//!   says what was wrong, with status 400 or 404; a failure of the node's
//!   own store is a 500 page and is logged. Rendering runs on the blocking
//!   pool, never on the RPC's async workers.
//! - Only `GET` and `HEAD` are answered; other methods on these paths go on
//!   to JSON-RPC, which refuses them.

mod chain;
mod governance;
mod html;
mod packages;
mod upgrades;
mod views;

use crate::producer::Shared;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, StatusCode};
use jsonrpsee::server::{HttpBody, HttpResponse};
use maud::Markup;
use std::sync::Arc;

/// Where the dashboard is served on the RPC port.
pub const DASHBOARD_PATH: &str = "/dashboard";

/// A dashboard page to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    page: Page,
    query: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Page {
    Overview,
    Blocks,
    Block(String),
    Transaction(String),
    Packages,
    Package(String),
    Governance,
    Proposal(String),
    Stakeholders(String),
    Simulate,
    Registry,
    Protocol,
    NotFound,
}

/// A page's outcome: its status and body.
pub(crate) struct Rendered {
    status: StatusCode,
    body: Markup,
}

impl Rendered {
    fn ok(body: Markup) -> Self {
        Rendered {
            status: StatusCode::OK,
            body,
        }
    }
}

/// Why a page cannot be shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The request is wrong (status 400): what to change.
    BadRequest(String),
    /// What it names does not exist (status 404).
    NotFound(String),
    /// The node failed to read its own state (status 500; logged).
    Node(String),
}

impl From<molt_runtime::RuntimeError> for PageError {
    fn from(e: molt_runtime::RuntimeError) -> Self {
        PageError::Node(e.to_string())
    }
}

impl Route {
    /// The route for `req`, or `None` if it is not for the dashboard (it
    /// goes on to JSON-RPC or the metrics).
    pub(crate) fn of<B>(req: &hyper::Request<B>) -> Option<Route> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return None;
        }
        let path = req.uri().path();
        let rest = path.strip_prefix(DASHBOARD_PATH)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let page = match parts.as_slice() {
            [] => Page::Overview,
            ["blocks"] => Page::Blocks,
            ["block", h] => Page::Block((*h).into()),
            ["tx", id] => Page::Transaction((*id).into()),
            ["packages"] => Page::Packages,
            ["package", id] => Page::Package((*id).into()),
            ["governance"] => Page::Governance,
            ["governance", id] => Page::Proposal((*id).into()),
            ["stakeholders", id] => Page::Stakeholders((*id).into()),
            ["simulate"] => Page::Simulate,
            ["registry"] => Page::Registry,
            ["protocol"] => Page::Protocol,
            _ => Page::NotFound,
        };
        Some(Route {
            page,
            query: parse_query(req.uri().query().unwrap_or("")),
        })
    }

    /// The value of query parameter `name`, if given and not empty.
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Renders the page on the blocking pool and answers with it.
    pub(crate) async fn respond(self, shared: Arc<Shared>) -> HttpResponse {
        let rendered = tokio::task::spawn_blocking(move || self.render(&shared)).await;
        let Rendered { status, body } = rendered.unwrap_or_else(|e| {
            tracing::error!("dashboard page failed: {e}");
            Rendered {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: html::error_page("The page could not be rendered; see the node's log."),
            }
        });
        let mut r = HttpResponse::new(HttpBody::from(body.into_string()));
        *r.status_mut() = status;
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }

    fn render(&self, s: &Shared) -> Rendered {
        let result = match &self.page {
            Page::Overview => chain::overview(s),
            Page::Blocks => chain::blocks(s, self.param("before")),
            Page::Block(h) => chain::block(s, h),
            Page::Transaction(id) => chain::transaction(s, id),
            Page::Packages => packages::list(s, self.param("q"), self.param("after")),
            Page::Package(id) => packages::package(s, id),
            Page::Governance => governance::overview(s),
            Page::Proposal(id) => governance::proposal(s, id),
            Page::Stakeholders(id) => governance::stakeholders_proposal(s, id),
            Page::Simulate => {
                governance::simulate(s, self.param("payload"), self.param("proposal"))
            }
            Page::Registry => upgrades::registry(s),
            Page::Protocol => upgrades::protocol(s),
            Page::NotFound => Err(PageError::NotFound(
                "there is no such dashboard page; the links at the top list them".into(),
            )),
        };
        match result {
            Ok(body) => Rendered::ok(body),
            Err(PageError::BadRequest(m)) => Rendered {
                status: StatusCode::BAD_REQUEST,
                body: html::error_page(&m),
            },
            Err(PageError::NotFound(m)) => Rendered {
                status: StatusCode::NOT_FOUND,
                body: html::error_page(&m),
            },
            Err(PageError::Node(m)) => {
                tracing::error!("dashboard: the node failed to read its state: {m}");
                Rendered {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    body: html::error_page(&format!(
                        "the node failed to read its own state ({m}); see its log"
                    )),
                }
            }
        }
    }
}

/// `a=1&b=x%20y` as pairs, `+` and `%XX` decoded (invalid escapes kept).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(uri: &str) -> Option<Route> {
        Route::of(&hyper::Request::get(uri).body(()).unwrap())
    }

    #[test]
    fn paths_map_to_pages_and_others_go_on_to_json_rpc() {
        assert_eq!(route("/dashboard").unwrap().page, Page::Overview);
        assert_eq!(route("/dashboard/").unwrap().page, Page::Overview);
        assert_eq!(
            route("/dashboard/block/7").unwrap().page,
            Page::Block("7".into())
        );
        assert_eq!(route("/dashboard/nope").unwrap().page, Page::NotFound);
        assert!(route("/").is_none());
        assert!(route("/metrics").is_none());
        assert!(route("/dashboardx").is_none());
        let post = hyper::Request::post("/dashboard").body(()).unwrap();
        assert!(Route::of(&post).is_none());
    }

    #[test]
    fn query_parameters_are_decoded() {
        let r = route("/dashboard/packages?q=ab%20c+d&x=%zz&empty=").unwrap();
        assert_eq!(r.param("q"), Some("ab c d"));
        assert_eq!(r.param("x"), Some("%zz"));
        assert_eq!(r.param("empty"), None);
        assert_eq!(r.param("missing"), None);
        assert_eq!(decode_component("%4"), "%4");
        assert_eq!(decode_component("a%41"), "aA");
    }
}
