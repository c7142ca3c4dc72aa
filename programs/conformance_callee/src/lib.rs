//! `conformance_callee`: the program `conformance_probe` calls in the
//! conformance suite (docs/conformance.md). It records what it sees under
//! `out/` ++ a tag in its own storage, relays calls (for re-entry and for
//! tickets issued in a nested call), and offers one function of every
//! visibility.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod conformance_callee {
    use molt_sdk::prelude::*;

    #[event]
    pub struct Pinged {
        pub tag: u32,
        pub caller: Address,
    }

    fn record(tag: &str, value: &(impl BorshSerialize + ?Sized)) {
        let mut key = b"out/".to_vec();
        key.extend_from_slice(tag.as_bytes());
        storage::raw::set(&key, &molt_sdk::borsh::to_vec(value).unwrap_or_default());
    }

    /// Records and returns this call's context.
    #[public]
    fn whoami(tag: String) -> Vec<u8> {
        let ctx = molt_sdk::borsh::to_vec(&context()).unwrap_or_default();
        let mut key = String::from("ctx/");
        key.push_str(&tag);
        record(&key, &ctx);
        ctx
    }

    #[public]
    fn relay(target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        molt_sdk::call_raw(&target, &func, &args)
    }

    #[public]
    fn put(key: Vec<u8>, value: Vec<u8>) {
        storage::raw::set(&key, &value);
    }

    #[public]
    fn note(tag: u32) {
        Pinged {
            tag,
            caller: env::caller(),
        }
        .emit();
    }

    /// Writes and emits, then aborts with `code`.
    #[public]
    fn put_note_fail(key: Vec<u8>, value: Vec<u8>, tag: u32, code: u32) {
        storage::raw::set(&key, &value);
        note(tag);
        abort(code, "the callee fails, as it was asked to")
    }

    #[public]
    #[view]
    fn peek(key: Vec<u8>) -> Option<Vec<u8>> {
        storage::raw::get(&key)
    }

    #[entry]
    fn admin_only() {
        record("admin", &true);
    }

    #[internal]
    fn hidden() {
        record("hidden", &true);
    }

    #[public]
    fn authorize(cap: Address, digest: Digest) {
        upgrade::authorize(&cap, &digest);
    }
}
