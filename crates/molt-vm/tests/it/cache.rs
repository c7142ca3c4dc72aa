//! The module cache: one validation and compilation per checksum.

use crate::support::{function, kitchen_sink, minimal};
use molt_interface::{TypeRef, Visibility};
use molt_vm::{CacheStats, Vm, VmConfig};
use std::sync::Arc;

#[test]
fn second_prepare_is_a_hit_and_does_not_revalidate() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let bytes = kitchen_sink();
    let first = vm.prepare(&bytes).unwrap();
    assert_eq!(
        vm.cache_stats(),
        CacheStats {
            hits: 0,
            misses: 1,
            entries: 1
        }
    );
    let second = vm.prepare(&bytes).unwrap();
    assert_eq!(
        vm.cache_stats(),
        CacheStats {
            hits: 1,
            misses: 1,
            entries: 1
        }
    );
    assert!(
        Arc::ptr_eq(&first, &second),
        "the cached module itself is returned"
    );
    assert_eq!(first.checksum(), molt_types::sha3_256(&bytes));
    assert_eq!(first.size(), bytes.len());
    assert_eq!(first.interface().name, "kitchen_sink");
}

#[test]
fn rejected_modules_are_not_cached() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let bad = minimal(
        "",
        vec![function(
            "run",
            Visibility::Public,
            false,
            false,
            TypeRef::Unit,
        )],
    );
    assert!(vm.prepare(&bad).is_err());
    assert!(vm.prepare(&bad).is_err());
    assert_eq!(
        vm.cache_stats(),
        CacheStats {
            hits: 0,
            misses: 2,
            entries: 0
        }
    );
}

#[test]
fn least_recently_used_module_is_evicted() {
    let vm = Vm::new(VmConfig {
        module_cache_capacity: 2,
        ..VmConfig::default()
    })
    .unwrap();
    let modules: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            let body = format!(r#"(func (export "molt:fn:run") (drop (i32.const {n})))"#);
            minimal(
                &body,
                vec![function(
                    "run",
                    Visibility::Public,
                    false,
                    false,
                    TypeRef::Unit,
                )],
            )
        })
        .collect();
    vm.prepare(&modules[0]).unwrap();
    vm.prepare(&modules[1]).unwrap();
    vm.prepare(&modules[0]).unwrap(); // 0 is now more recent than 1
    vm.prepare(&modules[2]).unwrap(); // evicts 1
    assert_eq!(
        vm.cache_stats(),
        CacheStats {
            hits: 1,
            misses: 3,
            entries: 2
        }
    );
    vm.prepare(&modules[0]).unwrap();
    assert_eq!(vm.cache_stats().hits, 2);
    vm.prepare(&modules[1]).unwrap();
    assert_eq!(vm.cache_stats().misses, 4);
}
