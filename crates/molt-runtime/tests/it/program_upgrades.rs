//! Upgrades of real programs built from `programs/`: counter v1 -> v2 -> v3,
//! the four constructor forms, the versioned-object pattern.

use super::Chain;
use super::upgrades::upgrade;
use molt_runtime::*;
use molt_types::*;

fn wasm(name: &str) -> Vec<u8> {
    molt_build::example(name).unwrap()
}

pub fn call(
    c: &Chain,
    key: &SecretKey,
    package: Address,
    function: &str,
    args: Vec<u8>,
) -> Receipt {
    c.run(
        key,
        TransactionPayload::Call {
            package,
            function: function.into(),
            args,
            coin: 0,
        },
    )
}

fn view_u64(c: &Chain, pkg: &Address, function: &str) -> Result<u64, ViewError> {
    let (bytes, _) = c.rt.view(pkg, function, &[], 10_000_000)?;
    Ok(u64::from_le_bytes(bytes.try_into().unwrap()))
}

fn violations(r: &Receipt) -> Vec<String> {
    match &r.status {
        ExecutionStatus::Failure(FailureReason::IncompatibleUpgrade { violations, .. }) => {
            violations.iter().map(|v| v.code.clone()).collect()
        }
        other => panic!("expected an incompatible upgrade, got {other:?}"),
    }
}

#[test]
fn counter_v1_to_v2_is_accepted_and_v3_rejected_with_four_violations() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "counter_v1");
    let v1_id = c.rt.package(&pkg).unwrap().unwrap().package_id;
    assert_ne!(v1_id, pkg, "the first version's id is not the original id");
    call(&c, &owner, pkg, "add", 5u64.to_le_bytes().to_vec());

    let before = c.rt.package_history(&pkg).unwrap();
    let r = upgrade(&c, &owner, pkg, wasm("counter_v3"));
    let mut codes = violations(&r);
    codes.sort();
    assert_eq!(codes.len(), 4, "{r:?}");
    assert_eq!(
        c.rt.package_history(&pkg).unwrap(),
        before,
        "history unchanged"
    );

    let r = upgrade(&c, &owner, pkg, wasm("counter_v2"));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    let v2 = c.rt.package(&pkg).unwrap().unwrap();
    assert_eq!((v2.version, v2.edition), (2, 1));
    assert_ne!(v2.package_id, v1_id);
    assert_eq!(v2.checksum, sha3_256(&wasm("counter_v2")));

    // init did not run again: the count carried over, in shared storage.
    assert_eq!(view_u64(&c, &pkg, "get").unwrap(), 5);
    // Calls by original id go to v2; v1 stays callable by its package id.
    assert_eq!(
        call(&c, &owner, pkg, "reset", vec![]).status,
        ExecutionStatus::Success
    );
    assert_eq!(view_u64(&c, &pkg, "get").unwrap(), 0);
    let r = call(&c, &owner, v1_id, "reset", vec![]);
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::UnknownFunction { .. })
        ),
        "v1 has no reset: {r:?}"
    );
    assert_eq!(
        call(&c, &owner, v1_id, "increment", vec![]).status,
        ExecutionStatus::Success
    );
    assert_eq!(
        view_u64(&c, &pkg, "get").unwrap(),
        1,
        "all versions share the storage"
    );

    let history = c.rt.package_history(&pkg).unwrap().unwrap().1;
    assert_eq!(
        history
            .iter()
            .map(|v| (v.version, v.edition))
            .collect::<Vec<_>>(),
        [(1, 0), (2, 1)]
    );
}

#[test]
fn constructor_noupgrade_publishes_but_rejects_every_upgrade() {
    let c = Chain::new();
    let pkg = c.publish(&dev_key(0), "ctor_noupgrade");
    let r = upgrade(&c, &dev_key(0), pkg, wasm("ctor_noupgrade"));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { .. })
        ),
        "{r:?}"
    );
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 1);
}

#[test]
fn constructor_admin_accepts_only_the_admin() {
    let c = Chain::new();
    // dev0 publishes and holds the cap; the constructor names dev1 as admin.
    let pkg = c.publish(&dev_key(0), "ctor_admin");
    let r = upgrade(&c, &dev_key(0), pkg, wasm("ctor_admin"));
    match &r.status {
        ExecutionStatus::Failure(FailureReason::ConstructorRejected { message, .. }) => {
            assert!(!message.is_empty())
        }
        other => panic!("{other:?}"),
    }
    let cap = cap_id(&pkg);
    c.run(
        &dev_key(0),
        TransactionPayload::TransferUpgradeCap {
            cap,
            to: dev_key(1).address(),
        },
    );
    let r = upgrade(&c, &dev_key(1), pkg, wasm("ctor_admin"));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(view_u64(&c, &pkg, "version").unwrap(), 2);
}

#[test]
fn constructor_custom_timelock() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "ctor_custom");
    let r = upgrade(&c, &owner, pkg, wasm("ctor_custom"));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { code: 2, .. })
        ),
        "not announced: {r:?}"
    );
    assert_eq!(
        call(&c, &owner, pkg, "announce_upgrade", vec![]).status,
        ExecutionStatus::Success
    );
    let r = upgrade(&c, &owner, pkg, wasm("ctor_custom"));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { code: 3, .. })
        ),
        "too early: {r:?}"
    );
    for _ in 0..100 {
        c.block(vec![]);
    }
    let r = upgrade(&c, &owner, pkg, wasm("ctor_custom"));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
}

#[test]
fn constructor_checksum_reads_the_registry() {
    // The registry sits at the well-known address the program names (0x7e57).
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0x7e57),
        module: wasm("checksum_registry"),
        owner: dev_key(0).address(),
    });
    let c = Chain::with_genesis(&genesis);
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "ctor_checksum");
    let next = wasm("ctor_checksum");
    let r = upgrade(&c, &owner, pkg, next.clone());
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { .. })
        ),
        "unapproved: {r:?}"
    );
    let args = encode(&(pkg, sha3_256(&next)));
    let r = call(&c, &owner, Address::reserved(0x7e57), "approve", args);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    let r = upgrade(&c, &owner, pkg, next);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
}

#[test]
fn versioned_counter_migrates_and_locks_out_the_old_version() {
    let c = Chain::new();
    let admin = dev_key(0);
    let pkg = c.publish(&admin, "versioned_counter_v1");
    let v1_id = c.rt.package(&pkg).unwrap().unwrap().package_id;
    call(&c, &admin, pkg, "increment", vec![]);
    call(&c, &admin, pkg, "increment", vec![]);
    assert_eq!(
        upgrade(&c, &admin, pkg, wasm("versioned_counter_v2")).status,
        ExecutionStatus::Success
    );
    let v2_id = c.rt.package(&pkg).unwrap().unwrap().package_id;

    // Batched migration behind the paused sentinel: both versions refuse.
    assert_eq!(
        call(&c, &admin, pkg, "begin_migration", vec![]).status,
        ExecutionStatus::Success
    );
    for id in [v1_id, v2_id] {
        let r = call(&c, &admin, id, "increment", vec![]);
        assert!(
            matches!(&r.status, ExecutionStatus::Failure(FailureReason::Aborted { message, .. }) if message.contains("pause")),
            "{r:?}"
        );
    }
    // Only the admin migrates.
    let r = call(&c, &dev_key(1), pkg, "migrate", vec![]);
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::Aborted { .. })
        ),
        "{r:?}"
    );
    assert_eq!(
        call(&c, &admin, pkg, "migrate", vec![]).status,
        ExecutionStatus::Success
    );

    let r = call(&c, &admin, v1_id, "increment", vec![]);
    match &r.status {
        ExecutionStatus::Failure(FailureReason::Aborted { message, .. }) => {
            assert!(message.contains("migrated to version 2"), "{message}")
        }
        other => panic!("calls through v1 must fail after migrate: {other:?}"),
    }
    assert_eq!(
        call(&c, &admin, v2_id, "increment", vec![]).status,
        ExecutionStatus::Success
    );
    assert_eq!(view_u64(&c, &pkg, "get").unwrap(), 3);
}

pub fn upgrade_with_ticket(
    c: &Chain,
    key: &SecretKey,
    pkg: Address,
    module: Vec<u8>,
    program: Address,
) -> Receipt {
    let cap = cap_id(&pkg);
    let ticket = TicketCall {
        package: program,
        function: "authorize".into(),
        args: encode(&(cap, sha3_256(&module))),
    };
    c.run(
        key,
        TransactionPayload::Upgrade {
            package: pkg,
            module,
            ticket: Some(ticket),
        },
    )
}

fn rejected_because(r: &Receipt) -> String {
    match &r.status {
        ExecutionStatus::Failure(FailureReason::UpgradeRejected(reason)) => reason.to_string(),
        other => panic!("expected a rejected upgrade, got {other:?}"),
    }
}

#[test]
fn a_timelock_program_holding_the_cap_authorizes_one_digest_after_its_delay() {
    let c = Chain::new();
    let admin = dev_key(0);
    let pkg = c.publish(&admin, "counter_v1");
    let lock = c.publish(&admin, "upgrader_timelock");
    let cap = cap_id(&pkg);
    let r = c.run(
        &admin,
        TransactionPayload::TransferUpgradeCap { cap, to: lock },
    );
    assert_eq!(r.status, ExecutionStatus::Success);
    let v2 = wasm("counter_v2");

    // The old holder can no longer upgrade directly.
    assert!(rejected_because(&upgrade(&c, &admin, pkg, v2.clone())).contains("held by"));
    // Not announced yet: the ticket call fails, nothing changes.
    assert!(
        rejected_because(&upgrade_with_ticket(&c, &admin, pkg, v2.clone(), lock))
            .contains("ticket call")
    );
    let r = call(&c, &admin, lock, "announce", encode(&(cap, sha3_256(&v2))));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert!(
        rejected_because(&upgrade_with_ticket(&c, &admin, pkg, v2.clone(), lock))
            .contains("ticket call")
    );
    for _ in 0..5 {
        c.block(vec![]);
    }
    // A different module than the announced digest is refused.
    let v3_ticket = TicketCall {
        package: lock,
        function: "authorize".into(),
        args: encode(&(cap, sha3_256(&v2))),
    };
    let r = c.run(
        &admin,
        TransactionPayload::Upgrade {
            package: pkg,
            module: wasm("counter_v1"),
            ticket: Some(v3_ticket),
        },
    );
    assert!(rejected_because(&r).contains("checksum"), "{r:?}");
    let r = upgrade_with_ticket(&c, &dev_key(3), pkg, v2, lock);
    assert_eq!(
        r.status,
        ExecutionStatus::Success,
        "anyone may execute once the delay passed: {r:?}"
    );
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
}

#[test]
fn a_two_of_three_multisig_holding_the_cap_authorizes_an_upgrade() {
    let c = Chain::new();
    let publisher = dev_key(0);
    let pkg = c.publish(&publisher, "counter_v1");
    let multisig = c.publish(&publisher, "upgrader_multisig");
    let signers = [
        dev_key(1).address(),
        dev_key(2).address(),
        dev_key(3).address(),
    ];
    assert_eq!(
        call(&c, &publisher, multisig, "setup", encode(&signers)).status,
        ExecutionStatus::Success
    );
    let cap = cap_id(&pkg);
    c.run(
        &publisher,
        TransactionPayload::TransferUpgradeCap { cap, to: multisig },
    );
    let v2 = wasm("counter_v2");
    let digest = sha3_256(&v2);

    assert_eq!(
        call(&c, &dev_key(1), multisig, "propose", encode(&(cap, digest))).status,
        ExecutionStatus::Success
    );
    assert!(
        rejected_because(&upgrade_with_ticket(
            &c,
            &dev_key(1),
            pkg,
            v2.clone(),
            multisig
        ))
        .contains("ticket call"),
        "one approval is not enough"
    );
    let r = call(&c, &dev_key(0), multisig, "approve", encode(&(cap, digest)));
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::Aborted { code: 5, .. })
        ),
        "not a signer: {r:?}"
    );
    assert_eq!(
        call(&c, &dev_key(2), multisig, "approve", encode(&(cap, digest))).status,
        ExecutionStatus::Success
    );
    let r = upgrade_with_ticket(&c, &dev_key(1), pkg, v2, multisig);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
    assert_eq!(
        c.rt.store().iter_prefix(state::TICKET_PREFIX).unwrap(),
        vec![],
        "tickets never outlive the transaction"
    );
}

#[test]
fn a_dependency_upgrade_does_not_relink_its_dependents() {
    // counter v1 at 0xc0; counter_client links it at version 1.
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0xc0),
        module: wasm("counter_v1"),
        owner: dev_key(0).address(),
    });
    let c = Chain::with_genesis(&genesis);
    let owner = dev_key(0);
    let counter = Address::reserved(0xc0);
    let client = c.publish(&owner, "counter_client");
    assert_eq!(
        call(&c, &owner, client, "add_zero", vec![]).status,
        ExecutionStatus::Success
    );

    assert_eq!(
        upgrade(&c, &owner, counter, wasm("counter_v2")).status,
        ExecutionStatus::Success
    );
    // Version 2 refuses to add zero when called directly...
    let r = call(&c, &owner, counter, "add", 0u64.to_le_bytes().to_vec());
    assert!(
        matches!(
            r.status,
            ExecutionStatus::Failure(FailureReason::Aborted { .. })
        ),
        "{r:?}"
    );
    // ...but the client still runs against version 1, which it linked.
    let r = call(&c, &owner, client, "add_zero", vec![]);
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");

    // A module linking a version that does not exist is refused at publish.
    let mut genesis = Genesis::dev();
    genesis.accounts.truncate(1);
    let empty = Chain::with_genesis(&genesis);
    let r = empty.run(
        &owner,
        TransactionPayload::Publish {
            module: wasm("counter_client"),
        },
    );
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::InvalidModule(
                ModuleRejection::MissingDependency { version: 1, .. }
            ))
        ),
        "{r:?}"
    );
}

#[test]
fn dep_only_accepts_an_sdk_built_clients_dependency_bump_and_nothing_else() {
    // counter at 0xc0 with versions 1 and 2; counter_client links version 1,
    // counter_client_dep2 is the same source linking version 2.
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0xc0),
        module: wasm("counter_v1"),
        owner: dev_key(0).address(),
    });
    let c = Chain::with_genesis(&genesis);
    let owner = dev_key(0);
    let counter = Address::reserved(0xc0);
    assert_eq!(
        upgrade(&c, &owner, counter, wasm("counter_v2")).status,
        ExecutionStatus::Success
    );
    let client = c.publish(&owner, "counter_client");
    let cap =
        c.rt.package_history(&client)
            .unwrap()
            .unwrap()
            .0
            .cap
            .unwrap();
    let r = c.run(
        &owner,
        TransactionPayload::RestrictUpgradePolicy {
            cap,
            policy: UpgradePolicy::DepOnly,
        },
    );
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");

    // Any other change is rejected: new code, or the dependency going back.
    let r = upgrade(&c, &owner, client, wasm("counter_v1"));
    assert!(!violations(&r).is_empty());
    let r = upgrade(&c, &owner, client, wasm("counter_client_dep2"));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    let r = upgrade(&c, &owner, client, wasm("counter_client"));
    assert!(!violations(&r).is_empty(), "a dependency never goes down");
    let latest = c.rt.package(&client).unwrap().unwrap();
    assert_eq!(latest.version, 2);
    assert_eq!(latest.interface.dependencies[0].version, 2);
}
