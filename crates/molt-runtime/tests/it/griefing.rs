//! Upgrade approvals cannot be burnt: `molt.authorize_upgrade` works only in
//! the ticket call of an `Upgrade` transaction, so a stranger who calls an
//! upgrader's `authorize` in a plain transaction changes nothing, and the
//! real upgrade still goes through with the approvals collected before.

use super::Chain;
use super::program_upgrades::{call, upgrade_with_ticket};
use molt_runtime::*;
use molt_types::*;

fn wasm(name: &str) -> Vec<u8> {
    molt_build::example(name).unwrap()
}

/// The stranger: holds no role in either upgrader.
fn stranger() -> SecretKey {
    dev_key(3)
}

fn refused_outside_an_upgrade(r: &Receipt) {
    match &r.status {
        ExecutionStatus::Failure(FailureReason::Aborted { message, .. }) => {
            assert!(message.contains("ticket call"), "{message}")
        }
        other => panic!("a plain authorize must fail: {other:?}"),
    }
    assert!(
        !r.events.iter().any(|e| e.name == "Authorized"),
        "{:?}",
        r.events
    );
}

#[test]
fn a_strangers_plain_authorize_leaves_the_multisig_approvals_usable() {
    let c = Chain::new();
    let publisher = dev_key(0);
    let pkg = c.publish(&publisher, "counter_v1");
    let multisig = c.publish(&publisher, "upgrader_multisig");
    let signers = [
        dev_key(0).address(),
        dev_key(1).address(),
        dev_key(2).address(),
    ];
    call(&c, &publisher, multisig, "setup", encode(&signers));
    let cap = cap_id(&pkg);
    c.run(
        &publisher,
        TransactionPayload::TransferUpgradeCap { cap, to: multisig },
    );
    let v2 = wasm("counter_v2");
    let key = encode(&(cap, sha3_256(&v2)));
    call(&c, &dev_key(1), multisig, "propose", key.clone());
    call(&c, &dev_key(2), multisig, "approve", key.clone());
    let approvals = || {
        c.rt.view(&multisig, "approvals", &key, 10_000_000)
            .unwrap()
            .0
    };
    let before = approvals();

    let r = call(&c, &stranger(), multisig, "authorize", key.clone());
    refused_outside_an_upgrade(&r);
    assert_eq!(approvals(), before, "the approvals are still there");

    let r = upgrade_with_ticket(&c, &dev_key(1), pkg, v2, multisig);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
}

#[test]
fn a_strangers_plain_authorize_leaves_the_timelock_announcement_usable() {
    let c = Chain::new();
    let admin = dev_key(0);
    let pkg = c.publish(&admin, "counter_v1");
    let lock = c.publish(&admin, "upgrader_timelock");
    let cap = cap_id(&pkg);
    c.run(
        &admin,
        TransactionPayload::TransferUpgradeCap { cap, to: lock },
    );
    let v2 = wasm("counter_v2");
    let key = encode(&(cap, sha3_256(&v2)));
    call(&c, &admin, lock, "announce", key.clone());
    for _ in 0..5 {
        c.block(vec![]);
    }
    let announced = || {
        c.rt.view(&lock, "announced_at", &key, 10_000_000)
            .unwrap()
            .0
    };
    let before = announced();

    let r = call(&c, &stranger(), lock, "authorize", key.clone());
    refused_outside_an_upgrade(&r);
    assert_eq!(announced(), before, "the announcement is still there");

    let r = upgrade_with_ticket(&c, &admin, pkg, v2, lock);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
}

#[test]
fn a_failed_upgrade_gives_the_approvals_back() {
    // The ticket call consumes the announcement, but the upgrade after it
    // fails (an incompatible module with the announced digest): the whole
    // payload is undone, the announcement included.
    let c = Chain::new();
    let admin = dev_key(0);
    let pkg = c.publish(&admin, "counter_v1");
    let lock = c.publish(&admin, "upgrader_timelock");
    let cap = cap_id(&pkg);
    c.run(
        &admin,
        TransactionPayload::TransferUpgradeCap { cap, to: lock },
    );
    let v3 = wasm("counter_v3");
    let key = encode(&(cap, sha3_256(&v3)));
    call(&c, &admin, lock, "announce", key.clone());
    for _ in 0..5 {
        c.block(vec![]);
    }
    let announced = || {
        c.rt.view(&lock, "announced_at", &key, 10_000_000)
            .unwrap()
            .0
    };
    let before = announced();
    let r = upgrade_with_ticket(&c, &stranger(), pkg, v3, lock);
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::IncompatibleUpgrade { .. })
        ),
        "{r:?}"
    );
    assert_eq!(announced(), before);
}
