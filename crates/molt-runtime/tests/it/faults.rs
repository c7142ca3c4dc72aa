//! Storage faults are fatal for the block, never receipts: a store whose
//! disk fails a write or an fsync mid-block makes block production
//! fail with a runtime error; no receipt records the fault; the reopened
//! store is at the last committed block.

use molt_runtime::*;
use molt_store::{Faults, FaultyBackend, Store, StoreConfig};
use molt_types::*;
use std::sync::Arc;

fn open(path: &std::path::Path) -> (Runtime, Arc<Faults>) {
    let backend = FaultyBackend::open(path).unwrap();
    let faults = backend.faults();
    let store = Store::open_with_backend(path, backend, StoreConfig::default()).unwrap();
    (Runtime::with_store(store, &Genesis::dev()).unwrap(), faults)
}

fn call(rt: &Runtime, seq: u64, package: Address) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: dev_key(0).address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: rt.height() + 10,
        payload: TransactionPayload::Call {
            package,
            function: "increment".into(),
            args: vec![],
        },
    }
    .sign(&dev_key(0))
}

#[test]
fn a_failing_write_or_fsync_mid_block_stops_the_block_not_a_receipt() {
    let proposer = dev_validator_key().address();
    let module = molt_build::example("counter_v1").unwrap();
    // Reads: this small store is served from redb's cache once open, so a
    // read fault never reaches a block here; molt-store's own fault tests
    // cover failed reads.
    for fault in ["write", "sync"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let rt = Runtime::open(dir.path(), &Genesis::dev(), StoreConfig::default()).unwrap();
        let publish = Transaction {
            chain_id: ChainId::dev(),
            sender: dev_key(0).address(),
            sequence_number: 0,
            gas_budget: 100_000_000,
            gas_price: 1,
            expiry_height: 10,
            payload: TransactionPayload::Publish {
                module: module.clone(),
            },
        }
        .sign(&dev_key(0));
        let p = rt.produce_block(&[publish], proposer, 1_000).unwrap();
        let pkg = p.receipts[0]
            .events
            .iter()
            .find(|e| e.name == "PackagePublished")
            .unwrap()
            .emitter;
        drop(rt);
        // Reopened cold over the faulty disk, so reads reach the backend.
        let (rt, faults) = open(&path);
        let committed = rt.latest_block().unwrap();
        match fault {
            "write" => faults.fail_next_write(),
            _ => faults.fail_next_sync(),
        }
        let result = rt.produce_block(&[call(&rt, 1, pkg)], proposer, 2_000);
        let err = result.expect_err(&format!("{fault}: the block must fail, not give a receipt"));
        let text = err.to_string();
        assert!(!text.is_empty());
        drop(rt);
        faults.heal();
        let rt = Runtime::open(dir.path(), &Genesis::dev(), StoreConfig::default()).unwrap();
        // The last committed block, or (a fault in the final flush only) the
        // failed block complete: never a partial one, never a fault receipt.
        let latest = rt.latest_block().unwrap();
        if latest.header.height == committed.header.height {
            assert_eq!(latest, committed, "{fault}");
        } else {
            assert_eq!(latest.header.height, 2, "{fault}");
            let r = rt.receipt(&latest.transactions[0].id()).unwrap().unwrap();
            assert_eq!(r.receipt.status, ExecutionStatus::Success, "{fault}: {r:?}");
        }
        assert_eq!(
            rt.store().root(rt.height()).unwrap(),
            latest.header.state_root
        );
    }
}
