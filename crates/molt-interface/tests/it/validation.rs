use molt_interface::*;

fn err(i: &Interface) -> InterfaceError {
    i.validate().expect_err("interface should be rejected")
}

#[test]
fn sample_is_valid() {
    super::sample().validate().unwrap();
}

#[test]
fn unknown_named_type_is_reported_with_location() {
    let mut i = super::sample();
    i.functions[1].params[0].ty = TypeRef::Vec(Box::new(TypeRef::Named("Nope".into())));
    assert_eq!(
        err(&i),
        InterfaceError::UnknownType {
            location: "parameter n of add".into(),
            name: "Nope".into()
        }
    );
}

#[test]
fn duplicates_and_bad_names() {
    let mut i = super::sample();
    i.functions.push(i.functions[0].clone());
    assert_eq!(
        err(&i),
        InterfaceError::Duplicate {
            what: "function",
            name: "increment".into()
        }
    );

    let mut i = super::sample();
    i.errors.push(ErrorDecl {
        code: 1,
        name: "Other".into(),
        message: String::new(),
    });
    assert_eq!(err(&i), InterfaceError::DuplicateErrorCode { code: 1 });

    let mut i = super::sample();
    i.storage[0].name = "has space".into();
    assert!(matches!(
        err(&i),
        InterfaceError::BadName {
            what: "storage item",
            ..
        }
    ));
}

#[test]
fn internal_view_and_format_version() {
    let mut i = super::sample();
    i.functions[2].visibility = Visibility::Internal;
    assert!(matches!(err(&i), InterfaceError::InternalView { .. }));
    let mut i = super::sample();
    i.format_version = 99;
    assert_eq!(
        err(&i),
        InterfaceError::FormatVersion {
            found: 99,
            supported: FORMAT_VERSION
        }
    );
}

#[test]
fn render_reads_like_rust() {
    let text = super::sample().render();
    assert!(
        text.contains("struct State { count: u64, owner: Address }"),
        "{text}"
    );
    assert!(text.contains("enum Mode { Open, Limited(u32) }"), "{text}");
    assert!(text.contains("by_user: Map<Address, u64>"), "{text}");
    assert!(text.contains("public fn add(n: u64) -> u64"), "{text}");
    assert!(
        text.contains("public view fn get() -> Option<Vec<(u8, Mode)>>"),
        "{text}"
    );
    assert!(text.contains("1 NotOwner: only the owner"), "{text}");
}

#[test]
fn the_sdks_reserved_error_codes_are_listed_apart_from_the_programs_own() {
    let mut i = super::sample();
    for (code, name) in [(0, "Panic"), (1_000_001, "BadArguments")] {
        i.errors.push(ErrorDecl {
            code,
            name: name.into(),
            message: "sdk".into(),
        });
    }
    let text = i.render();
    let own = text.find("  errors:\n").expect(&text);
    let sdk = text
        .find("  errors raised by the SDK (reserved codes")
        .expect(&text);
    let own_part = &text[own..sdk];
    assert!(own_part.contains("1 NotOwner"), "{text}");
    assert!(!own_part.contains("BadArguments"), "{text}");
    let sdk_part = &text[sdk..];
    assert!(sdk_part.contains("0 Panic: sdk"), "{text}");
    assert!(sdk_part.contains("1000001 BadArguments: sdk"), "{text}");
    assert!(!sdk_part.contains("NotOwner"), "{text}");
}

#[test]
fn json_values_round_trip_through_the_canonical_encoding() {
    let i = super::sample();
    let get = i.function("get").unwrap();
    let ty = &get.returns;
    let v = serde_json::json!([[7, "Open"], [8, {"Limited": [3]}]]);
    let bytes = encode_json(&i, ty, &v).unwrap();
    let back = decode_to_json(&i, ty, &bytes).unwrap();
    assert_eq!(
        back,
        serde_json::json!([[7, "Open"], [8, {"Limited": {"0": 3}}]])
    );
    let state = TypeRef::Named("State".into());
    let s = serde_json::json!({"count": 5, "owner": "0x1"});
    let bytes = encode_json(&i, &state, &s).unwrap();
    // Same bytes as borsh of (u64, [u8; 32]).
    let mut expected = 5u64.to_le_bytes().to_vec();
    expected.extend_from_slice(molt_types::Address::reserved(1).as_bytes());
    assert_eq!(bytes, expected);
}

#[test]
fn argument_errors_name_the_parameter() {
    let i = super::sample();
    let add = i.function("add").unwrap();
    assert_eq!(
        encode_args(&i, add, &serde_json::json!([5])).unwrap(),
        5u64.to_le_bytes()
    );
    assert_eq!(
        encode_args(&i, add, &serde_json::json!({"n": 5})).unwrap(),
        5u64.to_le_bytes()
    );
    let e = encode_args(&i, add, &serde_json::json!(["x"])).unwrap_err();
    assert_eq!(e.path, "args.n");
    let e = encode_args(&i, add, &serde_json::json!([-1])).unwrap_err();
    assert!(e.reason.contains("does not fit in u64"), "{e}");
    assert!(encode_args(&i, add, &serde_json::json!([1, 2])).is_err());
    assert!(check_args(&i, add, &5u64.to_le_bytes()).is_ok());
    assert!(check_args(&i, add, &[1, 2, 3]).is_err());
    assert!(check_args(&i, add, &[0; 9]).is_err());
}
