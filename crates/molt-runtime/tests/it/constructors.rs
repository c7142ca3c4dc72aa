//! Constructors cannot be forged (DESIGN.md 2.2): at every upgrade the node
//! runs the constructor code of the package's first version. A new module
//! that keeps the `molt:interface` section byte for byte (so the declared
//! policy and code digest pass the compatibility check) but points its
//! `molt:constructor` export at an empty function, or changes a constant the
//! constructor reads, decides nothing.

use super::Chain;
use super::forge::{custom_section, with_empty_constructor};
use super::upgrades::upgrade;
use molt_runtime::*;
use molt_types::*;
use molt_vm::{CallContext, CallTarget, MemoryHost, PackageInfo, Vm, VmConfig};

fn wasm(name: &str) -> Vec<u8> {
    molt_build::example(name).unwrap()
}

/// Whether `module`'s *own* constructor export accepts an upgrade to edition
/// 1 by `caller`, run directly in the VM: proof that a forgery would pass if
/// the node ran the new module's constructor.
fn own_constructor_accepts(module: &[u8], caller: Address) -> bool {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let prepared = vm.prepare(module).unwrap();
    let ctx = CallContext {
        caller,
        origin: caller,
        block_height: 1,
        block_time_ms: 0,
        package: PackageInfo {
            package_id: Address([1; 32]),
            original_id: Address([2; 32]),
            version: 2,
            edition: 1,
            owner: Address([3; 32]),
            checksum: sha3_256(module),
        },
        ticket_call: false,
        attached_coin: 0,
    };
    vm.call(
        &prepared,
        &mut MemoryHost::new(),
        ctx,
        &CallTarget::Constructor,
        &[],
        10_000_000,
    )
    .is_ok()
}

/// What an upgrade must leave untouched when it is rejected.
#[derive(Debug, PartialEq)]
struct PackageState {
    history: Option<(PackageRecord, Vec<PackageVersion>)>,
    storage: Vec<(Vec<u8>, Vec<u8>)>,
    forged_code: Option<Vec<u8>>,
}

fn package_state(c: &Chain, pkg: &Address, forged: &[u8]) -> PackageState {
    let store = c.rt.store();
    PackageState {
        history: c.rt.package_history(pkg).unwrap(),
        storage: store.iter_prefix(&state::data_prefix(pkg)).unwrap(),
        forged_code: store.get(&state::code_key(&sha3_256(forged))).unwrap(),
    }
}

/// Builds the forgery of `honest`, checks it is a real one, upgrades `pkg`
/// to it as `key` and expects the first version's constructor to reject it
/// with the package exactly as before.
fn forged_upgrade_is_rejected(c: &Chain, key: &SecretKey, pkg: Address, honest: &[u8]) {
    let forged = with_empty_constructor(honest);
    assert_ne!(sha3_256(&forged), sha3_256(honest));
    assert_eq!(
        custom_section(&forged, "molt:interface"),
        custom_section(honest, "molt:interface"),
        "the forgery keeps the interface byte for byte"
    );
    assert!(
        !own_constructor_accepts(honest, key.address()),
        "the honest module's constructor rejects this upgrade"
    );
    assert!(
        own_constructor_accepts(&forged, key.address()),
        "the forgery's own constructor accepts anything"
    );
    let before = package_state(c, &pkg, &forged);
    let r = upgrade(c, key, pkg, forged.clone());
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { .. })
        ),
        "the forged upgrade must be rejected by the first version's constructor: {r:?}"
    );
    assert_eq!(package_state(c, &pkg, &forged), before, "nothing changed");
}

#[test]
fn a_forged_module_cannot_upgrade_a_noupgrade_package() {
    let c = Chain::new();
    let pkg = c.publish(&dev_key(0), "ctor_noupgrade");
    forged_upgrade_is_rejected(&c, &dev_key(0), pkg, &wasm("ctor_noupgrade"));
}

#[test]
fn a_forged_module_cannot_upgrade_an_admin_package_as_a_non_admin() {
    let c = Chain::new();
    // dev0 publishes and holds the cap; the constructor names dev1 as admin.
    let pkg = c.publish(&dev_key(0), "ctor_admin");
    forged_upgrade_is_rejected(&c, &dev_key(0), pkg, &wasm("ctor_admin"));
    // The admin still upgrades with an honest module.
    c.run(
        &dev_key(0),
        TransactionPayload::TransferUpgradeCap {
            cap: cap_id(&pkg),
            to: dev_key(1).address(),
        },
    );
    let r = upgrade(&c, &dev_key(1), pkg, wasm("ctor_admin"));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    // Each version's owner is the account that submitted it.
    let (_, versions) = c.rt.package_history(&pkg).unwrap().unwrap();
    let owners: Vec<Address> = versions.iter().map(|v| v.owner).collect();
    assert_eq!(owners, [dev_key(0).address(), dev_key(1).address()]);
}

#[test]
fn a_forged_module_cannot_upgrade_a_checksum_package_unapproved() {
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0x7e57),
        module: wasm("checksum_registry"),
        owner: dev_key(0).address(),
    });
    let c = Chain::with_genesis(&genesis);
    let pkg = c.publish(&dev_key(0), "ctor_checksum");
    forged_upgrade_is_rejected(&c, &dev_key(0), pkg, &wasm("ctor_checksum"));
}

#[test]
fn a_forged_module_cannot_skip_a_custom_constructor() {
    let c = Chain::new();
    let pkg = c.publish(&dev_key(0), "ctor_custom");
    forged_upgrade_is_rejected(&c, &dev_key(0), pkg, &wasm("ctor_custom"));
}

#[test]
fn an_upgrade_cannot_change_a_custom_constructors_constant() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = c.publish(&owner, "ctor_custom");
    let nodelay = wasm("ctor_custom_nodelay");
    // The attack: same interface, constructor declaration and code digest
    // included; only the timelock constant differs.
    let vm = Vm::new(VmConfig::default()).unwrap();
    let published = c.rt.package(&pkg).unwrap().unwrap().interface;
    assert_eq!(
        vm.prepare(&nodelay).unwrap().interface().constructor,
        published.constructor
    );
    let r = c.run(
        &owner,
        TransactionPayload::Call {
            package: pkg,
            function: "announce_upgrade".into(),
            args: vec![],
            coin: 0,
        },
    );
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    let r = upgrade(&c, &owner, pkg, nodelay.clone());
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::ConstructorRejected { code: 3, .. })
        ),
        "the first version's DELAY (100 blocks) applies: {r:?}"
    );
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 1);
    for _ in 0..100 {
        c.block(vec![]);
    }
    let r = upgrade(&c, &owner, pkg, nodelay);
    assert_eq!(r.status, ExecutionStatus::Success, "after the delay: {r:?}");
    let v2 = c.rt.package(&pkg).unwrap().unwrap();
    assert_eq!((v2.version, v2.edition), (2, 1));
}
