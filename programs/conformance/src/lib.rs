//! The conformance suite: the same scenarios on the three implementations
//! of a program's world, compared step by step (DESIGN.md 7, "one set of
//! program semantics"; docs/conformance.md lists the rules it checks).
//!
//! 1. **The node** (the reference): `molt-runtime` over a real store, real
//!    Wasm through `molt-vm`, driven by signed transactions in blocks.
//! 2. **`MemoryHost`**: the same Wasm modules through `molt-vm`, storage in
//!    memory.
//! 3. **`TestEnv`**: the same programs compiled natively, through the SDK's
//!    test host.
//!
//! A [`Conformance`] publishes `conformance_probe` (from Alice) and
//! `conformance_callee` (from Bob) on a fresh node, upgrades the callee once
//! (so it has a version 1 and a version 2 with different package ids and
//! editions) and gives the callee's `UpgradeCap` to the probe. It then copies
//! that world, exactly as the node stores it (package ids, versions,
//! editions, checksums, owners, caps, storage), into the other two hosts.
//! [`Conformance::run`] runs one [`Step`] on the node, then on the others
//! with the node's block height and time, and asserts that all three show
//! the same [`Observed`]: the result, the failure kind and its details, the
//! events, the tickets, and the storage of both programs afterwards. Gas is
//! not compared: `TestEnv` does not meter. A node receipt carries codes and
//! structured data only, so the refused operation of a write in a view, the
//! text of a ticket refusal and the name of an undeclared event are compared
//! between the `MemoryHost` and `TestEnv` (where the text comes from one
//! `Display` in `molt-host-rules`), the kind with the node.
//!
//! What a host cannot show is left out of the comparison with it, never
//! guessed: a node transaction returns no data (so the probe records its
//! results in storage), and only an `Upgrade` transaction shows the node's
//! tickets (through whether its upgrade was accepted).

mod memory;
mod native;
mod node;
mod observed;

pub use observed::{EmittedEvent, Entries, Failure, Observed};

use memory::Memory;
use molt_sdk::testing::{Dispatch, ProgramVersion};
use molt_sdk::{BorshSerialize, Context};
use molt_types::{Address, Digest, Event, TransactionPayload};
use molt_vm::PackageInfo;
use native::Native;
use node::Node;

/// The program modules, built to wasm32 once per test process.
pub fn probe_module() -> Vec<u8> {
    molt_build::example("conformance_probe").expect("conformance_probe builds to wasm32")
}

pub fn callee_module() -> Vec<u8> {
    molt_build::example("conformance_callee").expect("conformance_callee builds to wasm32")
}

/// A funded dev account of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Alice,
    Bob,
}

/// How a step reaches the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// A `Call` transaction from `sender`.
    Call { sender: Account },
    /// A read-only call outside any transaction (the node's `view`; caller
    /// and origin are the zero address).
    View,
    /// The ticket call of an `Upgrade` transaction from `sender` that
    /// upgrades the callee to its own module again. On the node the upgrade
    /// is accepted only if the ticket call left a ticket for the callee's
    /// cap with that module's checksum, and a failed upgrade undoes the
    /// ticket call; so a ticket step must not write unless it also issues
    /// the matching ticket, and an accepted one ends the scenario.
    Ticket { sender: Account },
}

/// One call of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    pub package: Address,
    pub function: String,
    /// The borsh of the argument tuple.
    pub args: Vec<u8>,
}

impl Step {
    fn new(kind: StepKind, package: Address, function: &str, args: &impl BorshSerialize) -> Step {
        Step {
            kind,
            package,
            function: function.into(),
            args: encode(args),
        }
    }

    pub fn call(
        sender: Account,
        package: Address,
        function: &str,
        args: &impl BorshSerialize,
    ) -> Step {
        Step::new(StepKind::Call { sender }, package, function, args)
    }

    pub fn view(package: Address, function: &str, args: &impl BorshSerialize) -> Step {
        Step::new(StepKind::View, package, function, args)
    }

    pub fn ticket(
        sender: Account,
        package: Address,
        function: &str,
        args: &impl BorshSerialize,
    ) -> Step {
        Step::new(StepKind::Ticket { sender }, package, function, args)
    }
}

/// borsh of `value`.
pub fn encode(value: &impl BorshSerialize) -> Vec<u8> {
    molt_sdk::borsh::to_vec(value).expect("encoding into a Vec cannot fail")
}

/// The block a step ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEnv {
    pub height: u64,
    pub time_ms: u64,
}

/// The ids of the world every scenario starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub alice: Address,
    pub bob: Address,
    /// The probe's original id (its storage namespace) and its only
    /// version's package id.
    pub probe: Address,
    pub probe_v1: Address,
    /// The callee's original id and the package ids of its two versions.
    pub callee: Address,
    pub callee_v1: Address,
    pub callee_v2: Address,
    /// The probe's cap (held by Alice) and the callee's (held by the probe).
    pub probe_cap: Address,
    pub callee_cap: Address,
    pub probe_checksum: Digest,
    pub callee_checksum: Digest,
}

/// What the drivers share: the names, the modules, the programs' events.
pub struct World {
    pub names: Names,
    callee_module: Vec<u8>,
    /// `(emitter, event name)` of every event the two programs declare.
    declared_events: Vec<(Address, String)>,
}

impl World {
    fn address(&self, account: Account) -> Address {
        match account {
            Account::Alice => self.names.alice,
            Account::Bob => self.names.bob,
        }
    }

    fn namespaces(&self) -> [Address; 2] {
        [self.names.probe, self.names.callee]
    }

    /// The programs' own events of a receipt, without the runtime's.
    fn program_events(&self, events: &[Event]) -> Vec<EmittedEvent> {
        events
            .iter()
            .filter(|e| {
                self.declared_events
                    .iter()
                    .any(|(emitter, name)| *emitter == e.emitter && *name == e.name)
            })
            .map(|e| (e.emitter, e.name.clone(), e.data.clone()))
            .collect()
    }
}

/// The three hosts, set up with the same world.
pub struct Conformance {
    pub world: World,
    node: Node,
    memory: Memory,
    native: Native,
}

impl Default for Conformance {
    fn default() -> Self {
        Self::new()
    }
}

impl Conformance {
    pub fn new() -> Conformance {
        let node = Node::new();
        let (probe_code, callee_code) = (probe_module(), callee_module());
        let probe = node.publish(Account::Alice, probe_code);
        let callee = node.publish(Account::Bob, callee_code.clone());
        let (r, _) = node.transact(
            Account::Bob,
            TransactionPayload::Upgrade {
                package: callee,
                module: callee_code.clone(),
                ticket: None,
            },
        );
        assert_eq!(r.status, molt_types::ExecutionStatus::Success, "{r:?}");
        let callee_cap = molt_runtime::cap_id(&callee);
        let (r, _) = node.transact(
            Account::Bob,
            TransactionPayload::TransferUpgradeCap {
                cap: callee_cap,
                to: probe,
            },
        );
        assert_eq!(r.status, molt_types::ExecutionStatus::Success, "{r:?}");

        let probe_versions = node.versions(&probe);
        let callee_versions = node.versions(&callee);
        assert_eq!((probe_versions.len(), callee_versions.len()), (1, 2));
        let names = Names {
            alice: node::key(Account::Alice).address(),
            bob: node::key(Account::Bob).address(),
            probe,
            probe_v1: probe_versions[0].package_id,
            callee,
            callee_v1: callee_versions[0].package_id,
            callee_v2: callee_versions[1].package_id,
            probe_cap: molt_runtime::cap_id(&probe),
            callee_cap,
            probe_checksum: probe_versions[0].checksum,
            callee_checksum: callee_versions[1].checksum,
        };
        let probe_interface = conformance_probe::conformance_probe::__molt_interface();
        let callee_interface = conformance_callee::conformance_callee::__molt_interface();
        let declared_events = probe_interface
            .events
            .iter()
            .map(|e| (probe, e.name.clone()))
            .chain(
                callee_interface
                    .events
                    .iter()
                    .map(|e| (callee, e.name.clone())),
            )
            .collect();
        let world = World {
            names,
            callee_module: callee_code,
            declared_events,
        };

        // Copy the node's world into the other two hosts.
        let mut memory = Memory::new();
        let native = Native::new();
        let programs: [(&[molt_runtime::PackageVersion], Dispatch, _); 2] = [
            (
                &probe_versions,
                conformance_probe::conformance_probe::__molt_dispatch,
                probe_interface,
            ),
            (
                &callee_versions,
                conformance_callee::conformance_callee::__molt_dispatch,
                callee_interface,
            ),
        ];
        for (versions, dispatch, interface) in programs {
            for v in versions {
                let code = node
                    .rt
                    .module(&v.package_id)
                    .expect("module read")
                    .expect("the module is stored");
                let info = PackageInfo {
                    package_id: v.package_id,
                    original_id: v.original_id,
                    version: v.version,
                    edition: v.edition,
                    owner: v.owner,
                    checksum: v.checksum,
                };
                memory.host.install(info, code);
                native.env.install(ProgramVersion {
                    package_id: v.package_id,
                    original_id: v.original_id,
                    version: v.version,
                    edition: v.edition,
                    checksum: v.checksum,
                    owner: v.owner,
                    dispatch,
                    interface: Some(interface.clone()),
                });
            }
        }
        for cap in [world.names.probe_cap, world.names.callee_cap] {
            let owner = node.cap(&cap).owner;
            memory.host.add_cap(cap, owner);
            native.env.add_cap(cap, owner);
        }
        for ns in world.namespaces() {
            for (k, v) in node.entries(&ns) {
                memory.host.insert(ns, &k, &v);
                native.env.storage_set_in(&ns, &k, &v);
            }
        }
        Conformance {
            world,
            node,
            memory,
            native,
        }
    }

    pub fn names(&self) -> &Names {
        &self.world.names
    }

    /// Runs `step` on the three hosts, asserts that they agree, and returns
    /// what the node showed (for the scenario's own expectations), with the
    /// failure details its receipts do not carry (the refused operation, the
    /// ticket refusal's text, the event's name) taken from the `MemoryHost`,
    /// which ran the same Wasm and agreed.
    pub fn run(&mut self, step: Step) -> Observed {
        let (node, env) = self.node.run(&step, &self.world);
        let memory = self.memory.run(&step, env, &self.world);
        let native = self.native.run(&step, env, &self.world);
        agree("MemoryHost", &node, &memory, &step);
        agree("TestEnv", &node, &native, &step);
        // The two hosts that return data must return the same.
        assert_eq!(
            memory.result, native.result,
            "MemoryHost and TestEnv return different results for {step:?}"
        );
        assert_eq!(
            memory.tickets, native.tickets,
            "MemoryHost and TestEnv leave different tickets after {step:?}"
        );
        let mut node = node;
        if let (Err(f), Err(detailed)) = (&node.result, &memory.result)
            && f.lacks_detail()
        {
            node.result = Err(detailed.clone());
        }
        node
    }
}

/// Asserts that `other` shows what the node showed, where it can.
fn agree(host: &str, node: &Observed, other: &Observed, step: &Step) {
    match (&node.result, &other.result) {
        (Ok(Some(a)), Ok(Some(b))) => {
            assert_eq!(
                a, b,
                "{host} returns another result than the node for {step:?}"
            )
        }
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) if a.agrees(b) => {}
        (a, b) => assert_eq!(a, b, "{host} disagrees with the node on {step:?}"),
    }
    assert_eq!(
        node.events, other.events,
        "{host} emits other events than the node for {step:?}"
    );
    if let (Some(a), Some(b)) = (&node.tickets, &other.tickets) {
        assert_eq!(
            a, b,
            "{host} leaves other tickets than the node after {step:?}"
        );
    }
    assert_eq!(
        node.storage, other.storage,
        "{host} leaves other storage than the node after {step:?}"
    );
}

/// Decodes a `whoami` record or result (the borsh of a `Context`, itself
/// borsh-encoded as the function's `Vec<u8>` result).
pub fn context_of(bytes: &[u8]) -> Context {
    let inner: Vec<u8> = molt_sdk::borsh::from_slice(bytes).expect("a Vec<u8>");
    molt_sdk::borsh::from_slice(&inner).expect("a Context")
}

/// The value the probe or the callee recorded under `out/<tag>`.
pub fn recorded(observed: &Observed, program: &Address, tag: &str) -> Option<Vec<u8>> {
    let key = [b"out/".as_slice(), tag.as_bytes()].concat();
    observed
        .storage
        .get(program)?
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}
