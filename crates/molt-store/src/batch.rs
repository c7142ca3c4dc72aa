//! The writes of one version: authenticated state ([`WriteBatch`]) and
//! unauthenticated node data ([`AuxBatch`]), committed together.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::{Result, StoreError};

/// Longest state key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest state value accepted, in bytes.
pub const MAX_VALUE_BYTES: usize = 4 * 1024 * 1024;
/// Longest aux key accepted, in bytes.
pub const MAX_AUX_KEY_BYTES: usize = 1024;
/// Longest aux value accepted, in bytes (a whole block fits).
pub const MAX_AUX_VALUE_BYTES: usize = 64 * 1024 * 1024;
/// Longest aux namespace name, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 64;

/// State writes of one version, ordered by key: `Some(value)` sets a key,
/// `None` deletes it. A later write to the same key replaces an earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.writes.insert(key.into(), Some(value.into()));
        self
    }

    /// Deletes `key` (a no-op for the state if it is absent).
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.writes.insert(key.into(), None);
        self
    }

    /// The writes in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.writes
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub fn into_inner(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.writes
    }

    /// The write to `key`: `Some(Some(value))` sets it, `Some(None)` deletes
    /// it, `None` leaves it alone.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(Option::as_deref)
    }

    /// The writes from `start` on, in ascending key order.
    pub(crate) fn range_from<'a>(
        &'a self,
        start: Bound<&'a [u8]>,
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.writes
            .range::<[u8], _>((start, Bound::Unbounded))
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    pub(crate) fn validate(&self) -> Result<()> {
        for (key, value) in &self.writes {
            check_len(key.len(), MAX_KEY_BYTES, true)?;
            if let Some(value) = value {
                check_len(value.len(), MAX_VALUE_BYTES, false)?;
            }
        }
        Ok(())
    }
}

impl From<BTreeMap<Vec<u8>, Option<Vec<u8>>>> for WriteBatch {
    fn from(writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Self {
        WriteBatch { writes }
    }
}

impl FromIterator<(Vec<u8>, Option<Vec<u8>>)> for WriteBatch {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>>(iter: I) -> Self {
        WriteBatch {
            writes: iter.into_iter().collect(),
        }
    }
}

/// Unauthenticated writes of one version (blocks, receipts, indexes),
/// grouped in named namespaces. They are not part of the state root but are
/// committed in the same transaction as the state, so a block and its state
/// are either both stored or both absent. Aux data is not versioned: a read
/// sees the latest write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuxBatch {
    writes: BTreeMap<(String, Vec<u8>), Option<Vec<u8>>>,
}

impl AuxBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` in `namespace` to `value`.
    pub fn put(
        &mut self,
        namespace: impl Into<String>,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.writes
            .insert((namespace.into(), key.into()), Some(value.into()));
        self
    }

    /// Deletes `key` from `namespace`.
    pub fn delete(&mut self, namespace: impl Into<String>, key: impl Into<Vec<u8>>) -> &mut Self {
        self.writes.insert((namespace.into(), key.into()), None);
        self
    }

    /// The writes ordered by namespace, then key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8], Option<&[u8]>)> {
        self.writes
            .iter()
            .map(|((ns, k), v)| (ns.as_str(), k.as_slice(), v.as_deref()))
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        for ((namespace, key), value) in &self.writes {
            validate_namespace(namespace)?;
            check_len(key.len(), MAX_AUX_KEY_BYTES, true)?;
            if let Some(value) = value {
                check_len(value.len(), MAX_AUX_VALUE_BYTES, false)?;
            }
        }
        Ok(())
    }
}

fn check_len(len: usize, limit: usize, is_key: bool) -> Result<()> {
    if len <= limit {
        Ok(())
    } else if is_key {
        Err(StoreError::KeyTooLarge { len, limit })
    } else {
        Err(StoreError::ValueTooLarge { len, limit })
    }
}

/// Namespaces are short lowercase names so that they can be listed, logged
/// and typed on a command line without escaping.
pub(crate) fn validate_namespace(namespace: &str) -> Result<()> {
    let reason = if namespace.is_empty() {
        Some("it is empty")
    } else if namespace.len() > MAX_NAMESPACE_BYTES {
        Some("it is longer than 64 bytes")
    } else if !namespace
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'))
    {
        Some("it contains a character outside a-z, 0-9, '_', '-', '.'")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidNamespace {
            namespace: namespace.to_string(),
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_write_to_a_key_wins() {
        let mut batch = WriteBatch::new();
        batch
            .put(b"a".to_vec(), b"1".to_vec())
            .delete(b"a".to_vec());
        assert_eq!(batch.iter().collect::<Vec<_>>(), vec![(&b"a"[..], None)]);
    }

    #[test]
    fn oversized_key_and_value_are_rejected() {
        let mut batch = WriteBatch::new();
        batch.put(vec![0u8; MAX_KEY_BYTES + 1], b"v".to_vec());
        assert!(matches!(
            batch.validate(),
            Err(StoreError::KeyTooLarge { .. })
        ));
        let mut batch = WriteBatch::new();
        batch.put(b"k".to_vec(), vec![0u8; MAX_VALUE_BYTES + 1]);
        assert!(matches!(
            batch.validate(),
            Err(StoreError::ValueTooLarge { .. })
        ));
    }

    #[test]
    fn namespaces_are_checked() {
        for bad in ["", "Blocks", "a b", "x/y", &"n".repeat(65)] {
            assert!(validate_namespace(bad).is_err(), "{bad:?} must be rejected");
        }
        for good in ["blocks", "tx_index", "receipts-v1", "a.b", &"n".repeat(64)] {
            assert!(
                validate_namespace(good).is_ok(),
                "{good:?} must be accepted"
            );
        }
    }
}
