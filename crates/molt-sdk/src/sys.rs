//! The host calls, with one safe signature on both targets: the `molt`
//! imports on `wasm32`, the thread-local test host elsewhere.
//!
//! Results that the ABI passes "in the buffer" come back as owned bytes, and
//! structured results (`Context`, `storage_next`) stay encoded so that the
//! decoding code above this module is the same on both targets.

#[cfg(target_arch = "wasm32")]
mod imp {
    use alloc::vec::Vec;
    use molt_types::{Address, Digest};

    #[link(wasm_import_module = "molt")]
    unsafe extern "C" {
        fn buffer_read(dst: *mut u8);
        fn storage_get(key: *const u8, key_len: usize) -> i64;
        fn storage_has(key: *const u8, key_len: usize) -> i32;
        fn storage_set(key: *const u8, key_len: usize, val: *const u8, val_len: usize);
        fn storage_remove(key: *const u8, key_len: usize) -> i32;
        fn storage_next(
            prefix: *const u8,
            prefix_len: usize,
            after: *const u8,
            after_len: usize,
            flags: i32,
        ) -> i64;
        fn storage_get_foreign(program: *const u8, key: *const u8, key_len: usize) -> i64;
        fn emit_event(name: *const u8, name_len: usize, data: *const u8, data_len: usize);
        fn context() -> i64;
        fn call(
            package: *const u8,
            func: *const u8,
            func_len: usize,
            args: *const u8,
            args_len: usize,
        ) -> i64;
        fn return_data(ptr: *const u8, len: usize);
        #[link_name = "abort"]
        fn molt_abort(code: i32, msg: *const u8, msg_len: usize) -> !;
        fn gas_left() -> i64;
        fn authorize_upgrade(cap: *const u8, digest: *const u8);
        fn chain_info(kind: i32) -> i64;
        #[link_name = "gov_upgrade_package"]
        fn molt_gov_upgrade_package(package: *const u8, module: *const u8, module_len: usize);
        #[link_name = "gov_set_params"]
        fn molt_gov_set_params(params: *const u8, len: usize);
        #[link_name = "gov_set_next_validators"]
        fn molt_gov_set_next_validators(validators: *const u8, len: usize);
        #[link_name = "gov_end_epoch"]
        fn molt_gov_end_epoch();
        #[link_name = "gov_schedule_upgrade"]
        fn molt_gov_schedule_upgrade(plan: *const u8, len: usize);
        #[link_name = "coin_balance"]
        fn molt_coin_balance(account: *const u8) -> i64;
        #[link_name = "coin_send"]
        fn molt_coin_send(to: *const u8, amount: i64) -> i32;
        #[link_name = "gov_call"]
        fn molt_gov_call(
            package: *const u8,
            func: *const u8,
            func_len: usize,
            args: *const u8,
            args_len: usize,
        ) -> i64;
    }

    /// Copies `len` bytes out of the host's result buffer; `None` for `-1`.
    fn take_buffer(len: i64) -> Option<Vec<u8>> {
        let len = usize::try_from(len).ok()?;
        let mut out = Vec::with_capacity(len);
        // SAFETY: the host writes exactly `len` bytes (the length it just
        // reported for the buffer) into the `len` bytes reserved here.
        unsafe {
            buffer_read(out.as_mut_ptr());
            out.set_len(len);
        }
        Some(out)
    }

    // SAFETY (all functions below): every pointer/length pair comes from a
    // live Rust slice, which the host only reads.

    pub fn get(key: &[u8]) -> Option<Vec<u8>> {
        take_buffer(unsafe { storage_get(key.as_ptr(), key.len()) })
    }
    pub fn has(key: &[u8]) -> bool {
        unsafe { storage_has(key.as_ptr(), key.len()) == 1 }
    }
    pub fn set(key: &[u8], val: &[u8]) {
        unsafe { storage_set(key.as_ptr(), key.len(), val.as_ptr(), val.len()) }
    }
    pub fn remove(key: &[u8]) -> bool {
        unsafe { storage_remove(key.as_ptr(), key.len()) == 1 }
    }
    pub fn next(prefix: &[u8], after: Option<&[u8]>) -> Option<Vec<u8>> {
        let (after, flags) = match after {
            Some(a) => (a, 1),
            None => (&[][..], 0),
        };
        take_buffer(unsafe {
            storage_next(
                prefix.as_ptr(),
                prefix.len(),
                after.as_ptr(),
                after.len(),
                flags,
            )
        })
    }
    pub fn get_foreign(program: &Address, key: &[u8]) -> Option<Vec<u8>> {
        take_buffer(unsafe { storage_get_foreign(program.0.as_ptr(), key.as_ptr(), key.len()) })
    }
    pub fn emit(name: &str, data: &[u8]) {
        unsafe { emit_event(name.as_ptr(), name.len(), data.as_ptr(), data.len()) }
    }
    pub fn context_bytes() -> Vec<u8> {
        take_buffer(unsafe { context() }).unwrap_or_default()
    }
    pub fn call_raw(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
        take_buffer(unsafe {
            call(
                package.0.as_ptr(),
                func.as_ptr(),
                func.len(),
                args.as_ptr(),
                args.len(),
            )
        })
        .unwrap_or_default()
    }
    pub fn set_return(data: &[u8]) {
        unsafe { return_data(data.as_ptr(), data.len()) }
    }
    pub fn abort(code: u32, msg: &str) -> ! {
        // The ABI carries the code as an i32; codes are u32 bit patterns.
        unsafe { molt_abort(code as i32, msg.as_ptr(), msg.len()) }
    }
    pub fn gas() -> u64 {
        u64::try_from(unsafe { gas_left() }).unwrap_or(0)
    }
    pub fn authorize(cap: &Address, digest: &Digest) {
        // A refusal never returns: the host ends the call.
        unsafe { authorize_upgrade(cap.0.as_ptr(), digest.0.as_ptr()) }
    }
    pub fn chain_info_bytes(kind: i32) -> Option<Vec<u8>> {
        take_buffer(unsafe { chain_info(kind) })
    }
    // The privileged calls: a refusal never returns, the host ends the call.
    pub fn gov_upgrade_package(package: &Address, module: &[u8]) {
        unsafe { molt_gov_upgrade_package(package.0.as_ptr(), module.as_ptr(), module.len()) }
    }
    pub fn gov_set_params(params: &[u8]) {
        unsafe { molt_gov_set_params(params.as_ptr(), params.len()) }
    }
    pub fn gov_set_next_validators(validators: &[u8]) {
        unsafe { molt_gov_set_next_validators(validators.as_ptr(), validators.len()) }
    }
    pub fn gov_end_epoch() {
        unsafe { molt_gov_end_epoch() }
    }
    pub fn gov_schedule_upgrade(plan: &[u8]) {
        unsafe { molt_gov_schedule_upgrade(plan.as_ptr(), plan.len()) }
    }
    // The ABI carries amounts as i64 bit patterns of u64.
    pub fn coin_balance(account: &Address) -> u64 {
        unsafe { molt_coin_balance(account.0.as_ptr()) as u64 }
    }
    /// Whether the coin was sent.
    pub fn coin_send(to: &Address, amount: u64) -> bool {
        unsafe { molt_coin_send(to.0.as_ptr(), amount as i64) == 0 }
    }
    pub fn gov_call(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
        take_buffer(unsafe {
            molt_gov_call(
                package.0.as_ptr(),
                func.as_ptr(),
                func.len(),
                args.as_ptr(),
                args.len(),
            )
        })
        .unwrap_or_default()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use crate::testing::host::{
        abort, authorize, call_raw, coin_balance, coin_send, context_bytes, emit, gas, get,
        get_foreign, gov_call, gov_end_epoch, gov_schedule_upgrade, gov_set_next_validators,
        gov_set_params, gov_upgrade_package, has, next, remove, set, set_return,
    };
    pub fn chain_info_bytes(kind: i32) -> Option<alloc::vec::Vec<u8>> {
        crate::testing::host::chain_info(kind)
    }
}

pub(crate) use imp::*;
