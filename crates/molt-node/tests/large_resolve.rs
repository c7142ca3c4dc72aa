//! A governance resolve over the 1 MiB transaction limit on a running dev
//! node (docs/framework.md, "Large resolve transactions"): once governance
//! raised its track's payload limit (and the VM's limits), the hex of a
//! resolve of an approved 2 MiB payload, over the RPC server's 4 MiB
//! request limit, is read, admitted, included and resolves; the same
//! request before the vote is refused with `-32001` naming the limits; a
//! large request of any other method is `413` / `-32007`; a large
//! transaction that is not a resolve is `-32001`.

use molt_node::{Node, NodeConfig};
use molt_payload::{Action, Payload};
use molt_rpc_types::{
    ChainInfo, GetChainInfo, GetTransaction, Request, StatusView, SubmitTransaction,
    TransactionLookup,
};
use molt_runtime::{GOVERNANCE_PACKAGE, SYSTEM_PACKAGE, dev_key, dev_validator_key};
use molt_types::{
    ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload, codec, sha3_256,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

/// Posts a JSON-RPC call; the HTTP status and the reply.
fn post(url: &str, method: &str, params: Value) -> (u16, Value) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    match ureq::post(url).send_json(body) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport: {e}"),
    }
}

fn request<R: Request>(url: &str, r: &R) -> R::Result {
    let (_, v) = post(url, R::METHOD.name(), r.to_positional());
    assert!(v.get("error").is_none(), "{}: {v}", R::METHOD);
    serde_json::from_value(v["result"].clone())
        .unwrap_or_else(|e| panic!("{}: {e}: {v}", R::METHOD))
}

fn submit(url: &str, t: &SignedTransaction) -> (u16, Value) {
    let r = SubmitTransaction {
        transaction: t.encode(),
    };
    post(url, SubmitTransaction::METHOD.name(), r.to_positional())
}

fn tx(key: &SecretKey, seq: u64, payload: TransactionPayload) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 500_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload,
    }
    .sign(key)
}

fn governance(key: &SecretKey, seq: u64, function: &str, args: Vec<u8>) -> SignedTransaction {
    tx(
        key,
        seq,
        TransactionPayload::Call {
            package: GOVERNANCE_PACKAGE,
            function: function.into(),
            args,
            // Governance's genesis track: propose attaches the deposit.
            coin: if function == "propose" { 1_000_000 } else { 0 },
        },
    )
}

fn included(url: &str, t: &SignedTransaction) -> molt_rpc_types::ReceiptView {
    let (status, v) = submit(url, t);
    assert!(status == 200 && v.get("error").is_none(), "{status}: {v}");
    let start = Instant::now();
    loop {
        if let TransactionLookup::Included { receipt, .. } =
            request(url, &GetTransaction { id: t.id() })
        {
            assert_eq!(receipt.status, StatusView::Success, "{receipt:?}");
            return receipt;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "not included");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Proposes `payload` as proposal `id` (the proposer's sequence number is
/// `seq`) and has the dev validator, the only one, accept it.
fn approve(url: &str, id: u64, payload: &[u8], seq: u64, vote_seq: u64) {
    let args = codec::encode(&(sha3_256(payload), String::from("u"), sha3_256(b"m")));
    included(url, &governance(&dev_key(0), seq, "propose", args));
    included(
        url,
        &governance(
            &dev_validator_key(),
            vote_seq,
            "vote",
            codec::encode(&(id, true)),
        ),
    );
}

/// `module` with a custom section appended: about `total` bytes.
fn padded(module: &[u8], total: usize) -> Vec<u8> {
    let name = b"molt-test-padding";
    let mut contents = vec![name.len() as u8];
    contents.extend_from_slice(name);
    contents.resize(total - module.len() - 6, 0);
    let mut out = module.to_vec();
    out.push(0);
    let mut n = contents.len() as u32;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(&contents);
    out
}

#[test]
fn an_approved_resolve_over_the_limits_goes_through_rpc_and_others_do_not() {
    // Built first (it may take minutes): not while proposals wait.
    let v2 = molt_build::example("framework_system_v2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(20));
    // Executing a 2 MiB resolve in a debug build takes seconds: more than
    // the default leader timeout (2 s past two block times).
    if let Some(network) = config.network.as_mut() {
        network.leader_timeout = Some(Duration::from_secs(300));
    }
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);

    // Governance raises its track's payload limit to 3 MiB and the VM's
    // memory and module limits (in force from the next epoch).
    let before: ChainInfo = request(&url, &GetChainInfo);
    let mut params = before.params;
    params.vm.max_memory_pages = 256;
    params.vm.max_module_size = 3 * MIB as u64;
    let setup = Payload::new(vec![
        Action::SetParams {
            params: codec::encode(&params),
        },
        Action::EndEpoch,
        Action::CallAsGovernance {
            package: GOVERNANCE_PACKAGE,
            function: "set_track".into(),
            // A long voting period: a large request takes its time here.
            args: codec::encode(&(1_000_000u64, 100_000u64, 3 * MIB as u64)),
        },
    ])
    .encode();
    approve(&url, 0, &setup, 0, 0);
    included(
        &url,
        &governance(&dev_key(1), 0, "resolve", codec::encode(&(0u64, setup))),
    );
    let start = Instant::now();
    while request(&url, &GetChainInfo).params != params {
        assert!(start.elapsed() < Duration::from_secs(60), "not applied");
        std::thread::sleep(Duration::from_millis(10));
    }

    // A 2 MiB upgrade: its hex is over the 4 MiB request limit.
    let module = padded(&v2, 2 * MIB + 16 * 1024);
    let upgrade = Payload::new(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: module.clone(),
    }])
    .encode();
    let args = codec::encode(&(sha3_256(&upgrade), String::from("u"), sha3_256(b"m")));
    included(&url, &governance(&dev_key(0), 1, "propose", args));
    let resolve = governance(&dev_key(1), 1, "resolve", codec::encode(&(1u64, upgrade)));
    assert!(2 * resolve.encode().len() > 4 * MIB);

    // Not approved yet: read, and refused by admission with the limits.
    let (status, v) = submit(&url, &resolve);
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (200, json!(-32001)),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("transaction limit of 1048576")
            && message.contains(&(3 * MIB + 4096).to_string())
            && message.contains("not approved"),
        "{message}"
    );

    // Approved: admitted, included, resolved.
    included(
        &url,
        &governance(
            &dev_validator_key(),
            1,
            "vote",
            codec::encode(&(1u64, true)),
        ),
    );
    let receipt = included(&url, &resolve);
    assert!(
        receipt.events.iter().any(|e| e.name == "PackageUpgraded"),
        "{receipt:?}"
    );
    let (_, v) = post(&url, "molt_getPackage", json!([SYSTEM_PACKAGE]));
    assert!(
        v.to_string()
            .contains(&hex::encode(sha3_256(&module).as_bytes())),
        "the padded module is the latest version: {v}"
    );

    // Another method with a body as large: 413, unread past the check.
    let (status, v) = post(
        &url,
        "molt_simulateTransaction",
        json!([format!("0x{}", hex::encode(resolve.encode()))]),
    );
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (413, json!(-32007)),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only a single molt_submitTransaction call may be larger"),
        "{v}"
    );

    // A large transaction that is not a resolve: refused by admission.
    let publish = tx(
        &dev_key(2),
        0,
        TransactionPayload::Publish {
            module: padded(&v2, 2 * MIB),
        },
    );
    let (status, v) = submit(&url, &publish);
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (200, json!(-32001)),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit of 1048576"),
        "{v}"
    );
    rt.block_on(node.stop()).unwrap();
}
