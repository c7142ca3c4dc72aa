//! Untrusted `molt:interface` section bytes: decode (with its limits) and
//! validate must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(interface) = molt_interface::decode_section(data) {
        let _ = interface.validate();
    }
});
