//! `molt_govSimulate` on a running node: a governance payload simulated
//! over JSON-RPC writes nothing, reports its effects (scheduled parameters
//! with the changed fields, the epoch end, an incompatible upgrade's
//! compatibility report and failure) and those effects are what the real
//! resolution by transactions (propose, the validator's vote, resolve)
//! produces afterwards. Results are decoded with the `molt-rpc-types` the
//! CLI uses.

use molt_node::{Node, NodeConfig};
use molt_payload::{Action, Payload};
use molt_rpc_types::{
    ChainInfo, ErrorCode, GetChainInfo, GetTransaction, GovSimulate, GovSimulationView, Request,
    StatusView, SubmitTransaction, TransactionLookup,
};
use molt_runtime::{GOVERNANCE_PACKAGE, SYSTEM_PACKAGE, dev_key, dev_validator_key};
use molt_types::{
    ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload, codec, sha3_256,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn call<R: Request>(url: &str, r: &R) -> Value {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": R::METHOD.name(), "params": r.to_positional()});
    ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap()
}

fn request<R: Request>(url: &str, r: &R) -> R::Result {
    let v = call(url, r);
    assert!(v.get("error").is_none(), "{}: {v}", R::METHOD);
    serde_json::from_value(v["result"].clone())
        .unwrap_or_else(|e| panic!("{}: {e}: {v}", R::METHOD))
}

fn governance(key: &SecretKey, seq: u64, function: &str, args: Vec<u8>) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 100_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Call {
            package: GOVERNANCE_PACKAGE,
            function: function.into(),
            args,
            // Governance's genesis track: propose attaches the deposit.
            coin: if function == "propose" { 1_000_000 } else { 0 },
        },
    }
    .sign(key)
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
        if let TransactionLookup::Included { receipt, .. } =
            request(url, &GetTransaction { id: t.id() })
        {
            assert_eq!(receipt.status, StatusView::Success, "{receipt:?}");
            return receipt;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not included");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn simulate(url: &str, payload: &[u8], proposal: Option<u64>) -> GovSimulationView {
    request(
        url,
        &GovSimulate {
            payload: payload.to_vec(),
            proposal,
        },
    )
}

#[test]
fn a_simulated_payload_writes_nothing_and_its_effects_are_the_resolutions() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(20));
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);

    let before: ChainInfo = request(&url, &GetChainInfo);
    let mut params = before.params.clone();
    params.max_gas_budget -= 1;
    let payload = Payload::new(vec![
        Action::SetParams {
            params: codec::encode(&params),
        },
        Action::EndEpoch,
    ])
    .encode();

    let sim = simulate(&url, &payload, None);
    assert_eq!(sim.status, StatusView::Success, "{sim:?}");
    assert_eq!(sim.failed_step, None);
    assert_eq!(sim.execution_hash, sha3_256(&payload));
    assert_eq!(sim.actions, ["set_params", "end_epoch"]);
    assert_eq!(sim.proposal, 0);
    assert!(sim.ends_epoch);
    assert!(sim.upgrades.is_empty() && sim.compatibility.is_empty());
    assert_eq!(sim.validators, None);
    let change = sim.params.clone().expect("scheduled parameters");
    assert_eq!(change.in_force, before.params);
    assert_eq!(change.scheduled, params);
    let names: Vec<&str> = change.changed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["max_gas_budget"]);
    assert_eq!(
        (change.changed[0].old.clone(), change.changed[0].new.clone()),
        (
            json!(before.params.max_gas_budget),
            json!(params.max_gas_budget)
        )
    );
    assert!(sim.gas_used > 0);
    assert!(
        sim.events.iter().any(|e| e.name == "StepResolved"),
        "{:?}",
        sim.events
    );

    // Nothing written: the state it forked is the chain's, the state of
    // that height still has its root, no proposal exists and the
    // parameters in force are unchanged.
    let block: molt_rpc_types::BlockView = request(
        &url,
        &molt_rpc_types::GetBlock {
            block: molt_rpc_types::BlockRef::Height(sim.block.parent_height),
            full: false,
        },
    );
    assert_eq!(block.state_root, sim.block.parent_state_root);
    let v = call(
        &url,
        &GovSimulate {
            payload: payload.clone(),
            proposal: Some(0),
        },
    );
    assert_eq!(
        v["error"]["code"],
        json!(ErrorCode::NotFound.code()),
        "no proposal 0 was written: {v}"
    );
    let after: ChainInfo = request(&url, &GetChainInfo);
    assert_eq!(after.params, before.params);
    let again = simulate(&url, &payload, None);
    assert_eq!(
        (&again.events, &again.params, again.gas_used),
        (&sim.events, &sim.params, sim.gas_used)
    );

    // An incompatible framework upgrade: the report and the failure.
    let bad = Payload::new(vec![Action::UpgradePackage {
        package: SYSTEM_PACKAGE,
        module: molt_build::example("counter_v1").unwrap(),
    }])
    .encode();
    let refused = simulate(&url, &bad, None);
    assert_eq!(refused.failed_step.as_deref(), Some("resolve"));
    let failure = refused.status.failure().expect("a failure").clone();
    assert_eq!(
        failure.kind,
        molt_rpc_types::FailureKind::IncompatibleUpgrade
    );
    assert_eq!(refused.compatibility.len(), 1);
    let check = &refused.compatibility[0];
    assert!(!check.compatible && check.from_version == Some(1));
    let codes: Vec<String> = check.violations.iter().map(|v| v.code.clone()).collect();
    assert!(!codes.is_empty());
    assert_eq!(
        Some(codes),
        failure.violations,
        "the resolve's own findings"
    );
    assert!(refused.events.is_empty() && refused.upgrades.is_empty());

    // Bad parameters are refused as such.
    let v = call(
        &url,
        &GovSimulate {
            payload: vec![],
            proposal: None,
        },
    );
    assert!(
        v.get("error").is_none(),
        "empty bytes are a failing payload: {v}"
    );
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "molt_govSimulate", "params": ["0xzz"]});
    let v: Value = ureq::post(&url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(
        v["error"]["code"],
        json!(ErrorCode::InvalidParams.code()),
        "{v}"
    );

    // The real resolution: propose, the validator's vote, resolve.
    let proposer = dev_key(0);
    let args = codec::encode(&(sha3_256(&payload), String::from("u"), sha3_256(b"m")));
    included(&url, &governance(&proposer, 0, "propose", args));
    let voting = simulate(&url, &payload, Some(0));
    assert_eq!(voting.status, StatusView::Success, "{voting:?}");
    assert_eq!((&voting.events, &voting.params), (&sim.events, &sim.params));
    let validator = dev_validator_key();
    included(
        &url,
        &governance(&validator, 0, "vote", codec::encode(&(0u64, true))),
    );
    let resolved = included(
        &url,
        &governance(
            &proposer,
            1,
            "resolve",
            codec::encode(&(0u64, payload.clone())),
        ),
    );
    assert_eq!(
        resolved.events, sim.events,
        "the same events, byte for byte"
    );
    let start = Instant::now();
    loop {
        let now: ChainInfo = request(&url, &GetChainInfo);
        if now.params == params {
            assert!(now.epoch > before.epoch);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not applied");
        std::thread::sleep(Duration::from_millis(10));
    }
}
