//! Errors of the state store and of proof verification.

use std::path::PathBuf;

use molt_types::CodecError;

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a store operation failed.
///
/// Variants that concern the caller's input (versions, sizes, namespaces,
/// prepared blocks on the wrong branch) leave the store unchanged and can be
/// retried with corrected input. [`StoreError::CommitFailed`] and
/// [`StoreError::Database`] mean the disk or the database file is in trouble:
/// the node must stop rather than continue on a state it could not persist.
/// After either, drop the [`Store`](crate::Store) and reopen it: the
/// database refuses further I/O once an I/O operation has failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the state store at {path}: {source}; check that the directory exists, is \
         writable, and that no other process has the store open"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: Box<redb::Error>,
    },

    #[error(
        "the state store at {path} has on-disk format {found}, this build reads format \
         {supported}; use a matching node binary or resync the state"
    )]
    UnsupportedFormat {
        path: PathBuf,
        found: u64,
        supported: u64,
    },

    #[error(
        "commit of version {got} refused: the next version must be {expected} (the latest \
         committed version plus one)"
    )]
    UnexpectedVersion { expected: u64, got: u64 },

    #[error("version {version} cannot be committed: versions must be below u64::MAX")]
    VersionOverflow { version: u64 },

    #[error(
        "version {version} is not in the store (latest committed version: {}); query a version \
         that has been committed",
        fmt_latest(*latest)
    )]
    UnknownVersion { version: u64, latest: Option<u64> },

    #[error(
        "version {version} has been pruned; the oldest version still stored is {oldest} (raise \
         `keep_versions` to keep more history)"
    )]
    VersionPruned { version: u64, oldest: u64 },

    #[error("cannot prune below version {requested}: the latest committed version is {}", fmt_latest(*latest))]
    PruneBeyondLatest { requested: u64, latest: Option<u64> },

    #[error("key of {len} bytes is over the limit of {limit} bytes; use a shorter (hashed) key")]
    KeyTooLarge { len: usize, limit: usize },

    #[error("value of {len} bytes is over the limit of {limit} bytes; split it across keys")]
    ValueTooLarge { len: usize, limit: usize },

    #[error(
        "invalid aux namespace {namespace:?}: {reason} (use 1..=64 bytes of a-z, 0-9, '_', '-', \
         '.')"
    )]
    InvalidNamespace {
        namespace: String,
        reason: &'static str,
    },

    #[error("invalid store config: {0}")]
    InvalidConfig(String),

    #[error(
        "the Merkle tree could not be updated or read at version {version}: {reason}; the \
         database is inconsistent, restore it from a snapshot"
    )]
    Tree { version: u64, reason: String },

    #[error(
        "stored {what} is corrupt ({detail}); the database file was damaged, restore it from a \
         snapshot"
    )]
    Corrupt { what: &'static str, detail: String },

    #[error(
        "version {version} was NOT confirmed durable: the durable write failed ({source}); stop \
         the node and check the disk. After a restart the store is at the previous version, or \
         at this one, whole, if only the final flush failed"
    )]
    CommitFailed {
        version: u64,
        #[source]
        source: Box<redb::CommitError>,
    },

    #[error(
        "pruning below version {target} was NOT committed: the durable write failed ({source}); \
         the store is unchanged, check the disk"
    )]
    PruneFailed {
        target: u64,
        #[source]
        source: Box<redb::CommitError>,
    },

    #[error("database error: {0}; stop the node and check the disk and the database file")]
    Database(#[source] Box<redb::Error>),

    #[error(
        "prepared block {version} belongs to another store, or to this store before it was \
         reopened; prepare it again on this store"
    )]
    ForeignBlock { version: u64 },

    #[error(
        "prepared block {version} is already applied: it is committed and must not be applied \
         again"
    )]
    AlreadyApplied { version: u64 },

    #[error(
        "prepared block {version} cannot be applied yet: its ancestor at version {pending} is \
         still pending; apply the blocks of a chain in order, oldest first"
    )]
    ParentNotApplied { version: u64, pending: u64 },

    #[error(
        "prepared block {version} is on a discarded branch: the committed chain went another way \
         (latest committed version: {}); drop the block and execute it again on the committed \
         state",
        fmt_latest(*latest)
    )]
    BranchDiscarded { version: u64, latest: Option<u64> },

    #[error(
        "prepared block {version} was applied and versions up to {latest} are committed since; \
         read version {version} from a committed snapshot (`Store::snapshot`, `Snapshot::get_at`)"
    )]
    Superseded { version: u64, latest: u64 },

    #[error(
        "the checkpoint {path} could not be written: {reason}; nothing was kept and the store is \
         unchanged (free disk space or choose another place, then try again)"
    )]
    Checkpoint { path: PathBuf, reason: String },
}

impl StoreError {
    /// Whether the error comes from the disk or the database file (the node
    /// must stop) rather than from the caller's input.
    pub fn is_storage_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Open { .. }
                | StoreError::CommitFailed { .. }
                | StoreError::PruneFailed { .. }
                | StoreError::Database(_)
                | StoreError::Tree { .. }
                | StoreError::Corrupt { .. }
        )
    }
}

/// The error for a failure inside the tree code (which reports `anyhow`
/// errors): an I/O or database error of redb keeps its type, anything else
/// means the tree itself is inconsistent.
pub(crate) fn tree_error(version: u64, error: anyhow::Error) -> StoreError {
    match error.downcast::<redb::StorageError>() {
        Ok(storage) => StoreError::Database(Box::new(storage.into())),
        Err(error) => StoreError::Tree {
            version,
            reason: format!("{error:#}"),
        },
    }
}

fn fmt_latest(latest: Option<u64>) -> String {
    match latest {
        Some(v) => v.to_string(),
        None => "none, the store is empty".to_string(),
    }
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                StoreError::Database(Box::new(e.into()))
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::SetDurabilityError,
    redb::CommitError
);

/// Why a [`StateProof`](crate::StateProof) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("malformed state proof: {0}")]
    Decode(#[from] CodecError),

    #[error(
        "state proof does not show that the key {claim} under root {root}: {reason}; the proof, \
         the key, the value or the root is wrong"
    )]
    Invalid {
        claim: &'static str,
        root: String,
        reason: String,
    },
}
