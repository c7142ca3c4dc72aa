//! Publishing and calling real programs built from `programs/`.

use super::Chain;
use molt_runtime::*;
use molt_types::*;

fn call(package: Address, function: &str, args: Vec<u8>) -> TransactionPayload {
    TransactionPayload::Call {
        package,
        function: function.into(),
        args,
        coin: 0,
    }
}

fn get(c: &Chain, pkg: &Address) -> u64 {
    let (bytes, _) = c.rt.view(pkg, "get", &[], 10_000_000).unwrap();
    u64::from_le_bytes(bytes.try_into().unwrap())
}

#[test]
fn publish_call_view_and_events() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "counter_v1");
    let v = c.rt.package(&pkg).unwrap().unwrap();
    assert_eq!(
        (v.version, v.edition, v.original_id, v.owner),
        (1, 0, pkg, owner.address())
    );
    assert_eq!(
        v.checksum,
        sha3_256(&molt_build::example("counter_v1").unwrap())
    );
    let cap = c.rt.upgrade_cap(&cap_id(&pkg)).unwrap().unwrap();
    assert_eq!(
        (cap.owner, cap.policy),
        (owner.address(), UpgradePolicy::Compatible)
    );
    assert_eq!(get(&c, &pkg), 0, "init ran at publish");

    let r = c.run(&owner, call(pkg, "increment", vec![]));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].name, "Incremented");
    assert_eq!(r.events[0].emitter, pkg);
    let r = c.run(&dev_key(1), call(pkg, "add", 41u64.to_le_bytes().to_vec()));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(get(&c, &pkg), 42);

    let c = c.reopen();
    assert_eq!(get(&c, &pkg), 42, "state survives a restart");
}

#[test]
fn program_failures_are_typed_and_change_nothing() {
    let c = Chain::new();
    let a = dev_key(0);
    let pkg = c.publish(&a, "counter_v1");
    let root = |c: &Chain| c.rt.latest_block().unwrap().header.state_root;

    let r = c.run(&a, call(Address::reserved(0xdead), "increment", vec![]));
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::UnknownPackage { .. })
        ),
        "{r:?}"
    );
    let r = c.run(&a, call(pkg, "nope", vec![]));
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::UnknownFunction { .. })
        ),
        "{r:?}"
    );
    let r = c.run(&a, call(pkg, "add", vec![1, 2, 3]));
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::InvalidArguments { .. })
        ),
        "{r:?}"
    );
    assert_eq!(get(&c, &pkg), 0);

    // Out of gas: a budget that covers the intrinsic cost but not the call.
    let seq = c.rt.account(&a.address()).unwrap().sequence_number;
    let probe = c.tx_with(&a, seq, 1, call(pkg, "increment", vec![]));
    let budget = intrinsic_gas(&c.rt.params().unwrap(), &probe, probe.encode().len()) + 500;
    let tx = c.tx_with(&a, seq, budget, call(pkg, "increment", vec![]));
    let p = c.block(vec![tx]);
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert!(
        matches!(p.receipts[0].status, ExecutionStatus::Failure(FailureReason::OutOfGas { budget: b }) if b == budget),
        "{:?}",
        p.receipts[0]
    );
    assert_eq!(
        p.receipts[0].gas_used, budget,
        "out of gas uses the whole budget"
    );
    assert_eq!(get(&c, &pkg), 0);
    let _ = root(&c);
}

#[test]
fn invalid_module_is_rejected_with_the_reason() {
    let c = Chain::new();
    let float = wat::parse_str(
        r#"(module (memory (export "memory") 1)
        (func (export "molt_alloc") (param i32) (result i32) i32.const 0)
        (func (export "f") (result f32) f32.const 1.5))"#,
    )
    .unwrap();
    let r = c.run(&dev_key(0), TransactionPayload::Publish { module: float });
    match r.status {
        // The receipt holds the code only; `molt publish` and the VM's own
        // error name the float instruction.
        ExecutionStatus::Failure(FailureReason::InvalidModule(ModuleRejection::Invalid)) => {}
        other => panic!("expected InvalidModule, got {other:?}"),
    }
    let mut corrupted = molt_build::example("counter_v1").unwrap();
    let n = corrupted.len();
    corrupted.truncate(n - 10);
    let r = c.run(
        &dev_key(0),
        TransactionPayload::Publish { module: corrupted },
    );
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::InvalidModule { .. })
        ),
        "{r:?}"
    );
}
