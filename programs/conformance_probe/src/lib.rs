//! `conformance_probe`: exercises every host call so that the conformance
//! suite (`programs/conformance`, docs/conformance.md) can run the same
//! scenarios on the node, the VM's `MemoryHost` and the SDK's `TestEnv` and
//! compare what they do.
//!
//! Results a transaction cannot return on the node (receipts carry no
//! return data) are recorded in the probe's own storage under `out/` ++ a
//! tag, so comparing storage compares them too. Keys and values are raw
//! bytes (`storage::raw`), so scenarios choose every prefix and bound of
//! `storage_next`.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod conformance_probe {
    use molt_sdk::prelude::*;

    #[event]
    pub struct Noted {
        pub tag: u32,
        pub by: Address,
    }

    #[errors]
    pub enum Error {
        #[error(code = 7, message = "the probe refuses, as it was asked to")]
        Refused,
    }

    fn record(tag: &str, value: &(impl BorshSerialize + ?Sized)) {
        let mut key = b"out/".to_vec();
        key.extend_from_slice(tag.as_bytes());
        storage::raw::set(&key, &molt_sdk::borsh::to_vec(value).unwrap_or_default());
    }

    fn context_bytes() -> Vec<u8> {
        molt_sdk::borsh::to_vec(&context()).unwrap_or_default()
    }

    /// Every entry with `prefix` after `after`, one `storage_next` at a time.
    fn scan_all(prefix: &[u8], after: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cursor = after.map(<[u8]>::to_vec);
        while let Some(entry) = storage::raw::next(prefix, cursor.as_deref()) {
            cursor = Some(entry.0.clone());
            out.push(entry);
        }
        out
    }

    // ---- storage ----

    /// Writes `puts`, removes `removes` (recording whether each existed),
    /// then records the full scan of each `(prefix, after)` query, all in
    /// one transaction: the scans see this transaction's own writes.
    #[entry]
    fn edit(
        puts: Vec<(Vec<u8>, Vec<u8>)>,
        removes: Vec<Vec<u8>>,
        scans: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) {
        for (k, v) in &puts {
            storage::raw::set(k, v);
        }
        let removed: Vec<bool> = removes.iter().map(|k| storage::raw::remove(k)).collect();
        let has: Vec<bool> = removes.iter().map(|k| storage::raw::has(k)).collect();
        let found: Vec<Vec<(Vec<u8>, Vec<u8>)>> = scans
            .iter()
            .map(|(prefix, after)| scan_all(prefix, after.as_deref()))
            .collect();
        record("removed", &(removed, has));
        record("scans", &found);
    }

    #[public]
    #[view]
    fn scan(prefix: Vec<u8>, after: Option<Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
        scan_all(&prefix, after.as_deref())
    }

    #[public]
    #[view]
    fn next(prefix: Vec<u8>, after: Option<Vec<u8>>) -> Option<(Vec<u8>, Vec<u8>)> {
        storage::raw::next(&prefix, after.as_deref())
    }

    #[public]
    #[view]
    fn get(key: Vec<u8>) -> Option<Vec<u8>> {
        storage::raw::get(&key)
    }

    #[public]
    #[view]
    fn foreign(program: Address, key: Vec<u8>) -> Option<Vec<u8>> {
        molt_sdk::foreign_raw(&program, &key)
    }

    /// Records a foreign read made after the transaction's other writes.
    #[public]
    fn record_foreign(program: Address, key: Vec<u8>) {
        record("foreign", &molt_sdk::foreign_raw(&program, &key));
    }

    // ---- context and cross-program calls ----

    /// Records and returns this call's context.
    #[public]
    fn whoami(tag: String) -> Vec<u8> {
        let ctx = context_bytes();
        let mut key = String::from("ctx/");
        key.push_str(&tag);
        record(&key, &ctx);
        ctx
    }

    #[public]
    #[view]
    fn whoami_view() -> Vec<u8> {
        context_bytes()
    }

    /// Calls `func` of `target` with `args` and returns its result bytes.
    #[public]
    fn relay(target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        molt_sdk::call_raw(&target, &func, &args)
    }

    /// [`relay`] from a view.
    #[public]
    #[view]
    fn relay_view(target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        molt_sdk::call_raw(&target, &func, &args)
    }

    /// Writes, emits, then relays: if the callee fails, all of it must go.
    #[public]
    fn note_and_relay(tag: u32, target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        record("before", &tag);
        Noted {
            tag,
            by: env::caller(),
        }
        .emit();
        let result = molt_sdk::call_raw(&target, &func, &args);
        record("after", &result);
        result
    }

    /// Calls itself (by original id) `n` more times.
    #[public]
    fn recurse(n: u32) {
        record("depth", &n);
        if n > 0 {
            let me = context().original_id;
            molt_sdk::call::<()>(&me, "recurse", &(n - 1));
        }
    }

    #[internal]
    fn secret() {
        record("secret", &true);
    }

    #[entry]
    fn entry_only() {
        record("entry_only", &true);
    }

    // ---- events and aborts ----

    #[public]
    fn note(tag: u32) {
        Noted {
            tag,
            by: env::caller(),
        }
        .emit();
    }

    #[public]
    fn emit_undeclared() {
        molt_sdk::events::emit("NotDeclared", &1u8);
    }

    /// Writes and emits, then aborts with `code`.
    #[entry]
    fn fail(code: u32) {
        record("doomed", &code);
        Noted {
            tag: code,
            by: env::caller(),
        }
        .emit();
        abort(code, "the probe fails, as it was asked to")
    }

    #[entry]
    fn refuse() -> Result<(), Error> {
        record("refusing", &true);
        Err(Error::Refused)
    }

    // ---- views may not write ----

    #[public]
    #[view]
    fn write_in_view() {
        storage::raw::set(b"view", b"write");
    }

    #[public]
    #[view]
    fn remove_in_view() {
        storage::raw::remove(b"view");
    }

    #[public]
    #[view]
    fn emit_in_view() {
        Noted {
            tag: 0,
            by: env::caller(),
        }
        .emit();
    }

    #[public]
    #[view]
    fn authorize_in_view(cap: Address, digest: Digest) {
        upgrade::authorize(&cap, &digest);
    }

    // ---- upgrade tickets ----

    #[public]
    fn authorize(cap: Address, digest: Digest) {
        upgrade::authorize(&cap, &digest);
    }

    #[public]
    fn authorize_twice(cap: Address, first: Digest, second: Digest) {
        upgrade::authorize(&cap, &first);
        upgrade::authorize(&cap, &second);
    }

    #[public]
    fn authorize_then_fail(cap: Address, digest: Digest, code: u32) {
        upgrade::authorize(&cap, &digest);
        abort(code, "the probe fails after authorizing")
    }

    /// Records its own context and `callee`'s, then authorizes: in a ticket
    /// call both see `ticket_call`.
    #[public]
    fn observe_and_authorize(cap: Address, digest: Digest, callee: Address) {
        whoami(String::from("ticket"));
        let args = molt_sdk::borsh::to_vec(&String::from("ticket")).unwrap_or_default();
        molt_sdk::call_raw(&callee, "whoami", &args);
        upgrade::authorize(&cap, &digest);
    }
}
