//! The reference: a real node (`molt-runtime` over a real store in a
//! temporary directory, real Wasm), driven only through its public API:
//! signed transactions in produced blocks, receipts, views and state reads.

use crate::observed::{Entries, Failure, Observed};
use crate::{Account, BlockEnv, Step, StepKind};
use molt_runtime::{Genesis, PackageVersion, Runtime, UpgradeCap, dev_key, dev_validator_key};
use molt_store::StoreConfig;
use molt_types::{
    Address, ChainId, Digest, ExecutionStatus, FailureReason, Receipt, SecretKey, TicketCall,
    Transaction, TransactionPayload, UpgradeRejection, sha3_256,
};
use std::collections::BTreeMap;
use tempfile::TempDir;

/// Gas budget of every transaction (and view).
pub const GAS_BUDGET: u64 = 50_000_000;

pub struct Node {
    _dir: TempDir,
    pub rt: Runtime,
    proposer: Address,
    /// Set once a ticket step upgraded the callee: the other hosts do not
    /// model upgrades, so nothing may follow.
    upgraded: bool,
}

pub fn key(account: Account) -> SecretKey {
    match account {
        Account::Alice => dev_key(0),
        Account::Bob => dev_key(1),
    }
}

impl Node {
    pub fn new() -> Node {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let rt = Runtime::open(dir.path(), &Genesis::dev(), StoreConfig::default())
            .expect("the node opens");
        Node {
            _dir: dir,
            rt,
            proposer: dev_validator_key().address(),
            upgraded: false,
        }
    }

    /// Runs `payload` from `sender` as the only transaction of a new block.
    pub fn transact(&self, sender: Account, payload: TransactionPayload) -> (Receipt, BlockEnv) {
        let key = key(sender);
        let sequence_number = self
            .rt
            .account(&key.address())
            .expect("account read")
            .sequence_number;
        let tx = Transaction {
            chain_id: ChainId::dev(),
            sender: key.address(),
            sequence_number,
            gas_budget: GAS_BUDGET,
            gas_price: 1,
            expiry_height: self.rt.height() + 10,
            payload,
        }
        .sign(&key);
        let height = self.rt.height() + 1;
        let mut produced = self
            .rt
            .produce_block(&[tx], self.proposer, 1_000 * height)
            .expect("the block is produced");
        assert!(
            produced.rejected.is_empty(),
            "rejected: {:?}",
            produced.rejected
        );
        (produced.receipts.remove(0), self.block_env())
    }

    /// Height and time of the latest block.
    pub fn block_env(&self) -> BlockEnv {
        let header = self.rt.latest_block().expect("latest block").header;
        BlockEnv {
            height: header.height,
            time_ms: header.timestamp_ms,
        }
    }

    /// Publishes `module` from `sender`; the new package's original id.
    pub fn publish(&self, sender: Account, module: Vec<u8>) -> Address {
        let (r, _) = self.transact(sender, TransactionPayload::Publish { module });
        assert_eq!(r.status, ExecutionStatus::Success, "{r:?}");
        r.events
            .iter()
            .find(|e| e.name == "PackagePublished")
            .expect("a PackagePublished event")
            .emitter
    }

    pub fn versions(&self, original_id: &Address) -> Vec<PackageVersion> {
        self.rt
            .package_history(original_id)
            .expect("history read")
            .expect("the package exists")
            .1
    }

    pub fn cap(&self, cap: &Address) -> UpgradeCap {
        self.rt
            .upgrade_cap(cap)
            .expect("cap read")
            .expect("the cap exists")
    }

    pub fn entries(&self, namespace: &Address) -> Entries {
        let prefix = molt_runtime::state::data_prefix(namespace);
        let mut out = Vec::new();
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            let page = self
                .rt
                .store()
                .iter_prefix_page(&prefix, cursor.as_deref(), 64)
                .expect("storage read");
            let Some(last) = page.last().map(|(k, _)| k.clone()) else {
                break;
            };
            out.extend(
                page.into_iter()
                    .map(|(k, v)| (k[prefix.len()..].to_vec(), v)),
            );
            cursor = Some(last);
        }
        out
    }

    /// Runs `step`; also returns the block it ran in (for the other hosts).
    pub fn run(&mut self, step: &Step, world: &crate::World) -> (Observed, BlockEnv) {
        assert!(
            !self.upgraded,
            "a ticket step that upgrades the callee must be a scenario's last step"
        );
        let (result, events, tickets, env) = match &step.kind {
            StepKind::View => {
                let env = self.block_env();
                let result = self
                    .rt
                    .view(&step.package, &step.function, &step.args, GAS_BUDGET)
                    .map(|(bytes, _)| Some(bytes))
                    .map_err(|e| Failure::from_vm_text(&view_failure(e)));
                (result, Vec::new(), None, env)
            }
            StepKind::Call { sender } => {
                let payload = TransactionPayload::Call {
                    package: step.package,
                    function: step.function.clone(),
                    args: step.args.clone(),
                    coin: 0,
                };
                let (receipt, env) = self.transact(*sender, payload);
                let result = match &receipt.status {
                    ExecutionStatus::Success => Ok(None),
                    ExecutionStatus::Failure(reason) => Err(Failure::from_receipt(reason)),
                };
                (result, world.program_events(&receipt.events), None, env)
            }
            StepKind::Ticket { sender } => {
                let module = world.callee_module.clone();
                let checksum = sha3_256(&module);
                let payload = TransactionPayload::Upgrade {
                    package: world.names.callee,
                    module,
                    ticket: Some(TicketCall {
                        package: step.package,
                        function: step.function.clone(),
                        args: step.args.clone(),
                    }),
                };
                let (receipt, env) = self.transact(*sender, payload);
                let (result, tickets) = ticket_outcome(&receipt.status, checksum);
                if receipt.status == ExecutionStatus::Success {
                    self.upgraded = true;
                }
                (
                    result,
                    world.program_events(&receipt.events),
                    Some(tickets),
                    env,
                )
            }
        };
        let storage = world
            .namespaces()
            .into_iter()
            .map(|ns| (ns, self.entries(&ns)))
            .collect::<BTreeMap<_, _>>();
        let observed = Observed {
            result,
            events,
            tickets,
            storage,
        };
        (observed, env)
    }
}

fn view_failure(e: molt_runtime::ViewError) -> String {
    match e {
        molt_runtime::ViewError::Failed(text) => text,
        other => other.to_string(),
    }
}

type TicketOutcome = (Result<Option<Vec<u8>>, Failure>, Vec<Digest>);

/// What an `Upgrade` receipt shows of its ticket call: the call's outcome
/// and the ticket it left for the upgraded cap.
fn ticket_outcome(status: &ExecutionStatus, checksum: Digest) -> TicketOutcome {
    match status {
        // The upgrade proceeds only with a ticket for exactly this module.
        ExecutionStatus::Success => (Ok(None), vec![checksum]),
        ExecutionStatus::Failure(FailureReason::UpgradeRejected(rejection)) => match rejection {
            UpgradeRejection::TicketCallFailed { reason, .. } => {
                (Err(Failure::from_receipt(reason)), Vec::new())
            }
            UpgradeRejection::NoTicket { .. } => (Ok(None), Vec::new()),
            UpgradeRejection::TicketChecksumMismatch { authorized, .. } => {
                (Ok(None), vec![*authorized])
            }
            other => panic!("unexpected upgrade rejection: {other}"),
        },
        ExecutionStatus::Failure(other) => {
            panic!("an upgrade after its ticket call failed otherwise: {other:?}")
        }
    }
}
