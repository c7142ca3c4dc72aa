//! Configuration of a [`Store`](crate::Store).

use std::num::NonZeroU64;

use crate::error::{Result, StoreError};

/// How a [`Store`](crate::Store) keeps history and uses memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// How many versions (the latest included) stay readable and provable.
    ///
    /// `None` keeps every version. `Some(n)` makes each commit of version
    /// `v` also delete, in the same transaction, the tree nodes, historical
    /// values and roots that only versions below `v + 1 - n` need;
    /// [`Store::prune`](crate::Store::prune) applies the same rule on demand
    /// (for example after reopening with a smaller `n`).
    pub keep_versions: Option<NonZeroU64>,
    /// Bytes of page cache redb may use. At least [`StoreConfig::MIN_CACHE_BYTES`].
    pub cache_bytes: usize,
}

impl StoreConfig {
    /// The smallest page cache accepted: below this every read goes to disk.
    pub const MIN_CACHE_BYTES: usize = 1024 * 1024;
    /// The default page cache.
    pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

    /// Keeps all versions.
    pub fn archive() -> Self {
        StoreConfig {
            keep_versions: None,
            cache_bytes: Self::DEFAULT_CACHE_BYTES,
        }
    }

    /// Keeps the latest `n` versions.
    pub fn keep_latest(n: NonZeroU64) -> Self {
        StoreConfig {
            keep_versions: Some(n),
            cache_bytes: Self::DEFAULT_CACHE_BYTES,
        }
    }

    /// Checks the invariants [`Store::open`](crate::Store::open) relies on.
    pub fn validate(&self) -> Result<()> {
        if self.cache_bytes < Self::MIN_CACHE_BYTES {
            return Err(StoreError::InvalidConfig(format!(
                "cache_bytes is {}, it must be at least {} (1 MiB)",
                self.cache_bytes,
                Self::MIN_CACHE_BYTES
            )));
        }
        Ok(())
    }

    /// Panics if the config is invalid; for configs built in code.
    pub fn assert(&self) {
        if let Err(e) = self.validate() {
            panic!("{e}");
        }
    }

    /// The oldest version to keep when `latest` is the newest, or `None` if
    /// every version is kept.
    pub(crate) fn oldest_to_keep(&self, latest: u64) -> Option<u64> {
        self.keep_versions
            .map(|n| latest.saturating_add(1).saturating_sub(n.get()))
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self::archive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cache_is_rejected() {
        let config = StoreConfig {
            cache_bytes: 1024,
            ..StoreConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(StoreError::InvalidConfig(_))
        ));
        assert!(StoreConfig::default().validate().is_ok());
    }

    #[test]
    fn oldest_to_keep_counts_the_latest() {
        let three = StoreConfig::keep_latest(NonZeroU64::new(3).expect("3 is non-zero"));
        assert_eq!(three.oldest_to_keep(10), Some(8));
        assert_eq!(three.oldest_to_keep(1), Some(0));
        assert_eq!(StoreConfig::archive().oldest_to_keep(10), None);
    }
}
