//! WebSocket subscriptions: `molt_subscribeBlocks` and `molt_subscribeEvents`.
//!
//! # Lifetime
//!
//! A subscription is a task that forwards committed blocks (or their
//! matching events) from the node's block broadcast to one client. It ends,
//! and frees everything it holds, at the first of:
//!
//! - the client unsubscribes, or its connection closes: the task waits on
//!   the sink's closed signal alongside the next block, so a subscription
//!   whose filter never matches still ends with its connection;
//! - the client reads too slowly: once it is more than the broadcast's
//!   capacity (256 blocks) behind, the subscription is closed with an error
//!   notification that says how many blocks were missed (read them with
//!   `molt_getBlock` and subscribe again);
//! - the node stops.
//!
//! Live subscriptions are counted (`rpc.subscriptions` in
//! `molt_nodeStatus`). A connection may hold at most
//! `max_subscriptions_per_connection`; one more is refused with error
//! `-32006` and the connection stays usable.
//!
//! # Parameters
//!
//! `molt_subscribeBlocks` takes none. `molt_subscribeEvents` takes an
//! optional filter `{"emitter": address, "name": string}` (either key may be
//! left out); anything else is refused with `-32602` before the subscription
//! starts.

use crate::producer::Shared;
use crate::rpc::BlockNotice;
use jsonrpsee::core::SubscriptionError;
use jsonrpsee::server::{RpcModule, SubscriptionMessage, SubscriptionSink};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use molt_rpc_types::ErrorCode;
use molt_types::Address;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// The subscription methods, served only over WebSocket.
pub const METHODS: &[&str] = &[
    "molt_subscribeBlocks",
    "molt_unsubscribeBlocks",
    "molt_subscribeEvents",
    "molt_unsubscribeEvents",
];

/// Which events a `molt_subscribeEvents` client wants.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventFilter {
    emitter: Option<Address>,
    name: Option<String>,
}

impl EventFilter {
    fn matches(&self, event: &Value) -> bool {
        let emitter_ok = self
            .emitter
            .is_none_or(|want| event.get("emitter") == Some(&serde_json::json!(want)));
        let name_ok = self
            .name
            .as_deref()
            .is_none_or(|want| event.get("name").and_then(Value::as_str) == Some(want));
        emitter_ok && name_ok
    }
}

fn invalid(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(ErrorCode::InvalidParams.code(), message, None::<()>)
}

/// The positional parameters of a subscription call, at most `max` of them.
fn positional(params: &Params<'_>, max: usize) -> Result<Vec<Value>, ErrorObjectOwned> {
    if params.is_object() {
        return Err(invalid("parameters are positional (a JSON array)".into()));
    }
    let list: Vec<Value> = params
        .parse::<Option<Vec<Value>>>()
        .map_err(|e| invalid(format!("parameters must be a JSON array: {}", e.message())))?
        .unwrap_or_default();
    if list.len() > max {
        return Err(invalid(format!(
            "at most {max} parameter(s) expected, got {}",
            list.len()
        )));
    }
    Ok(list)
}

const FILTER_SHAPE: &str = r#"must be an object {"emitter"?: address, "name"?: string}"#;

fn event_filter(params: &Params<'_>) -> Result<EventFilter, ErrorObjectOwned> {
    match positional(params, 1)?.into_iter().next() {
        None | Some(Value::Null) => Ok(EventFilter::default()),
        Some(v) if v.is_object() => serde_json::from_value(v)
            .map_err(|e| invalid(format!("parameter 0 (filter) {FILTER_SHAPE}: {e}"))),
        Some(_) => Err(invalid(format!("parameter 0 (filter) {FILTER_SHAPE}"))),
    }
}

/// Forwards what `pick` selects from each committed block until the
/// subscription ends (see the module doc).
async fn forward(
    shared: Arc<Shared>,
    sink: SubscriptionSink,
    pick: impl Fn(&BlockNotice) -> Vec<&Value>,
) -> Result<(), SubscriptionError> {
    let _live = shared.load.subscriptions.enter();
    let mut blocks = shared.blocks.subscribe();
    let mut stopping = shared.stopping.subscribe();
    loop {
        let notice = tokio::select! {
            _ = sink.closed() => return Ok(()),
            _ = stopping.wait_for(|s| *s) => return Ok(()),
            next = blocks.recv() => match next {
                Ok(n) => n,
                Err(RecvError::Closed) => return Ok(()),
                Err(RecvError::Lagged(missed)) => {
                    return Err(format!(
                        "this subscription fell {missed} blocks behind and was closed; \
                         read the missed blocks with molt_getBlock and subscribe again"
                    )
                    .into());
                }
            },
        };
        for item in pick(&notice) {
            let msg = SubscriptionMessage::from(serde_json::value::to_raw_value(item)?);
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                sent = sink.send(msg) => if sent.is_err() { return Ok(()) },
            }
        }
    }
}

/// Registers both subscriptions on `m`.
pub fn register(
    m: &mut RpcModule<Arc<Shared>>,
) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    m.register_subscription(
        "molt_subscribeBlocks",
        "molt_block",
        "molt_unsubscribeBlocks",
        |params, pending, ctx, _| async move {
            if let Err(e) = positional(&params, 0) {
                pending.reject(e).await;
                return Ok(());
            }
            let sink = pending.accept().await?;
            forward(Arc::clone(&*ctx), sink, |n| vec![&n.block]).await
        },
    )?;
    m.register_subscription(
        "molt_subscribeEvents",
        "molt_event",
        "molt_unsubscribeEvents",
        |params, pending, ctx, _| async move {
            let filter = match event_filter(&params) {
                Ok(f) => f,
                Err(e) => {
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            let sink = pending.accept().await?;
            forward(Arc::clone(&*ctx), sink, |n| {
                n.events.iter().filter(|e| filter.matches(e)).collect()
            })
            .await
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(v: Value) -> Result<EventFilter, ErrorObjectOwned> {
        let text = v.to_string();
        event_filter(&Params::new(Some(&text)))
    }

    #[test]
    fn filters_match_by_emitter_in_any_spelling_and_by_name() {
        let event = json!({"emitter": Address::reserved(1), "name": "Transfer"});
        assert!(filter(json!([])).unwrap().matches(&event));
        assert!(filter(json!([null])).unwrap().matches(&event));
        assert!(filter(json!([{"emitter": "0x1"}])).unwrap().matches(&event));
        assert!(
            filter(json!([{"name": "Transfer"}]))
                .unwrap()
                .matches(&event)
        );
        assert!(!filter(json!([{"name": "Other"}])).unwrap().matches(&event));
        assert!(
            !filter(json!([{"emitter": "0x2", "name": "Transfer"}]))
                .unwrap()
                .matches(&event)
        );
    }

    #[test]
    fn malformed_filters_are_invalid_params() {
        for bad in [
            json!([5]),
            json!([{"emitter": 5}]),
            json!([{"emitter": "0xzz"}]),
            json!([{"nmae": "Transfer"}]),
            json!([{}, {}]),
            json!({"name": "Transfer"}),
        ] {
            let e = filter(bad.clone()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParams.code(), "{bad}");
            assert!(!e.message().is_empty());
        }
    }
}
