//! `check_exports`: the module must export what its interface declares.

use molt_interface::*;

fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (memory (export "memory") 1)
            (func (export "molt_alloc") (param i32) (result i32) i32.const 0)
            {body})"#
    ))
    .unwrap()
}

fn counter() -> Interface {
    let mut i = Interface::new("counter");
    i.functions.push(FunctionDecl {
        name: "increment".into(),
        visibility: Visibility::Entry,
        view: false,
        params: vec![],
        returns: TypeRef::Unit,
    });
    i.functions.push(FunctionDecl {
        name: "add".into(),
        visibility: Visibility::Public,
        view: false,
        params: vec![Param {
            name: "n".into(),
            ty: TypeRef::U64,
        }],
        returns: TypeRef::U64,
    });
    i
}

const GOOD: &str = r#"
    (func (export "molt:fn:increment"))
    (func (export "molt:fn:add") (param i32 i32))
"#;

#[test]
fn matching_module_passes_and_section_is_found() {
    let m = embed_section(&module(GOOD), &counter());
    check_exports(&m, &counter()).unwrap();
    let section = find_section(&m).unwrap().expect("section present");
    assert_eq!(decode_section(section).unwrap(), counter());
}

#[test]
fn missing_export_is_named() {
    let m = module(r#"(func (export "molt:fn:increment"))"#);
    match check_exports(&m, &counter()) {
        Err(SectionError::MissingExport { name, .. }) => assert_eq!(name, "molt:fn:add"),
        other => panic!("expected MissingExport, got {other:?}"),
    }
}

#[test]
fn signature_mismatch_shows_both_signatures() {
    let m = module(
        r#"(func (export "molt:fn:increment"))
           (func (export "molt:fn:add") (param i64) (result i32) i32.const 0)"#,
    );
    let err = check_exports(&m, &counter()).unwrap_err();
    assert!(matches!(err, SectionError::SignatureMismatch { .. }));
    assert_eq!(
        err.to_string(),
        "export `molt:fn:add` has signature (i64) -> (i32), but the interface requires (i32, i32) -> ()"
    );
}

#[test]
fn init_and_constructor_must_match_declarations() {
    let mut i = counter();
    i.init = true;
    let m = module(GOOD);
    assert!(matches!(
        check_exports(&m, &i),
        Err(SectionError::MissingExport { .. })
    ));
    let with_init = module(&format!(r#"{GOOD} (func (export "molt:init"))"#));
    check_exports(&with_init, &i).unwrap();
    assert!(matches!(
        check_exports(&with_init, &counter()),
        Err(SectionError::Undeclared { .. })
    ));
}

#[test]
fn missing_section_and_duplicate_section() {
    assert_eq!(find_section(&module(GOOD)).unwrap(), None);
    let twice = embed_section(&embed_section(&module(GOOD), &counter()), &counter());
    assert_eq!(find_section(&twice), Err(SectionError::Duplicate));
}

#[test]
fn garbage_is_a_wasm_error() {
    assert!(matches!(
        find_section(b"not wasm"),
        Err(SectionError::Wasm(_))
    ));
}
