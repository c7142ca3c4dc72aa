//! Typed storage: singletons ([`Item`]) and maps ([`Map`]).
//!
//! Layout (host ABI): a singleton `name` lives at key `name`; a map `name`
//! keeps `k -> v` at `name` ++ `/` ++ `borsh(k)`; values are `borsh(v)`. A map
//! therefore iterates in the byte order of its encoded keys.

use crate::__private::{decode_stored, encode, encode_into};
use crate::error::{abort, codes};
use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use core::marker::PhantomData;

/// A singleton storage item, declared in a program as
/// `#[storage] static NAME: Item<T>;`.
pub struct Item<T> {
    name: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T> core::fmt::Debug for Item<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Item({})", self.name)
    }
}

impl<T: BorshSerialize + BorshDeserialize> Item<T> {
    /// The item stored under key `name`. The `#[storage]` attribute calls
    /// this with the declaration's name.
    pub const fn new(name: &'static str) -> Self {
        Item {
            name,
            _value: PhantomData,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The storage key: the name's bytes.
    pub fn key(&self) -> &'static [u8] {
        self.name.as_bytes()
    }

    pub fn get(&self) -> Option<T> {
        crate::sys::get(self.key()).map(|bytes| decode_stored(self.name, &bytes))
    }

    /// The value; aborts with [`codes::MISSING_STORAGE`] when it is not set.
    pub fn load(&self) -> T {
        match self.get() {
            Some(v) => v,
            None => abort(codes::MISSING_STORAGE, &missing(self.name)),
        }
    }

    pub fn get_or_default(&self) -> T
    where
        T: Default,
    {
        self.get().unwrap_or_default()
    }

    pub fn set(&self, value: &T) {
        crate::sys::set(self.key(), &encode(value));
    }

    pub fn has(&self) -> bool {
        crate::sys::has(self.key())
    }

    /// Removes the value; `true` if there was one.
    pub fn remove(&self) -> bool {
        crate::sys::remove(self.key())
    }

    /// Loads the value (or `T::default()`), lets `f` change it, stores it and
    /// returns the new value.
    pub fn update(&self, f: impl FnOnce(&mut T)) -> T
    where
        T: Default,
    {
        let mut v = self.get_or_default();
        f(&mut v);
        self.set(&v);
        v
    }
}

fn missing(name: &str) -> String {
    let mut s = String::from("storage item `");
    s.push_str(name);
    s.push_str("` is not set (was the program initialized?)");
    s
}

/// A map, declared in a program as `#[storage] static NAME: Map<K, V>;`.
pub struct Map<K, V> {
    name: &'static str,
    _entries: PhantomData<fn() -> (K, V)>,
}

impl<K, V> core::fmt::Debug for Map<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Map({})", self.name)
    }
}

impl<K: BorshSerialize + BorshDeserialize, V: BorshSerialize + BorshDeserialize> Map<K, V> {
    pub const fn new(name: &'static str) -> Self {
        Map {
            name,
            _entries: PhantomData,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `name/`: the prefix of every key of this map.
    pub fn prefix(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(self.name.len() + 1);
        p.extend_from_slice(self.name.as_bytes());
        p.push(b'/');
        p
    }

    /// The storage key of entry `key`: `name/` ++ `borsh(key)`.
    pub fn key_bytes(&self, key: &K) -> Vec<u8> {
        // One allocation for fixed-size keys (see `encode`).
        let mut k = Vec::with_capacity(self.name.len() + 1 + core::mem::size_of_val(key));
        k.extend_from_slice(self.name.as_bytes());
        k.push(b'/');
        encode_into(key, &mut k);
        k
    }

    pub fn get(&self, key: &K) -> Option<V> {
        crate::sys::get(&self.key_bytes(key)).map(|bytes| decode_stored(self.name, &bytes))
    }

    pub fn get_or_default(&self, key: &K) -> V
    where
        V: Default,
    {
        self.get(key).unwrap_or_default()
    }

    pub fn set(&self, key: &K, value: &V) {
        crate::sys::set(&self.key_bytes(key), &encode(value));
    }

    pub fn has(&self, key: &K) -> bool {
        crate::sys::has(&self.key_bytes(key))
    }

    /// Removes the entry; `true` if there was one.
    pub fn remove(&self, key: &K) -> bool {
        crate::sys::remove(&self.key_bytes(key))
    }

    /// The entries in ascending byte order of their encoded keys. Each step is
    /// one `storage_next` host call, so iteration sees writes made while it
    /// runs.
    pub fn iter(&self) -> MapIter<K, V> {
        MapIter {
            name: self.name,
            prefix: self.prefix(),
            after: None,
            done: false,
            _e: PhantomData,
        }
    }
}

/// Iterator over a [`Map`], in key-byte order.
pub struct MapIter<K, V> {
    name: &'static str,
    prefix: Vec<u8>,
    after: Option<Vec<u8>>,
    done: bool,
    _e: PhantomData<fn() -> (K, V)>,
}

impl<K, V> core::fmt::Debug for MapIter<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MapIter({})", self.name)
    }
}

impl<K: BorshDeserialize, V: BorshDeserialize> Iterator for MapIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        if self.done {
            return None;
        }
        let Some(bytes) = crate::sys::next(&self.prefix, self.after.as_deref()) else {
            self.done = true;
            return None;
        };
        let (key, value): (Vec<u8>, Vec<u8>) = decode_stored(self.name, &bytes);
        let Some(encoded_key) = key.strip_prefix(self.prefix.as_slice()) else {
            abort(
                codes::CORRUPT_STORAGE,
                "storage_next returned a key outside the prefix",
            )
        };
        let k = decode_stored(self.name, encoded_key);
        let v = decode_stored(self.name, &value);
        self.after = Some(key);
        Some((k, v))
    }
}

/// Raw keys and values of the program's own namespace, outside the typed
/// layout: each function is one host call of the ABI (docs/host-abi.md).
/// For programs that lay out their storage themselves; [`Item`] and [`Map`]
/// are built on the same calls.
pub mod raw {
    use crate::__private::decode_stored;
    use alloc::vec::Vec;

    /// The value at `key` (`storage_get`).
    pub fn get(key: &[u8]) -> Option<Vec<u8>> {
        crate::sys::get(key)
    }

    /// Whether a value exists at `key` (`storage_has`).
    pub fn has(key: &[u8]) -> bool {
        crate::sys::has(key)
    }

    /// Writes `value` at `key` (`storage_set`; the call fails in a view).
    pub fn set(key: &[u8], value: &[u8]) {
        crate::sys::set(key, value)
    }

    /// Removes the value at `key`; whether there was one (`storage_remove`;
    /// the call fails in a view).
    pub fn remove(key: &[u8]) -> bool {
        crate::sys::remove(key)
    }

    /// The first `(key, value)` whose key starts with `prefix` and, when
    /// `after` is given, is strictly greater than `after`, in ascending byte
    /// order of keys (`storage_next`). An `after` that sorts before `prefix`
    /// excludes nothing.
    pub fn next(prefix: &[u8], after: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
        crate::sys::next(prefix, after).map(|bytes| decode_stored("storage_next", &bytes))
    }
}
