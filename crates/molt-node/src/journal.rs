//! The mempool journal: transactions the node accepted survive its crash.
//!
//! # File
//!
//! `<data_dir>/mempool.journal`:
//!
//! ```text
//! header   8 bytes   b"MOLTMPJ1"
//! record*  4 bytes   payload length n, u32 little-endian, 1..=MAX_RESOLVE_TRANSACTION_BYTES
//!          4 bytes   check: the first 4 bytes of SHA3-256(payload)
//!          n bytes   payload: the signed transaction, canonical encoding
//! ```
//!
//! # Protocol
//!
//! 1. **Admission.** After the mempool admits a transaction, and before the
//!    submitter is answered, its record is appended in one piece.
//!    If the write fails the admission is undone and the submitter told, so
//!    "accepted" always means "journaled". The record is then in the
//!    operating system's file cache, which outlives a crash or kill of the
//!    node process. The journal is flushed to disk (`fdatasync`) after every
//!    block, so a power loss loses at most what was admitted since the
//!    last block.
//! 2. **Recovery.** At start the node reads the records in order and stops at
//!    the first that is incomplete or fails its check: a record torn by a
//!    crash in the middle of its write. What follows it is counted as
//!    `torn_bytes` and discarded; the node starts normally. Each record read
//!    goes through the runtime's admission check again, in journal order:
//!    transactions already included in a block, or now invalid (expired, a
//!    sequence number used, no longer able to pay), are dropped; the rest
//!    re-enter the mempool. The journal is then rewritten with exactly the
//!    re-admitted ones.
//! 3. **Compaction.** Records of transactions that left the mempool
//!    (included, or dropped as invalid) stay in the file until it is
//!    rewritten. After a block, once such dead records are at least as many
//!    as the live ones, the journal is rewritten with the mempool's
//!    transactions in arrival order: a temporary file, fsync, rename over the
//!    journal, fsync of the directory. A crash at any point leaves either the
//!    whole old journal or the whole new one. The file therefore stays below
//!    twice the mempool plus one block's worth of records.
//!
//! A file that does not start with the header is not a journal; the node
//! refuses to start rather than discard it (move it away to start).

use crate::mempool::Mempool;
use molt_runtime::{Runtime, RuntimeError};
use molt_types::codec::limits::MAX_RESOLVE_TRANSACTION_BYTES;
use molt_types::{SignedTransaction, sha3_256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The journal's file name inside the data directory.
pub const JOURNAL_FILE: &str = "mempool.journal";
const MAGIC: &[u8; 8] = b"MOLTMPJ1";
const RECORD_HEAD: usize = 8;

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot {action} the mempool journal {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a Molt mempool journal (it does not start with the journal header); \
         move it out of the data directory and start the node again"
    )]
    NotAJournal { path: PathBuf },
    #[error("a transaction of {size} bytes cannot be journaled: the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
}

/// What recovery made of the journal found at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Transactions that passed admission again and are back in the mempool.
    pub readmitted: usize,
    /// Transactions that a committed block already holds.
    pub already_included: usize,
    /// Transactions the runtime or the mempool now refuses, and records whose
    /// payload does not decode.
    pub dropped_invalid: usize,
    /// Bytes after the last whole record (a write torn by a crash), discarded.
    pub torn_bytes: u64,
}

/// The records read back from a journal file, before re-admission.
#[derive(Debug)]
pub struct JournalContents {
    /// Each transaction with its encoded size, in journal order.
    pub transactions: Vec<(SignedTransaction, usize)>,
    /// Records with a good check whose payload is not a transaction.
    pub undecodable: usize,
    /// Bytes after the last whole record.
    pub torn_bytes: u64,
}

/// An open journal, appended to as transactions are admitted.
#[derive(Debug)]
pub struct MempoolJournal {
    path: PathBuf,
    file: File,
    records: usize,
    unsynced: bool,
    recovered: Recovered,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io {
        action,
        path,
        source,
    }
}

fn check(payload: &[u8]) -> [u8; 4] {
    let d = sha3_256(payload);
    let mut c = [0u8; 4];
    c.copy_from_slice(&d.as_bytes()[..4]);
    c
}

fn record(payload: &[u8]) -> Result<Vec<u8>, JournalError> {
    if payload.is_empty() || payload.len() > MAX_RESOLVE_TRANSACTION_BYTES {
        return Err(JournalError::TooLarge {
            size: payload.len(),
            limit: MAX_RESOLVE_TRANSACTION_BYTES,
        });
    }
    let mut r = Vec::with_capacity(RECORD_HEAD + payload.len());
    r.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    r.extend_from_slice(&check(payload));
    r.extend_from_slice(payload);
    Ok(r)
}

/// Reads the records of a journal image: every whole, checked record up to
/// the first that is not.
pub fn parse(bytes: &[u8]) -> Option<JournalContents> {
    let mut rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut out = JournalContents {
        transactions: Vec::new(),
        undecodable: 0,
        torn_bytes: 0,
    };
    while !rest.is_empty() {
        let whole = rest.len() >= RECORD_HEAD && {
            let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            (1..=MAX_RESOLVE_TRANSACTION_BYTES).contains(&n)
                && rest.len() >= RECORD_HEAD + n
                && rest[4..8] == check(&rest[RECORD_HEAD..RECORD_HEAD + n])
        };
        if !whole {
            out.torn_bytes = rest.len() as u64;
            break;
        }
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let payload = &rest[RECORD_HEAD..RECORD_HEAD + n];
        match SignedTransaction::decode_large(payload) {
            Ok(tx) => out.transactions.push((tx, n)),
            Err(_) => out.undecodable += 1,
        }
        rest = &rest[RECORD_HEAD + n..];
    }
    Some(out)
}

/// Writes `contents` to `path` so that a crash leaves the old file or the
/// new one whole: a temporary file, fsync, rename, fsync of the directory.
fn replace_file(path: &Path, contents: &[u8]) -> Result<File, JournalError> {
    let tmp = path.with_extension("journal.tmp");
    {
        let mut f = File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(contents).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io("replace", path))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("sync the directory of", path))?;
    }
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io("open", path))
}

impl MempoolJournal {
    /// Opens the journal in `data_dir` (creating an empty one if there is
    /// none) and reads back its records for re-admission.
    pub fn open(data_dir: &Path) -> Result<(Self, JournalContents), JournalError> {
        let path = data_dir.join(JOURNAL_FILE);
        let contents = match File::open(&path) {
            Ok(mut f) => {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map_err(io("read", &path))?;
                parse(&bytes).ok_or_else(|| JournalError::NotAJournal { path: path.clone() })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                replace_file(&path, MAGIC)?;
                JournalContents {
                    transactions: Vec::new(),
                    undecodable: 0,
                    torn_bytes: 0,
                }
            }
            Err(e) => return Err(io("open", &path)(e)),
        };
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io("open", &path))?;
        let records = contents.transactions.len() + contents.undecodable;
        let journal = MempoolJournal {
            path,
            file,
            records,
            unsynced: false,
            recovered: Recovered::default(),
        };
        Ok((journal, contents))
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records in the file, live and dead.
    pub fn records(&self) -> usize {
        self.records
    }

    /// What recovery did at start.
    pub fn recovered(&self) -> Recovered {
        self.recovered
    }

    pub(crate) fn set_recovered(&mut self, r: Recovered) {
        self.recovered = r;
    }

    /// Appends one admitted transaction (its canonical encoding).
    pub fn append(&mut self, encoded: &[u8]) -> Result<(), JournalError> {
        let r = record(encoded)?;
        self.file
            .write_all(&r)
            .map_err(io("append to", &self.path))?;
        self.records += 1;
        self.unsynced = true;
        Ok(())
    }

    /// Whether a rewrite is due with `live` transactions in the mempool.
    pub fn should_compact(&self, live: usize) -> bool {
        let dead = self.records.saturating_sub(live);
        dead > 0 && dead >= live
    }

    /// Replaces the journal with exactly `live` (encodings, arrival order).
    pub fn rewrite<'a>(
        &mut self,
        live: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), JournalError> {
        let mut image = MAGIC.to_vec();
        let mut n = 0;
        for payload in live {
            image.extend_from_slice(&record(payload)?);
            n += 1;
        }
        self.file = replace_file(&self.path, &image)?;
        self.records = n;
        self.unsynced = false;
        Ok(())
    }

    /// Flushes appended records to disk, if any were appended since the last flush.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        if self.unsynced {
            self.file.sync_data().map_err(io("sync", &self.path))?;
            self.unsynced = false;
        }
        Ok(())
    }
}

/// Recovery, step 2 of the protocol: puts every journaled transaction that
/// still passes admission back into `pool`, in journal order.
pub fn readmit(
    runtime: &Runtime,
    pool: &mut Mempool,
    contents: JournalContents,
) -> Result<Recovered, RuntimeError> {
    let mut r = Recovered {
        dropped_invalid: contents.undecodable,
        torn_bytes: contents.torn_bytes,
        ..Recovered::default()
    };
    for (tx, size) in contents.transactions {
        let id = tx.id();
        if runtime.transaction(&id)?.is_some() {
            r.already_included += 1;
            continue;
        }
        if let Err(why) = runtime.check_transaction(&tx, size) {
            tracing::info!(transaction = %id, "journaled transaction dropped: {why}");
            r.dropped_invalid += 1;
            continue;
        }
        match pool.insert(tx, size) {
            Ok(_) => r.readmitted += 1,
            Err(why) => {
                tracing::info!(transaction = %id, "journaled transaction dropped: {why}");
                r.dropped_invalid += 1;
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use molt_types::{Address, ChainId, SecretKey, Transaction, TransactionPayload};

    fn tx(seq: u64) -> SignedTransaction {
        let key = SecretKey::from_seed([9; 32]);
        Transaction {
            chain_id: ChainId::dev(),
            sender: key.address(),
            sequence_number: seq,
            gas_budget: 100_000,
            gas_price: 1,
            expiry_height: 10,
            payload: TransactionPayload::Transfer {
                to: Address::reserved(1),
                amount: seq,
            },
        }
        .sign(&key)
    }

    fn ids(c: &JournalContents) -> Vec<u64> {
        c.transactions
            .iter()
            .map(|(t, _)| t.transaction.sequence_number)
            .collect()
    }

    #[test]
    fn records_read_back_in_order_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, first) = MempoolJournal::open(dir.path()).unwrap();
        assert!(first.transactions.is_empty());
        for s in 0..3 {
            j.append(&tx(s).encode()).unwrap();
        }
        j.sync().unwrap();
        drop(j);
        let (j, back) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(ids(&back), [0, 1, 2]);
        assert_eq!(back.transactions[1].1, tx(1).encode().len());
        assert_eq!((back.torn_bytes, back.undecodable, j.records()), (0, 0, 3));
    }

    #[test]
    fn a_torn_last_record_is_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = MempoolJournal::open(dir.path()).unwrap();
        j.append(&tx(0).encode()).unwrap();
        j.append(&tx(1).encode()).unwrap();
        drop(j);
        let path = dir.path().join(JOURNAL_FILE);
        let whole = std::fs::read(&path).unwrap();
        // Every cut inside the last record leaves exactly the first one.
        let second_start = whole.len() - RECORD_HEAD - tx(1).encode().len();
        for cut in [second_start + 1, second_start + 7, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let (_, back) = MempoolJournal::open(dir.path()).unwrap();
            assert_eq!(ids(&back), [0], "cut at {cut}");
            assert_eq!(back.torn_bytes, (cut - second_start) as u64);
        }
        // A flipped payload byte fails the check the same way.
        let mut flipped = whole.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let (_, back) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(ids(&back), [0]);
        assert!(back.torn_bytes > 0);
    }

    #[test]
    fn a_file_without_the_header_is_refused_not_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        std::fs::write(&path, b"something else entirely").unwrap();
        let err = MempoolJournal::open(dir.path()).unwrap_err();
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        assert!(err.to_string().contains("move it out"));
        assert_eq!(std::fs::read(&path).unwrap(), b"something else entirely");
    }

    #[test]
    fn rewrite_keeps_only_the_live_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = MempoolJournal::open(dir.path()).unwrap();
        for s in 0..4 {
            j.append(&tx(s).encode()).unwrap();
        }
        assert!(!j.should_compact(4));
        assert!(!j.should_compact(3));
        assert!(j.should_compact(2));
        let live = [tx(3).encode()];
        j.rewrite(live.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(j.records(), 1);
        j.append(&tx(4).encode()).unwrap();
        drop(j);
        let (_, back) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(ids(&back), [3, 4]);
        assert!(!dir.path().join("mempool.journal.tmp").exists());
    }

    #[test]
    fn an_empty_mempool_compacts_to_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = MempoolJournal::open(dir.path()).unwrap();
        j.append(&tx(0).encode()).unwrap();
        assert!(j.should_compact(0));
        j.rewrite(std::iter::empty()).unwrap();
        assert_eq!(std::fs::read(j.path()).unwrap(), MAGIC);
    }
}
