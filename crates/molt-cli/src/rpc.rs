//! A blocking JSON-RPC client for the node.

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};
use std::time::Duration;

/// The node's JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct RpcClient {
    url: String,
    agent: ureq::Agent,
}

/// An error the node answered with.
#[derive(Debug, thiserror::Error)]
#[error("{message} (RPC error {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
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

    pub fn call(&self, method: &str, params: Value) -> Result<Value> {
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
                let text = r.into_string().unwrap_or_default();
                bail!("the node at {} answered HTTP {code}: {text}", self.url)
            }
        };
        let v: Value = response
            .into_json()
            .map_err(|e| anyhow!("invalid JSON-RPC response: {e}"))?;
        if let Some(e) = v.get("error") {
            return Err(RpcError {
                code: e["code"].as_i64().unwrap_or(0),
                message: e["message"].as_str().unwrap_or("unknown error").to_string(),
            }
            .into());
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }
}
