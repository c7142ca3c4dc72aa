//! DESIGN.md 2.3 on chain: one test per rule and per policy, accepted and
//! rejected, through real signed transactions in produced blocks. Modules
//! are assembled from WAT with the interface under test embedded, so each
//! test changes exactly one declaration.

use super::Chain;
use molt_interface::*;
use molt_runtime::*;
use molt_types::*;

/// A module that exports exactly what `i` declares (empty bodies), with
/// `salt` changing its code without changing its interface.
pub fn module_for(i: &Interface, salt: u32) -> Vec<u8> {
    let mut wat = String::from(
        r#"(module (memory (export "memory") 1)
           (func (export "molt_alloc") (param i32) (result i32) i32.const 1024)"#,
    );
    wat.push_str(&format!("(func $salt (result i32) i32.const {salt})"));
    for f in &i.functions {
        let params = if f.params.is_empty() {
            ""
        } else {
            "(param i32 i32)"
        };
        wat.push_str(&format!(r#"(func (export "molt:fn:{}") {params})"#, f.name));
    }
    if i.init {
        wat.push_str(r#"(func (export "molt:init"))"#);
    }
    if i.constructor.is_some() {
        wat.push_str(r#"(func (export "molt:constructor"))"#);
    }
    wat.push(')');
    embed_section(&wat::parse_str(&wat).unwrap(), i)
}

fn f(name: &str, vis: Visibility, params: &[TypeRef], returns: TypeRef) -> FunctionDecl {
    FunctionDecl {
        name: name.into(),
        visibility: vis,
        view: false,
        params: params
            .iter()
            .enumerate()
            .map(|(i, t)| Param {
                name: format!("p{i}"),
                ty: t.clone(),
            })
            .collect(),
        returns,
    }
}

/// Version 1 of the package every rule test starts from.
pub fn base() -> Interface {
    let mut i = Interface::new("rules");
    i.types.push(TypeDef {
        name: "State".into(),
        kind: TypeKind::Struct {
            fields: vec![
                Field {
                    name: "count".into(),
                    ty: TypeRef::U64,
                },
                Field {
                    name: "owner".into(),
                    ty: TypeRef::Address,
                },
            ],
        },
    });
    i.types.push(TypeDef {
        name: "Mode".into(),
        kind: TypeKind::Enum {
            variants: vec![
                Variant {
                    name: "Open".into(),
                    fields: vec![],
                },
                Variant {
                    name: "Closed".into(),
                    fields: vec![],
                },
            ],
        },
    });
    i.storage.push(StorageDecl {
        name: "state".into(),
        kind: StorageKind::Singleton {
            value: TypeRef::Named("State".into()),
        },
    });
    i.storage.push(StorageDecl {
        name: "by_user".into(),
        kind: StorageKind::Map {
            key: TypeRef::Address,
            value: TypeRef::U64,
        },
    });
    i.functions
        .push(f("add", Visibility::Public, &[TypeRef::U64], TypeRef::U64));
    i.functions
        .push(f("get", Visibility::Public, &[], TypeRef::U64));
    i.functions
        .push(f("increment", Visibility::Entry, &[], TypeRef::Unit));
    i.functions
        .push(f("helper", Visibility::Internal, &[], TypeRef::Unit));
    i.events.push(EventDecl {
        name: "Incremented".into(),
        ty: TypeRef::Named("State".into()),
    });
    i.errors.push(ErrorDecl {
        code: 1,
        name: "NotOwner".into(),
        message: "only the owner".into(),
    });
    i
}

/// Everything a rejected upgrade must leave untouched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    history: Option<(PackageRecord, Vec<PackageVersion>)>,
    cap: Option<UpgradeCap>,
    storage: Vec<(Vec<u8>, Vec<u8>)>,
}

fn snapshot(c: &Chain, pkg: &Address) -> Snapshot {
    Snapshot {
        history: c.rt.package_history(pkg).unwrap(),
        cap: c.rt.upgrade_cap(&cap_id(pkg)).unwrap(),
        storage: c.rt.store().iter_prefix(&state::data_prefix(pkg)).unwrap(),
    }
}

pub fn publish_module(c: &Chain, key: &SecretKey, module: Vec<u8>) -> Address {
    let r = c.run(key, TransactionPayload::Publish { module });
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    r.events
        .iter()
        .find(|e| e.name == "PackagePublished")
        .unwrap()
        .emitter
}

pub fn upgrade(c: &Chain, key: &SecretKey, pkg: Address, module: Vec<u8>) -> Receipt {
    c.run(
        key,
        TransactionPayload::Upgrade {
            package: pkg,
            module,
            ticket: None,
        },
    )
}

/// Publishes `base()` (salt 0), optionally restricts the policy, upgrades to
/// `new` and checks the outcome: `expected` empty means accepted.
fn check(policy: UpgradePolicy, new: Interface, salt: u32, expected: &[&str]) {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = publish_module(&c, &owner, module_for(&base(), 0));
    if policy != UpgradePolicy::Compatible {
        let r = c.run(
            &owner,
            TransactionPayload::RestrictUpgradePolicy {
                cap: cap_id(&pkg),
                policy,
            },
        );
        assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
    }
    let before = snapshot(&c, &pkg);
    let r = upgrade(&c, &owner, pkg, module_for(&new, salt));
    if expected.is_empty() {
        assert_eq!(r.status, ExecutionStatus::Success, "{policy}: {r:?}");
        let v = c.rt.package(&pkg).unwrap().unwrap();
        assert_eq!((v.version, v.edition, v.original_id), (2, 1, pkg));
        assert_eq!(v.interface, new);
        assert!(r.events.iter().any(|e| e.name == "PackageUpgraded"));
        // Version 1 stays stored and callable by its package id.
        assert_eq!(c.rt.package(&pkg).unwrap().map(|v| v.version), Some(2));
        assert_eq!(c.rt.package_history(&pkg).unwrap().unwrap().1[0].version, 1);
    } else {
        match &r.status {
            ExecutionStatus::Failure(
                f @ FailureReason::IncompatibleUpgrade {
                    policy: p,
                    violations,
                },
            ) => {
                assert_eq!(*p, policy);
                let codes: Vec<&str> = violations.iter().map(|v| v.code.as_str()).collect();
                assert_eq!(codes, expected, "{f}");
            }
            other => panic!("{policy}: expected violations {expected:?}, got {other:?}"),
        }
        assert_eq!(
            snapshot(&c, &pkg),
            before,
            "a rejected upgrade changes nothing"
        );
    }
}

use UpgradePolicy::{Additive, Compatible, DepOnly};

fn func<'a>(i: &'a mut Interface, name: &str) -> &'a mut FunctionDecl {
    i.functions.iter_mut().find(|f| f.name == name).unwrap()
}

fn fields<'a>(i: &'a mut Interface, ty: &str) -> &'a mut Vec<Field> {
    match &mut i.types.iter_mut().find(|t| t.name == ty).unwrap().kind {
        TypeKind::Struct { fields } => fields,
        _ => unreachable!(),
    }
}

fn variants(i: &mut Interface) -> &mut Vec<Variant> {
    match &mut i.types[1].kind {
        TypeKind::Enum { variants } => variants,
        _ => unreachable!(),
    }
}

fn additions() -> Interface {
    let mut i = base();
    i.functions
        .push(f("reset", Visibility::Public, &[], TypeRef::Unit));
    i.types.push(TypeDef {
        name: "Extra".into(),
        kind: TypeKind::Struct { fields: vec![] },
    });
    i.storage.push(StorageDecl {
        name: "resets".into(),
        kind: StorageKind::Singleton {
            value: TypeRef::U64,
        },
    });
    i.events.push(EventDecl {
        name: "Reset".into(),
        ty: TypeRef::Unit,
    });
    i.errors.push(ErrorDecl {
        code: 2,
        name: "Late".into(),
        message: "too late".into(),
    });
    i
}

#[test]
fn compatible_accepts_body_changes_additions_and_entry_or_internal_changes() {
    check(Compatible, base(), 1, &[]);
    check(Compatible, additions(), 1, &[]);
    let mut i = base();
    func(&mut i, "increment").params.push(Param {
        name: "by".into(),
        ty: TypeRef::U64,
    });
    i.functions.retain(|f| f.name != "helper");
    check(Compatible, i, 1, &[]);
    let mut i = base();
    variants(&mut i).push(Variant {
        name: "Paused".into(),
        fields: vec![],
    });
    check(Compatible, i, 1, &[]);
}

#[test]
fn compatible_rejects_public_function_changes() {
    let mut i = base();
    i.functions.retain(|f| f.name != "get");
    check(Compatible, i, 0, &["E0101"]);
    let mut i = base();
    func(&mut i, "add").params[0].ty = TypeRef::U32;
    check(Compatible, i, 0, &["E0102"]);
    let mut i = base();
    func(&mut i, "add").returns = TypeRef::U128;
    check(Compatible, i, 0, &["E0102"]);
    let mut i = base();
    func(&mut i, "get").visibility = Visibility::Entry;
    check(Compatible, i, 0, &["E0103"]);
}

#[test]
fn compatible_rejects_type_changes() {
    let mut i = base();
    fields(&mut i, "State")[0].name = "value".into();
    check(Compatible, i, 0, &["E0202"]);
    let mut i = base();
    fields(&mut i, "State").push(Field {
        name: "extra".into(),
        ty: TypeRef::Bool,
    });
    check(Compatible, i, 0, &["E0202"]);
    let mut i = base();
    variants(&mut i).swap(0, 1);
    check(Compatible, i, 0, &["E0203"]);
}

#[test]
fn compatible_rejects_storage_changes_and_removals() {
    let mut i = base();
    i.storage[1].kind = StorageKind::Map {
        key: TypeRef::Address,
        value: TypeRef::U128,
    };
    check(Compatible, i, 0, &["E0303"]);
    let mut i = base();
    i.storage.retain(|s| s.name != "by_user");
    check(Compatible, i, 0, &["E0301"]);
    let mut i = base();
    i.events.clear();
    check(Compatible, i, 0, &["E0401"]);
}

#[test]
fn every_policy_rejects_constructor_and_init_changes() {
    for policy in [Compatible, Additive] {
        let mut i = base();
        i.constructor = Some(ConstructorDecl {
            policy: ConstructorPolicy::NoUpgrade,
            code_digest: sha3_256(b"noupgrade"),
        });
        check(policy, i, 0, &["E0602"]);
        let mut i = base();
        i.init = true;
        check(policy, i, 0, &["E0604"]);
    }
}

#[test]
fn additive_accepts_additions_only() {
    check(Additive, additions(), 1, &[]);
    let mut i = base();
    func(&mut i, "increment").params.push(Param {
        name: "by".into(),
        ty: TypeRef::U64,
    });
    check(Additive, i, 0, &["E0102"]);
    let mut i = base();
    i.functions.retain(|f| f.name != "helper");
    check(Additive, i, 0, &["E0101"]);
    let mut i = base();
    variants(&mut i).push(Variant {
        name: "Paused".into(),
        fields: vec![],
    });
    check(Additive, i, 0, &["E0205"]);
}

#[test]
fn dep_only_accepts_a_dependency_bump_and_nothing_else() {
    let dep = |v| Dependency {
        name: "token".into(),
        original_id: Address::reserved(0x77),
        version: v,
    };
    // The dependency: a package at 0x77 with versions 1 and 2.
    let mut genesis = Genesis::dev();
    genesis.packages.push(GenesisPackage {
        address: Address::reserved(0x77),
        module: molt_build::example("counter_v1").unwrap(),
        owner: dev_key(0).address(),
    });
    let c = Chain::with_genesis(&genesis);
    let owner = dev_key(0);
    let dep_v2 = molt_build::example("counter_v2").unwrap();
    assert_eq!(
        upgrade(&c, &owner, Address::reserved(0x77), dep_v2).status,
        ExecutionStatus::Success
    );
    // Publish with the dependency at version 1, then bump it.
    let mut v1 = base();
    v1.dependencies.push(dep(1));
    let pkg = publish_module(&c, &owner, module_for(&v1, 0));
    c.run(
        &owner,
        TransactionPayload::RestrictUpgradePolicy {
            cap: cap_id(&pkg),
            policy: DepOnly,
        },
    );
    let mut v2 = v1.clone();
    v2.dependencies[0].version = 2;
    let r = upgrade(&c, &owner, pkg, module_for(&v2, 0));
    assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");

    let codes = |r: &Receipt| match &r.status {
        ExecutionStatus::Failure(FailureReason::IncompatibleUpgrade { violations, .. }) => {
            violations
                .iter()
                .map(|v| v.code.clone())
                .collect::<Vec<_>>()
        }
        other => panic!("expected violations, got {other:?}"),
    };
    // A code change, an added declaration, a dependency going down.
    let r = upgrade(&c, &owner, pkg, module_for(&v2, 9));
    assert_eq!(codes(&r), ["E0801"]);
    let mut added = v2.clone();
    added
        .functions
        .push(f("reset", Visibility::Public, &[], TypeRef::Unit));
    let r = upgrade(&c, &owner, pkg, module_for(&added, 0));
    assert!(codes(&r).contains(&"E0802".to_string()), "{r:?}");
    let mut down = v2.clone();
    down.dependencies[0].version = 1;
    let r = upgrade(&c, &owner, pkg, module_for(&down, 0));
    assert!(codes(&r).contains(&"E0701".to_string()), "{r:?}");
    // A dependency version that does not exist cannot be linked.
    let mut missing = v2.clone();
    missing.dependencies[0].version = 3;
    let r = upgrade(&c, &owner, pkg, module_for(&missing, 0));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::InvalidModule(
                ModuleRejection::MissingDependency { version: 3, .. }
            ))
        ),
        "{r:?}"
    );
    assert_eq!(c.rt.package(&pkg).unwrap().unwrap().version, 2);
}

#[test]
fn all_violations_are_reported_together() {
    let mut i = base();
    i.functions.retain(|f| f.name != "get");
    func(&mut i, "add").params[0].ty = TypeRef::U32;
    fields(&mut i, "State")[0].name = "value".into();
    i.storage[1].kind = StorageKind::Map {
        key: TypeRef::Address,
        value: TypeRef::U128,
    };
    let c = Chain::new();
    let pkg = publish_module(&c, &dev_key(0), module_for(&base(), 0));
    let r = upgrade(&c, &dev_key(0), pkg, module_for(&i, 0));
    match r.status {
        ExecutionStatus::Failure(FailureReason::IncompatibleUpgrade { violations, .. }) => {
            let mut codes: Vec<String> = violations.into_iter().map(|v| v.code).collect();
            codes.sort();
            assert_eq!(codes, ["E0101", "E0102", "E0202", "E0303"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn caps_only_tighten_and_immutable_stops_upgrades() {
    let c = Chain::new();
    let owner = dev_key(0);
    let pkg = publish_module(&c, &owner, module_for(&base(), 0));
    let cap = cap_id(&pkg);
    let r = c.run(
        &owner,
        TransactionPayload::RestrictUpgradePolicy {
            cap,
            policy: Additive,
        },
    );
    assert_eq!(r.status, ExecutionStatus::Success);
    let r = c.run(
        &owner,
        TransactionPayload::RestrictUpgradePolicy {
            cap,
            policy: Compatible,
        },
    );
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::CapDenied(CapDenial::WouldLoosen { .. }))
        ),
        "{r:?}"
    );
    assert_eq!(c.rt.upgrade_cap(&cap).unwrap().unwrap().policy, Additive);

    // Only the holder may upgrade or manage the cap.
    let before = snapshot(&c, &pkg);
    let r = upgrade(&c, &dev_key(1), pkg, module_for(&base(), 1));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::UpgradeRejected(
                UpgradeRejection::NotCapHolder { .. }
            ))
        ),
        "{r:?}"
    );
    let r = c.run(&dev_key(1), TransactionPayload::MakeImmutable { cap });
    assert!(matches!(
        r.status,
        ExecutionStatus::Failure(FailureReason::CapDenied { .. })
    ));
    assert_eq!(snapshot(&c, &pkg), before);

    // Transfer, then the new holder upgrades.
    let r = c.run(
        &owner,
        TransactionPayload::TransferUpgradeCap {
            cap,
            to: dev_key(1).address(),
        },
    );
    assert_eq!(r.status, ExecutionStatus::Success);
    assert_eq!(
        upgrade(&c, &dev_key(1), pkg, module_for(&base(), 1)).status,
        ExecutionStatus::Success
    );
    assert!(!matches!(
        upgrade(&c, &owner, pkg, module_for(&base(), 2)).status,
        ExecutionStatus::Success
    ));

    let r = c.run(&dev_key(1), TransactionPayload::MakeImmutable { cap });
    assert_eq!(r.status, ExecutionStatus::Success);
    assert_eq!(c.rt.upgrade_cap(&cap).unwrap(), None);
    let before = snapshot(&c, &pkg);
    let r = upgrade(&c, &dev_key(1), pkg, module_for(&base(), 3));
    assert!(
        matches!(
            &r.status,
            ExecutionStatus::Failure(FailureReason::UpgradeRejected(UpgradeRejection::Immutable))
        ),
        "{r:?}"
    );
    assert_eq!(snapshot(&c, &pkg), before);
}
