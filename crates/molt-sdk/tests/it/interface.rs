use crate::sample;
use molt_interface::*;
use molt_sdk::Address;

fn iface() -> Interface {
    sample::__molt_interface()
}

#[test]
fn names_types_in_declaration_order() {
    let i = iface();
    assert_eq!(i.name, "sample");
    assert_eq!(i.format_version, FORMAT_VERSION);
    let names: Vec<_> = i.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Position", "Shape", "Deposited"]);
    assert_eq!(
        i.type_def("Position").unwrap().kind,
        TypeKind::Struct {
            fields: vec![
                Field {
                    name: "owner".into(),
                    ty: TypeRef::Address
                },
                Field {
                    name: "amount".into(),
                    ty: TypeRef::U128
                },
                Field {
                    name: "tags".into(),
                    ty: TypeRef::Vec(Box::new(TypeRef::String))
                },
            ]
        }
    );
    let TypeKind::Enum { variants } = &i.type_def("Shape").unwrap().kind else {
        panic!()
    };
    assert_eq!(
        variants[0],
        Variant {
            name: "Empty".into(),
            fields: vec![]
        }
    );
    assert_eq!(
        variants[1].fields[1],
        Field {
            name: "1".into(),
            ty: TypeRef::I32
        }
    );
    assert_eq!(
        variants[2].fields[1],
        Field {
            name: "size".into(),
            ty: TypeRef::Option(Box::new(TypeRef::U64))
        }
    );
    i.validate().unwrap();
}

#[test]
fn storage_functions_events_errors() {
    let i = iface();
    let storage: Vec<_> = i
        .storage
        .iter()
        .map(|s| (s.name.as_str(), s.kind.clone()))
        .collect();
    assert_eq!(
        storage,
        [
            (
                "total",
                StorageKind::Singleton {
                    value: TypeRef::U128
                }
            ),
            (
                "positions",
                StorageKind::Map {
                    key: TypeRef::Address,
                    value: TypeRef::Named("Position".into())
                }
            ),
            (
                "guard",
                StorageKind::Singleton {
                    value: TypeRef::Tuple(vec![TypeRef::U64, TypeRef::Address])
                }
            ),
            (
                "blobs",
                StorageKind::Map {
                    key: TypeRef::U32,
                    value: TypeRef::Bytes
                }
            ),
        ]
    );
    let deposit = i.function("deposit").unwrap();
    assert_eq!(deposit.visibility, Visibility::Entry);
    assert!(!deposit.view);
    assert_eq!(deposit.returns, TypeRef::U128, "Result<T, E> declares T");
    assert_eq!(
        deposit.params[1],
        Param {
            name: "tag".into(),
            ty: TypeRef::String
        }
    );
    let total = i.function("total").unwrap();
    assert!(total.view && total.visibility == Visibility::Public);
    assert_eq!(i.function("bump").unwrap().visibility, Visibility::Internal);
    assert!(
        i.function("double").is_none(),
        "unmarked helpers are not declared"
    );
    let shapes = i.function("shapes").unwrap();
    assert_eq!(
        shapes
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect::<Vec<_>>(),
        [
            TypeRef::Named("Shape".into()),
            TypeRef::Tuple(vec![TypeRef::U8, TypeRef::Bool]),
            TypeRef::Array(Box::new(TypeRef::U16), 4),
            TypeRef::Bytes,
        ]
    );
    assert_eq!(
        shapes.returns,
        TypeRef::Vec(Box::new(TypeRef::Named("Shape".into())))
    );
    assert_eq!(
        i.events,
        [EventDecl {
            name: "Deposited".into(),
            ty: TypeRef::Named("Deposited".into())
        }]
    );
    assert_eq!(i.error(1).unwrap().message, "amount must be positive");
    assert_eq!(i.error(2).unwrap().message, "The caller is not the owner.");
    assert!(i.init);
    assert_eq!(
        i.dependencies,
        [Dependency {
            name: "token".into(),
            original_id: Address::reserved(0x2a),
            version: 3
        }]
    );
    assert_eq!(sample::deps::TOKEN, Address::reserved(0x2a));
}

#[test]
fn sdk_error_codes_are_listed_and_match_the_sdk() {
    let i = iface();
    for (code, name, message) in molt_sdk::error::codes::ALL {
        let e = i
            .error(*code)
            .unwrap_or_else(|| panic!("code {code} missing"));
        assert_eq!((e.name.as_str(), e.message.as_str()), (*name, *message));
    }
    assert_eq!(i.errors.len(), 2 + molt_sdk::error::codes::ALL.len());
}

#[test]
fn custom_constructor_digest_is_stable_and_ignores_docs() {
    let c = iface().constructor.unwrap();
    assert_eq!(c.policy, ConstructorPolicy::Custom);
    // Frozen: the constructor above, as canonical token text. If this
    // changes without the constructor changing, upgrades would break.
    let again = iface().constructor.unwrap();
    assert_eq!(c.code_digest, again.code_digest);
    assert_ne!(c.code_digest, molt_sdk::Digest::ZERO);
}

#[test]
fn encoding_roundtrips_through_the_section_codec() {
    let bytes = sample::__MOLT_INTERFACE_BYTES;
    let decoded = molt_interface::decode_section(bytes).unwrap();
    assert_eq!(decoded, iface());
    assert_eq!(molt_interface::encode_section(&decoded), bytes);
}
