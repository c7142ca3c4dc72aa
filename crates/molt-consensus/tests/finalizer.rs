//! What the finalizer does with blocks marshal delivers: applies a block it
//! never verified (backfill), skips a redelivery, and stops with a typed
//! error on a block it computes differently or a history that differs.

use molt_consensus::{Chain, ChainBlock, EngineConfig, FinalizeError, Role, apply_finalized};
use molt_runtime::{
    Finalized, Genesis, ProposeContext, Rejection, Runtime, RuntimeError, StateMachine,
    dev_validator_key,
};
use molt_types::{Block, BlockId, SignedTransaction, TransactionId};
use std::sync::Mutex;
use std::time::Duration;

struct Solo {
    runtime: Runtime,
    finalized: Mutex<Vec<u64>>,
}

impl Chain for Solo {
    type Machine = Runtime;
    fn machine(&self) -> &Runtime {
        &self.runtime
    }
    fn latest_block(&self) -> Result<Block, RuntimeError> {
        self.runtime.latest_block()
    }
    fn block_at(&self, height: u64) -> Result<Option<Block>, RuntimeError> {
        self.runtime.block(height)
    }
    fn is_pending(&self, id: &BlockId) -> bool {
        self.runtime.pending_blocks().contains(id)
    }
    fn candidates(&self, _max: usize, _parent: &BlockId) -> Vec<SignedTransaction> {
        Vec::new()
    }
    fn skipped(&self, _skipped: &[(TransactionId, Rejection)]) {}
    fn finalized(&self, f: &Finalized) -> Result<(), String> {
        self.finalized.lock().unwrap().push(f.block.header.height);
        Ok(())
    }
    fn gossiped(&self, _tx: SignedTransaction, _encoded: &[u8]) {}
}

fn solo(genesis: &Genesis) -> (Solo, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::open(dir.path(), genesis, Default::default()).unwrap();
    (
        Solo {
            runtime,
            finalized: Mutex::new(Vec::new()),
        },
        dir,
    )
}

/// Blocks 1..=n built and finalized by a separate node.
fn chain_of(genesis: &Genesis, n: u64) -> Vec<Block> {
    let (builder, _dir) = solo(genesis);
    let proposer = dev_validator_key().address();
    (1..=n)
        .map(|h| {
            let parent = builder.runtime.latest_block().unwrap().header.id();
            let p = builder
                .runtime
                .propose(
                    ProposeContext {
                        parent,
                        proposer,
                        timestamp_ms: h * 1_000,
                    },
                    &[],
                )
                .unwrap();
            builder.runtime.finalize(&p.block.header.id()).unwrap();
            p.block
        })
        .collect()
}

#[test]
fn backfilled_blocks_are_verified_then_finalized_and_redeliveries_change_nothing() {
    let genesis = Genesis::dev();
    let blocks = chain_of(&genesis, 3);
    let (node, _dir) = solo(&genesis);
    for b in &blocks {
        apply_finalized(&node, &ChainBlock::new(b.clone())).unwrap();
    }
    assert_eq!(node.runtime.height(), 3);
    assert_eq!(
        node.runtime.latest_block().unwrap().header.state_root,
        blocks[2].header.state_root
    );
    // At-least-once delivery: the same blocks again are skipped.
    for b in &blocks {
        apply_finalized(&node, &ChainBlock::new(b.clone())).unwrap();
    }
    assert_eq!(*node.finalized.lock().unwrap(), vec![1, 2, 3]);
}

#[test]
fn a_block_this_node_computes_differently_stops_it_with_the_reason() {
    let genesis = Genesis::dev();
    let mut theirs = chain_of(&genesis, 1);
    // The network's block claims a state root this node does not compute.
    theirs[0].header.state_root = molt_types::Digest([7; 32]);
    let (node, _dir) = solo(&genesis);
    let e = apply_finalized(&node, &ChainBlock::new(theirs[0].clone())).unwrap_err();
    assert!(
        matches!(e, FinalizeError::StateDiverged { height: 1, .. }),
        "{e}"
    );
    assert_eq!(node.runtime.height(), 0, "nothing was finalized");
    assert!(
        e.to_string().contains("diverges") && e.to_string().contains("state root"),
        "{e}"
    );
}

#[test]
fn a_different_history_at_a_finalized_height_stops_the_node() {
    let genesis = Genesis::dev();
    let mine = chain_of(&genesis, 2);
    let (node, _dir) = solo(&genesis);
    for b in &mine {
        apply_finalized(&node, &ChainBlock::new(b.clone())).unwrap();
    }
    let mut forked = mine[1].clone();
    forked.header.timestamp_ms += 1;
    let e = apply_finalized(&node, &ChainBlock::new(forked)).unwrap_err();
    assert!(
        matches!(e, FinalizeError::ForkedHistory { height: 2, .. }),
        "{e}"
    );
}

fn config() -> EngineConfig {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), &Genesis::dev(), Default::default()).unwrap();
    EngineConfig {
        chain_id: "molt-dev".into(),
        key: dev_validator_key(),
        role: Role::Validator,
        validators: vec![dev_validator_key().public_key()],
        peers: Vec::new(),
        listen: "127.0.0.1:0".parse().unwrap(),
        storage_dir: dir.path().join("c"),
        block_interval: Duration::from_millis(100),
        leader_timeout: Duration::from_secs(1),
        max_block_transactions: 10,
        genesis_block: rt.latest_block().unwrap(),
    }
}

#[test]
fn engine_configs_that_cannot_work_are_refused_with_what_to_fix() {
    assert!(config().check().is_ok());
    let mut c = config();
    c.key = molt_types::SecretKey::from_seed([3; 32]);
    assert!(c.check().unwrap_err().to_string().contains("--full"));
    c.role = Role::Full;
    assert!(
        c.check()
            .unwrap_err()
            .to_string()
            .contains("no address among the peers"),
        "a follower must reach the validators"
    );
    c.peers.push(molt_consensus::Peer {
        public_key: dev_validator_key().public_key(),
        address: "127.0.0.1:9".parse().unwrap(),
    });
    assert!(c.check().is_ok(), "a follower needs no validator key");
    let mut c = config();
    c.validators
        .push(molt_types::SecretKey::from_seed([4; 32]).public_key());
    assert!(
        c.check()
            .unwrap_err()
            .to_string()
            .contains("no address among the peers")
    );
    let mut c = config();
    c.leader_timeout = Duration::from_millis(100);
    assert!(
        c.check()
            .unwrap_err()
            .to_string()
            .contains("leader timeout")
    );
    let mut c = config();
    c.block_interval = Duration::ZERO;
    assert!(c.check().is_err());
    let mut c = config();
    c.validators.clear();
    assert!(c.check().is_err());
}
