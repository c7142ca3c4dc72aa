//! A blocking JSON-RPC client for the node, typed by `molt-rpc-types`.
//!
//! [`RpcClient::request`] sends one [`Request`] and decodes the answer into
//! its result type; an error the node answered with is an [`RpcError`]
//! (inside the `anyhow::Error`), which callers match by its code
//! ([`RpcError::kind`]), never by its message.

use anyhow::{Result, anyhow, bail};
use molt_rpc_types::Request;
pub use molt_rpc_types::{ErrorCode, RpcError};
use serde_json::{Value, json};
use std::time::Duration;

/// The node's JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct RpcClient {
    url: String,
    agent: ureq::Agent,
}

/// Whether `e` is the node's answer `code` (an [`RpcError`] of that kind).
pub fn is_rpc_error(e: &anyhow::Error, code: ErrorCode) -> bool {
    e.downcast_ref::<RpcError>().is_some_and(|r| r.is(code))
}

impl RpcClient {
    pub fn new(url: &str) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        RpcClient {
            url: url.to_string(),
            agent,
        }
    }

    /// Sends `request` and decodes its result.
    pub fn request<R: Request>(&self, request: &R) -> Result<R::Result> {
        let method = R::METHOD.name();
        let v = self.call(method, request.to_positional())?;
        serde_json::from_value(v).map_err(|e| {
            anyhow!(
                "the node at {} answered {method} with a result this molt cannot read ({e}); \
                 is it a Molt node of the same version?",
                self.url
            )
        })
    }

    fn call(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = match self.agent.post(&self.url).send_json(body) {
            Ok(r) => r,
            Err(ureq::Error::Transport(t)) => {
                bail!(
                    "cannot reach the node at {}: {t}. Is `molt node --dev` running? (set --rpc or MOLT_RPC)",
                    self.url
                )
            }
            Err(ureq::Error::Status(code, r)) => {
                // Busy, too large, timeouts: a JSON-RPC error in the body.
                let text = r.into_string().unwrap_or_default();
                if let Some(e) = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| serde_json::from_value::<RpcError>(v["error"].clone()).ok())
                {
                    return Err(e.into());
                }
                bail!("the node at {} answered HTTP {code}: {text}", self.url)
            }
        };
        let v: Value = response
            .into_json()
            .map_err(|e| anyhow!("invalid JSON-RPC response: {e}"))?;
        if let Some(e) = v.get("error") {
            let e: RpcError = serde_json::from_value(e.clone()).unwrap_or_else(|_| RpcError {
                code: e["code"].as_i64().unwrap_or(0),
                message: e["message"].as_str().unwrap_or("unknown error").to_string(),
            });
            return Err(e.into());
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }
}
