//! Uncommitted writes of a block over the last committed state, with nested
//! checkpoints so a failed transaction or call is undone exactly.

use crate::error::RuntimeError;
use molt_store::{StateRead, WriteBatch};
use molt_types::Event;
use std::collections::BTreeMap;
use std::ops::Bound;

/// How many committed keys to read at a time when looking for the next key
/// in a prefix that the overlay has not deleted.
const SCAN_PAGE: usize = 32;

/// A key and its value.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// Per open checkpoint: each key first written inside it with the overlay
/// entry it had before (`None`: the overlay had no entry), and the event
/// count at its start.
#[derive(Debug, Default)]
struct UndoLog {
    previous: BTreeMap<Vec<u8>, Option<Option<Vec<u8>>>>,
    events: usize,
}

/// The state as seen during block execution: the parent's state (the
/// latest committed version, a pinned snapshot or a pending block's view)
/// plus this block's writes so far.
pub struct Overlay<'s> {
    store: &'s dyn StateRead,
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    events: Vec<Event>,
    undo: Vec<UndoLog>,
    /// The id of the transaction being applied, recorded in the package
    /// versions a governance upgrade writes.
    transaction: Option<molt_types::Digest>,
}

impl std::fmt::Debug for Overlay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("changes", &self.changes.len())
            .field("events", &self.events.len())
            .field("checkpoints", &self.undo.len())
            .finish()
    }
}

impl<'s> Overlay<'s> {
    pub fn new(store: &'s dyn StateRead) -> Self {
        Overlay {
            store,
            changes: BTreeMap::new(),
            events: Vec::new(),
            undo: Vec::new(),
            transaction: None,
        }
    }

    /// Sets the transaction being applied.
    pub fn set_transaction(&mut self, id: Option<molt_types::Digest>) {
        self.transaction = id;
    }

    /// The transaction being applied, if any.
    pub fn transaction(&self) -> Option<molt_types::Digest> {
        self.transaction
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, RuntimeError> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => Ok(self.store.get(key)?),
        }
    }

    fn record(&mut self, key: &[u8]) {
        if let Some(log) = self.undo.last_mut()
            && !log.previous.contains_key(key)
        {
            log.previous
                .insert(key.to_vec(), self.changes.get(key).cloned());
        }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.record(&key);
        self.changes.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.record(&key);
        self.changes.insert(key, None);
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn checkpoint(&mut self) {
        self.undo.push(UndoLog {
            previous: BTreeMap::new(),
            events: self.events.len(),
        });
    }

    /// Keeps the writes since the matching checkpoint.
    pub fn commit(&mut self) {
        if let Some(log) = self.undo.pop() {
            // The enclosing checkpoint must still be able to undo these keys.
            if let Some(outer) = self.undo.last_mut() {
                for (k, prev) in log.previous {
                    outer.previous.entry(k).or_insert(prev);
                }
            }
        }
    }

    /// Undoes the writes and events since the matching checkpoint.
    pub fn revert(&mut self) {
        if let Some(log) = self.undo.pop() {
            for (k, prev) in log.previous {
                match prev {
                    Some(v) => self.changes.insert(k, v),
                    None => self.changes.remove(&k),
                };
            }
            self.events.truncate(log.events);
        }
    }

    /// The first key with `prefix` strictly after `after`, with its value.
    pub fn next(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<KeyValue>, RuntimeError> {
        let lower = match after {
            Some(a) => Bound::Excluded(a.to_vec()),
            None => Bound::Included(prefix.to_vec()),
        };
        let from_overlay = self
            .changes
            .range((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .find_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())));
        let mut cursor = after.map(|a| a.to_vec());
        let from_store = loop {
            let page = self
                .store
                .iter_prefix_page(prefix, cursor.as_deref(), SCAN_PAGE)?;
            let Some(last) = page.last().map(|(k, _)| k.clone()) else {
                break None;
            };
            if let Some(hit) = page
                .into_iter()
                .find(|(k, _)| !self.changes.contains_key(k))
            {
                break Some(hit);
            }
            cursor = Some(last);
        };
        Ok(match (from_overlay, from_store) {
            (Some(o), Some(s)) => Some(if o.0 <= s.0 { o } else { s }),
            (o, s) => o.or(s),
        })
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events recorded so far (the runtime does this per transaction).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    pub fn into_batch(self) -> WriteBatch {
        let mut batch = WriteBatch::new();
        for (k, v) in self.changes {
            match v {
                Some(v) => batch.put(k, v),
                None => batch.delete(k),
            };
        }
        batch
    }
}
