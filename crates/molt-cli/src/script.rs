//! Proposal script directories: one step of a governance payload on disk.
//!
//! `molt framework upgrade` writes one directory per step,
//! `<output>/framework_upgrade/<n>-<package>/`, and `molt gov propose`,
//! `resolve` and `simulate` read them:
//!
//! - `payload.bin`: the payload's canonical encoding (`molt-payload`);
//! - `payload.hash`: its execution hash (SHA3-256), `0x` and 64 hex digits;
//! - `step.json`: where the step sits in its chain ([`StepInfo`]);
//! - `README.md`: what the step does and its compatibility report against
//!   the chain; its SHA3-256 is the proposal's metadata hash by default.
//!
//! Loading a directory recomputes the hash from the bytes and refuses a
//! directory whose recorded hash differs (edited after it was written), so
//! nothing is proposed or resolved from bytes other than those reviewed. A
//! plain file is also accepted: the payload's bytes, or `0x` hex text.

use anyhow::{Context, Result, bail};
use molt_types::{Address, Digest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const PAYLOAD_FILE: &str = "payload.bin";
pub const HASH_FILE: &str = "payload.hash";
pub const STEP_FILE: &str = "step.json";
pub const README_FILE: &str = "README.md";

/// Where a step sits in its chain, as `step.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    /// 1-based.
    pub step: u64,
    /// The number of steps in the chain.
    pub of: u64,
    /// The framework package this step upgrades (its crate name).
    pub package: String,
    pub address: Address,
    pub execution_hash: Digest,
    /// The hash this step approves when it resolves (`None`: the last step).
    pub next_step: Option<Digest>,
}

/// A payload read from a proposal script directory or a file.
#[derive(Debug, Clone)]
pub struct ProposalScript {
    /// The directory (or file) it was read from.
    pub path: PathBuf,
    pub payload: Vec<u8>,
    /// SHA3-256 of `payload`, computed here.
    pub hash: Digest,
    /// `step.json`, when the directory has one.
    pub step: Option<StepInfo>,
    /// `README.md`, when the directory has one.
    pub readme: Option<Vec<u8>>,
}

impl ProposalScript {
    /// Reads a script directory (or a payload file) and checks its hash.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.is_dir() {
            let payload = read_payload_file(path)?;
            return Ok(ProposalScript {
                path: path.to_path_buf(),
                hash: molt_payload::execution_hash(&payload),
                payload,
                step: None,
                readme: None,
            });
        }
        let payload_path = path.join(PAYLOAD_FILE);
        let payload = std::fs::read(&payload_path).with_context(|| {
            format!(
                "{} is not a proposal script directory: cannot read {} (`molt framework upgrade` writes them)",
                path.display(),
                payload_path.display()
            )
        })?;
        let hash = molt_payload::execution_hash(&payload);
        let hash_path = path.join(HASH_FILE);
        if let Ok(text) = std::fs::read_to_string(&hash_path) {
            let recorded: Digest = text.trim().parse().with_context(|| {
                format!("{} is not a 0x-prefixed SHA3-256 hash", hash_path.display())
            })?;
            if recorded != hash {
                bail!(
                    "{} records execution hash {recorded}, but {} hashes to {hash}: the directory \
                     was edited after it was written; write it again with `molt framework upgrade`",
                    hash_path.display(),
                    payload_path.display()
                );
            }
        }
        let step = match std::fs::read(path.join(STEP_FILE)) {
            Ok(bytes) => Some(serde_json::from_slice::<StepInfo>(&bytes).with_context(|| {
                format!("{} is not a step record", path.join(STEP_FILE).display())
            })?),
            Err(_) => None,
        };
        if let Some(s) = &step
            && s.execution_hash != hash
        {
            bail!(
                "{} says step {} has hash {}, but {} hashes to {hash}; write the directory again \
                 with `molt framework upgrade`",
                path.join(STEP_FILE).display(),
                s.step,
                s.execution_hash,
                payload_path.display()
            );
        }
        Ok(ProposalScript {
            path: path.to_path_buf(),
            payload,
            hash,
            step,
            readme: std::fs::read(path.join(README_FILE)).ok(),
        })
    }

    /// The sibling step directories (same parent) with their hashes, in
    /// step order: to tell which step a hash belongs to.
    pub fn siblings(&self) -> Vec<ProposalScript> {
        let Some(parent) = self.path.parent() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            return Vec::new();
        };
        let mut found: Vec<ProposalScript> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.join(PAYLOAD_FILE).is_file())
            .filter_map(|p| ProposalScript::load(&p).ok())
            .filter(|s| s.step.is_some())
            .collect();
        found.sort_by_key(|s| s.step.as_ref().map(|i| i.step));
        found
    }

    /// `step 2 of 3 (governance)` or the path.
    pub fn describe(&self) -> String {
        match &self.step {
            Some(s) => format!(
                "step {} of {} ({}, {})",
                s.step,
                s.of,
                s.package,
                self.path.display()
            ),
            None => self.path.display().to_string(),
        }
    }
}

/// A payload file: hex text if it is `0x` and hex digits, else its bytes.
pub fn read_payload_file(path: &Path) -> Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read payload {}", path.display()))?;
    if let Ok(text) = std::str::from_utf8(&bytes)
        && let Some(h) = text.trim().strip_prefix("0x")
    {
        return hex::decode(h).with_context(|| {
            format!(
                "payload {} starts with 0x but is not hex with an even number of digits",
                path.display()
            )
        });
    }
    Ok(bytes)
}
