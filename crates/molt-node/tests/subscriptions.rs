//! WebSocket subscriptions on a running node: new blocks, and events
//! (including upgrade events) filtered by name.

use molt_node::{Node, NodeConfig};
use molt_runtime::dev_key;
use molt_types::{Address, ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::time::Duration;
use tungstenite::Message;

fn signed(k: &SecretKey, seq: u64, payload: TransactionPayload) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: k.address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 1_000,
        payload,
    }
    .sign(k)
}

fn submit(url: &str, t: &SignedTransaction) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "molt_submitTransaction",
        "params": [format!("0x{}", hex::encode(t.encode()))]});
    let r: Value = ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    assert!(r.get("error").is_none(), "{r}");
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

fn subscribe(ws_url: &str, method: &str, params: Value) -> Socket {
    let (mut socket, _) = tungstenite::connect(ws_url).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    }
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    socket.send(Message::Text(req.to_string().into())).unwrap();
    let ack = next_json(&mut socket);
    assert!(
        ack["result"].is_string() || ack["result"].is_number(),
        "subscription id: {ack}"
    );
    socket
}

fn next_json(socket: &mut Socket) -> Value {
    loop {
        match socket.read().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            _ => continue,
        }
    }
}

#[test]
fn blocks_and_filtered_events_arrive_over_websocket() {
    // Built before any socket opens: a build can take long on a loaded
    // machine, and a subscriber that reads nothing for that long (its pings
    // unanswered) is dropped by the server.
    let v1 = molt_build::example("counter_v1").unwrap();
    let v2 = molt_build::example("counter_v2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(50));
    let node = rt.block_on(Node::start(config)).unwrap();
    let http = format!("http://{}", node.rpc_addr);
    let ws = format!("ws://{}", node.rpc_addr);

    let mut blocks = subscribe(&ws, "molt_subscribeBlocks", json!([]));
    let first = next_json(&mut blocks);
    assert_eq!(first["method"], "molt_block");
    let h = first["params"]["result"]["height"].as_u64().unwrap();
    let second = next_json(&mut blocks);
    assert_eq!(
        second["params"]["result"]["height"].as_u64().unwrap(),
        h + 1
    );
    assert_eq!(
        second["params"]["result"]["parent"],
        first["params"]["result"]["id"]
    );

    let mut upgrades = subscribe(
        &ws,
        "molt_subscribeEvents",
        json!([{"name": "PackageUpgraded"}]),
    );
    let mut transfers = subscribe(&ws, "molt_subscribeEvents", json!([{"name": "Transfer"}]));
    let dev = dev_key(0);
    submit(
        &http,
        &signed(
            &dev,
            0,
            TransactionPayload::Transfer {
                to: Address::reserved(5),
                amount: 3,
            },
        ),
    );
    let t = next_json(&mut transfers);
    assert_eq!(t["method"], "molt_event");
    assert_eq!(t["params"]["result"]["name"], "Transfer");

    submit(
        &http,
        &signed(&dev, 1, TransactionPayload::Publish { module: v1.clone() }),
    );
    // The original id is the emitter of PackagePublished; find it via the receipt.
    let mut pkg = None;
    for _ in 0..200 {
        let r: Value = ureq::post(&http)
            .send_json(json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getAccount", "params": [dev.address()]}))
            .unwrap()
            .into_json()
            .unwrap();
        if r["result"]["sequence_number"] == 2 {
            let id = signed(&dev, 1, TransactionPayload::Publish { module: v1.clone() }).id();
            let tx: Value = ureq::post(&http)
                .send_json(json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getTransaction", "params": [id]}))
                .unwrap()
                .into_json()
                .unwrap();
            pkg = tx["result"]["receipt"]["events"][0]["emitter"]
                .as_str()
                .map(String::from);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pkg: Address = pkg.expect("published").parse().unwrap();
    let module = v2;
    submit(
        &http,
        &signed(
            &dev,
            2,
            TransactionPayload::Upgrade {
                package: pkg,
                module,
                ticket: None,
            },
        ),
    );
    let e = next_json(&mut upgrades);
    assert_eq!(e["params"]["result"]["name"], "PackageUpgraded");
    assert_eq!(e["params"]["result"]["emitter"], json!(pkg));
    rt.block_on(node.stop()).unwrap();
}
