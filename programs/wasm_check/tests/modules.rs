//! Every module under `target/wasm/wasm32-unknown-unknown/release` carries a
//! valid `molt:interface` section, exports what it declares with the lowered
//! signatures, and validates without floats, SIMD or threads.

use std::path::PathBuf;
use wasmparser::{Validator, WasmFeatures};

const PROGRAMS: &[&str] = &[
    "counter_v1",
    "counter_v2",
    "counter_v3",
    "token",
    "versioned_counter_v1",
    "versioned_counter_v2",
    "checksum_registry",
    "ctor_noupgrade",
    "ctor_admin",
    "ctor_checksum",
    "ctor_custom",
];

fn module_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm/wasm32-unknown-unknown/release")
}

/// What the node accepts: no floats, SIMD or threads (DESIGN.md 2, host-abi.md).
fn deterministic_features() -> WasmFeatures {
    WasmFeatures::default()
        - WasmFeatures::FLOATS
        - WasmFeatures::SIMD
        - WasmFeatures::RELAXED_SIMD
        - WasmFeatures::THREADS
        - WasmFeatures::SHARED_EVERYTHING_THREADS
}

#[test]
fn built_modules_are_valid_programs() {
    let dir = module_dir();
    if !dir.exists() {
        eprintln!(
            "skipped: no modules in {} (build them first)",
            dir.display()
        );
        return;
    }
    for name in PROGRAMS {
        let path = dir.join(format!("{name}.wasm"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Validator::new_with_features(deterministic_features())
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{name}: not deterministic Wasm: {e}"));
        let section = molt_interface::find_section(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: no molt:interface section"));
        let interface =
            molt_interface::decode_section(section).unwrap_or_else(|e| panic!("{name}: {e}"));
        molt_interface::check_exports(&bytes, &interface).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = match *name {
            n if n.starts_with("counter_v") => "counter",
            n if n.starts_with("versioned_counter") => "versioned_counter",
            n => n,
        };
        assert_eq!(interface.name, expected);
        eprintln!("{name}: {} bytes, ok", bytes.len());
    }
}

#[test]
fn compatible_and_incompatible_counters_differ_as_documented() {
    let dir = module_dir();
    if !dir.exists() {
        return;
    }
    let load = |n: &str| {
        let bytes = std::fs::read(dir.join(format!("{n}.wasm"))).unwrap();
        let section = molt_interface::find_section(&bytes)
            .unwrap()
            .unwrap()
            .to_vec();
        molt_interface::decode_section(&section).unwrap()
    };
    let (v1, v2, v3) = (load("counter_v1"), load("counter_v2"), load("counter_v3"));
    for f in &v1.functions {
        assert_eq!(v2.function(&f.name), Some(f), "v2 keeps {}", f.name);
    }
    assert_eq!(
        v1.types[..],
        v2.types[..v1.types.len()],
        "v2 only appends types"
    );
    assert_eq!(v1.storage[..], v2.storage[..v1.storage.len()]);
    assert_eq!(v1.events[..], v2.events[..v1.events.len()]);
    assert!(v3.function("owner").is_none());
    assert_ne!(v2.type_def("State"), v3.type_def("State"));
}
