//! JSON-RPC 2.0 methods (HTTP and WebSocket, one port).
//!
//! The OpenRPC document served by `rpc.discover` is `openrpc.json` beside
//! this file; a test checks that it lists exactly the registered methods.
//! Subscriptions are in `subscriptions`, the transport in `server`.
//!
//! Every error a method returns has a code from [`codes`] and a message
//! that says what was wrong and what to do; `docs/rpc.md` lists them all.
//! Malformed parameters (wrong types, short or non-hex strings, truncated
//! transactions) are `INVALID_PARAMS` or `REJECTED` and change nothing.

use crate::json;
use crate::producer::AdmitError;
use crate::producer::Shared;
use jsonrpsee::server::RpcModule;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use molt_runtime::{ProducedBlock, SimulationOutcome, ViewError};
use molt_types::{Address, Digest, SignedTransaction};
use serde_json::{Value, json};
use std::sync::Arc;

pub const OPENRPC: &str = include_str!("openrpc.json");

/// Error codes beyond JSON-RPC's own.
pub mod codes {
    pub const INVALID_PARAMS: i32 = -32602;
    pub const REJECTED: i32 = -32001;
    pub const NOT_FOUND: i32 = -32002;
    pub const VIEW_FAILED: i32 = -32003;
    pub const INTERNAL: i32 = -32603;
}

/// A committed block as sent to subscribers.
#[derive(Debug)]
pub struct BlockNotice {
    pub block: Value,
    pub events: Vec<Value>,
}

impl BlockNotice {
    pub fn new(p: &ProducedBlock) -> Self {
        let height = p.block.header.height;
        let mut events = Vec::new();
        for r in &p.receipts {
            for (i, e) in r.events.iter().enumerate() {
                events.push(json!({
                    "height": height,
                    "transaction_id": r.transaction_id,
                    "index": i,
                    "emitter": e.emitter,
                    "name": e.name,
                    "data": json::hex0x(&e.data),
                }));
            }
        }
        BlockNotice {
            block: json::block(&p.block, false),
            events,
        }
    }
}

fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    err(codes::INVALID_PARAMS, message)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!("RPC internal error: {e}");
    err(
        codes::INTERNAL,
        format!(
            "the node failed to answer: {e}; this is not caused by the request, see the node's log"
        ),
    )
}

/// A client's string as shown back in an error: at most 80 characters,
/// control characters escaped.
fn shown(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(80) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if s.chars().count() > 80 {
        out.push_str("...");
    }
    format!("'{out}'")
}

fn opt_u64(p: &[Value], i: usize, name: &str) -> Result<Option<u64>, ErrorObjectOwned> {
    match p.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            invalid(format!(
                "parameter {i} ({name}) must be a non-negative integer"
            ))
        }),
    }
}

fn opt_bool(p: &[Value], i: usize, name: &str) -> Result<Option<bool>, ErrorObjectOwned> {
    match p.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| invalid(format!("parameter {i} ({name}) must be true or false"))),
    }
}

type RpcResult = Result<Value, ErrorObjectOwned>;

fn param_list(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    if params.is_object() {
        return Err(invalid("parameters are positional (a JSON array)"));
    }
    let v: Option<Vec<Value>> = params
        .parse()
        .map_err(|e| invalid(format!("parameters must be a JSON array: {}", e.message())))?;
    Ok(v.unwrap_or_default())
}

fn str_param<'a>(p: &'a [Value], i: usize, name: &str) -> Result<&'a str, ErrorObjectOwned> {
    p.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("parameter {i} ({name}) must be a string")))
}

fn address(p: &[Value], i: usize) -> Result<Address, ErrorObjectOwned> {
    let s = str_param(p, i, "address")?;
    s.parse()
        .map_err(|e| invalid(format!("bad address {}: {e}", shown(s))))
}

fn digest(p: &[Value], i: usize) -> Result<Digest, ErrorObjectOwned> {
    let s = str_param(p, i, "id")?;
    s.parse()
        .map_err(|e| invalid(format!("bad id {}: {e}", shown(s))))
}

fn hex_bytes(p: &[Value], i: usize, name: &str) -> Result<Vec<u8>, ErrorObjectOwned> {
    let s = str_param(p, i, name)?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| {
        invalid(format!(
            "parameter {i} ({name}) must be 0x-prefixed hex with an even number of digits: {e}"
        ))
    })
}

fn chain_info(s: &Shared) -> RpcResult {
    let latest = s.runtime.latest_block().map_err(internal)?;
    let genesis = s.runtime.block(0).map_err(internal)?;
    Ok(json!({
        "chain_id": s.runtime.chain_id(),
        "height": latest.header.height,
        "latest_block_id": latest.header.id(),
        "state_root": latest.header.state_root,
        "timestamp_ms": latest.header.timestamp_ms,
        "genesis_id": genesis.map(|g| g.header.id()),
        "epoch": latest.header.epoch,
        "params": s.runtime.params().map_err(internal)?,
        "validators": s.runtime.validators().map_err(internal)?,
        "mempool_size": s.mempool.lock().map(|m| m.len()).unwrap_or(0),
    }))
}

fn get_block(s: &Shared, p: &[Value]) -> RpcResult {
    let height = match p.first() {
        None | Some(Value::Null) => s.runtime.height(),
        Some(Value::String(x)) if x == "latest" => s.runtime.height(),
        Some(v) => v.as_u64().ok_or_else(|| {
            invalid("parameter 0 (block) must be a height (a non-negative integer) or \"latest\"")
        })?,
    };
    let full = opt_bool(p, 1, "full")?.unwrap_or(false);
    match s.runtime.block(height).map_err(internal)? {
        Some(b) => Ok(json::block(&b, full)),
        None => Err(err(
            codes::NOT_FOUND,
            format!(
                "no block at height {height}; the chain is at {}",
                s.runtime.height()
            ),
        )),
    }
}

fn get_transaction(s: &Shared, p: &[Value]) -> RpcResult {
    let id = digest(p, 0)?;
    if let Some((tx, record)) = s.runtime.transaction(&id).map_err(internal)? {
        return Ok(
            json!({"status": "included", "transaction": json::transaction(&tx), "receipt": json::receipt_record(&record)}),
        );
    }
    if s.mempool.lock().map(|m| m.contains(&id)).unwrap_or(false) {
        return Ok(json!({"status": "pending", "id": id}));
    }
    Err(err(codes::NOT_FOUND, format!("unknown transaction {id}")))
}

fn submit(s: &Shared, p: &[Value]) -> RpcResult {
    let bytes = hex_bytes(p, 0, "transaction")?;
    let tx = SignedTransaction::decode(&bytes).map_err(|e| {
        err(
            codes::REJECTED,
            format!("{e}; send the canonical encoding of a signed transaction"),
        )
    })?;
    s.runtime.check_transaction(&tx, bytes.len()).map_err(|e| {
        s.telemetry.metrics.rejected("admission", &e);
        err(codes::REJECTED, e.to_string())
    })?;
    let id = s.admit(tx, &bytes).map_err(|e| match e {
        AdmitError::Mempool(e) => {
            s.telemetry.metrics.rejected("admission", &e);
            err(codes::REJECTED, e.to_string())
        }
        AdmitError::Journal(_) => internal(e),
    })?;
    Ok(json!(id))
}

/// Runs a signed transaction as the next block would, on the latest state,
/// keeping nothing (`Runtime::simulate`). A transaction a block would not
/// include is refused like `molt_submitTransaction` refuses it.
fn simulate(s: &Shared, p: &[Value]) -> RpcResult {
    let bytes = hex_bytes(p, 0, "transaction")?;
    let tx = SignedTransaction::decode(&bytes).map_err(|e| err(codes::REJECTED, e.to_string()))?;
    let sim = s.runtime.simulate(&tx).map_err(internal)?;
    let b = &sim.block;
    let block = json!({
        "height": b.height,
        "timestamp_ms": b.timestamp_ms,
        "proposer": b.proposer,
        "parent_height": b.parent_height,
        "parent_state_root": b.parent_state_root,
    });
    match sim.outcome {
        SimulationOutcome::Rejected(why) => Err(err(codes::REJECTED, why.to_string())),
        SimulationOutcome::Included(receipt) => Ok(json!({
            "transaction_id": tx.id(),
            "block": block,
            "receipt": json::receipt(&receipt),
        })),
    }
}

fn get_package(s: &Shared, p: &[Value]) -> RpcResult {
    let id = address(p, 0)?;
    let Some((record, versions)) = s.runtime.package_history(&id).map_err(internal)? else {
        return Err(err(codes::NOT_FOUND, format!("no package with id {id}")));
    };
    let requested = versions
        .iter()
        .find(|v| v.package_id == id)
        .or(versions.last());
    let cap = match record.cap {
        Some(c) => s.runtime.upgrade_cap(&c).map_err(internal)?,
        None => None,
    };
    Ok(json!({
        "original_id": record.original_id,
        "latest": record.latest(),
        "requested": requested.map(json::package_version),
        "versions": versions.iter().map(json::package_version).collect::<Vec<_>>(),
        "upgrade_cap": cap,
    }))
}

fn get_module(s: &Shared, p: &[Value]) -> RpcResult {
    let id = address(p, 0)?;
    match s.runtime.module(&id).map_err(internal)? {
        Some(m) => Ok(json!({"module": json::hex0x(&m), "checksum": molt_types::sha3_256(&m)})),
        None => Err(err(codes::NOT_FOUND, format!("no package with id {id}"))),
    }
}

fn get_storage(s: &Shared, p: &[Value]) -> RpcResult {
    let package = address(p, 0)?;
    let key = hex_bytes(p, 1, "key")?;
    let version = opt_u64(p, 2, "version")?;
    let height = s.runtime.height();
    if let Some(v) = version
        && v > height
    {
        return Err(err(
            codes::NOT_FOUND,
            format!("no state at version {v}: the chain is at height {height}"),
        ));
    }
    let Some(pv) = s
        .runtime
        .storage_with_proof(&package, &key, version)
        .map_err(|e| {
            err(
                codes::NOT_FOUND,
                format!(
                    "the state at version {} cannot be read: {e}",
                    version.unwrap_or(height)
                ),
            )
        })?
    else {
        return Err(err(
            codes::NOT_FOUND,
            format!("no package with id {package}"),
        ));
    };
    Ok(json!({
        "value": pv.value.as_deref().map(json::hex0x),
        "version": pv.version,
        "state_root": pv.state_root,
        "proof": json::hex0x(&pv.proof.to_bytes()),
        "state_key": json::hex0x(&pv.state_key),
    }))
}

fn view(s: &Shared, p: &[Value]) -> RpcResult {
    let package = address(p, 0)?;
    let function = str_param(p, 1, "function")?;
    let args = if p.len() > 2 {
        hex_bytes(p, 2, "args")?
    } else {
        Vec::new()
    };
    let gas = opt_u64(p, 3, "gas")?.unwrap_or(50_000_000);
    match s.runtime.view(&package, function, &args, gas) {
        Ok((bytes, gas_used)) => {
            let decoded = s
                .runtime
                .package(&package)
                .ok()
                .flatten()
                .and_then(|v| {
                    v.interface
                        .function(function)
                        .map(|f| (v.interface.clone(), f.returns.clone()))
                })
                .and_then(|(i, ty)| molt_interface::decode_to_json(&i, &ty, &bytes).ok());
            Ok(json!({"result": json::hex0x(&bytes), "decoded": decoded, "gas_used": gas_used}))
        }
        Err(ViewError::Runtime(e)) => Err(internal(e)),
        Err(e) => Err(err(codes::VIEW_FAILED, e.to_string())),
    }
}

fn get_account(s: &Shared, p: &[Value]) -> RpcResult {
    let a = address(p, 0)?;
    Ok(json::account(&a, &s.runtime.account(&a).map_err(internal)?))
}

/// Names of every method and subscription, in the order of the OpenRPC document.
#[cfg(test)]
const METHODS: &[&str] = &[
    "molt_chainInfo",
    "molt_getBlock",
    "molt_getTransaction",
    "molt_getAccount",
    "molt_getPackage",
    "molt_getModule",
    "molt_getStorage",
    "molt_view",
    "molt_submitTransaction",
    "molt_simulateTransaction",
    "rpc.discover",
    "molt_subscribeBlocks",
    "molt_subscribeEvents",
    "molt_nodeStatus",
];

pub fn module(
    shared: Arc<Shared>,
) -> Result<RpcModule<Arc<Shared>>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(shared);
    type Handler = fn(&Shared, &[Value]) -> RpcResult;
    let table: [(&'static str, Handler); 10] = [
        ("molt_chainInfo", |s, _| chain_info(s)),
        ("molt_getBlock", get_block),
        ("molt_getTransaction", get_transaction),
        ("molt_getAccount", get_account),
        ("molt_getPackage", get_package),
        ("molt_getModule", get_module),
        ("molt_getStorage", get_storage),
        ("molt_view", view),
        ("molt_submitTransaction", submit),
        ("molt_simulateTransaction", simulate),
    ];
    for (name, handler) in table {
        m.register_blocking_method(name, move |params, ctx, _| {
            let p = param_list(&params)?;
            handler(&ctx, &p)
        })?;
    }
    m.register_method("rpc.discover", |_, _, _| -> RpcResult {
        serde_json::from_str(OPENRPC).map_err(internal)
    })?;
    m.register_blocking_method("molt_nodeStatus", |_, ctx, _| -> RpcResult {
        Ok(crate::status::node_status(&ctx))
    })?;
    crate::subscriptions::register(&mut m)?;
    Ok(m)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openrpc_document_lists_exactly_the_served_methods() {
        let doc: Value = serde_json::from_str(OPENRPC).unwrap();
        let documented: Vec<&str> = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(documented, METHODS);

        let dir = tempfile::tempdir().unwrap();
        let runtime = molt_runtime::Runtime::open(
            dir.path(),
            &molt_runtime::Genesis::dev(),
            molt_store::StoreConfig::default(),
        )
        .unwrap();
        let (journal, _) = crate::MempoolJournal::open(dir.path()).unwrap();
        let shared = Arc::new(Shared::new(
            runtime,
            crate::Mempool::default(),
            journal,
            crate::RpcConfig::default(),
        ));
        let served: std::collections::BTreeSet<&str> = module(shared)
            .unwrap()
            .method_names()
            .filter(|m| !m.starts_with("molt_unsubscribe"))
            .collect();
        let documented: std::collections::BTreeSet<&str> = METHODS.iter().copied().collect();
        assert_eq!(served, documented);
    }
}
