//! Modules `Vm::prepare` must refuse, each with its own error.

use crate::support::{IMPORTS, RUNTIME, append_custom_section, function, minimal, module};
use molt_interface::{Interface, TypeRef, Visibility};
use molt_vm::{Vm, VmConfig, VmError};

fn prepare(bytes: &[u8]) -> Result<(), VmError> {
    Vm::new(VmConfig::default())
        .unwrap()
        .prepare(bytes)
        .map(|_| ())
}

fn noop(name: &str) -> molt_interface::FunctionDecl {
    function(name, Visibility::Public, false, false, TypeRef::Unit)
}

#[test]
fn a_valid_minimal_module_prepares() {
    let bytes = minimal(r#"(func (export "molt:fn:run"))"#, vec![noop("run")]);
    prepare(&bytes).unwrap();
}

#[test]
fn float_instruction_is_named() {
    let body = r#"(func (export "molt:fn:run")
        (drop (f32.add (f32.const 1) (f32.const 2))))"#;
    let err = prepare(&minimal(body, vec![noop("run")])).unwrap_err();
    let VmError::InvalidModule { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(
        reason.contains("F32Const") || reason.contains("F32Add"),
        "{reason}"
    );
    assert!(reason.contains("floating point"), "{reason}");
    // 14 imported functions, then molt_alloc (14), run (15).
    assert!(reason.contains("function 15"), "{reason}");
}

#[test]
fn float_types_in_signatures_are_rejected() {
    let body = r#"(func (export "molt:fn:run")) (func $f (param f64))"#;
    let err = prepare(&minimal(body, vec![noop("run")])).unwrap_err();
    let VmError::InvalidModule { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("floating-point type f64"), "{reason}");
}

#[test]
fn missing_export_is_named() {
    // Declared `run`, exported nothing under that name.
    let err = prepare(&minimal("", vec![noop("run")])).unwrap_err();
    assert_eq!(
        err,
        VmError::MissingExport {
            name: "molt:fn:run".into()
        }
    );
    // No `molt_alloc`.
    let wat = r#"(module (memory (export "memory") 1) (func (export "molt:fn:run")))"#;
    let mut i = Interface::new("m");
    i.functions = vec![noop("run")];
    let err = prepare(&module(wat, &i)).unwrap_err();
    assert_eq!(
        err,
        VmError::MissingExport {
            name: "molt_alloc".into()
        }
    );
}

#[test]
fn export_signature_must_match_the_lowering() {
    // Declared with parameters (lowers to (i32, i32) -> ()), exported as () -> ().
    let decl = function("run", Visibility::Public, false, true, TypeRef::Unit);
    let err = prepare(&minimal(r#"(func (export "molt:fn:run"))"#, vec![decl])).unwrap_err();
    assert_eq!(
        err,
        VmError::ExportSignatureMismatch {
            name: "molt:fn:run".into(),
            expected: "(i32, i32) -> ()".into(),
            found: "() -> ()".into(),
        }
    );
}

#[test]
fn undeclared_entry_points_are_rejected() {
    let body = r#"(func (export "molt:fn:run")) (func (export "molt:fn:extra"))"#;
    let err = prepare(&minimal(body, vec![noop("run")])).unwrap_err();
    assert_eq!(
        err,
        VmError::UndeclaredExport {
            name: "molt:fn:extra".into()
        }
    );
    let err = prepare(&minimal(r#"(func (export "molt:init"))"#, vec![])).unwrap_err();
    assert_eq!(
        err,
        VmError::UndeclaredExport {
            name: "molt:init".into()
        }
    );
}

#[test]
fn declared_memory_above_the_limit_is_rejected() {
    let wat = |mem: &str| {
        format!(
            r#"(module (memory (export "memory") {mem})
               (func (export "molt_alloc") (param i32) (result i32) (i32.const 0)))"#
        )
    };
    let i = Interface::new("m");
    let err = prepare(&module(&wat("17"), &i)).unwrap_err();
    assert_eq!(
        err,
        VmError::MemoryLimit {
            requested_pages: 17,
            limit_pages: 16
        }
    );
    let err = prepare(&module(&wat("1 100"), &i)).unwrap_err();
    assert_eq!(
        err,
        VmError::MemoryLimit {
            requested_pages: 100,
            limit_pages: 16
        }
    );
    prepare(&module(&wat("1 16"), &i)).unwrap();
}

#[test]
fn oversized_module_is_rejected_before_parsing() {
    let mut bytes = minimal("", vec![]);
    append_custom_section(&mut bytes, "padding", &vec![0u8; 600 * 1024]);
    let size = bytes.len();
    assert_eq!(
        prepare(&bytes).unwrap_err(),
        VmError::ModuleTooLarge {
            size,
            limit: 512 * 1024
        }
    );
}

#[test]
fn corrupted_interface_section_is_rejected() {
    let mut bytes = wat::parse_str(format!("(module {IMPORTS} {RUNTIME})")).unwrap();
    append_custom_section(
        &mut bytes,
        molt_interface::SECTION_NAME,
        &[1, 0, 0xff, 0xff, 0xff, 0x7f],
    );
    let err = prepare(&bytes).unwrap_err();
    assert!(matches!(err, VmError::BadInterface { .. }), "{err:?}");

    let mut bytes = wat::parse_str(format!("(module {IMPORTS} {RUNTIME})")).unwrap();
    let err = prepare(&bytes).unwrap_err();
    assert_eq!(err, VmError::MissingInterface);

    append_custom_section(
        &mut bytes,
        molt_interface::SECTION_NAME,
        &vec![0u8; 65 * 1024],
    );
    let err = prepare(&bytes).unwrap_err();
    assert_eq!(
        err,
        VmError::InterfaceTooLarge {
            size: 65 * 1024,
            limit: 64 * 1024
        }
    );
}

#[test]
fn interface_that_does_not_validate_is_rejected() {
    let mut i = Interface::new("bad name!");
    i.functions = vec![];
    let bytes = module(&format!("(module {IMPORTS} {RUNTIME})"), &i);
    let err = prepare(&bytes).unwrap_err();
    assert!(matches!(err, VmError::BadInterface { .. }), "{err:?}");
}

#[test]
fn unknown_import_is_named() {
    let wat = format!(r#"(module (import "env" "time" (func)) {RUNTIME})"#);
    let err = prepare(&module(&wat, &Interface::new("m"))).unwrap_err();
    assert_eq!(
        err,
        VmError::UnknownImport {
            module: "env".into(),
            name: "time".into()
        }
    );
    let wat = format!(r#"(module (import "molt" "random" (func)) {RUNTIME})"#);
    let err = prepare(&module(&wat, &Interface::new("m"))).unwrap_err();
    assert_eq!(
        err,
        VmError::UnknownImport {
            module: "molt".into(),
            name: "random".into()
        }
    );
}

#[test]
fn host_import_with_wrong_signature_is_rejected() {
    let wat = format!(r#"(module (import "molt" "gas_left" (func (result i32))) {RUNTIME})"#);
    let err = prepare(&module(&wat, &Interface::new("m"))).unwrap_err();
    assert_eq!(
        err,
        VmError::ImportSignatureMismatch {
            name: "gas_left".into(),
            expected: "() -> (i64)".into(),
            found: "() -> (i32)".into(),
        }
    );
}

#[test]
fn threads_simd_and_start_functions_are_rejected() {
    let i = Interface::new("m");
    let shared = r#"(module (memory (export "memory") 1 1 shared)
        (func (export "molt_alloc") (param i32) (result i32) (i32.const 0)))"#;
    let err = prepare(&module(shared, &i)).unwrap_err();
    let VmError::InvalidModule { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("shared memory"), "{reason}");

    let simd = format!(r#"(module {RUNTIME} (func (drop (i32x4.splat (i32.const 1)))))"#);
    let err = prepare(&module(&simd, &i)).unwrap_err();
    let VmError::InvalidModule { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("SIMD"), "{reason}");

    let start = format!(r#"(module {RUNTIME} (func $s) (start $s))"#);
    let err = prepare(&module(&start, &i)).unwrap_err();
    assert!(matches!(err, VmError::InvalidModule { .. }), "{err:?}");
}

#[test]
fn garbage_is_an_invalid_module() {
    let err = prepare(b"\0asm\x01\0\0\0\x01\xff").unwrap_err();
    assert!(matches!(err, VmError::InvalidModule { .. }), "{err:?}");
    let err = prepare(b"").unwrap_err();
    assert!(matches!(err, VmError::InvalidModule { .. }), "{err:?}");
}

#[test]
fn config_is_validated() {
    let config = VmConfig {
        max_memory_pages: 0,
        ..VmConfig::default()
    };
    assert_eq!(Vm::new(config).unwrap_err().field, "max_memory_pages");
    let config = VmConfig {
        max_call_depth: 0,
        ..VmConfig::default()
    };
    assert_eq!(Vm::new(config).unwrap_err().field, "max_call_depth");
    let config = VmConfig {
        max_interface_size: 1 << 20,
        ..VmConfig::default()
    };
    assert_eq!(Vm::new(config).unwrap_err().field, "max_interface_size");
}
