//! Deterministic simulation of a Molt network: 4 and 7 validators on
//! Commonware's deterministic runtime and simulated p2p network, each with
//! its own Molt runtime (store in a temp dir), real ed25519 keys and an
//! equal-power genesis, running the production wiring
//! ([`molt_consensus::wiring::run`]).
//!
//! Scenarios:
//!
//! - **lossy**: every link slow and lossy (latency, jitter, drops); the
//!   chain grows and transfers are included everywhere.
//! - **partition**: the validators split in two sides, neither with a
//!   quorum (2|2 of 4, 3|4 of 7): nothing is finalized while it lasts; once
//!   it heals, the chain grows again.
//! - **crash**: f validators crash (every task of theirs aborted, their
//!   Molt runtime closed) while the rest go on; they restart from their
//!   storage and catch up.
//!
//! Each asserts that all nodes hold the same block id and state root at
//! every height they have, and that running the same seed twice gives the
//! same histories and the same runtime audit (`auditor().state()`).
//!
//! `MOLT_SIM_SEEDS=1,2,3` runs every scenario for those seeds too
//! (`scripts/simulate.sh`).

use commonware_cryptography::Signer as _;
use commonware_p2p::simulated::{self, Link, Oracle};
use commonware_runtime::{
    Clock as _, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize};
use futures::channel::mpsc;
use molt_consensus::wiring::{self, Channels, Network, Wiring, channel};
use molt_consensus::{
    Chain, EngineConfig, FinalizeError, PublicKey, Role, consensus_key, consensus_private_key,
};
use molt_runtime::{Finalized, Genesis, Rejection, Runtime, RuntimeError, Validator};
use molt_types::{
    Address, Block, BlockId, ChainId, Digest, SecretKey, SignedTransaction, Transaction,
    TransactionId, TransactionPayload,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Block interval of the simulated chain.
const BLOCK_INTERVAL: Duration = Duration::from_millis(200);
/// Most simulated time a phase may take before the test fails.
const PHASE_LIMIT: Duration = Duration::from_secs(120);

/// A validator's node: its runtime and a mempool.
struct SimChain {
    runtime: Runtime,
    mempool: Mutex<Vec<SignedTransaction>>,
}

impl SimChain {
    fn open(dir: &Path, genesis: &Genesis) -> Arc<Self> {
        Arc::new(SimChain {
            runtime: Runtime::open(dir, genesis, Default::default()).unwrap(),
            mempool: Mutex::new(Vec::new()),
        })
    }

    fn admit(&self, tx: SignedTransaction) {
        let mut pool = self.mempool.lock().unwrap();
        if !pool.iter().any(|t| t.id() == tx.id())
            && self.runtime.receipt(&tx.id()).unwrap().is_none()
        {
            pool.push(tx);
        }
    }
}

impl Chain for SimChain {
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
    fn candidates(&self, max: usize, _parent: &BlockId) -> Vec<SignedTransaction> {
        self.mempool
            .lock()
            .unwrap()
            .iter()
            .take(max)
            .cloned()
            .collect()
    }
    fn skipped(&self, _skipped: &[(TransactionId, Rejection)]) {}
    fn finalized(&self, f: &Finalized) -> Result<(), String> {
        let included: Vec<TransactionId> = f.block.transactions.iter().map(|t| t.id()).collect();
        self.mempool
            .lock()
            .unwrap()
            .retain(|t| !included.contains(&t.id()));
        Ok(())
    }
    fn gossiped(&self, tx: SignedTransaction, _encoded: &[u8]) {
        self.admit(tx);
    }
}

/// What a scenario does to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Lossy,
    Partition,
    Crash,
}

/// A run's outcome: every node's (height, block id, state root) history,
/// and the runtime's audit of every event.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    histories: Vec<Vec<(u64, BlockId, Digest)>>,
    audit: String,
}

type Ctx = deterministic::Context;

struct Sim {
    context: Ctx,
    oracle: Oracle<PublicKey, Ctx>,
    keys: Vec<SecretKey>,
    publics: Vec<PublicKey>,
    genesis: Genesis,
    genesis_block: Block,
    dirs: Vec<PathBuf>,
    chains: Vec<Option<Arc<SimChain>>>,
    handles: Vec<Option<Handle<Result<(), FinalizeError>>>>,
    relays: Vec<mpsc::UnboundedSender<Vec<u8>>>,
}

fn validator_key(i: usize) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(b"molt-sim");
    seed[31] = i as u8;
    SecretKey::from_seed(seed)
}

fn transfer(k: &SecretKey, seq: u64, to: Address, amount: u64) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: k.address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 100_000,
        payload: TransactionPayload::Transfer { to, amount },
    }
    .sign(k)
}

fn link(latency_ms: u64, jitter_ms: u64, success_percent: u64) -> Link {
    Link {
        latency: Duration::from_millis(latency_ms),
        jitter: Duration::from_millis(jitter_ms),
        success_rate: commonware_utils::Probability::new(success_percent, 100).unwrap(),
    }
}

impl Sim {
    async fn new(context: Ctx, n: usize, root: &Path) -> Self {
        let keys: Vec<SecretKey> = (0..n).map(validator_key).collect();
        let publics: Vec<PublicKey> = keys
            .iter()
            .map(|k| consensus_private_key(k).unwrap().public_key())
            .collect();
        for (k, p) in keys.iter().zip(&publics) {
            assert_eq!(&consensus_key(&k.public_key()).unwrap(), p);
        }
        let mut genesis = Genesis::dev();
        genesis.validators = keys
            .iter()
            .map(|k| Validator {
                address: k.address(),
                public_key: k.public_key(),
                voting_power: 1,
            })
            .collect();
        let (network, oracle) = simulated::Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: wiring::MAX_MESSAGE_BYTES,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            publics.clone(),
        )
        .await;
        network.start();
        let dirs: Vec<PathBuf> = (0..n).map(|i| root.join(format!("node{i}"))).collect();
        let chains: Vec<Option<Arc<SimChain>>> = dirs
            .iter()
            .map(|d| Some(SimChain::open(d, &genesis)))
            .collect();
        let genesis_block = chains[0]
            .as_ref()
            .unwrap()
            .runtime
            .block(0)
            .unwrap()
            .unwrap();
        let mut sim = Sim {
            context,
            oracle,
            keys,
            publics,
            genesis,
            genesis_block,
            dirs,
            chains,
            handles: (0..n).map(|_| None).collect(),
            relays: Vec::new(),
        };
        for i in 0..n {
            let relay = sim.start(i).await;
            sim.relays.push(relay);
        }
        sim
    }

    fn n(&self) -> usize {
        self.keys.len()
    }

    /// Links every `i` of `a` and `j` of `b`, both ways.
    async fn connect(&self, a: &[usize], b: &[usize], l: &Link) {
        for &i in a {
            for &j in b {
                if i != j {
                    for (p, q) in [(i, j), (j, i)] {
                        let (p, q) = (self.publics[p].clone(), self.publics[q].clone());
                        // Replaces the link if there is one.
                        let _ = self.oracle.remove_link(p.clone(), q.clone()).await;
                        self.oracle.add_link(p, q, l.clone()).await.unwrap();
                    }
                }
            }
        }
    }

    async fn disconnect(&self, a: &[usize], b: &[usize]) {
        for &i in a {
            for &j in b {
                let (p, q) = (self.publics[i].clone(), self.publics[j].clone());
                let _ = self.oracle.remove_link(p.clone(), q.clone()).await;
                let _ = self.oracle.remove_link(q, p).await;
            }
        }
    }

    /// Starts validator `i`'s engine on its chain; returns its relay.
    async fn start(&mut self, i: usize) -> mpsc::UnboundedSender<Vec<u8>> {
        let chain = Arc::clone(self.chains[i].as_ref().unwrap());
        let config = EngineConfig {
            chain_id: self.genesis.chain_id.to_string(),
            key: self.keys[i].clone(),
            role: Role::Validator,
            validators: self.keys.iter().map(|k| k.public_key()).collect(),
            peers: Vec::new(),
            listen: "127.0.0.1:0".parse().unwrap(),
            storage_dir: self.dirs[i].clone(),
            block_interval: BLOCK_INTERVAL,
            leader_timeout: EngineConfig::default_leader_timeout(BLOCK_INTERVAL),
            max_block_transactions: 50,
            genesis_block: self.genesis_block.clone(),
        };
        let control = self.oracle.control(self.publics[i].clone());
        let manager = self.oracle.manager();
        let (relay, relay_rx) = mpsc::unbounded();
        let handle = self
            .context
            .child("validator")
            .with_attribute("index", i)
            .spawn(move |context| async move {
                let quota = Quota::per_second(NZU32!(10_000));
                let mut registered = Vec::new();
                for c in [
                    channel::VOTES,
                    channel::CERTIFICATES,
                    channel::CERTIFICATE_BACKFILL,
                    channel::BLOCK_BACKFILL,
                    channel::BLOCKS,
                    channel::TRANSACTIONS,
                ] {
                    registered.push(control.register(c, quota).await.unwrap());
                }
                let mut r = registered.into_iter();
                let channels = Channels {
                    votes: r.next().unwrap(),
                    certificates: r.next().unwrap(),
                    certificate_backfill: r.next().unwrap(),
                    block_backfill: r.next().unwrap(),
                    blocks: r.next().unwrap(),
                    transactions: r.next().unwrap(),
                };
                wiring::run(
                    context,
                    config,
                    chain,
                    Network {
                        peers: manager,
                        blocker: control,
                        channels,
                    },
                    Wiring::simulated(format!("node{i}")),
                    relay_rx,
                    futures::future::pending(),
                )
                .await
            });
        self.handles[i] = Some(handle);
        relay
    }

    /// Crashes validator `i`: aborts every task of its engine and closes its
    /// Molt runtime.
    async fn crash(&mut self, i: usize) {
        self.handles[i].take().unwrap().abort();
        let mut chain = self.chains[i].take().unwrap();
        for _ in 0..10_000 {
            match Arc::try_unwrap(chain) {
                Ok(c) => {
                    drop(c);
                    return;
                }
                Err(c) => {
                    chain = c;
                    self.context.sleep(Duration::from_millis(10)).await;
                }
            }
        }
        panic!("validator {i}'s tasks still hold its runtime after the crash");
    }

    /// Restarts a crashed validator from its storage.
    async fn restart(&mut self, i: usize) {
        self.chains[i] = Some(SimChain::open(&self.dirs[i], &self.genesis));
        self.relays[i] = self.start(i).await;
    }

    fn height(&self, i: usize) -> u64 {
        self.chains[i].as_ref().map_or(0, |c| c.runtime.height())
    }

    /// Submits a transaction to validator `i`, which relays it.
    fn submit(&self, i: usize, tx: SignedTransaction) {
        self.chains[i].as_ref().unwrap().admit(tx.clone());
        let _ = self.relays[i].unbounded_send(tx.encode());
    }

    /// Waits until every node of `nodes` is at `height` or beyond.
    async fn reach(&self, nodes: &[usize], height: u64, what: &str) {
        let start = self.context.current();
        loop {
            if nodes.iter().all(|&i| self.height(i) >= height) {
                return;
            }
            let waited = self.context.current().duration_since(start).unwrap();
            assert!(
                waited < PHASE_LIMIT,
                "{what}: not all of {nodes:?} reached height {height} in {waited:?} (heights {:?})",
                self.heights()
            );
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    fn heights(&self) -> Vec<u64> {
        (0..self.n()).map(|i| self.height(i)).collect()
    }

    fn history(&self, i: usize) -> Vec<(u64, BlockId, Digest)> {
        let rt = &self.chains[i].as_ref().unwrap().runtime;
        (1..=rt.height())
            .map(|h| {
                let b = rt.block(h).unwrap().expect("a finalized block");
                (h, b.header.id(), b.header.state_root)
            })
            .collect()
    }

    /// Asserts every node holds the same block and state root at every
    /// height they all have.
    fn assert_agreement(&self) -> Vec<Vec<(u64, BlockId, Digest)>> {
        let histories: Vec<_> = (0..self.n()).map(|i| self.history(i)).collect();
        let common = histories.iter().map(Vec::len).min().unwrap();
        assert!(common > 0, "no finalized block on some node");
        for (i, h) in histories.iter().enumerate() {
            assert_eq!(
                h[..common],
                histories[0][..common],
                "node {i} disagrees with node 0"
            );
        }
        histories
    }
}

/// Runs `scenario` with `n` validators for `seed`.
fn simulate(seed: u64, n: usize, scenario: Scenario) -> Outcome {
    let root = tempfile::tempdir().unwrap();
    let root_path = root.path().to_path_buf();
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(3_600))),
    );
    runner.start(|context| async move {
        let mut sim = Sim::new(context.child("sim"), n, &root_path).await;
        let all: Vec<usize> = (0..n).collect();
        let f = (n - 1) / 3;
        let sender = molt_runtime::dev_key(0);
        let transfers: Vec<SignedTransaction> = (0..3)
            .map(|s| transfer(&sender, s, molt_runtime::dev_key(1).address(), 10 + s))
            .collect();
        match scenario {
            Scenario::Lossy => {
                sim.connect(&all, &all, &link(80, 40, 85)).await;
                for tx in &transfers {
                    sim.submit(0, tx.clone());
                }
                sim.reach(&all, 25, "over lossy links").await;
                for i in 0..n {
                    for tx in &transfers {
                        assert!(
                            sim.chains[i]
                                .as_ref()
                                .unwrap()
                                .runtime
                                .receipt(&tx.id())
                                .unwrap()
                                .is_some(),
                            "transfer {} not included on node {i}",
                            tx.id()
                        );
                    }
                }
            }
            Scenario::Partition => {
                let good = link(20, 5, 100);
                sim.connect(&all, &all, &good).await;
                sim.submit(0, transfers[0].clone());
                sim.reach(&all, 5, "before the partition").await;
                let (a, b) = all.split_at(n / 2);
                sim.disconnect(a, b).await;
                // What was in flight settles; then nothing more is final.
                sim.context.sleep(Duration::from_secs(5)).await;
                let during = sim.heights();
                sim.submit(0, transfers[1].clone());
                sim.context.sleep(Duration::from_secs(30)).await;
                assert_eq!(
                    sim.heights(),
                    during,
                    "a side without a quorum finalized a block during the partition"
                );
                sim.connect(a, b, &good).await;
                let top = *during.iter().max().unwrap();
                sim.reach(&all, top + 15, "after the partition healed")
                    .await;
            }
            Scenario::Crash => {
                sim.connect(&all, &all, &link(30, 10, 97)).await;
                sim.submit(0, transfers[0].clone());
                sim.reach(&all, 5, "before the crash").await;
                let crashed: Vec<usize> = (n - f..n).collect();
                let alive: Vec<usize> = (0..n - f).collect();
                for &i in &crashed {
                    sim.crash(i).await;
                }
                sim.submit(0, transfers[1].clone());
                let top = alive.iter().map(|&i| sim.height(i)).max().unwrap();
                sim.reach(&alive, top + 10, "with f validators down").await;
                for &i in &crashed {
                    sim.restart(i).await;
                }
                let top = alive.iter().map(|&i| sim.height(i)).max().unwrap();
                for &i in &crashed {
                    assert!(
                        sim.height(i) < top,
                        "validator {i} missed blocks while down"
                    );
                }
                sim.reach(&all, top + 5, "after the restart").await;
                for &i in &all {
                    assert!(
                        sim.chains[i]
                            .as_ref()
                            .unwrap()
                            .runtime
                            .receipt(&transfers[1].id())
                            .unwrap()
                            .is_some(),
                        "the transfer sent while f were down is not on node {i}"
                    );
                }
            }
        }
        let histories = sim.assert_agreement();
        Outcome {
            histories,
            audit: context.auditor().state(),
        }
    })
}

/// Runs `scenario` twice with each seed (the default one and those of
/// `MOLT_SIM_SEEDS`) and asserts both runs are identical.
fn check(n: usize, scenario: Scenario) {
    let mut seeds = vec![0u64];
    if let Ok(list) = std::env::var("MOLT_SIM_SEEDS") {
        seeds.extend(list.split(',').filter_map(|s| s.trim().parse::<u64>().ok()));
    }
    for seed in seeds {
        eprintln!("{scenario:?} n={n} seed={seed}: running");
        let first = simulate(seed, n, scenario);
        let second = simulate(seed, n, scenario);
        assert_eq!(
            first.histories, second.histories,
            "seed {seed}: two runs finalized different histories"
        );
        assert_eq!(first.audit, second.audit, "seed {seed}: two runs differ");
        eprintln!(
            "{scenario:?} n={n} seed={seed}: heights {:?}",
            first.histories.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }
}

#[test]
fn four_validators_over_slow_lossy_links() {
    check(4, Scenario::Lossy);
}

#[test]
fn seven_validators_over_slow_lossy_links() {
    check(7, Scenario::Lossy);
}

#[test]
fn four_validators_split_two_two_stall_and_resume_after_healing() {
    check(4, Scenario::Partition);
}

#[test]
fn seven_validators_split_three_four_stall_and_resume_after_healing() {
    check(7, Scenario::Partition);
}

#[test]
fn four_validators_one_crashes_and_catches_up_after_restart() {
    check(4, Scenario::Crash);
}

#[test]
fn seven_validators_two_crash_and_catch_up_after_restart() {
    check(7, Scenario::Crash);
}
