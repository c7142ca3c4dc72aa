//! What an engine needs to start, checked before anything opens.

use molt_types::{Block, PublicKey, SecretKey};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What this node does in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Votes and proposes; its key must be one of the validators.
    Validator,
    /// Follows finalized blocks and serves them; never signs.
    Full,
}

/// A node this one connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub public_key: PublicKey,
    pub address: SocketAddr,
}

/// The engine's configuration; [`EngineConfig::check`] validates it.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Separates this chain's signatures and connections from any other's.
    pub chain_id: String,
    /// This node's identity (and, on a validator, its signing key).
    pub key: SecretKey,
    pub role: Role,
    /// The validators, in the order of the chain state (one vote each).
    pub validators: Vec<PublicKey>,
    /// Every other node to connect to: validators and followers. A key not
    /// among the validators is a follower (accepted, never dialed).
    pub peers: Vec<Peer>,
    /// Where to accept peer connections.
    pub listen: SocketAddr,
    /// Consensus journals and the finalized-block archive live here.
    pub storage_dir: PathBuf,
    /// The shortest time between a block and its child.
    pub block_interval: Duration,
    /// How long validators wait for a leader's proposal before moving on.
    pub leader_timeout: Duration,
    /// Most transactions a leader puts in one block.
    pub max_block_transactions: usize,
    /// The chain's block at height 0 (from the runtime after genesis).
    pub genesis_block: Block,
}

/// A configuration the engine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the validator set is empty: the genesis must name at least one validator")]
    NoValidators,
    #[error("validator {0} is listed twice")]
    DuplicateValidator(String),
    #[error(
        "this node's key {0} is not a validator of the chain: run it with --full, or use a validator's key file"
    )]
    NotAValidator(String),
    #[error("peer {0} is listed twice")]
    DuplicatePeer(String),
    #[error("peer address {0} is listed for two keys")]
    DuplicateAddress(SocketAddr),
    #[error(
        "validator {0} has no address among the peers: add it to `peers` so this node can reach it"
    )]
    ValidatorWithoutAddress(String),
    #[error("the block interval must be from 1 ms to 1 hour, not {0:?}")]
    BlockInterval(Duration),
    #[error(
        "the leader timeout ({timeout:?}) must be longer than the block interval ({interval:?})"
    )]
    LeaderTimeout {
        timeout: Duration,
        interval: Duration,
    },
    #[error("max_block_transactions must be at least 1")]
    MaxBlockTransactions,
    #[error("the genesis block must be at height 0, not {0}")]
    GenesisHeight(u64),
    #[error("a key is not a valid ed25519 public key: {0}")]
    BadKey(String),
}

impl EngineConfig {
    /// Checks everything the engine relies on.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.validators.is_empty() {
            return Err(ConfigError::NoValidators);
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.validators {
            crate::scheme::consensus_key(v).map_err(ConfigError::BadKey)?;
            if !seen.insert(v.0) {
                return Err(ConfigError::DuplicateValidator(v.to_string()));
            }
        }
        let me = self.key.public_key();
        if self.role == Role::Validator && !self.validators.contains(&me) {
            return Err(ConfigError::NotAValidator(me.to_string()));
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut addresses = std::collections::BTreeSet::new();
        for p in &self.peers {
            crate::scheme::consensus_key(&p.public_key).map_err(ConfigError::BadKey)?;
            if !keys.insert(p.public_key.0) {
                return Err(ConfigError::DuplicatePeer(p.public_key.to_string()));
            }
            if !addresses.insert(p.address) {
                return Err(ConfigError::DuplicateAddress(p.address));
            }
        }
        for v in &self.validators {
            if *v != me && !keys.contains(&v.0) {
                return Err(ConfigError::ValidatorWithoutAddress(v.to_string()));
            }
        }
        if self.block_interval.is_zero() || self.block_interval > Duration::from_secs(3600) {
            return Err(ConfigError::BlockInterval(self.block_interval));
        }
        if self.leader_timeout <= self.block_interval {
            return Err(ConfigError::LeaderTimeout {
                timeout: self.leader_timeout,
                interval: self.block_interval,
            });
        }
        if self.max_block_transactions == 0 {
            return Err(ConfigError::MaxBlockTransactions);
        }
        if self.genesis_block.header.height != 0 {
            return Err(ConfigError::GenesisHeight(self.genesis_block.header.height));
        }
        Ok(())
    }

    /// The default leader timeout for a block interval: twice the interval
    /// plus two seconds (time to execute and relay a full block).
    pub fn default_leader_timeout(block_interval: Duration) -> Duration {
        block_interval * 2 + Duration::from_secs(2)
    }
}
