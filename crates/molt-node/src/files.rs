//! A node's files: its TOML config, the chain's JSON genesis, key files.
//!
//! Every problem is a [`FileError`] that names the file and the field
//! (`peers[2].address`, `validators[0].public_key`) and says what is
//! expected; nothing is opened or written before all of it checks out.
//!
//! # Node config (TOML)
//!
//! ```toml
//! key_file = "validator.key"        # a key file (below), relative to this file
//! genesis_file = "genesis.json"     # relative to this file
//! data_dir = "data"                 # relative to this file; created if missing
//! listen = "127.0.0.1:9100"         # where peers connect
//! rpc = "127.0.0.1:8645"            # JSON-RPC over HTTP and WebSocket
//! block_time_ms = 500               # optional, default 500
//! full = false                      # optional: a follower that never votes
//! admin_socket = "data/admin.sock"  # optional, relative to this file; default
//!                                   # <data_dir>/admin.sock (UNIX socket, mode 0600)
//!
//! [[peers]]                         # every other node: validators and followers
//! public_key = "0x…"                # 32 bytes hex
//! address = "127.0.0.1:9101"
//! ```
//!
//! # Genesis (JSON)
//!
//! ```json
//! { "chain_id": "molt-testnet",
//!   "timestamp_ms": 0,
//!   "accounts": [ { "address": "0x…", "balance": 1000000 } ],
//!   "validators": [ { "public_key": "0x…", "voting_power": 1 } ],
//!   "params": { "epoch_length": 1000 } }
//! ```
//!
//! `params` is optional; the fields it names replace the defaults of
//! `ChainParams` (unknown fields are refused). Simplex counts one vote per
//! validator, so every `voting_power` must be 1 for now.
//!
//! # Key file (JSON, as `molt keys new` writes it)
//!
//! `{ "secret_seed": "0x…" }` (other fields are ignored).

use crate::network::NetworkSettings;
use crate::producer::NodeConfig;
use molt_consensus::{Peer, Role};
use molt_runtime::{ChainParams, Genesis, Validator};
use molt_types::{Address, ChainId, PublicKey, SecretKey};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A file a node cannot use, and why.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not a valid {kind}: {reason}")]
    Syntax {
        path: PathBuf,
        kind: &'static str,
        reason: String,
    },
    #[error("{path}: `{field}` {problem}")]
    Field {
        path: PathBuf,
        field: String,
        problem: String,
    },
}

fn field(path: &Path, field: impl Into<String>, problem: impl Into<String>) -> FileError {
    FileError::Field {
        path: path.to_path_buf(),
        field: field.into(),
        problem: problem.into(),
    }
}

fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| FileError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The node config file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    pub key_file: PathBuf,
    pub genesis_file: PathBuf,
    pub data_dir: PathBuf,
    pub listen: String,
    pub rpc: String,
    #[serde(default)]
    pub block_time_ms: Option<u64>,
    #[serde(default)]
    pub full: bool,
    #[serde(default)]
    pub peers: Vec<PeerEntry>,
    /// The execution hash this validator's blocks signal for (`0x` and
    /// 64 hex digits); see module `signal`.
    #[serde(default)]
    pub signal: Option<String>,
    /// Where the admin endpoint (module `admin`) listens: a UNIX socket
    /// path, relative to this file. Default `<data_dir>/admin.sock`.
    #[serde(default)]
    pub admin_socket: Option<PathBuf>,
}

/// The longest UNIX socket path Linux binds (`sun_path` holds 108 bytes,
/// one of them the terminating NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// One `[[peers]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    pub public_key: String,
    pub address: String,
}

/// The genesis file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFile {
    pub chain_id: String,
    #[serde(default)]
    pub timestamp_ms: u64,
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
    pub validators: Vec<ValidatorEntry>,
    #[serde(default)]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// The framework release genesis installs (`v1`). Optional; when given
    /// it must be the release built into this binary
    /// ([`molt_runtime::FRAMEWORK_RELEASE`]): a binary with another
    /// framework would write another genesis state and fork at height 0.
    #[serde(default)]
    pub framework_release: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub address: String,
    pub balance: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    pub public_key: String,
    pub voting_power: u64,
}

/// The longest block time: one hour.
pub const MAX_BLOCK_TIME_MS: u64 = 3_600_000;

fn public_key(path: &Path, name: &str, s: &str) -> Result<PublicKey, FileError> {
    let key: PublicKey = s.parse().map_err(|_| {
        field(
            path,
            name,
            format!("is {s:?}; expected 0x and 64 hex digits"),
        )
    })?;
    molt_consensus::consensus_key(&key).map_err(|e| field(path, name, e))?;
    Ok(key)
}

fn socket(path: &Path, name: &str, s: &str) -> Result<SocketAddr, FileError> {
    s.parse().map_err(|_| {
        field(
            path,
            name,
            format!("is {s:?}; expected an IP address and port, like 127.0.0.1:9100"),
        )
    })
}

/// Reads and checks a genesis file.
pub fn load_genesis(path: &Path) -> Result<Genesis, FileError> {
    let text = read(path)?;
    let file: GenesisFile = serde_json::from_str(&text).map_err(|e| FileError::Syntax {
        path: path.to_path_buf(),
        kind: "genesis file (JSON)",
        reason: e.to_string(),
    })?;
    let chain_id = ChainId::new(&file.chain_id)
        .map_err(|e| field(path, "chain_id", format!("is {:?}: {e}", file.chain_id)))?;
    if let Some(release) = &file.framework_release
        && release != molt_runtime::FRAMEWORK_RELEASE
    {
        return Err(field(
            path,
            "framework_release",
            format!(
                "is {release:?}, but this binary installs framework release {:?} at genesis; \
                 run the binary the network's genesis was written for",
                molt_runtime::FRAMEWORK_RELEASE
            ),
        ));
    }
    let mut accounts = Vec::new();
    for (i, a) in file.accounts.iter().enumerate() {
        let address: Address = a.address.parse().map_err(|e| {
            field(
                path,
                format!("accounts[{i}].address"),
                format!("is {:?}: {e}", a.address),
            )
        })?;
        if accounts.iter().any(|(x, _)| *x == address) {
            return Err(field(
                path,
                format!("accounts[{i}].address"),
                "is listed twice",
            ));
        }
        accounts.push((address, a.balance));
    }
    if file.validators.is_empty() {
        return Err(field(
            path,
            "validators",
            "is empty; name at least one validator",
        ));
    }
    let mut validators: Vec<Validator> = Vec::new();
    for (i, v) in file.validators.iter().enumerate() {
        let key = public_key(path, &format!("validators[{i}].public_key"), &v.public_key)?;
        if validators.iter().any(|x| x.public_key == key) {
            return Err(field(
                path,
                format!("validators[{i}].public_key"),
                "is listed twice",
            ));
        }
        if v.voting_power != 1 {
            return Err(field(
                path,
                format!("validators[{i}].voting_power"),
                format!(
                    "is {}; simplex counts one vote per validator, so it must be 1",
                    v.voting_power
                ),
            ));
        }
        validators.push(Validator {
            address: key.address(),
            public_key: key,
            voting_power: v.voting_power,
        });
    }
    let params = match &file.params {
        None => ChainParams::default(),
        Some(overrides) => {
            let mut value = serde_json::to_value(ChainParams::default())
                .map_err(|e| field(path, "params", format!("defaults cannot be encoded: {e}")))?;
            let Some(base) = value.as_object_mut() else {
                return Err(field(path, "params", "defaults are not an object"));
            };
            for (k, v) in overrides {
                if !base.contains_key(k) {
                    let known: Vec<&String> = base.keys().collect();
                    return Err(field(
                        path,
                        format!("params.{k}"),
                        format!("is not a chain parameter; known: {known:?}"),
                    ));
                }
                base.insert(k.clone(), v.clone());
            }
            let params: ChainParams =
                serde_json::from_value(value).map_err(|e| field(path, "params", e.to_string()))?;
            params
                .validate()
                .map_err(|e| field(path, "params", e.to_string()))?;
            params
        }
    };
    Ok(Genesis {
        chain_id,
        accounts,
        validators,
        params,
        timestamp_ms: file.timestamp_ms,
        packages: Vec::new(),
    })
}

/// Reads a key file (`secret_seed`).
pub fn load_key(path: &Path) -> Result<SecretKey, FileError> {
    let text = read(path)?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| FileError::Syntax {
        path: path.to_path_buf(),
        kind: "key file (JSON)",
        reason: e.to_string(),
    })?;
    let Some(seed) = v.get("secret_seed").and_then(|s| s.as_str()) else {
        return Err(field(
            path,
            "secret_seed",
            "is missing; expected 0x and 64 hex digits",
        ));
    };
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(seed.strip_prefix("0x").unwrap_or(seed), &mut bytes)
        .map_err(|_| field(path, "secret_seed", "is not 0x and 64 hex digits"))?;
    Ok(SecretKey::from_seed(bytes))
}

/// Writes a key file readable by [`load_key`] and `molt keys`.
pub fn key_file_json(name: &str, key: &SecretKey) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "name": name,
        "address": key.address(),
        "public_key": key.public_key(),
        "secret_seed": format!("0x{}", hex::encode(key.to_seed())),
    }))
    .unwrap_or_default()
}

/// Reads a node config file and everything it names; `full` (the `--full`
/// flag) makes the node a follower whatever the file says.
pub fn load_node_config(path: &Path, full: bool) -> Result<NodeConfig, FileError> {
    let text = read(path)?;
    let file: NodeFile = toml::from_str(&text).map_err(|e| FileError::Syntax {
        path: path.to_path_buf(),
        kind: "node config (TOML)",
        reason: e.to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let listen = socket(path, "listen", &file.listen)?;
    let rpc = socket(path, "rpc", &file.rpc)?;
    let block_time = file.block_time_ms.unwrap_or(500);
    if !(1..=MAX_BLOCK_TIME_MS).contains(&block_time) {
        return Err(field(
            path,
            "block_time_ms",
            format!("is {block_time}; it must be from 1 to {MAX_BLOCK_TIME_MS} (one hour)"),
        ));
    }
    let mut peers = Vec::new();
    for (i, p) in file.peers.iter().enumerate() {
        let public_key = public_key(path, &format!("peers[{i}].public_key"), &p.public_key)?;
        let address = socket(path, &format!("peers[{i}].address"), &p.address)?;
        if peers.iter().any(|x: &Peer| x.public_key == public_key) {
            return Err(field(
                path,
                format!("peers[{i}].public_key"),
                "is listed twice",
            ));
        }
        if peers.iter().any(|x: &Peer| x.address == address) || address == listen {
            return Err(field(
                path,
                format!("peers[{i}].address"),
                format!("{address} is used twice (by another peer or by `listen`)"),
            ));
        }
        peers.push(Peer {
            public_key,
            address,
        });
    }
    let key = load_key(&resolve(&file.key_file))?;
    let genesis = load_genesis(&resolve(&file.genesis_file))?;
    let role = if full || file.full {
        Role::Full
    } else {
        Role::Validator
    };
    let me = key.public_key();
    if role == Role::Validator && !genesis.validators.iter().any(|v| v.public_key == me) {
        return Err(field(
            path,
            "key_file",
            format!(
                "holds key {me}, which is not a validator in the genesis; run with --full to follow the chain"
            ),
        ));
    }
    for (i, v) in genesis.validators.iter().enumerate() {
        if v.public_key != me && !peers.iter().any(|p| p.public_key == v.public_key) {
            return Err(field(
                path,
                "peers",
                format!(
                    "has no address for validator {i} ({}) of the genesis; add a [[peers]] entry for it",
                    v.public_key
                ),
            ));
        }
    }
    let data_dir = resolve(&file.data_dir);
    if data_dir.is_file() {
        return Err(field(
            path,
            "data_dir",
            format!("{} is a file; give a directory", data_dir.display()),
        ));
    }
    let signal = match &file.signal {
        None => None,
        Some(s) if role == Role::Full => {
            return Err(field(
                path,
                "signal",
                format!("is {s}, but a full node proposes no blocks and cannot signal"),
            ));
        }
        Some(s) => Some(s.parse::<molt_types::Digest>().map_err(|e| {
            field(
                path,
                "signal",
                format!("`{s}` is not an execution hash (0x and 64 hex digits): {e}"),
            )
        })?),
    };
    let admin_socket = match &file.admin_socket {
        None => data_dir.join(crate::admin::ADMIN_SOCKET),
        Some(p) => resolve(p),
    };
    check_admin_socket(path, &admin_socket)?;
    let mut config = NodeConfig::dev(data_dir, rpc.port(), Duration::from_millis(block_time));
    config.admin_socket = Some(admin_socket);
    config.signal = signal;
    config.rpc_addr = rpc;
    config.genesis = genesis;
    config.network = Some(NetworkSettings {
        key,
        role,
        listen,
        peers,
        leader_timeout: None,
    });
    Ok(config)
}

/// The admin socket's path must fit a UNIX socket address and must not be
/// a directory or a file other than a socket (a stale socket of an earlier
/// run is replaced when the node starts).
fn check_admin_socket(config: &Path, socket: &Path) -> Result<(), FileError> {
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(field(
            config,
            "admin_socket",
            format!(
                "{} is {len} bytes, over the {MAX_SOCKET_PATH} a UNIX socket path may have; \
                 choose a shorter path (or a shorter data_dir for the default)",
                socket.display()
            ),
        ));
    }
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(socket)
        && !meta.file_type().is_socket()
    {
        return Err(field(
            config,
            "admin_socket",
            format!(
                "{} exists and is not a socket; give a path where the node can create its socket",
                socket.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A validator's files in `dir`, with `extra` lines in its config.
    fn files(dir: &Path, extra: &str) -> PathBuf {
        let key = SecretKey::from_seed([7; 32]);
        std::fs::write(
            dir.join("validator.key"),
            format!("{{\"secret_seed\": \"0x{}\"}}", hex::encode([7u8; 32])),
        )
        .unwrap();
        std::fs::write(
            dir.join("genesis.json"),
            format!(
                "{{\"chain_id\": \"t\", \"validators\": [{{\"public_key\": \"{}\", \"voting_power\": 1}}]}}",
                key.public_key()
            ),
        )
        .unwrap();
        let config = dir.join("node.toml");
        std::fs::write(
            &config,
            format!(
                "key_file = \"validator.key\"\ngenesis_file = \"genesis.json\"\ndata_dir = \"data\"\n\
                 listen = \"127.0.0.1:9100\"\nrpc = \"127.0.0.1:8645\"\n{extra}"
            ),
        )
        .unwrap();
        config
    }

    #[test]
    fn the_admin_socket_defaults_to_the_data_directory_and_may_be_set() {
        let dir = tempfile::tempdir().unwrap();
        let config = load_node_config(&files(dir.path(), ""), false).unwrap();
        assert_eq!(
            config.admin_socket,
            Some(dir.path().join("data").join(crate::admin::ADMIN_SOCKET))
        );
        let config =
            load_node_config(&files(dir.path(), "admin_socket = \"run/a.sock\"\n"), false).unwrap();
        assert_eq!(config.admin_socket, Some(dir.path().join("run/a.sock")));
    }

    #[test]
    fn a_bad_admin_socket_is_refused_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        let long = format!("admin_socket = \"/tmp/{}.sock\"\n", "x".repeat(120));
        for (extra, says) in [
            ("admin_socket = \"taken\"\n", "exists and is not a socket"),
            (long.as_str(), "over the 107 a UNIX socket path may have"),
            ("admin_socket = 5\n", "admin_socket"),
        ] {
            let e = load_node_config(&files(dir.path(), extra), false)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("admin_socket") && e.contains(says),
                "{extra}: {e}"
            );
        }
    }

    #[test]
    fn genesis_names_the_framework_release_it_was_written_for() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::from_seed([7; 32]).public_key();
        let write = |release: &str| {
            let path = dir.path().join("genesis.json");
            std::fs::write(
                &path,
                format!(
                    "{{\"chain_id\": \"t\", \"framework_release\": \"{release}\", \
                     \"validators\": [{{\"public_key\": \"{key}\", \"voting_power\": 1}}]}}"
                ),
            )
            .unwrap();
            path
        };
        load_genesis(&write(molt_runtime::FRAMEWORK_RELEASE)).unwrap();
        let e = load_genesis(&write("v9")).unwrap_err().to_string();
        assert!(
            e.contains("framework_release")
                && e.contains("\"v9\"")
                && e.contains(molt_runtime::FRAMEWORK_RELEASE),
            "{e}"
        );
    }
}
