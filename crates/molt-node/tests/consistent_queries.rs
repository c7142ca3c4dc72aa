//! Each RPC query is answered from one pinned snapshot: while blocks commit
//! every few milliseconds, every answer is internally consistent (a proof
//! verifies against the root of the height it reports, a view's result is
//! the stored value at the height it reports, chain info names the block of
//! its height), decoded with the same `molt-rpc-types` the CLI uses.

use molt_node::{Node, NodeConfig};
use molt_rpc_types::{
    BlockRef, ChainInfo, GetBlock, GetChainInfo, GetStorage, GetTransaction, Request, StorageView,
    SubmitTransaction, TransactionLookup, View,
};
use molt_runtime::dev_key;
use molt_store::StateProof;
use molt_types::{Address, ChainId, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn request<R: Request>(url: &str, r: &R) -> R::Result {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": R::METHOD.name(), "params": r.to_positional()});
    let v: Value = ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    assert!(v.get("error").is_none(), "{}: {v}", R::METHOD);
    serde_json::from_value(v["result"].clone())
        .unwrap_or_else(|e| panic!("{}: {e}: {v}", R::METHOD))
}

fn tx(seq: u64, payload: TransactionPayload) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: dev_key(0).address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload,
    }
    .sign(&dev_key(0))
}

fn included(url: &str, t: &SignedTransaction) -> molt_rpc_types::ReceiptView {
    request(
        url,
        &SubmitTransaction {
            transaction: t.encode(),
        },
    );
    let start = Instant::now();
    loop {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getTransaction", "params": GetTransaction { id: t.id() }.to_positional()});
        let v: Value = ureq::post(url)
            .send_json(body)
            .unwrap()
            .into_json()
            .unwrap();
        if let Ok(TransactionLookup::Included { receipt, .. }) =
            serde_json::from_value(v["result"].clone())
        {
            return receipt;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not included: {v}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn count_of(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().unwrap())
}

fn verify(s: &StorageView) {
    StateProof::decode(s.proof.as_bytes())
        .unwrap()
        .verify(
            s.state_root,
            s.state_key.as_bytes(),
            s.value.as_ref().map(|v| v.as_bytes()),
        )
        .unwrap_or_else(|e| panic!("the proof at version {} does not verify: {e}", s.version));
}

#[test]
fn answers_are_consistent_while_blocks_commit_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(5));
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);

    let module = molt_build::example("counter_v1").unwrap();
    let published = included(&url, &tx(0, TransactionPayload::Publish { module }));
    let pkg: Address = published
        .events
        .iter()
        .find(|e| e.name == "PackagePublished")
        .unwrap()
        .emitter;

    // A writer: one increment after another, each in its own block or so.
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (url, done) = (url.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            for seq in 1..=40 {
                included(
                    &url,
                    &tx(
                        seq,
                        TransactionPayload::Call {
                            package: pkg,
                            function: "increment".into(),
                            args: vec![],
                            coin: 0,
                        },
                    ),
                );
            }
            done.store(true, Ordering::Relaxed);
        })
    };

    let mut heights = BTreeSet::new();
    let mut checks = 0;
    while !done.load(Ordering::Relaxed) {
        // A view and the stored value at the height it reports agree.
        let view = request(
            &url,
            &View {
                package: pkg,
                function: "get".into(),
                args: vec![],
                gas: None,
            },
        );
        let at = request(
            &url,
            &GetStorage {
                package: pkg,
                key: b"state".to_vec(),
                version: Some(view.height),
            },
        );
        assert_eq!(at.version, view.height);
        assert_eq!(
            count_of(at.value.as_ref().unwrap().as_bytes()),
            count_of(view.result.as_bytes()),
            "the view at height {} read another state",
            view.height
        );
        assert!(view.decoded.is_some(), "the interface decodes the result");
        verify(&at);

        // The latest value: its proof verifies against the root of the
        // height it reports, which is that block's state root.
        let latest = request(
            &url,
            &GetStorage {
                package: pkg,
                key: b"state".to_vec(),
                version: None,
            },
        );
        verify(&latest);
        let block = request(
            &url,
            &GetBlock {
                block: BlockRef::Height(latest.version),
                full: false,
            },
        );
        assert_eq!(block.state_root, latest.state_root);

        // Chain info names the block of its own height.
        let info: ChainInfo = request(&url, &GetChainInfo);
        let block = request(
            &url,
            &GetBlock {
                block: BlockRef::Height(info.height),
                full: false,
            },
        );
        assert_eq!(block.id, info.latest_block_id);
        assert_eq!(block.state_root, info.state_root);
        assert_eq!(block.epoch, info.epoch);

        heights.insert(view.height);
        heights.insert(latest.version);
        checks += 1;
    }
    writer.join().unwrap();
    assert!(
        heights.len() >= 10,
        "blocks should commit during the queries: {checks} rounds saw heights {heights:?}"
    );
    rt.block_on(node.stop()).unwrap();
}
