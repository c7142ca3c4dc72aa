//! [`StateRead`]: the reads block execution needs, over committed or
//! pending state.

use crate::error::Result;
use crate::store::Entries;

/// A key-value state a block can execute on: the latest committed state
/// ([`Store`](crate::Store)), a pinned committed state
/// ([`Snapshot`](crate::Snapshot)) or a pending block's state
/// ([`PendingView`](crate::PendingView)).
///
/// Contract, shared by every implementation:
/// - keys iterate in ascending raw byte order, the order the Wasm host ABI
///   exposes to programs;
/// - a deleted key is absent, for [`StateRead::get`] and for iteration alike;
/// - reads never write and never fail on the caller's input; an error means
///   the disk or the database file is in trouble and is fatal for the block.
///
/// Consistency differs: a [`Snapshot`](crate::Snapshot) or a
/// [`PendingView`](crate::PendingView) answers every call from one pinned
/// state, while each call on a [`Store`](crate::Store) reads the latest
/// version at that moment, so two calls may see two versions.
pub trait StateRead {
    /// The value of `key`, `None` if it is absent.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// At most `limit` keys starting with `prefix`, with their values, in
    /// ascending byte order, starting after `start_after` (exclusive) when
    /// given: pass the last key of a page to get the next page.
    fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries>;

    /// The first key starting with `prefix` strictly after `after` (from the
    /// first key of the prefix when `None`), with its value.
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        Ok(self.iter_prefix_page(prefix, after, 1)?.into_iter().next())
    }
}

impl StateRead for crate::Store {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        crate::Store::get(self, key)
    }

    fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        crate::Store::iter_prefix_page(self, prefix, start_after, limit)
    }
}

impl StateRead for crate::Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        crate::Snapshot::get(self, key)
    }

    fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        crate::Snapshot::iter_prefix_page(self, prefix, start_after, limit)
    }
}
