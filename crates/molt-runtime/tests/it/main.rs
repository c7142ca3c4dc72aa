//! molt-runtime integration tests: real store, real Wasm, real signatures.

mod coin;
mod constructors;
mod determinism;
mod faults;
mod forge;
mod governance;
mod governance_large;
mod griefing;
mod halt;
mod machine;
mod program_upgrades;
mod programs;
mod queries;
mod rejections;
mod simulate;
mod transfers;
mod typed_imports;
mod upgrades;

use molt_runtime::*;
use molt_store::StoreConfig;
use molt_types::*;
use tempfile::TempDir;

#[derive(Debug)]
pub struct Chain {
    pub dir: TempDir,
    pub rt: Runtime,
    pub proposer: Address,
}

impl Chain {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self::with_genesis(&Genesis::dev())
    }

    pub fn with_genesis(genesis: &Genesis) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::open(dir.path(), genesis, StoreConfig::default()).unwrap();
        Chain {
            dir,
            rt,
            proposer: dev_validator_key().address(),
        }
    }

    pub fn reopen(self) -> Self {
        let Chain { dir, rt, proposer } = self;
        drop(rt);
        let rt = Runtime::open(dir.path(), &Genesis::dev(), StoreConfig::default()).unwrap();
        Chain { dir, rt, proposer }
    }

    pub fn tx(&self, key: &SecretKey, payload: TransactionPayload) -> SignedTransaction {
        let seq = self.rt.account(&key.address()).unwrap().sequence_number;
        self.tx_with(key, seq, 50_000_000, payload)
    }

    pub fn tx_with(
        &self,
        key: &SecretKey,
        seq: u64,
        budget: u64,
        payload: TransactionPayload,
    ) -> SignedTransaction {
        Transaction {
            chain_id: ChainId::dev(),
            sender: key.address(),
            sequence_number: seq,
            gas_budget: budget,
            gas_price: 1,
            expiry_height: self.rt.height() + 10,
            payload,
        }
        .sign(key)
    }

    /// Produces a block with `txs`; returns receipts and rejections.
    pub fn block(&self, txs: Vec<SignedTransaction>) -> ProducedBlock {
        let ts = 1_000 * (self.rt.height() + 1);
        self.rt.produce_block(&txs, self.proposer, ts).unwrap()
    }

    /// One transaction in its own block; panics if it was not included.
    pub fn run(&self, key: &SecretKey, payload: TransactionPayload) -> Receipt {
        let tx = self.tx(key, payload);
        let mut p = self.block(vec![tx]);
        assert!(p.rejected.is_empty(), "rejected: {:?}", p.rejected);
        p.receipts.remove(0)
    }

    pub fn publish(&self, key: &SecretKey, name: &str) -> Address {
        let module = molt_build::example(name).unwrap();
        let r = self.run(key, TransactionPayload::Publish { module });
        assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
        r.events
            .iter()
            .find(|e| e.name == "PackagePublished")
            .unwrap()
            .emitter
    }
}
