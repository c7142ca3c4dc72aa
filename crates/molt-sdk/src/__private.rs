//! Support for the code `#[molt_sdk::program]` generates. Not a stable API.

use crate::error::{Failure, abort, codes};
use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::Address;

/// `borsh(value)`. Writing into a `Vec` cannot fail for the types borsh
/// derives; a failure would be a bug in a hand-written impl and aborts.
pub fn encode<T: BorshSerialize + ?Sized>(value: &T) -> Vec<u8> {
    // A value's size in memory is its encoded size for the fixed-size types
    // programs store and emit (integers, addresses, structs of them), so
    // encoding them allocates once instead of growing step by step; in a
    // program every allocation is Wasm code that costs gas.
    let mut out = Vec::with_capacity(core::mem::size_of_val(value));
    encode_into(value, &mut out);
    out
}

/// Appends `borsh(value)` to `out`, aborting as [`encode`] does.
pub fn encode_into<T: BorshSerialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    if value.serialize(out).is_err() {
        abort(codes::PANIC, "a value failed to encode");
    }
}

/// Decodes a stored value of item `name`, aborting with
/// [`codes::CORRUPT_STORAGE`].
pub fn decode_stored<T: BorshDeserialize>(name: &str, bytes: &[u8]) -> T {
    match borsh::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            let mut msg = String::from("the value stored in `");
            msg.push_str(name);
            msg.push_str("` does not decode as its declared type");
            abort(codes::CORRUPT_STORAGE, &msg)
        }
    }
}

/// Decodes a call's argument tuple, aborting with
/// [`codes::BAD_ARGUMENTS`] and a message naming the expected types.
pub fn decode_args<T: BorshDeserialize>(bytes: &[u8], func: &str, expected: &str) -> T {
    match borsh::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            let mut msg = String::from("invalid arguments for `");
            msg.push_str(func);
            msg.push_str("`: expected the borsh encoding of ");
            msg.push_str(expected);
            abort(codes::BAD_ARGUMENTS, &msg)
        }
    }
}

/// The argument bytes the host placed with `molt_alloc`.
///
/// # Safety
/// `ptr..ptr+len` must be memory the host wrote after `molt_alloc(len)`
/// returned `ptr`; it is never freed, so the slice lives for the call.
#[cfg(target_arch = "wasm32")]
pub unsafe fn args<'a>(ptr: i32, len: i32) -> &'a [u8] {
    if len <= 0 {
        return &[];
    }
    // SAFETY: see the function's contract.
    unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
}

/// Hands `value` back as the call's result.
pub fn ret<T: BorshSerialize + ?Sized>(value: &T) {
    crate::sys::set_return(&encode(value));
}

/// Hands back `Ok` or aborts with the error of `Err`.
pub fn ret_result<T: BorshSerialize, E: Failure>(result: Result<T, E>) {
    match result {
        Ok(v) => ret(&v),
        Err(e) => e.abort(),
    }
}

/// Aborts with the error of `Err` (functions, `init` and constructors
/// returning `Result<(), E>`).
pub fn unit_result<E: Failure>(result: Result<(), E>) {
    if let Err(e) = result {
        e.abort()
    }
}

/// The built-in constructor forms, evaluated inside the module at publish
/// (edition 0, always accepted: there is nothing to upgrade yet) and at every
/// upgrade.
pub mod constructor {
    use super::*;
    use crate::env::context;

    fn reject(msg: &str) -> ! {
        abort(codes::CONSTRUCTOR_REJECTED, msg)
    }

    pub fn noupgrade() {
        if context().edition != 0 {
            reject(
                "this package was published with the `noupgrade` constructor: it can never be upgraded",
            );
        }
    }

    pub fn admin(admin: [u8; 32]) {
        let ctx = context();
        if ctx.edition != 0 && ctx.caller != Address(admin) {
            reject("only the constructor's admin address may upgrade this package");
        }
    }

    /// `key` empty means the package's own original id (`borsh(Address)`).
    pub fn checksum(program: [u8; 32], item: &str, key: &[u8]) {
        let ctx = context();
        if ctx.edition == 0 {
            return;
        }
        let own_key;
        let key = if key.is_empty() {
            own_key = encode(&ctx.original_id);
            own_key.as_slice()
        } else {
            key
        };
        let mut full = Vec::with_capacity(item.len() + 1 + key.len());
        full.extend_from_slice(item.as_bytes());
        full.push(b'/');
        full.extend_from_slice(key);
        let approved: Option<molt_types::Digest> =
            crate::sys::get_foreign(&Address(program), &full)
                .and_then(|b| borsh::from_slice(&b).ok());
        match approved {
            Some(d) if d == ctx.checksum => {}
            Some(_) => {
                reject("the new module's checksum is not the one approved in the checksum program")
            }
            None => reject("no checksum is approved for this package in the checksum program"),
        }
    }
}

/// Who is calling a function through the native test host's dispatcher.
#[cfg(not(target_arch = "wasm32"))]
pub use crate::testing::CallKind;

/// Checks, in the native dispatcher, that a function of this visibility may
/// be called this way, and marks the frame read-only for views (a frame a
/// view called is read-only already).
#[cfg(not(target_arch = "wasm32"))]
pub fn begin_call(kind: CallKind, visibility: &str, view: bool, func: &str) {
    crate::testing::host::begin_call(kind, visibility, view, func)
}

/// The native dispatcher's answer for an undeclared function: the node's
/// `UnknownFunction` refusal (see `testing::refusals`).
#[cfg(not(target_arch = "wasm32"))]
pub fn unknown_function(func: &str) -> ! {
    let e = crate::testing::host::unknown_function(func);
    abort(e.code, &e.message)
}

/// Decodes generated interface bytes (host only: tests inspect them).
#[cfg(not(target_arch = "wasm32"))]
pub fn decode_interface(bytes: &[u8]) -> molt_interface::Interface {
    match borsh::from_slice(bytes) {
        Ok(i) => i,
        Err(e) => panic!("molt-sdk: generated interface does not decode: {e}"),
    }
}
