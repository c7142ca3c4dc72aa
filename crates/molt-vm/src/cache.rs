//! Prepared modules by checksum, so that a module is validated and compiled
//! once. Eviction is least-recently-used by a logical clock; it affects only
//! speed, never results.

use crate::module::PreparedModule;
use molt_types::Digest;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Hit and miss counters of the module cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// `prepare` calls answered from the cache.
    pub hits: u64,
    /// `prepare` calls that validated and compiled the module.
    pub misses: u64,
    /// Modules currently held.
    pub entries: usize,
}

#[derive(Debug)]
pub(crate) struct ModuleCache {
    capacity: usize,
    clock: u64,
    entries: BTreeMap<Digest, (Arc<PreparedModule>, u64)>,
    hits: u64,
    misses: u64,
}

impl ModuleCache {
    pub(crate) fn new(capacity: usize) -> Self {
        ModuleCache {
            capacity,
            clock: 0,
            entries: BTreeMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The module with `checksum`, counting a hit; `None` counts nothing (the
    /// caller counts the miss when it prepares).
    pub(crate) fn get(&mut self, checksum: &Digest) -> Option<Arc<PreparedModule>> {
        self.clock = self.clock.wrapping_add(1);
        let clock = self.clock;
        let (module, last_use) = self.entries.get_mut(checksum)?;
        *last_use = clock;
        self.hits = self.hits.saturating_add(1);
        Some(Arc::clone(module))
    }

    pub(crate) fn record_miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
    }

    pub(crate) fn insert(&mut self, module: Arc<PreparedModule>) {
        self.clock = self.clock.wrapping_add(1);
        self.entries.insert(module.checksum(), (module, self.clock));
        while self.entries.len() > self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            match oldest {
                Some(key) => self.entries.remove(&key),
                None => break,
            };
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits,
            misses: self.misses,
            entries: self.entries.len(),
        }
    }
}
