//! `check_upgrade`: one test per rule, each asserting the exact codes under
//! every policy, then whole-report properties (all violations at once, a
//! deterministic order, readable text, JSON) and the example programs.

use UpgradePolicy::{Additive, Compatible, DepOnly, Immutable};
use molt_interface::*;
use molt_types::{Address, sha3_256};

const NONE: &[&str] = &[];

fn code_module(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap()
}

/// A module whose code is the same for every interface, so that `dep_only`
/// sees only the interface difference.
fn module(i: &Interface) -> Vec<u8> {
    embed_section(&code_module("(module (func (export \"f\")))"), i)
}

fn report(old: &Interface, new: &Interface, policy: UpgradePolicy) -> CompatReport {
    check_upgrade(old, &module(old), new, &module(new), policy)
}

fn codes(old: &Interface, new: &Interface, policy: UpgradePolicy) -> Vec<&'static str> {
    report(old, new, policy)
        .codes()
        .iter()
        .map(|c| c.code())
        .collect()
}

/// Asserts the codes under `compatible`, `additive` and `dep_only`, and that
/// `immutable` rejects with its single violation.
#[track_caller]
fn expect(old: &Interface, new: &Interface, expected: [&[&str]; 3]) {
    for (policy, want) in [Compatible, Additive, DepOnly].into_iter().zip(expected) {
        assert_eq!(
            codes(old, new, policy),
            want,
            "under {policy}:\n{}",
            report(old, new, policy).render()
        );
    }
    assert_eq!(codes(old, new, Immutable), ["E0901"]);
}

/// `sample()` plus an internal function, so every visibility is present.
fn base() -> Interface {
    let mut i = super::sample();
    i.functions.push(FunctionDecl {
        name: "bump".into(),
        visibility: Visibility::Internal,
        view: false,
        params: vec![Param {
            name: "by".into(),
            ty: TypeRef::U64,
        }],
        returns: TypeRef::Unit,
    });
    i
}

fn changed(edit: impl FnOnce(&mut Interface)) -> Interface {
    let mut i = base();
    edit(&mut i);
    i
}

fn function<'a>(i: &'a mut Interface, name: &str) -> &'a mut FunctionDecl {
    i.functions.iter_mut().find(|f| f.name == name).unwrap()
}

fn struct_fields<'a>(i: &'a mut Interface, name: &str) -> &'a mut Vec<Field> {
    match &mut i.types.iter_mut().find(|t| t.name == name).unwrap().kind {
        TypeKind::Struct { fields } => fields,
        TypeKind::Enum { .. } => panic!("{name} is an enum"),
    }
}

fn enum_variants<'a>(i: &'a mut Interface, name: &str) -> &'a mut Vec<Variant> {
    match &mut i.types.iter_mut().find(|t| t.name == name).unwrap().kind {
        TypeKind::Enum { variants } => variants,
        TypeKind::Struct { .. } => panic!("{name} is a struct"),
    }
}

/// An edit of a field or variant list.
type Edit<T> = fn(&mut Vec<T>);

fn field(name: &str, ty: TypeRef) -> Field {
    Field {
        name: name.into(),
        ty,
    }
}

fn unit_variant(name: &str) -> Variant {
    Variant {
        name: name.into(),
        fields: vec![],
    }
}

// ---- the policy itself ----

#[test]
fn policies_are_ordered_loose_to_strict() {
    assert!(Compatible < Additive && Additive < DepOnly && DepOnly < Immutable);
    assert_eq!(
        UpgradePolicy::ALL,
        [Compatible, Additive, DepOnly, Immutable]
    );
}

#[test]
fn policy_encoding_is_frozen() {
    let bytes: Vec<Vec<u8>> = UpgradePolicy::ALL
        .iter()
        .map(|p| borsh::to_vec(p).unwrap())
        .collect();
    assert_eq!(bytes, [[0u8], [1], [2], [3]]);
    let json = serde_json::to_string(&UpgradePolicy::ALL).unwrap();
    assert_eq!(json, r#"["compatible","additive","dep_only","immutable"]"#);
}

#[test]
fn policy_parses_and_displays() {
    for p in UpgradePolicy::ALL {
        assert_eq!(p.to_string().parse::<UpgradePolicy>(), Ok(p));
    }
    assert_eq!("dep-only".parse::<UpgradePolicy>(), Ok(DepOnly));
    let err = "strict".parse::<UpgradePolicy>().unwrap_err();
    assert!(
        err.to_string()
            .contains("compatible, additive, dep_only, immutable"),
        "{err}"
    );
}

#[test]
fn violation_codes_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for code in ViolationCode::ALL {
        let s = code.code();
        assert!(seen.insert(s), "{s} twice");
        assert!(
            s.len() == 5 && s.starts_with('E') && s[1..].bytes().all(|b| b.is_ascii_digit()),
            "{s}"
        );
        assert_eq!(ViolationCode::from_code(s), Some(*code));
        assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{s}\""));
        assert_eq!(code.to_string(), format!("{s} {}", code.title()));
    }
    assert_eq!(
        ViolationCode::FunctionSignatureChanged.to_string(),
        "E0102 function signature changed"
    );
}

#[test]
fn every_code_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/compatibility.md"),
    )
    .unwrap();
    for code in ViolationCode::ALL {
        assert!(
            doc.contains(&format!("| {} | {} |", code.code(), code.title())),
            "docs/compatibility.md lacks a row for {code}"
        );
    }
}

// ---- identical, immutable ----

#[test]
fn identical_upgrade_passes_every_policy_but_immutable() {
    expect(&base(), &base(), [NONE, NONE, NONE]);
    assert!(report(&base(), &base(), DepOnly).is_compatible());
}

#[test]
fn immutable_rejects_every_upgrade_with_one_violation() {
    let r = report(&base(), &changed(|i| i.init = false), Immutable);
    assert_eq!(r.codes(), [ViolationCode::PolicyImmutable]);
    assert_eq!(r.violations[0].declaration, "upgrade cap");
    assert!(!r.is_compatible());
}

// ---- functions ----

#[test]
fn public_function_removed() {
    let new = changed(|i| i.functions.retain(|f| f.name != "add"));
    expect(&base(), &new, [&["E0101"], &["E0101"], &["E0101"]]);
    let v = &report(&base(), &new, Compatible).violations[0];
    assert_eq!(v.declaration, "public fn add");
    assert_eq!(v.old.as_deref(), Some("public fn add(n: u64) -> u64"));
    assert_eq!(v.new, None);
}

#[test]
fn entry_function_removed() {
    let new = changed(|i| i.functions.retain(|f| f.name != "increment"));
    expect(&base(), &new, [NONE, &["E0101"], &["E0101"]]);
}

#[test]
fn internal_function_removed() {
    let new = changed(|i| i.functions.retain(|f| f.name != "bump"));
    expect(&base(), &new, [NONE, &["E0101"], &["E0101"]]);
}

#[test]
fn public_parameter_type_changed() {
    let new = changed(|i| function(i, "add").params[0].ty = TypeRef::U32);
    expect(&base(), &new, [&["E0102"], &["E0102"], &["E0102"]]);
    let v = &report(&base(), &new, Compatible).violations[0];
    assert_eq!(v.old.as_deref(), Some("public fn add(n: u64) -> u64"));
    assert_eq!(v.new.as_deref(), Some("public fn add(n: u32) -> u64"));
    assert_eq!(
        v.hint,
        "Parameter 1 `n` changed type from u64 to u32, and callers built against the old \
         version encode it as u64. Keep `add` as it is and add `add_u32` alongside it."
    );
}

#[test]
fn public_parameter_renamed_is_positional_so_only_additive_objects() {
    let new = changed(|i| function(i, "add").params[0].name = "amount".into());
    expect(&base(), &new, [NONE, &["E0102"], &["E0102"]]);
    let hint = &report(&base(), &new, Additive).violations[0].hint;
    assert!(hint.contains("renamed to `amount`"), "{hint}");
}

#[test]
fn public_parameter_added_or_reordered() {
    let added = changed(|i| {
        function(i, "add").params.push(Param {
            name: "twice".into(),
            ty: TypeRef::Bool,
        })
    });
    expect(&base(), &added, [&["E0102"], &["E0102"], &["E0102"]]);
    let two = |i: &mut Interface| {
        function(i, "add").params.push(Param {
            name: "m".into(),
            ty: TypeRef::U8,
        })
    };
    let old = changed(two);
    let swapped = changed(|i| {
        two(i);
        function(i, "add").params.swap(0, 1);
    });
    expect(&old, &swapped, [&["E0102"], &["E0102"], &["E0102"]]);
}

#[test]
fn public_result_changed() {
    let new = changed(|i| function(i, "add").returns = TypeRef::U128);
    expect(&base(), &new, [&["E0102"], &["E0102"], &["E0102"]]);
}

#[test]
fn entry_signature_changed() {
    let new = changed(|i| function(i, "increment").returns = TypeRef::U64);
    expect(&base(), &new, [NONE, &["E0102"], &["E0102"]]);
}

#[test]
fn internal_signature_changed() {
    let new = changed(|i| function(i, "bump").params.clear());
    expect(&base(), &new, [NONE, &["E0102"], &["E0102"]]);
}

#[test]
fn public_function_no_longer_public() {
    for visibility in [Visibility::Entry, Visibility::Internal] {
        let new = changed(|i| function(i, "add").visibility = visibility);
        expect(&base(), &new, [&["E0103"], &["E0103"], &["E0103"]]);
    }
}

#[test]
fn entry_function_made_public() {
    let new = changed(|i| function(i, "increment").visibility = Visibility::Public);
    expect(&base(), &new, [NONE, &["E0103"], &["E0103"]]);
}

#[test]
fn public_view_no_longer_a_view() {
    let new = changed(|i| function(i, "get").view = false);
    expect(&base(), &new, [&["E0104"], &["E0104"], &["E0104"]]);
}

#[test]
fn public_function_made_a_view() {
    let new = changed(|i| function(i, "add").view = true);
    expect(&base(), &new, [NONE, &["E0104"], &["E0104"]]);
}

#[test]
fn function_added() {
    let new = changed(|i| {
        i.functions.push(FunctionDecl {
            name: "reset".into(),
            visibility: Visibility::Public,
            view: false,
            params: vec![],
            returns: TypeRef::Unit,
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0802"]]);
}

#[test]
fn one_function_can_break_several_rules() {
    let new = changed(|i| {
        let f = function(i, "get");
        f.visibility = Visibility::Entry;
        f.view = false;
        f.returns = TypeRef::U64;
    });
    expect(
        &base(),
        &new,
        [
            &["E0103", "E0102", "E0104"],
            &["E0103", "E0102", "E0104"],
            &["E0103", "E0102", "E0104"],
        ],
    );
}

// ---- types ----

#[test]
fn type_removed() {
    let new = changed(|i| i.types.retain(|t| t.name != "Mode"));
    expect(&base(), &new, [&["E0201"], &["E0201"], &["E0201"]]);
}

#[test]
fn struct_field_renamed() {
    let new = changed(|i| struct_fields(i, "State")[0].name = "value".into());
    expect(&base(), &new, [&["E0202"], &["E0202"], &["E0202"]]);
    let v = &report(&base(), &new, Compatible).violations[0];
    assert_eq!(v.declaration, "struct State");
    assert_eq!(
        v.old.as_deref(),
        Some("struct State { count: u64, owner: Address }")
    );
    assert_eq!(
        v.new.as_deref(),
        Some("struct State { value: u64, owner: Address }")
    );
    assert!(
        v.hint.starts_with("Field `count` was renamed to `value`.")
            && v.hint.contains("`StateV2`")
            && v.hint.contains("docs/writing-programs.md"),
        "{}",
        v.hint
    );
}

#[test]
fn struct_field_retyped_reordered_added_or_removed() {
    let edits: [(Edit<Field>, &str); 4] = [
        (|f| f[0].ty = TypeRef::U32, "Field `count` changed type"),
        (|f| f.swap(0, 1), "The fields were reordered"),
        (
            |f| f.push(field("paused", TypeRef::Bool)),
            "Field `paused` added",
        ),
        (
            |f| {
                f.pop();
            },
            "Field `owner` removed",
        ),
    ];
    for (edit, detail) in edits {
        let new = changed(|i| edit(struct_fields(i, "State")));
        expect(&base(), &new, [&["E0202"], &["E0202"], &["E0202"]]);
        let hint = &report(&base(), &new, Compatible).violations[0].hint;
        assert!(hint.starts_with(detail), "{hint}");
    }
}

#[test]
fn struct_became_enum() {
    let new = changed(|i| {
        i.types[0].kind = TypeKind::Enum {
            variants: vec![unit_variant("Count")],
        }
    });
    expect(&base(), &new, [&["E0204"], &["E0204"], &["E0204"]]);
}

#[test]
fn enum_variant_appended() {
    let new = changed(|i| enum_variants(i, "Mode").push(unit_variant("Closed")));
    expect(&base(), &new, [NONE, &["E0205"], &["E0205"]]);
}

#[test]
fn enum_existing_variant_changed() {
    let edits: [(Edit<Variant>, &str); 4] = [
        (|v| v[0].name = "Unlimited".into(), "was renamed to"),
        (
            |v| {
                v.pop();
            },
            "was removed",
        ),
        (|v| v.swap(0, 1), "moved from #0 to #1"),
        (
            |v| v[1].fields[0].ty = TypeRef::U64,
            "changed its fields: field `0` changed type from u32 to u64",
        ),
    ];
    for (edit, detail) in edits {
        let new = changed(|i| edit(enum_variants(i, "Mode")));
        expect(&base(), &new, [&["E0203"], &["E0203"], &["E0203"]]);
        let hint = &report(&base(), &new, Compatible).violations[0].hint;
        assert!(hint.contains(detail), "{hint}");
    }
    // Inserting in the middle moves the variants after it.
    let inserted = changed(|i| enum_variants(i, "Mode").insert(1, unit_variant("Closed")));
    expect(&base(), &inserted, [&["E0203"], &["E0203"], &["E0203"]]);
}

#[test]
fn type_added() {
    let new = changed(|i| {
        i.types.push(TypeDef {
            name: "StateV2".into(),
            kind: TypeKind::Struct { fields: vec![] },
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0802"]]);
}

// ---- storage ----

#[test]
fn storage_removed() {
    let new = changed(|i| i.storage.retain(|s| s.name != "by_user"));
    expect(&base(), &new, [&["E0301"], &["E0301"], &["E0301"]]);
}

#[test]
fn storage_kind_changed() {
    let new = changed(|i| {
        i.storage[1].kind = StorageKind::Singleton {
            value: TypeRef::U64,
        }
    });
    expect(&base(), &new, [&["E0302"], &["E0302"], &["E0302"]]);
}

#[test]
fn storage_value_or_key_type_changed() {
    let value = changed(|i| {
        i.storage[0].kind = StorageKind::Singleton {
            value: TypeRef::U128,
        }
    });
    expect(&base(), &value, [&["E0303"], &["E0303"], &["E0303"]]);
    let v = &report(&base(), &value, Compatible).violations[0];
    assert_eq!(v.declaration, "storage state");
    assert_eq!(v.old.as_deref(), Some("state: State"));
    assert_eq!(v.new.as_deref(), Some("state: u128"));
    let key = changed(|i| {
        i.storage[1].kind = StorageKind::Map {
            key: TypeRef::String,
            value: TypeRef::U64,
        }
    });
    expect(&base(), &key, [&["E0303"], &["E0303"], &["E0303"]]);
}

#[test]
fn storage_added() {
    let new = changed(|i| {
        i.storage.push(StorageDecl {
            name: "resets".into(),
            kind: StorageKind::Singleton {
                value: TypeRef::U64,
            },
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0802"]]);
}

// ---- events ----

#[test]
fn event_removed() {
    let new = changed(|i| i.events.clear());
    expect(&base(), &new, [&["E0401"], &["E0401"], &["E0401"]]);
}

#[test]
fn event_type_changed() {
    let new = changed(|i| i.events[0].ty = TypeRef::U64);
    expect(&base(), &new, [&["E0402"], &["E0402"], &["E0402"]]);
}

#[test]
fn event_added() {
    let new = changed(|i| {
        i.events.push(EventDecl {
            name: "Reset".into(),
            ty: TypeRef::U64,
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0802"]]);
}

// ---- errors ----

#[test]
fn error_code_removed() {
    let new = changed(|i| i.errors.clear());
    expect(&base(), &new, [&["E0501"], &["E0501"], &["E0501"]]);
}

#[test]
fn error_code_renamed() {
    let new = changed(|i| i.errors[0].name = "Forbidden".into());
    expect(&base(), &new, [&["E0502"], &["E0502"], &["E0502"]]);
}

#[test]
fn error_message_changed() {
    let new = changed(|i| i.errors[0].message = "only the owner may do this".into());
    expect(&base(), &new, [NONE, &["E0503"], &["E0503"]]);
}

#[test]
fn error_added() {
    let new = changed(|i| {
        i.errors.push(ErrorDecl {
            code: 2,
            name: "AddZero".into(),
            message: "adding zero changes nothing".into(),
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0802"]]);
}

// ---- constructor and init ----

#[test]
fn constructor_changed() {
    let new = changed(|i| {
        i.constructor = Some(ConstructorDecl {
            policy: ConstructorPolicy::Admin(Address::reserved(0xb)),
            code_digest: sha3_256(b"admin(0xb)"),
        })
    });
    expect(&base(), &new, [&["E0601"], &["E0601"], &["E0601"]]);
    // The same policy with other code is another constructor too.
    let digest = changed(|i| {
        if let Some(c) = &mut i.constructor {
            c.code_digest = sha3_256(b"edited");
        }
    });
    expect(&base(), &digest, [&["E0601"], &["E0601"], &["E0601"]]);
}

#[test]
fn constructor_added_to_a_package_without_one() {
    let old = changed(|i| i.constructor = None);
    expect(&old, &base(), [&["E0602"], &["E0602"], &["E0602"]]);
    // None stays None: nothing to report.
    expect(&old, &old, [NONE, NONE, NONE]);
}

#[test]
fn constructor_removed() {
    let new = changed(|i| i.constructor = None);
    expect(&base(), &new, [&["E0603"], &["E0603"], &["E0603"]]);
}

#[test]
fn init_added_under_every_policy() {
    let old = changed(|i| i.init = false);
    expect(&old, &base(), [&["E0604"], &["E0604"], &["E0604"]]);
}

#[test]
fn init_removed() {
    let new = changed(|i| i.init = false);
    expect(&base(), &new, [NONE, &["E0605"], &["E0605"]]);
}

// ---- dependencies ----

fn token_version(version: u64) -> Interface {
    changed(|i| i.dependencies[0].version = version)
}

#[test]
fn dependency_version_goes_down_under_every_policy() {
    expect(
        &base(),
        &token_version(2),
        [&["E0701"], &["E0701"], &["E0701"]],
    );
    let v = &report(&base(), &token_version(2), DepOnly).violations[0];
    assert_eq!(v.declaration, "dependency token");
    assert!(v.hint.contains("version 3 or later"), "{}", v.hint);
}

#[test]
fn dependency_version_goes_up() {
    expect(&base(), &token_version(4), [NONE, NONE, NONE]);
}

#[test]
fn dependency_removed() {
    let new = changed(|i| i.dependencies.clear());
    expect(&base(), &new, [NONE, &["E0702"], &["E0702"]]);
}

#[test]
fn dependency_added() {
    let new = changed(|i| {
        i.dependencies.push(Dependency {
            name: "oracle".into(),
            original_id: Address::reserved(0x78),
            version: 1,
        })
    });
    expect(&base(), &new, [NONE, NONE, &["E0703"]]);
}

#[test]
fn dependency_renamed() {
    let new = changed(|i| i.dependencies[0].name = "coin".into());
    expect(&base(), &new, [NONE, &["E0704"], &["E0704"]]);
}

#[test]
fn dependency_replaced_by_another_package_of_the_same_name() {
    let new = changed(|i| i.dependencies[0].original_id = Address::reserved(0x99));
    expect(&base(), &new, [NONE, &["E0702"], &["E0702", "E0703"]]);
}

#[test]
fn dependencies_reordered() {
    let two = |i: &mut Interface| {
        i.dependencies.push(Dependency {
            name: "oracle".into(),
            original_id: Address::reserved(0x78),
            version: 1,
        })
    };
    let old = changed(two);
    let new = changed(|i| {
        two(i);
        i.dependencies.reverse();
    });
    expect(&old, &new, [NONE, NONE, &["E0705"]]);
}

// ---- dep_only: program header, order, module code ----

#[test]
fn program_renamed() {
    let new = changed(|i| i.name = "tally".into());
    expect(&base(), &new, [NONE, NONE, &["E0803"]]);
}

#[test]
fn declarations_reordered() {
    let new = changed(|i| {
        i.types.reverse();
        i.functions.reverse();
    });
    expect(&base(), &new, [NONE, NONE, &["E0805", "E0805"]]);
    let r = report(&base(), &new, DepOnly);
    assert_eq!(r.violations[0].declaration, "types");
    assert_eq!(r.violations[0].old.as_deref(), Some("State, Mode"));
    assert_eq!(r.violations[1].declaration, "functions");
}

#[test]
fn dep_only_accepts_a_dependency_bump_with_identical_code() {
    let code = code_module(r#"(module (memory 1) (func (export "f") (result i32) i32.const 7))"#);
    let (old, new) = (base(), token_version(5));
    let r = check_upgrade(
        &old,
        &embed_section(&code, &old),
        &new,
        &embed_section(&code, &new),
        DepOnly,
    );
    assert!(r.is_compatible(), "{}", r.render());
}

#[test]
fn dep_only_rejects_changed_code() {
    let a = code_module(r#"(module (func (export "f") (result i32) i32.const 7))"#);
    let b = code_module(r#"(module (func (export "f") (result i32) i32.const 8))"#);
    let (old, new) = (base(), token_version(5));
    let (ma, mb) = (embed_section(&a, &old), embed_section(&b, &new));
    let r = check_upgrade(&old, &ma, &new, &mb, DepOnly);
    assert_eq!(r.codes(), [ViolationCode::ModuleCodeChanged]);
    assert!(r.violations[0].hint.contains("first differ at byte"));
    // The module is compared only under dep_only.
    for policy in [Compatible, Additive] {
        assert!(check_upgrade(&old, &ma, &new, &mb, policy).is_compatible());
    }
}

#[test]
fn dep_only_keeps_other_custom_sections() {
    let a = code_module(r#"(module (@custom "notes" "one"))"#);
    let b = code_module(r#"(module (@custom "notes" "two"))"#);
    let i = base();
    let r = check_upgrade(
        &i,
        &embed_section(&a, &i),
        &i,
        &embed_section(&b, &i),
        DepOnly,
    );
    assert_eq!(r.codes(), [ViolationCode::ModuleCodeChanged]);
}

#[test]
fn dep_only_ignores_where_the_interface_section_sits() {
    // The interface section placed before the code section, not after it.
    let i = token_version(9);
    let mut section = embed_section(&code_module("(module)"), &i);
    section.drain(..8);
    let code = code_module(r#"(module (func (export "f")))"#);
    let mut front = code[..8].to_vec();
    front.extend_from_slice(&section);
    front.extend_from_slice(&code[8..]);
    let r = check_upgrade(&base(), &module(&base()), &i, &front, DepOnly);
    assert!(r.is_compatible(), "{}", r.render());
}

#[test]
fn dep_only_reports_unreadable_modules() {
    let i = base();
    let truncated = {
        let mut m = module(&i);
        m.truncate(m.len() - 3);
        m
    };
    let r = check_upgrade(&i, b"not wasm", &i, &truncated, DepOnly);
    assert_eq!(
        r.codes(),
        [
            ViolationCode::ModuleUnreadable,
            ViolationCode::ModuleUnreadable
        ]
    );
    assert_eq!(r.violations[0].declaration, "old module");
    assert!(r.violations[0].hint.contains("not a Wasm binary"));
    assert!(r.violations[1].hint.contains("truncated or malformed"));
}

// ---- whole reports ----

/// Breaks one rule of every kind at once.
fn everything_changed() -> Interface {
    changed(|i| {
        i.constructor = None;
        struct_fields(i, "State")[0].name = "value".into();
        enum_variants(i, "Mode").push(unit_variant("Closed"));
        i.storage.retain(|s| s.name != "by_user");
        function(i, "add").params[0].ty = TypeRef::U32;
        i.functions
            .retain(|f| f.name != "get" && f.name != "increment");
        i.events[0].ty = TypeRef::U64;
        i.errors[0].name = "Forbidden".into();
        i.dependencies[0].version = 1;
        i.name = "tally".into();
    })
}

#[test]
fn all_violations_are_reported_at_once() {
    let (old, new) = (base(), everything_changed());
    expect(
        &old,
        &new,
        [
            &[
                "E0603", "E0202", "E0301", "E0102", "E0101", "E0402", "E0502", "E0701",
            ],
            &[
                "E0603", "E0202", "E0205", "E0301", "E0101", "E0102", "E0101", "E0402", "E0502",
                "E0701",
            ],
            &[
                "E0603", "E0202", "E0205", "E0301", "E0101", "E0102", "E0101", "E0402", "E0502",
                "E0701", "E0803",
            ],
        ],
    );
    let r = report(&old, &new, Additive);
    let declarations: Vec<&str> = r
        .violations
        .iter()
        .map(|v| v.declaration.as_str())
        .collect();
    assert_eq!(
        declarations,
        [
            "constructor",
            "struct State",
            "enum Mode",
            "storage by_user",
            "entry fn increment",
            "public fn add",
            "public fn get",
            "event Incremented",
            "error 1 NotOwner",
            "dependency token",
        ]
    );
}

#[test]
fn order_follows_the_old_declarations_not_the_new_layout() {
    let old = base();
    let a = everything_changed();
    let mut b = a.clone();
    b.types.reverse();
    b.functions.reverse();
    b.storage.reverse();
    for policy in [Compatible, Additive] {
        let first = report(&old, &a, policy);
        assert_eq!(first, report(&old, &a, policy), "same input, same report");
        assert_eq!(first, report(&old, &b, policy), "new layout is irrelevant");
    }
}

#[test]
fn render_is_readable() {
    let new = changed(|i| function(i, "add").params[0].ty = TypeRef::U32);
    let text = report(&base(), &new, Compatible).render();
    assert_eq!(
        text,
        "\
error[E0102]: function signature changed
  --> public fn add
   | old: public fn add(n: u64) -> u64
   | new: public fn add(n: u32) -> u64
   = hint: Parameter 1 `n` changed type from u64 to u32, and callers built against the old version
           encode it as u64. Keep `add` as it is and add `add_u32` alongside it.

error: the upgrade breaks the `compatible` policy in 1 place; it would be rejected
"
    );
    assert_eq!(
        report(&base(), &base(), Additive).render(),
        "ok: the upgrade satisfies the `additive` policy\n"
    );
    for line in report(&base(), &everything_changed(), DepOnly)
        .render()
        .lines()
    {
        // Declarations stay on one line; hints are wrapped.
        if !line.starts_with("   | ") {
            assert!(line.len() <= 100, "too long: {line}");
        }
    }
}

#[test]
fn report_round_trips_through_json() {
    let r = report(&base(), &everything_changed(), Compatible);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["policy"], "compatible");
    assert_eq!(json["violations"][0]["code"], "E0603");
    assert_eq!(json["violations"][0]["declaration"], "constructor");
    assert!(json["violations"][0]["new"].is_null());
    let back: CompatReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

// ---- the example programs ----

fn example(name: &str) -> (Interface, Vec<u8>) {
    let module = molt_build::example(name).unwrap();
    let section = find_section(&module).unwrap().expect("interface section");
    (decode_section(section).unwrap(), module)
}

fn example_codes(from: &str, to: &str, policy: UpgradePolicy) -> CompatReport {
    let (old, old_module) = example(from);
    let (new, new_module) = example(to);
    check_upgrade(&old, &old_module, &new, &new_module, policy)
}

#[test]
fn counter_v1_to_v2_is_compatible_and_additive() {
    for policy in [Compatible, Additive] {
        let r = example_codes("counter_v1", "counter_v2", policy);
        assert!(r.is_compatible(), "{}", r.render());
    }
    let r = example_codes("counter_v1", "counter_v2", DepOnly);
    assert!(r.codes().contains(&ViolationCode::ModuleCodeChanged));
}

#[test]
fn counter_v2_to_v3_breaks_four_rules() {
    let r = example_codes("counter_v2", "counter_v3", Compatible);
    let found: Vec<(&str, &str)> = r
        .violations
        .iter()
        .map(|v| (v.code.code(), v.declaration.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("E0202", "struct State"),
            ("E0303", "storage adds"),
            ("E0102", "public fn add"),
            ("E0101", "public fn owner"),
        ],
        "{}",
        r.render()
    );
}

#[test]
fn counter_v1_to_v3_breaks_four_rules() {
    let r = example_codes("counter_v1", "counter_v3", Compatible);
    let found: Vec<(&str, &str)> = r
        .violations
        .iter()
        .map(|v| (v.code.code(), v.declaration.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("E0202", "struct State"),
            ("E0303", "storage adds"),
            ("E0102", "public fn add"),
            ("E0101", "public fn owner"),
        ],
        "{}",
        r.render()
    );
    if std::env::var_os("MOLT_PRINT_EXAMPLE").is_some() {
        println!("{}", r.render());
    }
}
