//! The example programs in `programs/`, built from source to wasm32 with the
//! same route as `molt build`, are accepted by the VM: interface section,
//! exports with their lowered signatures, no floats, SIMD or threads.

use molt_interface::Interface;
use molt_vm::{Vm, VmConfig};

const PROGRAMS: &[(&str, &str)] = &[
    ("counter_v1", "counter"),
    ("counter_v2", "counter"),
    ("counter_v3", "counter"),
    ("token", "token"),
    ("versioned_counter_v1", "versioned_counter"),
    ("versioned_counter_v2", "versioned_counter"),
    ("checksum_registry", "checksum_registry"),
    ("ctor_noupgrade", "ctor_noupgrade"),
    ("ctor_admin", "ctor_admin"),
    ("ctor_checksum", "ctor_checksum"),
    ("ctor_custom", "ctor_custom"),
];

fn interface(name: &str) -> Interface {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let bytes = molt_build::example(name).unwrap();
    vm.prepare(&bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .interface()
        .clone()
}

#[test]
fn every_example_program_is_a_valid_module() {
    for (crate_name, program) in PROGRAMS {
        assert_eq!(interface(crate_name).name, *program, "{crate_name}");
    }
}

#[test]
fn counter_versions_differ_as_documented() {
    let (v1, v2, v3) = (
        interface("counter_v1"),
        interface("counter_v2"),
        interface("counter_v3"),
    );
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
    assert!(v2.functions.len() > v1.functions.len());
    assert!(
        v3.function("owner").is_none(),
        "v3 removes a public function"
    );
    assert_ne!(
        v1.type_def("State"),
        v3.type_def("State"),
        "v3 renames a field"
    );
    assert_ne!(
        v1.function("add"),
        v3.function("add"),
        "v3 changes a signature"
    );
}
