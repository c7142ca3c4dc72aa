//! Storage faults are fatal for the block, never receipts: a store whose
//! disk fails a write or an fsync mid-block, or a read inside a nested
//! program call or a transaction's precheck, makes block production fail
//! with a runtime error; no receipt records the fault; the reopened store is
//! at the last committed block.

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
            coin: 0,
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

/// A chain with `counter` v1 at `0xc0` and `counter_client` (which calls
/// `counter::add`) published, closed; returns its directory and the
/// client's id.
fn chain_with_a_nested_call() -> (tempfile::TempDir, Address) {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), &nested_genesis(), StoreConfig::default()).unwrap();
    let publish = Transaction {
        chain_id: ChainId::dev(),
        sender: dev_key(0).address(),
        sequence_number: 0,
        gas_budget: 100_000_000,
        gas_price: 1,
        expiry_height: 10,
        payload: TransactionPayload::Publish {
            module: molt_build::example("counter_client").unwrap(),
        },
    }
    .sign(&dev_key(0));
    let p = rt
        .produce_block(&[publish], dev_validator_key().address(), 1_000)
        .unwrap();
    assert_eq!(p.receipts[0].status, ExecutionStatus::Success, "{p:?}");
    let client = p.receipts[0]
        .events
        .iter()
        .find(|e| e.name == "PackagePublished")
        .unwrap()
        .emitter;
    (dir, client)
}

fn nested_genesis() -> Genesis {
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0xc0),
        module: molt_build::example("counter_v1").unwrap(),
        owner: dev_key(0).address(),
    });
    genesis
}

fn add_zero(client: Address) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: dev_key(0).address(),
        sequence_number: 1,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 100,
        payload: TransactionPayload::Call {
            package: client,
            function: "add_zero".into(),
            args: vec![],
            coin: 0,
        },
    }
    .sign(&dev_key(0))
}

#[test]
fn a_failing_read_in_a_nested_call_or_a_precheck_stops_the_block_not_a_receipt() {
    let counter = Address::reserved(0xc0);
    let cases = [
        // Read by `counter::add`, called by `counter_client::add_zero`.
        ("nested call", state::data_key(&counter, b"state")),
        // Read by the precheck of the sender's transaction.
        ("precheck", state::account_key(&dev_key(0).address())),
    ];
    for (what, key) in cases {
        let (dir, client) = chain_with_a_nested_call();
        let path = dir.path().join("state.redb");
        let backend = FaultyBackend::open(&path).unwrap();
        let faults = backend.faults();
        let store = Store::open_with_faults(&path, backend, StoreConfig::default()).unwrap();
        let rt = Runtime::with_store(store, &nested_genesis()).unwrap();
        let committed = rt.latest_block().unwrap();
        let tx = add_zero(client);
        // Without the fault the transaction succeeds (on a throwaway
        // simulation), so the fault is what stops the block.
        match rt.simulate(&tx).unwrap().outcome {
            SimulationOutcome::Included(r) => {
                assert_eq!(r.status, ExecutionStatus::Success, "{what}: {r:?}")
            }
            other => panic!("{what}: {other:?}"),
        }
        faults.fail_reads_of_key(&key);
        let err = rt
            .produce_block(
                std::slice::from_ref(&tx),
                dev_validator_key().address(),
                2_000,
            )
            .expect_err(&format!("{what}: the block must fail, not give a receipt"));
        assert!(
            faults.injected(molt_store::FaultOp::Read) >= 1,
            "{what}: the armed read was reached"
        );
        let text = err.to_string();
        assert!(text.contains("injected read fault"), "{what}: {text}");
        assert_eq!(rt.height(), committed.header.height, "{what}");
        drop(rt);
        faults.heal();
        let rt = Runtime::open(dir.path(), &nested_genesis(), StoreConfig::default()).unwrap();
        assert_eq!(rt.latest_block().unwrap(), committed, "{what}");
        assert!(
            rt.receipt(&tx.id()).unwrap().is_none(),
            "{what}: no receipt"
        );
        assert_eq!(
            rt.account(&dev_key(0).address()).unwrap().sequence_number,
            1,
            "{what}: nothing was charged"
        );
        // The same block is produced normally once the disk is healthy.
        let p = rt
            .produce_block(
                std::slice::from_ref(&tx),
                dev_validator_key().address(),
                2_000,
            )
            .unwrap();
        assert_eq!(p.receipts[0].status, ExecutionStatus::Success, "{what}");
    }
}
