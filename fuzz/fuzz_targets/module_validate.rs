//! Untrusted module bytes: `Vm::prepare` (size limit, determinism scan,
//! wasmi validation and compilation, imports, memory, interface, exports)
//! must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use molt_vm::{Vm, VmConfig};
use std::sync::OnceLock;

fn vm() -> &'static Vm {
    static VM: OnceLock<Vm> = OnceLock::new();
    VM.get_or_init(|| match Vm::new(VmConfig::default()) {
        Ok(vm) => vm,
        Err(e) => panic!("default VM config is invalid: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = vm().prepare(data);
});
