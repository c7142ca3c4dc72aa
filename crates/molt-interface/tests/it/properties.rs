use molt_interface::*;
use proptest::prelude::*;

fn arb_type_ref() -> impl Strategy<Value = TypeRef> {
    let leaf = prop_oneof![
        Just(TypeRef::Unit),
        Just(TypeRef::U64),
        Just(TypeRef::String),
        Just(TypeRef::Bytes),
        Just(TypeRef::Address),
        Just(TypeRef::Named("State".into())),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| TypeRef::Option(Box::new(t))),
            inner.clone().prop_map(|t| TypeRef::Vec(Box::new(t))),
            prop::collection::vec(inner.clone(), 0..3).prop_map(TypeRef::Tuple),
            (inner, 1u32..8).prop_map(|(t, n)| TypeRef::Array(Box::new(t), n)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn interface_round_trips(ty in arb_type_ref(), name in "[a-z][a-z0-9_]{0,20}") {
        let mut i = super::sample();
        i.functions.push(FunctionDecl {
            name,
            visibility: Visibility::Public,
            view: false,
            params: vec![Param { name: "x".into(), ty: ty.clone() }],
            returns: ty,
        });
        let bytes = encode_section(&i);
        match decode_section(&bytes) {
            Ok(decoded) => prop_assert_eq!(decoded, i),
            // A generated name may collide with a sample function: then the
            // error must be the duplicate, not a decoding failure.
            Err(SectionError::Invalid(InterfaceError::Duplicate { .. })) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = decode_section(&bytes);
        let _ = find_section(&bytes);
    }

    #[test]
    fn truncations_and_bit_flips_never_panic(cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let bytes = encode_section(&super::sample());
        let len = cut.index(bytes.len());
        prop_assert!(decode_section(&bytes[..len]).is_err());
        let mut flipped = bytes.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= 1 << bit;
        let _ = decode_section(&flipped);
    }
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    // 60,000 nested Option tags: far deeper than MAX_TYPE_DEPTH.
    let mut ty = Vec::new();
    ty.extend(std::iter::repeat_n(16u8, 60_000));
    ty.push(0);
    let mut i = Interface::new("deep");
    i.functions.push(FunctionDecl {
        name: "f".into(),
        visibility: Visibility::Public,
        view: false,
        params: vec![],
        returns: TypeRef::Unit,
    });
    let mut bytes = encode_section(&i);
    // Replace the trailing `returns: Unit` tag... simpler: splice the deep type
    // where the result type sits, which is 1 byte before the last 15 bytes
    // (constructor None (1), init (1), deps len (4), and the event/error vecs).
    let unit_pos = bytes.len() - (1 + 4 + 4 + 1 + 1 + 4);
    assert_eq!(bytes[unit_pos], 0, "layout assumption");
    bytes.splice(unit_pos..=unit_pos, ty);
    let err = decode_section(&bytes).unwrap_err();
    assert!(matches!(err, SectionError::Corrupted(_)), "{err}");
    assert!(err.to_string().contains("nested deeper"), "{err}");
}

#[test]
fn oversized_section_is_rejected() {
    let bytes = vec![0u8; MAX_INTERFACE_BYTES + 1];
    assert!(matches!(
        decode_section(&bytes),
        Err(SectionError::TooLarge { .. })
    ));
}
