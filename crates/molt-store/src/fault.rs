//! Storage fault injection for tests (feature `test-utils`).
//!
//! [`FaultyBackend`] is a redb storage backend over a real file (redb's own
//! file backend, locks included) that fails reads, writes or syncs
//! (`fsync`/`fdatasync`) when its [`Faults`] handle says so. Open a store on
//! it with [`Store::open_with_backend`](crate::Store::open_with_backend),
//! arm a fault through the handle, and check what the store reports and
//! what a reopen finds.
//!
//! A failed operation does nothing: a failed write leaves the file as it
//! was, a failed sync leaves earlier writes in the operating system's cache,
//! where a later reader of the file sees them, as after a real failed fsync
//! on a machine that did not lose power.
//!
//! Once one I/O operation fails, redb refuses every further operation of
//! that database (`PreviousIo`): drop the store and reopen it (from a new
//! backend, or with [`Store::open`](crate::Store::open)).
//!
//! # Reads of one key
//!
//! redb serves reads from its page cache, so which backend read fetches the
//! page of a given key (if any) depends on the cache. To fail the read of
//! one state key exactly where the state machine reads it (inside a nested
//! program call, in a transaction's precheck), [`Faults::fail_reads_of_key`]
//! arms a fault on the key itself: every read of it through the store
//! ([`Store::get`](crate::Store::get), a [`Snapshot`](crate::Snapshot) or a
//! [`PendingView`](crate::PendingView), by key or by prefix iteration) then
//! fails with the error a failed disk read gives (`StoreError::Database`
//! holding an I/O error), as long as the store was opened with
//! [`Store::open_with_faults`](crate::Store::open_with_faults).

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// The storage operations a fault can be armed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultOp {
    /// Reading bytes of the file.
    Read,
    /// Writing bytes of the file.
    Write,
    /// `sync_data`: the flush that makes a commit durable.
    Sync,
}

impl FaultOp {
    const ALL: [FaultOp; 3] = [FaultOp::Read, FaultOp::Write, FaultOp::Sync];

    fn index(self) -> usize {
        match self {
            FaultOp::Read => 0,
            FaultOp::Write => 1,
            FaultOp::Sync => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FaultOp::Read => "read",
            FaultOp::Write => "write",
            FaultOp::Sync => "sync",
        }
    }
}

/// The plan for one operation: operations are numbered from 0 in the order
/// they reach the backend; those numbered in `fail` fail.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    done: u64,
    injected: u64,
    /// `[start, end)` of the operation numbers that fail.
    fail: Option<(u64, u64)>,
}

/// The handle that arms faults on a [`FaultyBackend`]; shared by `Arc`, so
/// a test keeps it while the store owns the backend.
#[derive(Default)]
pub struct Faults {
    plans: Mutex<[Plan; 3]>,
    /// State keys whose reads fail (see "Reads of one key").
    keys: Mutex<std::collections::BTreeSet<Vec<u8>>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plans = *self.lock();
        let mut out = f.debug_struct("Faults");
        for op in FaultOp::ALL {
            out.field(op.name(), &plans[op.index()]);
        }
        out.finish()
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, [Plan; 3]> {
        self.plans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fails exactly the next `op`; later ones succeed.
    pub fn fail_next(&self, op: FaultOp) {
        let mut plans = self.lock();
        let plan = &mut plans[op.index()];
        plan.fail = Some((plan.done, plan.done.saturating_add(1)));
    }

    /// Lets the next `n` operations `op` succeed, then fails every later
    /// one until [`Faults::heal`]: a disk that stopped working.
    pub fn fail_after(&self, op: FaultOp, n: u64) {
        let mut plans = self.lock();
        let plan = &mut plans[op.index()];
        plan.fail = Some((plan.done.saturating_add(n), u64::MAX));
    }

    /// Fails the next read.
    pub fn fail_next_read(&self) {
        self.fail_next(FaultOp::Read);
    }

    /// Fails every read after the next `n`.
    pub fn fail_reads_after(&self, n: u64) {
        self.fail_after(FaultOp::Read, n);
    }

    /// Fails the next write.
    pub fn fail_next_write(&self) {
        self.fail_next(FaultOp::Write);
    }

    /// Fails every write after the next `n`.
    pub fn fail_writes_after(&self, n: u64) {
        self.fail_after(FaultOp::Write, n);
    }

    /// Fails the next sync.
    pub fn fail_next_sync(&self) {
        self.fail_next(FaultOp::Sync);
    }

    /// Fails every sync after the next `n`.
    pub fn fail_syncs_after(&self, n: u64) {
        self.fail_after(FaultOp::Sync, n);
    }

    /// Fails every read of the state key `key` until [`Faults::heal`].
    pub fn fail_reads_of_key(&self, key: &[u8]) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_vec());
    }

    /// Disarms every fault; counts are kept.
    pub fn heal(&self) {
        for plan in self.lock().iter_mut() {
            plan.fail = None;
        }
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// `Err` (counted as an injected read fault) if a read of `key`, or of
    /// any key starting with `prefix` when `key` is a prefix, is to fail.
    pub(crate) fn check_key(&self, key: &[u8], prefix: bool) -> crate::Result<()> {
        let armed = {
            let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            keys.iter()
                .any(|k| k.as_slice() == key || (prefix && k.starts_with(key)))
        };
        if !armed {
            return Ok(());
        }
        {
            let mut plans = self.lock();
            let plan = &mut plans[FaultOp::Read.index()];
            plan.injected = plan.injected.saturating_add(1);
        }
        let io = io::Error::other("injected read fault on an armed key (molt-store test-utils)");
        Err(crate::StoreError::Database(Box::new(
            redb::StorageError::Io(io).into(),
        )))
    }

    /// How many operations `op` reached the backend, failed ones included.
    pub fn count(&self, op: FaultOp) -> u64 {
        self.lock()[op.index()].done
    }

    /// How many operations `op` were failed on purpose.
    pub fn injected(&self, op: FaultOp) -> u64 {
        self.lock()[op.index()].injected
    }

    /// Counts one operation `op`; `Err` if it is to fail.
    fn check(&self, op: FaultOp) -> io::Result<()> {
        let mut plans = self.lock();
        let plan = &mut plans[op.index()];
        let number = plan.done;
        plan.done = plan.done.saturating_add(1);
        match plan.fail {
            Some((start, end)) if (start..end).contains(&number) => {
                plan.injected = plan.injected.saturating_add(1);
                Err(io::Error::other(format!(
                    "injected {} fault (operation {number}, molt-store test-utils)",
                    op.name()
                )))
            }
            _ => Ok(()),
        }
    }
}

/// A redb backend over a real file whose reads, writes and syncs fail on
/// command (see the module documentation).
pub struct FaultyBackend {
    file: FileBackend,
    path: PathBuf,
    faults: Arc<Faults>,
}

impl fmt::Debug for FaultyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBackend")
            .field("path", &self.path)
            .field("faults", &self.faults)
            .finish()
    }
}

impl FaultyBackend {
    /// Opens (or creates) the database file at `path`, with no fault armed.
    pub fn open(path: &Path) -> io::Result<FaultyBackend> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let file = FileBackend::new(file).map_err(io::Error::other)?;
        Ok(FaultyBackend {
            file,
            path: path.to_path_buf(),
            faults: Arc::default(),
        })
    }

    /// The handle that arms this backend's faults.
    pub fn faults(&self) -> Arc<Faults> {
        Arc::clone(&self.faults)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> Result<u64, io::Error> {
        self.file.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.faults.check(FaultOp::Read)?;
        self.file.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.faults.check(FaultOp::Sync)?;
        self.file.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.faults.check(FaultOp::Write)?;
        self.file.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}
