//! The redb tables of the store and the byte layout of their keys and
//! values. `docs/decisions/0003-state-store.md` describes the same layout;
//! both change together, with [`FORMAT_VERSION`].
//!
//! All integers in keys are big-endian so that byte order is numeric order.

use jmt::storage::NodeKey;
use jmt::{KeyHash, Version};
use redb::TableDefinition;

/// On-disk format written by this build, stored under [`META_FORMAT`].
pub const FORMAT_VERSION: u64 = 1;

/// `&str -> u64`: [`META_FORMAT`], [`META_FIRST`], [`META_LATEST`], [`META_OLDEST`].
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const META_FORMAT: &str = "format";
/// The first version ever committed; absent while the store is empty.
pub const META_FIRST: &str = "first";
/// The latest committed version; absent while the store is empty.
pub const META_LATEST: &str = "latest";
/// The oldest version that is still readable; absent while the store is empty.
pub const META_OLDEST: &str = "oldest";

/// `version -> root hash` for every readable version.
pub const ROOTS: TableDefinition<u64, [u8; 32]> = TableDefinition::new("roots");

/// Tree nodes: [`node_key`] -> borsh of `jmt::storage::Node`.
pub const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");

/// Nodes no longer reachable from the latest root:
/// `stale_since_version (8) ‖ node_key` -> `()`.
pub const STALE_NODES: TableDefinition<&[u8], ()> = TableDefinition::new("jmt_stale_nodes");

/// Versioned values: [`value_key`] -> [`encode_value`].
pub const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");

/// Values superseded at a version:
/// `superseded_at_version (8) ‖ key_hash (32) ‖ written_at_version (8)` -> `()`.
pub const STALE_VALUES: TableDefinition<&[u8], ()> = TableDefinition::new("jmt_stale_values");

/// The latest value of every live key, by raw key, for ordered iteration.
pub const LATEST: TableDefinition<&[u8], &[u8]> = TableDefinition::new("latest_state");

/// Aux data: [`aux_key`] -> value.
pub const AUX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aux");

/// `version (8) ‖ nibble count (1) ‖ nibbles packed two per byte, high
/// nibble first, a trailing low nibble of 0 when the count is odd`.
pub fn node_key(key: &NodeKey) -> Vec<u8> {
    let path = key.nibble_path();
    let count = path.num_nibbles();
    let mut out = Vec::with_capacity(9 + count.div_ceil(2));
    out.extend_from_slice(&key.version().to_be_bytes());
    // A path has at most 64 nibbles (256 bits / 4).
    out.push(u8::try_from(count).unwrap_or(u8::MAX));
    let mut high: Option<u8> = None;
    for nibble in path.nibbles() {
        let n = u8::from(nibble);
        match high.take() {
            None => high = Some(n << 4),
            Some(h) => out.push(h | n),
        }
    }
    if let Some(h) = high {
        out.push(h);
    }
    out
}

/// The key of the root node of `version` (an empty nibble path).
pub fn root_node_key(version: Version) -> [u8; 9] {
    let mut out = [0u8; 9];
    out[..8].copy_from_slice(&version.to_be_bytes());
    out
}

/// `stale_since_version (8) ‖ rest`, the key of both stale tables.
pub fn stale_key(since: Version, rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + rest.len());
    out.extend_from_slice(&since.to_be_bytes());
    out.extend_from_slice(rest);
    out
}

/// All stale-table keys of versions `<= version` sort below this bound.
pub fn stale_bound(version: Version) -> [u8; 8] {
    version.saturating_add(1).to_be_bytes()
}

/// `key_hash (32) ‖ version (8)`: the versions of one key are adjacent and
/// ascending, so the value at version `v` is the last entry `<= (hash, v)`.
pub fn value_key(key_hash: KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

/// The version part of a [`value_key`].
pub fn value_key_version(key: &[u8]) -> Option<Version> {
    let bytes: [u8; 8] = key.get(32..40)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

const TOMBSTONE: u8 = 0;
const PRESENT: u8 = 1;

/// `0x00` for a deletion, `0x01 ‖ bytes` for a value.
pub fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![TOMBSTONE],
        Some(v) => {
            let mut out = Vec::with_capacity(1 + v.len());
            out.push(PRESENT);
            out.extend_from_slice(v);
            out
        }
    }
}

/// Whether an [`encode_value`] record holds a value (not a deletion).
pub fn value_is_present(bytes: &[u8]) -> bool {
    bytes.first() == Some(&PRESENT)
}

/// Inverse of [`encode_value`]; `Err` on bytes it never writes.
pub fn decode_value(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    match bytes.split_first() {
        Some((&TOMBSTONE, [])) => Ok(None),
        Some((&PRESENT, rest)) => Ok(Some(rest.to_vec())),
        Some((tag, _)) => Err(format!("unknown value tag {tag}")),
        None => Err("empty value record".to_string()),
    }
}

/// `namespace length (1) ‖ namespace ‖ key`. The length prefix keeps one
/// namespace's keys from running into another's (`"a"` + `"bc"` vs `"ab"` +
/// `"c"`).
pub fn aux_key(namespace: &str, key: &[u8]) -> Vec<u8> {
    let mut out = aux_prefix(namespace);
    out.extend_from_slice(key);
    out
}

/// The prefix shared by all aux keys of `namespace`.
pub fn aux_prefix(namespace: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + namespace.len());
    // Namespaces are validated to at most 64 bytes before they get here.
    out.push(u8::try_from(namespace.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(namespace.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jmt::storage::NibblePath;

    #[test]
    fn node_key_packs_nibbles() {
        let root = NodeKey::new(7, NibblePath::from_iter(std::iter::empty()));
        assert_eq!(node_key(&root), [0, 0, 0, 0, 0, 0, 0, 7, 0]);
        assert_eq!(node_key(&root), root_node_key(7));
    }

    #[test]
    fn values_round_trip_and_reject_garbage() {
        assert_eq!(decode_value(&encode_value(None)), Ok(None));
        assert_eq!(
            decode_value(&encode_value(Some(b"x"))),
            Ok(Some(b"x".to_vec()))
        );
        assert_eq!(decode_value(&encode_value(Some(b""))), Ok(Some(Vec::new())));
        assert!(decode_value(&[]).is_err());
        assert!(decode_value(&[0, 1]).is_err());
        assert!(decode_value(&[9]).is_err());
    }

    #[test]
    fn value_keys_sort_by_hash_then_version() {
        let a = KeyHash([1; 32]);
        assert!(value_key(a, 1) < value_key(a, 256));
        assert!(value_key(a, u64::MAX) < value_key(KeyHash([2; 32]), 0));
        assert_eq!(value_key_version(&value_key(a, 300)), Some(300));
    }

    #[test]
    fn aux_namespaces_do_not_overlap() {
        assert_ne!(aux_key("a", b"bc"), aux_key("ab", b"c"));
        assert!(aux_key("ab", b"").starts_with(&aux_prefix("ab")));
        assert!(!aux_key("abc", b"").starts_with(&aux_prefix("ab")));
    }
}
