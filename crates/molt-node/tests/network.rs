//! Nodes on the consensus engine, in process, over real loopback sockets:
//! a one-validator network, and four validators that agree block by block.

use molt_node::{NetworkSettings, Node, NodeConfig};
use molt_runtime::{dev_key, dev_validator_key};
use molt_types::{Address, ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod support;
use support::{equal_validators, free_port, validator_network};

fn transfer(k: &SecretKey, seq: u64, to: Address, amount: u64) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: k.address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 100_000,
        payload: TransactionPayload::Transfer { to, amount },
    }
    .sign(k)
}

fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r: Value = ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    assert!(r.get("error").is_none(), "{method}: {r}");
    r["result"].clone()
}

fn submit(url: &str, t: &SignedTransaction) -> String {
    call(
        url,
        "molt_submitTransaction",
        json!([format!("0x{}", hex::encode(t.encode()))]),
    )
    .as_str()
    .unwrap()
    .to_string()
}

fn height(url: &str) -> u64 {
    call(url, "molt_chainInfo", json!([]))["height"]
        .as_u64()
        .unwrap()
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn included(url: &str, id: &str) -> bool {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getTransaction", "params": [id]});
    let r: Value = ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    r["result"]["status"] == "included"
}

#[test]
fn a_one_validator_network_finalizes_paced_blocks_and_resumes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    config.network = Some(NetworkSettings::solo(dev_validator_key()));
    let node = rt.block_on(Node::start(config.clone())).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    let start = Instant::now();
    wait_for("height 5", Duration::from_secs(60), || height(&url) >= 5);
    let elapsed = start.elapsed();
    // Paced: five blocks take at least four intervals.
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    let id = submit(&url, &transfer(&dev_key(0), 0, dev_key(1).address(), 7));
    wait_for("the transfer", Duration::from_secs(30), || {
        included(&url, &id)
    });
    let before = height(&url);
    rt.block_on(node.stop()).unwrap();

    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    assert!(height(&url) >= before);
    assert!(included(&url, &id));
    wait_for("progress after restart", Duration::from_secs(60), || {
        height(&url) >= before + 3
    });
    rt.block_on(node.stop()).unwrap();
}

#[test]
fn four_validators_agree_on_every_block_and_a_transfer_sent_to_one_reaches_all() {
    let keys: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_seed([i + 40; 32]))
        .collect();
    let genesis = equal_validators(&keys);
    let addrs: Vec<SocketAddr> = keys.iter().map(|_| free_port()).collect();
    let dirs: Vec<_> = keys.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut nodes = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(200));
        config.genesis = genesis.clone();
        config.network = Some(validator_network(&keys, &addrs, i));
        nodes.push(rt.block_on(Node::start(config)).unwrap());
    }
    let urls: Vec<String> = nodes
        .iter()
        .map(|n| format!("http://{}", n.rpc_addr))
        .collect();
    wait_for("height 3 everywhere", Duration::from_secs(90), || {
        urls.iter().all(|u| height(u) >= 3)
    });
    let id = submit(
        &urls[2],
        &transfer(&dev_key(0), 0, dev_key(3).address(), 11),
    );
    wait_for(
        "the transfer on every node",
        Duration::from_secs(60),
        || urls.iter().all(|u| included(u, &id)),
    );
    let top = urls.iter().map(|u| height(u)).min().unwrap();
    for h in 0..=top {
        let blocks: Vec<Value> = urls
            .iter()
            .map(|u| call(u, "molt_getBlock", json!([h])))
            .collect();
        for b in &blocks[1..] {
            assert_eq!(b["id"], blocks[0]["id"], "height {h}");
            assert_eq!(b["state_root"], blocks[0]["state_root"], "height {h}");
        }
    }
    for node in nodes {
        rt.block_on(node.stop()).unwrap();
    }
}
