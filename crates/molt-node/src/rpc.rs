//! JSON-RPC 2.0 methods (HTTP and WebSocket, one port).
//!
//! The OpenRPC document served by `rpc.discover` is `openrpc.json` beside
//! this file; a test checks that it lists exactly the registered methods.
//! Subscriptions are in `subscriptions`, the transport in `server`.
//!
//! Every method's parameters, result and error codes are the types of
//! `molt-rpc-types`, which the CLI decodes with: a handler reads its
//! request with [`Request::from_positional`] and answers with the typed
//! result, serialized by serde. Nothing here writes JSON by hand.
//!
//! Every query is answered from one [`Query`] (one pinned snapshot of the
//! committed state), so an answer never mixes two heights; results that
//! have room say the height they were answered at.
//!
//! Every error a method returns has an [`ErrorCode`] and a message that says
//! what was wrong and what to do; `docs/rpc.md` lists them all. Malformed
//! parameters (wrong types, short or non-hex strings, truncated
//! transactions) are `InvalidParams` or `Rejected` and change nothing.

use crate::producer::AdmitError;
use crate::producer::Shared;
use jsonrpsee::server::RpcModule;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use molt_rpc_types::{
    AccountView, BlockRef, BlockView, ChainInfo, ErrorCode, EventNotice, GetAccount, GetBlock,
    GetChainInfo, GetModule, GetPackage, GetStorage, GetTransaction, GovSimulate,
    GovSimulationView, Hex, Method, ModuleView, PackageView, ReceiptView, Request,
    SimulateTransaction, SimulatedBlockView, SimulationView, StorageView, SubmitTransaction,
    TransactionLookup, TransactionView, View, ViewResult,
};
use molt_runtime::{ProducedBlock, Query, SimulationOutcome, StorageQueryError, ViewError};
use molt_types::{Digest, SignedTransaction};
use serde_json::Value;
use std::sync::Arc;

pub const OPENRPC: &str = include_str!("openrpc.json");

/// A committed block as sent to subscribers: the `molt_block` notification
/// and the `molt_event` notifications of its events, serialized once.
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
                events.push(to_json(&EventNotice {
                    height,
                    transaction_id: r.transaction_id,
                    index: i,
                    emitter: e.emitter,
                    name: e.name.clone(),
                    data: Hex(e.data.clone()),
                }));
            }
        }
        BlockNotice {
            block: to_json(&BlockView::new(&p.block, false)),
            events,
        }
    }
}

/// The JSON of a result type (none has a map with non-string keys, so this
/// cannot fail; `Null` if it ever did).
fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub(crate) fn err(code: ErrorCode, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code.code(), message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    err(ErrorCode::InvalidParams, message)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!("RPC internal error: {e}");
    err(
        ErrorCode::Internal,
        format!(
            "the node failed to answer: {e}; this is not caused by the request, see the node's log"
        ),
    )
}

pub(crate) type Answer<T> = Result<T, ErrorObjectOwned>;

fn param_list(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    if params.is_object() {
        return Err(invalid("parameters are positional (a JSON array)"));
    }
    let v: Option<Vec<Value>> = params
        .parse()
        .map_err(|e| invalid(format!("parameters must be a JSON array: {}", e.message())))?;
    Ok(v.unwrap_or_default())
}

fn query(s: &Shared) -> Answer<Query<'_>> {
    s.runtime.query().map_err(internal)
}

fn mempool_size(s: &Shared) -> usize {
    s.mempool
        .lock()
        .map(|m| m.len())
        .unwrap_or_else(|p| p.into_inner().len())
}

fn chain_info(s: &Shared, _: GetChainInfo) -> Answer<ChainInfo> {
    let q = query(s)?;
    let latest = q.latest_block().map_err(internal)?;
    let genesis = q.block(0).map_err(internal)?;
    Ok(ChainInfo {
        chain_id: s.runtime.chain_id().clone(),
        height: latest.header.height,
        latest_block_id: latest.header.id(),
        state_root: latest.header.state_root,
        timestamp_ms: latest.header.timestamp_ms,
        genesis_id: genesis.map(|g| g.header.id()),
        epoch: latest.header.epoch,
        params: q.params().map_err(internal)?,
        validators: q
            .validators()
            .map_err(internal)?
            .iter()
            .map(Into::into)
            .collect(),
        mempool_size: mempool_size(s),
    })
}

fn get_block(s: &Shared, r: GetBlock) -> Answer<BlockView> {
    let q = query(s)?;
    let height = match r.block {
        BlockRef::Latest => q.height(),
        BlockRef::Height(h) => h,
    };
    match q.block(height).map_err(internal)? {
        Some(b) => Ok(BlockView::new(&b, r.full)),
        None => Err(err(
            ErrorCode::NotFound,
            format!(
                "no block at height {height}; the chain is at {}",
                q.height()
            ),
        )),
    }
}

/// A transaction leaves the mempool only after the block holding it is
/// committed, so one that is neither in the snapshot read first nor in the
/// mempool afterwards may have been committed in between: a second, newer
/// snapshot decides before it is called unknown.
pub(crate) fn get_transaction(s: &Shared, r: GetTransaction) -> Answer<TransactionLookup> {
    let included = |s: &Shared| -> Answer<Option<TransactionLookup>> {
        let q = query(s)?;
        Ok(q.transaction(&r.id).map_err(internal)?.map(|(tx, record)| {
            TransactionLookup::Included {
                transaction: Box::new(TransactionView::from(&tx)),
                receipt: ReceiptView::from(&record),
            }
        }))
    };
    if let Some(found) = included(s)? {
        return Ok(found);
    }
    let pending = s.mempool.lock().map(|m| m.contains(&r.id)).unwrap_or(false);
    if pending {
        return Ok(TransactionLookup::Pending { id: r.id });
    }
    if let Some(found) = included(s)? {
        return Ok(found);
    }
    Err(err(
        ErrorCode::NotFound,
        format!("unknown transaction {}", r.id),
    ))
}

/// The refusal of bytes that do not decode as a signed transaction; bytes
/// over the normal size limit are told that limit, since only an approved
/// governance resolve may exceed it.
fn malformed(e: &impl std::fmt::Display, len: usize) -> ErrorObjectOwned {
    let limit = molt_types::codec::limits::MAX_TRANSACTION_BYTES;
    if len > limit {
        err(
            ErrorCode::Rejected,
            format!(
                "{e}; the transaction is {len} bytes, over the {limit}-byte limit that only an \
                 approved governance resolve may exceed (up to the governance limit)"
            ),
        )
    } else {
        err(
            ErrorCode::Rejected,
            format!("{e}; send the canonical encoding of a signed transaction"),
        )
    }
}

fn submit(s: &Shared, r: SubmitTransaction) -> Answer<Digest> {
    let bytes = r.transaction;
    // Up to the largest any transaction may be (a large governance resolve);
    // the runtime then applies the size rule with its typed reasons.
    let tx = SignedTransaction::decode_large(&bytes).map_err(|e| malformed(&e, bytes.len()))?;
    s.runtime.check_transaction(&tx, bytes.len()).map_err(|e| {
        s.telemetry.metrics.rejected("admission", &e);
        err(ErrorCode::Rejected, e.to_string())
    })?;
    s.admit(tx, &bytes).map_err(|e| match e {
        AdmitError::Mempool(e) => {
            s.telemetry.metrics.rejected("admission", &e);
            err(ErrorCode::Rejected, e.to_string())
        }
        AdmitError::Journal(_) => internal(e),
    })
}

/// Runs a signed transaction as the next block would, on the latest state,
/// keeping nothing (`Runtime::simulate`). A transaction a block would not
/// include is refused like `molt_submitTransaction` refuses it.
fn simulate(s: &Shared, r: SimulateTransaction) -> Answer<SimulationView> {
    let tx = SignedTransaction::decode_large(&r.transaction)
        .map_err(|e| malformed(&e, r.transaction.len()))?;
    let sim = s.runtime.simulate(&tx).map_err(internal)?;
    match sim.outcome {
        SimulationOutcome::Rejected(why) => Err(err(ErrorCode::Rejected, why.to_string())),
        SimulationOutcome::Included(receipt) => Ok(SimulationView {
            transaction_id: tx.id(),
            block: SimulatedBlockView::from(&sim.block),
            receipt: ReceiptView::from(&receipt),
        }),
    }
}

/// Simulates resolving a governance payload, as a new proposal or as an
/// existing one, on a throw-away fork of the latest committed state, one
/// pinned snapshot (`Query::simulate_payload`); nothing is written. A
/// payload that fails is a result with the failure, not an error.
pub(crate) fn gov_simulate(s: &Shared, r: GovSimulate) -> Answer<GovSimulationView> {
    let q = query(s)?;
    if let Some(id) = r.proposal
        && !q.governance_proposal_exists(id).map_err(internal)?
    {
        return Err(err(
            ErrorCode::NotFound,
            format!(
                "no governance proposal with id {id} at height {}; leave the id out to simulate the payload as a new proposal",
                q.height()
            ),
        ));
    }
    let sim = q
        .simulate_payload(&r.payload, r.proposal)
        .map_err(internal)?;
    Ok(GovSimulationView::from(&sim))
}

fn get_package(s: &Shared, r: GetPackage) -> Answer<PackageView> {
    let q = query(s)?;
    let Some((record, versions)) = q.package_history(&r.id).map_err(internal)? else {
        return Err(err(
            ErrorCode::NotFound,
            format!("no package with id {}", r.id),
        ));
    };
    let cap = match record.cap {
        Some(c) => q.upgrade_cap(&c).map_err(internal)?,
        None => None,
    };
    Ok(PackageView::new(
        &r.id,
        &record,
        &versions,
        cap.as_ref(),
        q.height(),
    ))
}

fn get_module(s: &Shared, r: GetModule) -> Answer<ModuleView> {
    let q = query(s)?;
    match q.module(&r.id).map_err(internal)? {
        Some(m) => Ok(ModuleView::new(m, q.height())),
        None => Err(err(
            ErrorCode::NotFound,
            format!("no package with id {}", r.id),
        )),
    }
}

fn get_storage(s: &Shared, r: GetStorage) -> Answer<StorageView> {
    let q = query(s)?;
    let found = q
        .storage_with_proof(&r.package, &r.key, r.version)
        .map_err(|e| match e {
            StorageQueryError::Runtime(e) => internal(e),
            e => err(ErrorCode::NotFound, e.to_string()),
        })?;
    let Some(pv) = found else {
        return Err(err(
            ErrorCode::NotFound,
            format!("no package with id {}", r.package),
        ));
    };
    Ok(StorageView {
        value: pv.value.map(Hex),
        version: pv.version,
        state_root: pv.state_root,
        proof: Hex(pv.proof.to_bytes()),
        state_key: Hex(pv.state_key),
    })
}

fn view(s: &Shared, r: View) -> Answer<ViewResult> {
    let q = query(s)?;
    match q.view(&r.package, &r.function, &r.args, r.gas_limit()) {
        Ok((bytes, gas_used)) => {
            let decoded = q
                .package(&r.package)
                .ok()
                .flatten()
                .and_then(|v| {
                    v.interface
                        .function(&r.function)
                        .map(|f| (v.interface.clone(), f.returns.clone()))
                })
                .and_then(|(i, ty)| molt_interface::decode_to_json(&i, &ty, &bytes).ok());
            Ok(ViewResult {
                result: Hex(bytes),
                decoded,
                gas_used,
                height: q.height(),
            })
        }
        Err(ViewError::Runtime(e)) => Err(internal(e)),
        Err(e) => Err(err(ErrorCode::ViewFailed, e.to_string())),
    }
}

fn get_account(s: &Shared, r: GetAccount) -> Answer<AccountView> {
    let q = query(s)?;
    let account = q.account(&r.address).map_err(internal)?;
    let next = s
        .mempool
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .next_sequence(&r.address, account.sequence_number);
    Ok(AccountView::new(r.address, &account, next, q.height()))
}

/// Registers `handler` for `R`'s method: parameters are read with
/// [`Request::from_positional`], the answer serialized from `R::Result`.
fn register<R: Request + Send + 'static>(
    m: &mut RpcModule<Arc<Shared>>,
    handler: fn(&Shared, R) -> Answer<R::Result>,
) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    m.register_blocking_method(R::METHOD.name(), move |params, ctx, _| {
        let p = param_list(&params)?;
        let request = R::from_positional(&p).map_err(|e| invalid(e.0))?;
        let answer = handler(&ctx, request)?;
        serde_json::to_value(answer).map_err(internal)
    })?;
    Ok(())
}

pub fn module(
    shared: Arc<Shared>,
) -> Result<RpcModule<Arc<Shared>>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(shared);
    register(&mut m, chain_info)?;
    register(&mut m, get_block)?;
    register(&mut m, get_transaction)?;
    register(&mut m, get_account)?;
    register(&mut m, get_package)?;
    register(&mut m, get_module)?;
    register(&mut m, get_storage)?;
    register(&mut m, view)?;
    register(&mut m, submit)?;
    register(&mut m, simulate)?;
    register(&mut m, gov_simulate)?;
    register(&mut m, |s, _: molt_rpc_types::GetNodeStatus| {
        Ok(crate::status::node_status(s))
    })?;
    m.register_method(
        Method::Discover.name(),
        |_, _, _| -> Result<Value, ErrorObjectOwned> {
            serde_json::from_str(OPENRPC).map_err(internal)
        },
    )?;
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
        let typed: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(documented, typed);

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
        let documented: std::collections::BTreeSet<&str> = typed.iter().copied().collect();
        assert_eq!(served, documented);
    }
}
