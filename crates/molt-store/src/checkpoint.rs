//! Checkpoints: a whole, openable copy of the store's database file, taken
//! while the store is open.
//!
//! [`Store::checkpoint`] holds the writer lock (no commit, apply or prune
//! runs meanwhile), so the file on disk is exactly the last commit, which
//! was written with immediate durability. It then copies the file to a
//! temporary name beside the destination, fsyncs it, renames it to the
//! destination and fsyncs the directory: the destination is either absent
//! or a complete checkpoint, never a partial one, even after a crash or a
//! full disk.
//!
//! # How the bytes are copied
//!
//! 1. Reflink ([`CheckpointMethod::Reflink`]): on Linux, `ioctl(FICLONE)` shares the
//!    file's extents copy-on-write (btrfs, XFS with reflink, bcachefs,
//!    overlayfs on those). It takes time in the number of extents, not the
//!    bytes, and uses no space until either file changes.
//! 2. Copy ([`CheckpointMethod::Copy`]): elsewhere (ext4, tmpfs, other platforms)
//!    the bytes are copied in the kernel (`copy_file_range` through
//!    `std::io::copy`), which is as fast as a copy can be but proportional
//!    to the file's size; the store's benchmark prints both figures.
//!
//! A checkpoint is a redb file that was open when it was taken: opening it
//! runs redb's crash recovery first, as after a crash, and it opens at the
//! version it was taken at.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use molt_types::Digest;

use crate::error::{Result, StoreError};
use crate::store::Store;

/// How a checkpoint's bytes were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointMethod {
    /// Copy-on-write clone of the file's extents (`FICLONE`): no bytes copied.
    Reflink,
    /// A full copy of the file's bytes.
    Copy,
}

impl CheckpointMethod {
    pub const fn as_str(&self) -> &'static str {
        match self {
            CheckpointMethod::Reflink => "reflink",
            CheckpointMethod::Copy => "copy",
        }
    }
}

/// A checkpoint that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The checkpoint's database file.
    pub path: PathBuf,
    /// The latest committed version in it.
    pub version: Option<u64>,
    /// Its state root.
    pub root: Option<Digest>,
    /// Size of the database file.
    pub bytes: u64,
    pub method: CheckpointMethod,
    /// Wall time it took, fsyncs included.
    pub elapsed: Duration,
}

impl Store {
    /// Writes a checkpoint of the store to `dest` (a file path that must not
    /// exist yet; its directory must exist). See the module doc for the
    /// copy methods and atomicity. On any failure (e.g. the disk is full,
    /// [`StoreError::Checkpoint`]) the partial copy is removed and the store
    /// is unchanged.
    pub fn checkpoint(&self, dest: &Path) -> Result<Checkpoint> {
        let started = Instant::now();
        let failed = |what: &str, e: std::io::Error| StoreError::Checkpoint {
            path: dest.to_path_buf(),
            reason: format!("{what}: {e}"),
        };
        if dest.exists() {
            return Err(StoreError::Checkpoint {
                path: dest.to_path_buf(),
                reason: "it already exists; remove it or choose another path".into(),
            });
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checkpoint".into());
        let tmp = dir.join(format!(".{name}.partial"));
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let version = self.latest_version();
        let root = self.latest_root()?;
        let result = (|| {
            let src = File::open(&self.path).map_err(|e| failed("open the store's file", e))?;
            let _ = std::fs::remove_file(&tmp);
            let out = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| failed("create the checkpoint file", e))?;
            let method = clone_or_copy(&src, &out).map_err(|e| failed("copy", e))?;
            out.sync_all()
                .map_err(|e| failed("fsync the checkpoint", e))?;
            let bytes = out
                .metadata()
                .map_err(|e| failed("stat the checkpoint", e))?
                .len();
            std::fs::rename(&tmp, dest).map_err(|e| failed("rename the checkpoint", e))?;
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| failed("fsync the checkpoint's directory", e))?;
            Ok((method, bytes))
        })();
        match result {
            Ok((method, bytes)) => Ok(Checkpoint {
                path: dest.to_path_buf(),
                version,
                root,
                bytes,
                method,
                elapsed: started.elapsed(),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

/// Clones `src` into the empty `out` copy-on-write if the filesystem can,
/// else copies its bytes.
fn clone_or_copy(src: &File, out: &File) -> std::io::Result<CheckpointMethod> {
    #[cfg(target_os = "linux")]
    {
        if rustix::fs::ioctl_ficlone(out, src).is_ok() {
            return Ok(CheckpointMethod::Reflink);
        }
    }
    let (mut src, mut out) = (src, out);
    std::io::copy(&mut src, &mut out)?;
    Ok(CheckpointMethod::Copy)
}
