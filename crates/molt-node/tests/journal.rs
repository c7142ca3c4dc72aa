//! Recovery of the mempool journal across restarts of a node: journaled
//! transactions that a block already holds, or that can no longer be
//! valid, are dropped; the rest are re-admitted and included.

use molt_node::{JOURNAL_FILE, Node, NodeConfig, NodeHandle};
use molt_runtime::dev_key;
use molt_types::{Address, ChainId, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

fn transfer(from: u8, seq: u64, amount: u64) -> SignedTransaction {
    let key = dev_key(from);
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 1_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Transfer {
            to: Address::reserved(0x51),
            amount,
        },
    }
    .sign(&key)
}

fn call(node: &NodeHandle, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    ureq::post(&format!("http://{}", node.rpc_addr))
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap()
}

fn submit(node: &NodeHandle, tx: &SignedTransaction) {
    let r = call(
        node,
        "molt_submitTransaction",
        json!([format!("0x{}", hex::encode(tx.encode()))]),
    );
    assert_eq!(r["result"], json!(tx.id()), "{r}");
}

fn start(rt: &tokio::runtime::Runtime, dir: &Path, block_time: Duration) -> NodeHandle {
    let node = rt
        .block_on(Node::start(NodeConfig::dev(
            dir.to_path_buf(),
            0,
            block_time,
        )))
        .unwrap();
    // The first block comes at once; wait for it so that later submissions
    // wait for the next one.
    let t = Instant::now();
    while node.shared.runtime.height() < 1 {
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(10));
    }
    node
}

fn status(node: &NodeHandle) -> Value {
    call(node, "molt_nodeStatus", json!([]))["result"].clone()
}

fn wait_included(node: &NodeHandle, tx: &SignedTransaction) {
    let t = Instant::now();
    loop {
        let r = call(node, "molt_getTransaction", json!([tx.id()]));
        if r["result"]["status"] == "included" {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{r}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn recovery_drops_what_a_block_holds_or_can_never_hold() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let journal = dir.path().join(JOURNAL_FILE);
    let hour = Duration::from_secs(3600);

    // 1. Three transactions accepted, no block yet: the journal holds them.
    let a = transfer(0, 0, 1);
    let c = transfer(1, 0, 5);
    let d = transfer(2, 0, 7);
    let node = start(&rt, dir.path(), hour);
    for tx in [&a, &c, &d] {
        submit(&node, tx);
    }
    assert_eq!(status(&node)["journal"]["records"], 3);
    rt.block_on(node.stop()).unwrap();
    let old_journal = std::fs::read(&journal).unwrap();

    // 2. Meanwhile (as if from an older journal): `c` is included, and
    // dev0's sequence number 0 is used by another transaction than `a`.
    std::fs::write(&journal, b"MOLTMPJ1").unwrap();
    let node = start(&rt, dir.path(), Duration::from_millis(50));
    let a2 = transfer(0, 0, 2);
    submit(&node, &a2);
    submit(&node, &c);
    wait_included(&node, &a2);
    wait_included(&node, &c);
    rt.block_on(node.stop()).unwrap();

    // 3. The old journal comes back: `c` is already included, `a` can never
    // be, `d` is re-admitted and included.
    std::fs::write(&journal, &old_journal).unwrap();
    let node = start(&rt, dir.path(), Duration::from_millis(50));
    let s = status(&node);
    assert_eq!(
        s["journal"]["recovered_at_start"],
        json!({"readmitted": 1, "already_included": 1, "dropped_invalid": 1, "torn_bytes": 0}),
        "{s}"
    );
    wait_included(&node, &d);
    let r = call(&node, "molt_getTransaction", json!([a.id()]));
    assert_eq!(
        r["error"]["code"], -32002,
        "the dropped transaction is gone: {r}"
    );
    rt.block_on(node.stop()).unwrap();
}
