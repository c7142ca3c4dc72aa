//! The native test host: run a program's functions as plain Rust on the
//! host, against an in-memory node.
//!
//! On targets other than `wasm32` every SDK call (storage, context, events,
//! cross-program calls, aborts) goes to a thread-local host that a
//! [`TestEnv`] controls. Each test thread has its own host, and
//! [`TestEnv::new`] resets it, so tests are independent.
//!
//! ```ignore
//! let env = TestEnv::new();
//! env.call(counter::init).unwrap();
//! assert_eq!(env.call(|| counter::add(5)), Ok(5));
//! env.set_caller(TestEnv::BOB);
//! let err = env.call(counter::reset).unwrap_err();
//! assert_eq!(err, counter::Error::NotOwner.into());
//! ```
//!
//! [`TestEnv::call`] runs a closure as one transaction: an abort (or a Rust
//! panic, code 0) comes back as `Err(ProgramError)` and, like on the node,
//! every storage write, event and upgrade ticket of that transaction is
//! discarded. [`TestEnv::invoke`] goes through the generated dispatcher
//! instead, so the argument decoding, visibility and `view` rules of the
//! ABI apply; [`TestEnv::call_program`] calls an installed program by id, as
//! a `Call` transaction does.
//!
//! # The node's rules
//!
//! The host follows the node (DESIGN.md 7): the decisions that are not
//! storage come from `molt_host_rules`, the code the node's VM runs, and the
//! conformance suite (`programs/conformance`, docs/conformance.md) runs the
//! same scenarios on the node, the VM's `MemoryHost` and here. In
//! particular:
//!
//! - a program called by another sees the caller's original id as `caller`
//!   and, in the rest of its context, the callee version that runs
//!   ([`ProgramVersion`]: package id, original id, version, edition,
//!   checksum, owner);
//! - calls by original id reach the latest installed version, by package id
//!   that version, and a declared dependency its pinned version;
//! - a view, and everything it calls, may not write, emit or authorize;
//!   programs may call `public` functions only; nesting is depth-limited;
//! - an upgrade ticket needs the ticket call, a cap owned by the calling
//!   program, and is one per cap per transaction; tickets live for one
//!   transaction ([`TestEnv::tickets`]).
//!
//! - privileged calls (`molt_sdk::system`) succeed only for a program whose
//!   original id is a framework address (0x1..0xff), by the node's rule;
//!   they are recorded ([`TestEnv::governance_effects`]), not applied.
//!
//! Refusals the node reports as VM errors rather than aborts end the call
//! here with a code from [`refusals`] and the node's message.
//!
//! Not modelled: gas (a fixed [`TestEnv::set_gas_left`]), the VM's size
//! limits on keys, values, events and results, and the node's check of a
//! transaction's arguments against the interface (a bad argument is the
//! program's own `SdkBadArguments` abort here).

use crate::env::Context;
use crate::error::ProgramError;
use crate::events::Event;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use core::marker::PhantomData;
use molt_types::{Address, Digest};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The interface model, to inspect `<program>::__molt_interface()`.
pub use molt_interface as interface;
pub use molt_interface::{Interface, TypeRef};

/// Codes with which the native test host reports the refusals that the
/// node reports as VM errors (not program aborts, so no interface lists
/// them). The message is the node's.
pub mod refusals {
    /// A refused upgrade ticket (`UpgradeNotAuthorized` on the node).
    pub const UPGRADE_NOT_AUTHORIZED: u32 = crate::upgrade::NOT_AUTHORIZED;
    /// A write, event or ticket in a view call (`WriteInView`).
    pub const WRITE_IN_VIEW: u32 = 1_000_031;
    /// A call to a package that does not exist (`UnknownPackage`).
    pub const UNKNOWN_PACKAGE: u32 = 1_000_032;
    /// A call to a function the package does not declare (`UnknownFunction`).
    pub const UNKNOWN_FUNCTION: u32 = 1_000_033;
    /// Cross-program calls nested beyond the limit (`CallDepthExceeded`).
    pub const CALL_DEPTH_EXCEEDED: u32 = 1_000_034;
    /// An event the program's interface does not declare (`UndeclaredEvent`).
    pub const UNDECLARED_EVENT: u32 = 1_000_035;
    /// Coin attached to a call that the origin does not hold (the node's
    /// failed receipt `InsufficientBalance`; the call does not run).
    pub const INSUFFICIENT_BALANCE: u32 = 1_000_037;
}

/// How a function is reached through a dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A transaction: `public` and `entry` functions are callable.
    Transaction,
    /// Another program's `call`: only `public` functions are callable.
    Program,
}

/// A program's generated dispatcher, `<module>::__molt_dispatch`.
pub type Dispatch = fn(CallKind, &str, &[u8]);

type Mock = Rc<dyn Fn(&[u8]) -> Result<Vec<u8>, ProgramError>>;

/// An event as the host recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedEvent {
    /// The original id of the emitting program.
    pub program: Address,
    pub name: String,
    pub data: Vec<u8>,
}

impl EmittedEvent {
    /// The data decoded as `T`; panics (a test failure) if it does not decode.
    pub fn decode<T: BorshDeserialize>(&self) -> T {
        borsh::from_slice(&self.data)
            .unwrap_or_else(|e| panic!("event {} does not decode: {e}", self.name))
    }
}

/// One version of a program that the test host can call, with what the
/// node records for it: `molt_sdk::call` to its package id reaches it, a
/// call to its original id reaches it while it is the highest version, and
/// the callee's context carries these fields.
#[derive(Debug, Clone)]
pub struct ProgramVersion {
    pub package_id: Address,
    pub original_id: Address,
    /// From 1.
    pub version: u64,
    /// From 0; the node gives version `n` edition `n - 1`.
    pub edition: u16,
    /// SHA3-256 of the version's module bytes (of the wasm32 build).
    pub checksum: Digest,
    /// The package owner (the publisher).
    pub owner: Address,
    /// The program's generated dispatcher, `<module>::__molt_dispatch`.
    pub dispatch: Dispatch,
    /// The program's interface (`<module>::__molt_interface()`), if known:
    /// then functions are checked against it before the dispatcher runs,
    /// its declared dependencies are called at their pinned versions, and
    /// it may emit only its declared events.
    pub interface: Option<Interface>,
}

impl ProgramVersion {
    /// Version 1 of a program whose package id and original id are both
    /// `id`, owned by [`TestEnv::ALICE`], with checksum
    /// [`TestEnv::CHECKSUM`] and no known interface.
    pub fn new(id: Address, dispatch: Dispatch) -> Self {
        ProgramVersion {
            package_id: id,
            original_id: id,
            version: 1,
            edition: 0,
            checksum: TestEnv::CHECKSUM,
            owner: TestEnv::ALICE,
            dispatch,
            interface: None,
        }
    }

    /// The same version with its interface known.
    pub fn with_interface(mut self, interface: Interface) -> Self {
        self.interface = Some(interface);
        self
    }
}

/// Controls the thread's test host. Not `Send`: the host is per thread.
#[derive(Debug)]
pub struct TestEnv {
    _per_thread: PhantomData<*const ()>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    /// The default caller, origin and owner.
    pub const ALICE: Address = Address([0xa1; 32]);
    pub const BOB: Address = Address([0xb0; 32]);
    pub const CAROL: Address = Address([0xca; 32]);
    /// The default package id and original id of the program under test.
    pub const PROGRAM: Address = Address([0x50; 32]);
    /// The default checksum of the program under test.
    pub const CHECKSUM: Digest = Digest([0xc5; 32]);

    /// Resets this thread's host: empty storage, no events, the default
    /// context (caller [`Self::ALICE`], package [`Self::PROGRAM`], version 1,
    /// edition 0, block 1).
    pub fn new() -> Self {
        host::reset();
        host::install_panic_hook();
        TestEnv {
            _per_thread: PhantomData,
        }
    }

    /// The context the next call sees.
    pub fn context(&self) -> Context {
        host::with(|h| h.frames[0].ctx.clone())
    }

    fn edit(&self, f: impl FnOnce(&mut Context)) {
        host::with(|h| f(&mut h.frames[0].ctx))
    }

    /// Sets the caller and the transaction's origin.
    pub fn set_caller(&self, caller: Address) {
        self.edit(|c| {
            c.caller = caller;
            c.origin = caller;
        })
    }

    /// Sets the origin alone (a call relayed through another program).
    pub fn set_origin(&self, origin: Address) {
        self.edit(|c| c.origin = origin)
    }

    pub fn set_block(&self, height: u64, time_ms: u64) {
        self.edit(|c| {
            c.block_height = height;
            c.block_time_ms = time_ms;
        })
    }

    /// Sets the package id, original id and version of the program under test.
    pub fn set_package(&self, package_id: Address, original_id: Address, version: u64) {
        self.edit(|c| {
            c.package_id = package_id;
            c.original_id = original_id;
            c.version = version;
        })
    }

    pub fn set_edition(&self, edition: u16) {
        self.edit(|c| c.edition = edition)
    }

    pub fn set_checksum(&self, checksum: Digest) {
        self.edit(|c| c.checksum = checksum)
    }

    pub fn set_owner(&self, owner: Address) {
        self.edit(|c| c.owner = owner)
    }

    /// Makes the next calls the ticket call of an `Upgrade` transaction
    /// (`true`), the only place `molt_sdk::upgrade::authorize` can issue a
    /// ticket, or plain calls (`false`, the default).
    pub fn set_ticket_call(&self, ticket_call: bool) {
        self.edit(|c| c.ticket_call = ticket_call)
    }

    pub fn set_gas_left(&self, gas: u64) {
        host::with(|h| h.gas = gas)
    }

    /// How deep cross-program calls may nest (the transaction's call is
    /// depth 1); the node's default unless set.
    pub fn set_max_call_depth(&self, depth: u32) {
        host::with(|h| h.max_call_depth = depth)
    }

    /// Runs `f` as one transaction of the program under test. An abort or a
    /// panic becomes `Err` and discards the transaction's writes, events and
    /// tickets. The tickets of the transaction before expire when it starts.
    pub fn call<R>(&self, f: impl FnOnce() -> R) -> Result<R, ProgramError> {
        let snapshot = host::with(|h| {
            h.tickets.clear();
            (
                h.storage.clone(),
                h.events.len(),
                h.tickets.len(),
                h.governance.len(),
                h.balances.clone(),
            )
        });
        let attach = host::with(|h| {
            let amount = core::mem::take(&mut h.attach_next);
            if amount == 0 {
                return Ok(());
            }
            let from = h.frames[0].ctx.origin;
            let to = h.frames[0].ctx.original_id;
            match h.transfer(&from, &to, amount) {
                Ok(()) => {
                    h.frames[0].ctx.attached_coin = amount;
                    Ok(())
                }
                Err(available) => Err(ProgramError::new(
                    refusals::INSUFFICIENT_BALANCE,
                    std::format!("insufficient balance: needed {amount}, available {available}"),
                )),
            }
        });
        attach?;
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => {
                host::with(|h| h.reset_frames());
                Ok(r)
            }
            Err(payload) => {
                host::with(|h| {
                    h.storage = snapshot.0;
                    h.events.truncate(snapshot.1);
                    h.tickets.truncate(snapshot.2);
                    h.governance.truncate(snapshot.3);
                    h.balances = snapshot.4;
                    h.reset_frames();
                });
                Err(host::error_of(payload))
            }
        }
    }

    /// [`Self::call`] for a function returning `Result<T, E>` with `E` a
    /// declared `#[errors]` enum or a [`ProgramError`]: `Err(e)` aborts (and
    /// rolls back) as the generated export would, and comes back as
    /// `Err(ProgramError)`.
    pub fn try_call<T, E: crate::error::Failure>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, ProgramError> {
        self.call(|| match f() {
            Ok(v) => v,
            Err(e) => e.abort(),
        })
    }

    /// [`Self::call`] with `caller` as the caller and origin (kept afterwards).
    pub fn call_as<R>(&self, caller: Address, f: impl FnOnce() -> R) -> Result<R, ProgramError> {
        self.set_caller(caller);
        self.call(f)
    }

    /// Calls `func` of the program under test through its generated
    /// dispatcher, as a transaction: arguments are decoded from `args` (a
    /// tuple for several parameters, the value for one, `()` for none), the
    /// visibility and `view` rules apply, and the result is decoded as `R`.
    pub fn invoke<R: BorshDeserialize>(
        &self,
        dispatch: Dispatch,
        func: &str,
        args: &(impl BorshSerialize + ?Sized),
    ) -> Result<R, ProgramError> {
        let bytes = self.invoke_raw(dispatch, func, &crate::__private::encode(args))?;
        borsh::from_slice(&bytes).map_err(|e| {
            ProgramError::new(crate::error::codes::BAD_CALL_RESULT, std::format!("{e}"))
        })
    }

    /// [`Self::invoke`] with encoded arguments and result.
    pub fn invoke_raw(
        &self,
        dispatch: Dispatch,
        func: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ProgramError> {
        self.call(|| {
            host::with(|h| h.current().return_data = None);
            dispatch(CallKind::Transaction, func, args);
            host::with(|h| h.current().return_data.take().unwrap_or_default())
        })
    }

    /// Makes program `id` (its package id and original id) callable by
    /// `molt_sdk::call`, running its dispatcher with its own storage
    /// namespace and the caller set to the calling program: version 1 as
    /// [`ProgramVersion::new`] describes it. [`Self::install`] says more.
    pub fn register_program(&self, id: Address, dispatch: Dispatch) {
        self.install(ProgramVersion::new(id, dispatch));
    }

    /// Installs a program version: callable by its package id, and by its
    /// original id while it is the highest version installed.
    pub fn install(&self, version: ProgramVersion) {
        host::with(|h| h.install(version))
    }

    /// Calls `func` of the installed program `package` (an original id: its
    /// latest version; or a package id) as a `Call` transaction from the
    /// current caller: the program runs with the context of that version,
    /// the caller, origin, block and ticket-call flag set on this `TestEnv`.
    /// `args` and the result are encoded. Fails as the node does for an
    /// unknown package, an unknown function or an `internal` one.
    pub fn call_program(
        &self,
        package: &Address,
        func: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ProgramError> {
        let saved = host::with(|h| (h.frames[0].ctx.clone(), h.frames[0].interface.clone()));
        let result = self.call(|| {
            let dispatch = host::with(|h| {
                let Some(target) = h.resolve(package) else {
                    host::raise(host::unknown_package(package))
                };
                if let Some(interface) = &target.interface {
                    host::check_callable(interface, func, molt_host_rules::CallOrigin::Transaction);
                }
                let v = target.version.clone();
                let (dispatch, interface) = (v.dispatch, target.interface.clone());
                let ctx = &mut h.frames[0].ctx;
                ctx.package_id = v.package_id;
                ctx.original_id = v.original_id;
                ctx.version = v.version;
                ctx.edition = v.edition;
                ctx.checksum = v.checksum;
                ctx.owner = v.owner;
                h.frames[0].interface = interface;
                h.current().return_data = None;
                dispatch
            });
            dispatch(CallKind::Transaction, func, args);
            host::with(|h| h.current().return_data.take().unwrap_or_default())
        });
        host::with(|h| {
            h.frames[0].ctx = saved.0;
            h.frames[0].interface = saved.1;
        });
        result
    }

    /// Answers `molt_sdk::call(package, func, ..)` with `f(args) -> result`,
    /// both encoded; `Err` aborts the caller with that error. Mocks take
    /// precedence over installed programs and skip the host's call rules.
    pub fn mock_call(
        &self,
        package: Address,
        func: &str,
        f: impl Fn(&[u8]) -> Result<Vec<u8>, ProgramError> + 'static,
    ) {
        host::with(|h| {
            h.mocks.insert((package, String::from(func)), Rc::new(f));
        })
    }

    /// [`Self::mock_call`] with typed arguments and result.
    pub fn mock_call_typed<A, R>(
        &self,
        package: Address,
        func: &str,
        f: impl Fn(A) -> Result<R, ProgramError> + 'static,
    ) where
        A: BorshDeserialize,
        R: BorshSerialize,
    {
        let func_name = String::from(func);
        self.mock_call(package, func, move |args| {
            let a: A = borsh::from_slice(args).map_err(|_| {
                ProgramError::new(
                    crate::error::codes::BAD_ARGUMENTS,
                    std::format!("mock {func_name}: arguments do not decode"),
                )
            })?;
            f(a).map(|r| crate::__private::encode(&r))
        })
    }

    /// The raw value under `key` in the program under test's namespace.
    pub fn storage_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let ns = self.context().original_id;
        self.storage_get_in(&ns, key)
    }

    /// The raw value under `key` in `program`'s namespace.
    pub fn storage_get_in(&self, program: &Address, key: &[u8]) -> Option<Vec<u8>> {
        host::with(|h| h.storage.get(program).and_then(|s| s.get(key)).cloned())
    }

    /// Every `(key, value)` of `program`, in key order.
    pub fn storage_entries(&self, program: &Address) -> Vec<(Vec<u8>, Vec<u8>)> {
        host::with(|h| {
            h.storage
                .get(program)
                .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        })
    }

    /// Writes a raw value into `program`'s namespace (for example another
    /// program's state read with `storage_get_foreign`).
    pub fn storage_set_in(&self, program: &Address, key: &[u8], value: &[u8]) {
        host::with(|h| {
            h.storage
                .entry(*program)
                .or_default()
                .insert(key.to_vec(), value.to_vec());
        })
    }

    /// Sets singleton `name` of `program`.
    pub fn set_foreign_item<T: BorshSerialize>(&self, program: &Address, name: &str, value: &T) {
        self.storage_set_in(program, name.as_bytes(), &crate::__private::encode(value));
    }

    /// Sets entry `key` of map `name` of `program`.
    pub fn set_foreign_map_entry<K: BorshSerialize, V: BorshSerialize>(
        &self,
        program: &Address,
        name: &str,
        key: &K,
        value: &V,
    ) {
        let mut k = name.as_bytes().to_vec();
        k.push(b'/');
        k.extend_from_slice(&crate::__private::encode(key));
        self.storage_set_in(program, &k, &crate::__private::encode(value));
    }

    /// Every event emitted by committed transactions, in order.
    pub fn events(&self) -> Vec<EmittedEvent> {
        host::with(|h| h.events.clone())
    }

    /// The data of every emitted event of type `E`.
    pub fn events_of<E: Event + BorshDeserialize>(&self) -> Vec<E> {
        self.events()
            .iter()
            .filter(|e| e.name == E::NAME)
            .map(|e| e.decode())
            .collect()
    }

    pub fn clear_events(&self) {
        host::with(|h| h.events.clear())
    }

    /// Registers (or re-owns) upgrade cap `cap`, owned by `owner`: an
    /// account, or a program's original id (e.g. [`Self::PROGRAM`] for the
    /// program under test). `molt_sdk::upgrade::authorize` succeeds only for
    /// caps known here and owned by the calling program.
    pub fn add_cap(&self, cap: Address, owner: Address) {
        host::with(|h| {
            h.caps.insert(cap, owner);
        })
    }

    /// Upgrade tickets issued by the last transaction, in order (empty if
    /// it failed). As on the node, a ticket lives for one transaction: the
    /// next [`Self::call`] starts without it.
    pub fn tickets(&self) -> Vec<UpgradeTicket> {
        host::with(|h| h.tickets.clone())
    }

    /// The governance actions the privileged calls (`molt_sdk::system`) of
    /// the transactions so far recorded, in order; a failed transaction's
    /// are gone. The node would apply them (docs/framework.md).
    pub fn governance_effects(&self) -> Vec<GovernanceEffect> {
        host::with(|h| h.governance.clone())
    }

    /// Sets the coin balance of `account` (an account or a program's
    /// original id).
    pub fn set_balance(&self, account: &Address, balance: u64) {
        host::with(|h| {
            h.balances.insert(*account, balance);
        })
    }

    /// The coin balance of `account`.
    pub fn balance(&self, account: &Address) -> u64 {
        host::with(|h| h.balance(account))
    }

    /// Attaches `amount` coin to the next [`Self::call`] (or `try_call`,
    /// `invoke`, ...), as `molt call --coin` does: it moves from the origin
    /// to the program under test before the call runs and back if the call
    /// fails, with the system's `Transfer` event. If the origin holds less,
    /// the call does not run and returns
    /// [`refusals::INSUFFICIENT_BALANCE`].
    pub fn attach_coin(&self, amount: u64) {
        host::with(|h| h.attach_next = amount)
    }

    /// Sets what `molt.chain_info` answers for `kind` (the ABI's codes:
    /// 0 epoch, 1 validators, 2 next validators, 3 params, 4 next params,
    /// 5 the block's proposer).
    pub fn set_chain_info(&self, kind: i32, bytes: Vec<u8>) {
        host::with(|h| {
            h.chain_info.insert(kind, bytes);
        })
    }

    /// Sets the proposer of the current block
    /// ([`crate::system::block_proposer`]).
    pub fn set_block_proposer(&self, proposer: Address) {
        self.set_chain_info(5, crate::__private::encode(&proposer));
    }

    /// Removes and returns every ticket, as the upgrade that follows the
    /// ticket call consumes them on the node.
    pub fn take_tickets(&self) -> Vec<UpgradeTicket> {
        host::with(|h| core::mem::take(&mut h.tickets))
    }
}

/// An upgrade ticket as the test host recorded it: `program` (the original
/// id of the program that called `molt_sdk::upgrade::authorize`) authorized
/// the upgrade through `cap` of the module whose checksum is `digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpgradeTicket {
    pub program: Address,
    pub cap: Address,
    pub digest: Digest,
}

/// A governance action recorded by the test host (the node applies it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernanceEffect {
    UpgradePackage {
        package: Address,
        module: Vec<u8>,
    },
    SetParams(Vec<u8>),
    SetNextValidators(Vec<u8>),
    EndEpoch,
    /// A protocol upgrade plan (borsh `molt_types::UpgradePlan`).
    ScheduleUpgrade(Vec<u8>),
}

pub(crate) mod host;
