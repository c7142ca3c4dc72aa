//! Cross-program calls and reads of other programs' storage.

use crate::__private::{decode_stored, encode};
use crate::error::{abort, codes};
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::Address;

/// Calls `public` function `func` of `package` (an original id, meaning its
/// latest version, or an exact package id) with `args` (a tuple for several
/// parameters, the value itself for one, `()` for none) and decodes the
/// result. A failure of the callee aborts this call with the callee's error.
pub fn call<R: BorshDeserialize>(
    package: &Address,
    func: &str,
    args: &(impl BorshSerialize + ?Sized),
) -> R {
    let bytes = call_raw(package, func, &encode(args));
    match borsh::from_slice(&bytes) {
        Ok(r) => r,
        Err(_) => abort(
            codes::BAD_CALL_RESULT,
            "the result of a cross-program call does not decode as the expected type",
        ),
    }
}

/// [`call`] with encoded arguments and result.
pub fn call_raw(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
    crate::sys::call_raw(package, func, args)
}

/// Raw bytes stored under `key` in `program`'s namespace (read-only).
pub fn foreign_raw(program: &Address, key: &[u8]) -> Option<Vec<u8>> {
    crate::sys::get_foreign(program, key)
}

/// Singleton `name` of `program`.
pub fn foreign_item<T: BorshDeserialize>(program: &Address, name: &str) -> Option<T> {
    foreign_raw(program, name.as_bytes()).map(|b| decode_stored(name, &b))
}

/// Entry `key` of map `name` of `program`.
pub fn foreign_map_get<K: BorshSerialize + ?Sized, V: BorshDeserialize>(
    program: &Address,
    name: &str,
    key: &K,
) -> Option<V> {
    let mut k = Vec::with_capacity(name.len() + 1);
    k.extend_from_slice(name.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&encode(key));
    foreign_raw(program, &k).map(|b| decode_stored(name, &b))
}
