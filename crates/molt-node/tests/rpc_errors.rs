//! Every typed RPC error a malformed request can meet, over real HTTP and
//! WebSocket connections to a running node: the documented code, a message
//! without Rust debug text, and no change to the chain or the mempool.

use molt_node::{Node, NodeConfig};
use molt_runtime::dev_key;
use molt_types::{Address, ChainId, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::time::Duration;
use tungstenite::Message;

fn post_raw(url: &str, content_type: &str, body: &str) -> (u16, String) {
    match ureq::post(url)
        .set("Content-Type", content_type)
        .send_string(body)
    {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport: {e}"),
    }
}

fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, text) = post_raw(url, "application/json", &body.to_string());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: not JSON ({e}): {text}"))
}

/// Asserts `r` is error `code` whose message contains `says`, and that the
/// message carries no Rust debug rendering.
fn expect_error(r: &Value, code: i64, says: &str) {
    assert_eq!(r["error"]["code"], code, "{r}");
    let msg = r["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains(says), "message {msg:?} should say {says:?}");
    for debug_sign in ["Some(", "None", "Err(", "Ok(", " { ", "\\\"", "\"0x"] {
        assert!(
            !msg.contains(debug_sign),
            "message {msg:?} holds debug text {debug_sign:?}"
        );
    }
}

fn transfer(seq: u64, chain: ChainId) -> SignedTransaction {
    let key = dev_key(0);
    Transaction {
        chain_id: chain,
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 1_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Transfer {
            to: Address::reserved(9),
            amount: 1,
        },
    }
    .sign(&key)
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

#[test]
fn malformed_requests_get_typed_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    let unknown_id = format!("0x{}", "ab".repeat(32));

    // JSON-RPC envelope errors.
    let (_, text) = post_raw(
        &url,
        "application/json",
        "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\"",
    );
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["error"]["code"], -32700, "{r}");
    let (_, text) = post_raw(&url, "application/json", r#"{"jsonrpc": "2.0", "id": 1}"#);
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["error"]["code"], -32600, "{r}");
    expect_error(&call(&url, "molt_noSuchMethod", json!([])), -32601, "");

    // Parameters of the wrong shape or type: -32602.
    let cases: Vec<(&str, Value, &str)> = vec![
        ("molt_getAccount", json!({"address": "0x1"}), "positional"),
        (
            "molt_getAccount",
            json!([]),
            "parameter 0 (address) must be a string",
        ),
        ("molt_getAccount", json!([7]), "must be a string"),
        ("molt_getAccount", json!(["1234"]), "bad address '1234'"),
        ("molt_getAccount", json!(["0xzz"]), "bad address '0xzz'"),
        (
            "molt_getAccount",
            json!([format!("0x{}", "1".repeat(65))]),
            "bad address",
        ),
        ("molt_getTransaction", json!(["0x12"]), "bad id '0x12'"),
        (
            "molt_getTransaction",
            json!(["0x\u{e9}\u{e9}"]),
            "bad id '0x\u{e9}\u{e9}'",
        ),
        (
            "molt_getBlock",
            json!(["newest"]),
            "parameter 0 (block) must be a height",
        ),
        ("molt_getBlock", json!([-1]), "must be a height"),
        ("molt_getBlock", json!([1.5]), "must be a height"),
        (
            "molt_getBlock",
            json!([0, "yes"]),
            "parameter 1 (full) must be true or false",
        ),
        (
            "molt_submitTransaction",
            json!(["0x123"]),
            "even number of digits",
        ),
        ("molt_submitTransaction", json!(["0xgg"]), "0x-prefixed hex"),
        ("molt_submitTransaction", json!([12]), "must be a string"),
        (
            "molt_getStorage",
            json!(["0xdead", "0x00", "x"]),
            "parameter 2 (version) must be a non-negative integer",
        ),
        (
            "molt_getStorage",
            json!(["0xdead", "zz"]),
            "parameter 1 (key)",
        ),
        (
            "molt_view",
            json!(["0xdead", "get", "0x", "lots"]),
            "parameter 3 (gas)",
        ),
        (
            "molt_view",
            json!(["0xdead"]),
            "parameter 1 (function) must be a string",
        ),
        (
            "molt_view",
            json!(["0xdead", "get", "0xz"]),
            "parameter 2 (args)",
        ),
    ];
    for (method, params, says) in &cases {
        let r = call(&url, method, params.clone());
        expect_error(&r, -32602, says);
    }

    // Transactions that decode badly or would never be valid: -32001.
    let good = transfer(0, ChainId::dev()).encode();
    let truncated = &good[..good.len() / 2];
    let r = call(&url, "molt_submitTransaction", json!([hex0x(truncated)]));
    expect_error(&r, -32001, "malformed signed transaction");
    let mut bad_sig = good.clone();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 0xff;
    let r = call(&url, "molt_submitTransaction", json!([hex0x(&bad_sig)]));
    expect_error(&r, -32001, "signature");
    let other_chain = transfer(0, ChainId::new("other-chain").unwrap()).encode();
    let r = call(&url, "molt_submitTransaction", json!([hex0x(&other_chain)]));
    expect_error(&r, -32001, "wrong chain");

    // Well-formed requests for what does not exist: -32002 and -32003.
    expect_error(
        &call(&url, "molt_getTransaction", json!([unknown_id])),
        -32002,
        "unknown transaction",
    );
    expect_error(
        &call(&url, "molt_getBlock", json!([1_000_000_000u64])),
        -32002,
        "no block at height 1000000000",
    );
    expect_error(
        &call(&url, "molt_getPackage", json!(["0xdead"])),
        -32002,
        "no package",
    );
    expect_error(
        &call(&url, "molt_getModule", json!(["0xdead"])),
        -32002,
        "no package",
    );
    expect_error(
        &call(&url, "molt_getStorage", json!(["0xdead", "0x00"])),
        -32002,
        "no package",
    );
    expect_error(
        &call(
            &url,
            "molt_getStorage",
            json!(["0xdead", "0x00", 1_000_000_000u64]),
        ),
        -32002,
        "no state at version 1000000000",
    );
    expect_error(
        &call(&url, "molt_view", json!(["0xdead", "get"])),
        -32003,
        "no package",
    );

    // Transport limits: batch length, body size, method and content type.
    let batch: Vec<Value> = (0..257)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "molt_chainInfo", "params": []}))
        .collect();
    let (_, text) = post_raw(&url, "application/json", &Value::from(batch).to_string());
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["error"]["code"], -32010, "{r}");
    // A body over the limit is refused from its declared length, unread.
    let mut s = std::net::TcpStream::connect(node.rpc_addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
        5 * 1024 * 1024
    );
    std::io::Write::write_all(&mut s, head.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    let body: Value = serde_json::from_str(&reply[reply.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["error"]["code"], -32007, "{body}");
    let (status, _) = post_raw(&url, "text/plain", "{}");
    assert_eq!(status, 415);
    let status = match ureq::get(&url).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 405);

    // Nothing above reached the mempool or the chain.
    let status = call(&url, "molt_nodeStatus", json!([]))["result"].clone();
    assert_eq!(status["mempool"]["transactions"], 0, "{status}");
    assert_eq!(status["journal"]["records"], 0, "{status}");
    let account = call(&url, "molt_getAccount", json!([dev_key(0).address()]))["result"].clone();
    assert_eq!(account["sequence_number"], 0, "{account}");
    rt.block_on(node.stop()).unwrap();
}

/// The same kind of inputs, decoded as the CLI decodes them: every answer
/// is a `molt_rpc_types::RpcError` of the documented kind.
#[test]
fn malformed_inputs_are_typed_errors_by_code() {
    use molt_rpc_types::{ErrorCode, RpcError};
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    let good = transfer(0, ChainId::dev()).encode();
    let cases: Vec<(&str, Value, ErrorCode)> = vec![
        (
            "molt_getTransaction",
            json!(["0x1"]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_getTransaction",
            json!([format!("0x{}", "a".repeat(63))]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_getAccount",
            json!([format!("0x{}", "a".repeat(63))]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_getAccount",
            json!([["0x1"]]),
            ErrorCode::InvalidParams,
        ),
        ("molt_getAccount", json!("0x1"), ErrorCode::InvalidParams),
        ("molt_getBlock", json!(["1"]), ErrorCode::InvalidParams),
        ("molt_getBlock", json!([u64::MAX]), ErrorCode::NotFound),
        (
            "molt_getStorage",
            json!(["0x1", "0x0"]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_getStorage",
            json!(["0x1", 5]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_getStorage",
            json!(["0x1", "0x00", u64::MAX]),
            ErrorCode::NotFound,
        ),
        ("molt_view", json!(["0x1", 7]), ErrorCode::InvalidParams),
        (
            "molt_view",
            json!(["0x1", "get", "0x0"]),
            ErrorCode::InvalidParams,
        ),
        (
            "molt_view",
            json!(["0x1", "get", "0x00", -5]),
            ErrorCode::InvalidParams,
        ),
        ("molt_submitTransaction", json!(["0x"]), ErrorCode::Rejected),
        (
            "molt_submitTransaction",
            json!([hex0x(&good[..1])]),
            ErrorCode::Rejected,
        ),
        (
            "molt_simulateTransaction",
            json!([hex0x(&good[..good.len() - 1])]),
            ErrorCode::Rejected,
        ),
        (
            "molt_simulateTransaction",
            json!([hex0x(&[good.as_slice(), &[0]].concat())]),
            ErrorCode::Rejected,
        ),
        (
            "molt_simulateTransaction",
            json!([null]),
            ErrorCode::InvalidParams,
        ),
        ("molt_getModule", json!([]), ErrorCode::InvalidParams),
        (
            "molt_getPackage",
            json!([format!("0x{}", "0".repeat(65))]),
            ErrorCode::InvalidParams,
        ),
    ];
    for (method, params, want) in cases {
        let r = call(&url, method, params.clone());
        let e: RpcError = serde_json::from_value(r["error"].clone())
            .unwrap_or_else(|e| panic!("{method} {params}: no typed error ({e}): {r}"));
        assert_eq!(e.kind(), Some(want), "{method} {params}: {e}");
        assert!(!e.message.is_empty());
    }
    // Still serving, nothing accepted.
    let status = call(&url, "molt_nodeStatus", json!([]))["result"].clone();
    assert_eq!(status["mempool"]["transactions"], 0, "{status}");
    rt.block_on(node.stop()).unwrap();
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

fn ws_call(ws: &mut Socket, method: &str, params: Value) -> Value {
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    ws.send(Message::Text(req.to_string().into())).unwrap();
    loop {
        if let Message::Text(t) = ws.read().unwrap() {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

#[test]
fn bad_subscription_parameters_are_refused_and_the_connection_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    config.rpc.max_subscriptions_per_connection = std::num::NonZeroU32::new(2).unwrap();
    let node = rt.block_on(Node::start(config)).unwrap();
    let (mut ws, _) = tungstenite::connect(format!("ws://{}", node.rpc_addr)).unwrap();

    for (method, params, says) in [
        (
            "molt_subscribeEvents",
            json!([{"emitter": 5}]),
            "parameter 0 (filter)",
        ),
        (
            "molt_subscribeEvents",
            json!([{"emitter": "0xzz"}]),
            "parameter 0 (filter)",
        ),
        (
            "molt_subscribeEvents",
            json!([{"nmae": "Transfer"}]),
            "unknown field",
        ),
        (
            "molt_subscribeEvents",
            json!(["Transfer"]),
            "parameter 0 (filter) must be an object",
        ),
        (
            "molt_subscribeEvents",
            json!([{}, {}]),
            "at most 1 parameter",
        ),
        ("molt_subscribeBlocks", json!([1]), "at most 0 parameter"),
    ] {
        expect_error(&ws_call(&mut ws, method, params), -32602, says);
    }
    // The limit per connection: the third subscription is refused. On a
    // fresh connection: the server frees a refused call's subscription
    // slot asynchronously, so the connection above may briefly count one.
    drop(ws);
    let (mut ws, _) = tungstenite::connect(format!("ws://{}", node.rpc_addr)).unwrap();
    for _ in 0..2 {
        let ok = ws_call(
            &mut ws,
            "molt_subscribeEvents",
            json!([{"name": "Nothing"}]),
        );
        assert!(ok["result"].is_string() || ok["result"].is_u64(), "{ok}");
    }
    let r = ws_call(&mut ws, "molt_subscribeBlocks", json!([]));
    assert_eq!(r["error"]["code"], -32006, "{r}");
    // Plain calls still work on the same connection.
    let r = ws_call(&mut ws, "molt_nodeStatus", json!([]));
    assert_eq!(r["result"]["rpc"]["subscriptions"], 2, "{r}");
    drop(ws);
    // Subscriptions on HTTP cannot exist.
    let url = format!("http://{}", node.rpc_addr);
    let r = call(&url, "molt_subscribeBlocks", json!([]));
    expect_error(&r, -32601, "served only over WebSocket");
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "molt_subscribeEvents", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "molt_nodeStatus", "params": []},
    ]);
    let (_, text) = post_raw(&url, "application/json", &batch.to_string());
    let answers: Vec<Value> = serde_json::from_str(&text).unwrap();
    let by_id = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap().clone();
    expect_error(&by_id(1), -32601, "molt_subscribeEvents is a subscription");
    assert!(by_id(2)["result"]["rpc"].is_object(), "{text}");
    rt.block_on(node.stop()).unwrap();
}
