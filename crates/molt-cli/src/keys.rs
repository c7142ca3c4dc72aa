//! The local keystore: named ed25519 keys under `<home>/keys/`, the
//! well-known dev accounts `dev0`..`dev3` of `molt node --dev`, and
//! `dev-validator`, the dev chain's validator (so one person can propose,
//! vote on and resolve a governance proposal on a dev chain).
//!
//! Keys are stored unencrypted (mode 0600), as in a dev keyring; use a
//! hardware or encrypted signer for real funds.

use crate::output::Output;
use anyhow::{Context, Result, bail};
use molt_types::{Address, SecretKey};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a new key and store it under NAME.
    New { name: String },
    /// List stored keys and the dev accounts.
    List,
    /// Show a key's address and public key.
    Show { name: String },
}

fn keys_dir(home: &Path) -> PathBuf {
    home.join("keys")
}

/// Key names are 1-64 ASCII letters, digits, '-' and '_', so that a name is
/// always one file in the keys directory.
fn well_formed(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "{name:?} is not a key name: a key name is 1-64 characters of letters, digits, '-' and '_' \
             (an address starts with 0x)"
        );
    }
    Ok(())
}

fn valid_name(name: &str) -> Result<()> {
    well_formed(name)?;
    if name
        .strip_prefix("dev")
        .is_some_and(|n| n.parse::<u8>().is_ok())
    {
        bail!("names dev0, dev1, ... are reserved for the dev accounts");
    }
    if name == DEV_VALIDATOR {
        bail!("the name {DEV_VALIDATOR} is reserved for the dev chain's validator");
    }
    Ok(())
}

/// The name of the dev chain's validator key.
pub const DEV_VALIDATOR: &str = "dev-validator";

/// Loads a key by name: a dev account, the dev validator or a stored key.
pub fn load(home: &Path, name: &str) -> Result<SecretKey> {
    if let Some(i) = name.strip_prefix("dev").and_then(|n| n.parse::<u8>().ok())
        && i < molt_runtime::DEV_ACCOUNTS
    {
        return Ok(molt_runtime::dev_key(i));
    }
    if name == DEV_VALIDATOR {
        return Ok(molt_runtime::dev_validator_key());
    }
    well_formed(name)?;
    let path = keys_dir(home).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no key named {name:?} (looked in {}); create it with `molt keys new {name}`",
            path.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    let seed = v["secret_seed"].as_str().unwrap_or_default();
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(seed.strip_prefix("0x").unwrap_or(seed), &mut bytes)
        .with_context(|| format!("{} has a malformed secret_seed", path.display()))?;
    Ok(SecretKey::from_seed(bytes))
}

/// An address given directly (`0x...`) or as a key name.
pub fn resolve_address(home: &Path, s: &str) -> Result<Address> {
    if s.starts_with("0x") {
        return s
            .parse()
            .with_context(|| format!("{s:?} is not an address"));
    }
    Ok(load(home, s)?.address())
}

pub fn run(cmd: KeysCommand, home: &Path, out: &Output) -> Result<()> {
    match cmd {
        KeysCommand::New { name } => {
            valid_name(&name)?;
            let dir = keys_dir(home);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("{name}.json"));
            if path.exists() {
                bail!("a key named {name:?} already exists at {}", path.display());
            }
            let key = SecretKey::generate();
            let doc = json!({
                "name": name,
                "address": key.address(),
                "public_key": key.public_key(),
                "secret_seed": format!("0x{}", hex::encode(key.to_seed())),
            });
            write_private(&path, &serde_json::to_string_pretty(&doc)?)?;
            out.result(
                &format!("created key {name}\naddress: {}\nstored in {}", key.address(), path.display()),
                json!({"name": name, "address": key.address(), "public_key": key.public_key(), "path": path}),
            );
        }
        KeysCommand::List => {
            let mut rows = Vec::new();
            for i in 0..molt_runtime::DEV_ACCOUNTS {
                rows.push((
                    format!("dev{i}"),
                    molt_runtime::dev_key(i).address(),
                    "dev account",
                ));
            }
            rows.push((
                DEV_VALIDATOR.to_string(),
                molt_runtime::dev_validator_key().address(),
                "dev validator",
            ));
            if let Ok(entries) = std::fs::read_dir(keys_dir(home)) {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".json"))
                            .map(String::from)
                    })
                    .collect();
                names.sort();
                for n in names {
                    if let Ok(k) = load(home, &n) {
                        rows.push((n, k.address(), "stored"));
                    }
                }
            }
            let human: String = rows
                .iter()
                .map(|(n, a, k)| format!("{n:<16} {a}  ({k})\n"))
                .collect();
            let json = rows
                .iter()
                .map(|(n, a, k)| json!({"name": n, "address": a, "kind": k}))
                .collect::<Vec<_>>();
            out.result(&human, json!(json));
        }
        KeysCommand::Show { name } => {
            let key = load(home, &name)?;
            out.result(
                &format!(
                    "name: {name}\naddress: {}\npublic key: {}",
                    key.address(),
                    key.public_key()
                ),
                json!({"name": name, "address": key.address(), "public_key": key.public_key()}),
            );
        }
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
