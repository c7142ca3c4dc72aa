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
//! every storage write and event of that transaction is discarded.
//! [`TestEnv::invoke`] goes through the generated dispatcher instead, so the
//! argument decoding, visibility and `view` rules of the ABI apply.

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

    /// Runs `f` as one transaction of the program under test. An abort or a
    /// panic becomes `Err` and discards the transaction's writes and events.
    pub fn call<R>(&self, f: impl FnOnce() -> R) -> Result<R, ProgramError> {
        let snapshot = host::with(|h| (h.storage.clone(), h.events.len(), h.tickets.len()));
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
                    h.reset_frames();
                });
                Err(host::error_of(payload))
            }
        }
    }

    /// [`Self::call`] for a function returning `Result<T, E>` with `E` a
    /// declared `#[errors]` enum: `Err(e)` aborts (and rolls back) as the
    /// generated export would, and comes back as `Err(ProgramError)`.
    pub fn try_call<T, E: crate::error::ErrorCode>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, ProgramError> {
        self.call(|| match f() {
            Ok(v) => v,
            Err(e) => crate::error::fail(e),
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
    /// namespace and the caller set to the calling program.
    pub fn register_program(&self, id: Address, dispatch: Dispatch) {
        host::with(|h| {
            h.programs.insert(id, dispatch);
        })
    }

    /// Answers `molt_sdk::call(package, func, ..)` with `f(args) -> result`,
    /// both encoded; `Err` aborts the caller with that error. Mocks take
    /// precedence over registered programs.
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

    /// Upgrade tickets issued by committed transactions, in order.
    pub fn tickets(&self) -> Vec<UpgradeTicket> {
        host::with(|h| h.tickets.clone())
    }

    /// Removes and returns every ticket, as the node does when the upgrade
    /// that follows consumes them (a cap has at most one ticket at a time).
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

/// The thread-local host behind the SDK's calls on non-wasm targets.
pub(crate) mod host {
    use super::*;
    use crate::error::codes;
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use core::cell::RefCell;
    use std::sync::Once;

    /// What an abort unwinds with.
    struct AbortSignal(ProgramError);

    pub(super) struct Frame {
        pub(super) ctx: Context,
        view: bool,
        pub(super) return_data: Option<Vec<u8>>,
    }

    pub(super) struct HostState {
        pub(super) storage: BTreeMap<Address, BTreeMap<Vec<u8>, Vec<u8>>>,
        /// `frames[0]` is the program under test, set by [`TestEnv`]; a
        /// cross-program call pushes a frame.
        pub(super) frames: Vec<Frame>,
        pub(super) events: Vec<EmittedEvent>,
        pub(super) programs: BTreeMap<Address, Dispatch>,
        pub(super) mocks: BTreeMap<(Address, String), Mock>,
        pub(super) gas: u64,
        /// Upgrade caps: id -> owner.
        pub(super) caps: BTreeMap<Address, Address>,
        pub(super) tickets: Vec<UpgradeTicket>,
    }

    fn default_context() -> Context {
        Context {
            caller: TestEnv::ALICE,
            origin: TestEnv::ALICE,
            block_height: 1,
            block_time_ms: 1_700_000_000_000,
            package_id: TestEnv::PROGRAM,
            original_id: TestEnv::PROGRAM,
            version: 1,
            edition: 0,
            checksum: TestEnv::CHECKSUM,
            owner: TestEnv::ALICE,
            ticket_call: false,
        }
    }

    impl HostState {
        fn new() -> Self {
            HostState {
                storage: BTreeMap::new(),
                frames: alloc::vec![Frame {
                    ctx: default_context(),
                    view: false,
                    return_data: None
                }],
                events: Vec::new(),
                programs: BTreeMap::new(),
                mocks: BTreeMap::new(),
                gas: 1_000_000_000,
                caps: BTreeMap::new(),
                tickets: Vec::new(),
            }
        }

        pub(super) fn current(&mut self) -> &mut Frame {
            // `frames` is never empty: frame 0 is only ever edited.
            let last = self.frames.len() - 1;
            &mut self.frames[last]
        }

        pub(super) fn reset_frames(&mut self) {
            self.frames.truncate(1);
            self.frames[0].view = false;
            self.frames[0].return_data = None;
        }

        fn namespace(&mut self) -> Address {
            self.current().ctx.original_id
        }

        fn writable(&mut self, what: &str) {
            if self.current().view {
                let msg = std::format!("{what} in a view call");
                raise(ProgramError::new(codes::PANIC, msg));
            }
        }
    }

    std::thread_local! {
        static HOST: RefCell<HostState> = RefCell::new(HostState::new());
    }

    /// Runs `f` on the host state. Never call program code inside `f`.
    pub(super) fn with<R>(f: impl FnOnce(&mut HostState) -> R) -> R {
        HOST.with(|h| f(&mut h.borrow_mut()))
    }

    pub(super) fn reset() {
        with(|h| *h = HostState::new());
    }

    fn raise(e: ProgramError) -> ! {
        std::panic::panic_any(AbortSignal(e))
    }

    /// Aborts unwind silently; other panics still print.
    pub(super) fn install_panic_hook() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if info.payload().downcast_ref::<AbortSignal>().is_none() {
                    previous(info)
                }
            }));
        });
    }

    pub(super) fn error_of(payload: Box<dyn core::any::Any + Send>) -> ProgramError {
        if let Some(AbortSignal(e)) = payload.downcast_ref::<AbortSignal>() {
            return e.clone();
        }
        let msg = if let Some(s) = payload.downcast_ref::<&str>() {
            String::from(*s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            String::from("non-string panic payload")
        };
        ProgramError::new(codes::PANIC, std::format!("panic: {msg}"))
    }

    // The `sys` functions.

    pub fn get(key: &[u8]) -> Option<Vec<u8>> {
        with(|h| {
            let ns = h.namespace();
            h.storage.get(&ns).and_then(|s| s.get(key)).cloned()
        })
    }

    pub fn has(key: &[u8]) -> bool {
        get(key).is_some()
    }

    pub fn set(key: &[u8], val: &[u8]) {
        with(|h| {
            h.writable("storage_set");
            let ns = h.namespace();
            h.storage
                .entry(ns)
                .or_default()
                .insert(key.to_vec(), val.to_vec());
        })
    }

    pub fn remove(key: &[u8]) -> bool {
        with(|h| {
            h.writable("storage_remove");
            let ns = h.namespace();
            h.storage.get_mut(&ns).and_then(|s| s.remove(key)).is_some()
        })
    }

    pub fn next(prefix: &[u8], after: Option<&[u8]>) -> Option<Vec<u8>> {
        with(|h| {
            let ns = h.namespace();
            let store = h.storage.get(&ns)?;
            // Start strictly after `after` when it is at or past the prefix,
            // else at the prefix itself.
            let found = match after {
                Some(a) if a >= prefix => store
                    .range::<[u8], _>((core::ops::Bound::Excluded(a), core::ops::Bound::Unbounded))
                    .next(),
                _ => store
                    .range::<[u8], _>((
                        core::ops::Bound::Included(prefix),
                        core::ops::Bound::Unbounded,
                    ))
                    .next(),
            }
            .filter(|(k, _)| k.starts_with(prefix));
            found.map(|(k, v)| crate::__private::encode(&(k.clone(), v.clone())))
        })
    }

    pub fn get_foreign(program: &Address, key: &[u8]) -> Option<Vec<u8>> {
        with(|h| h.storage.get(program).and_then(|s| s.get(key)).cloned())
    }

    pub fn emit(name: &str, data: &[u8]) {
        with(|h| {
            h.writable("emit_event");
            let program = h.namespace();
            h.events.push(EmittedEvent {
                program,
                name: String::from(name),
                data: data.to_vec(),
            });
        })
    }

    pub fn context_bytes() -> Vec<u8> {
        with(|h| crate::__private::encode(&h.current().ctx))
    }

    pub fn call_raw(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
        let mock = with(|h| h.mocks.get(&(*package, String::from(func))).cloned());
        if let Some(mock) = mock {
            return match mock(args) {
                Ok(bytes) => bytes,
                Err(e) => raise(e),
            };
        }
        let Some(dispatch) = with(|h| h.programs.get(package).copied()) else {
            raise(ProgramError::new(
                codes::NOT_CALLABLE,
                std::format!(
                    "no program or mock registered at {package} for `{func}` \
                     (use TestEnv::register_program or TestEnv::mock_call)"
                ),
            ))
        };
        with(|h| {
            let outer = h.current().ctx.clone();
            let ctx = Context {
                caller: outer.original_id,
                origin: outer.origin,
                block_height: outer.block_height,
                block_time_ms: outer.block_time_ms,
                package_id: *package,
                original_id: *package,
                version: 1,
                edition: 0,
                checksum: Digest::ZERO,
                owner: outer.owner,
                ticket_call: outer.ticket_call,
            };
            h.frames.push(Frame {
                ctx,
                view: false,
                return_data: None,
            });
        });
        dispatch(CallKind::Program, func, args);
        with(|h| {
            h.frames
                .pop()
                .and_then(|f| f.return_data)
                .unwrap_or_default()
        })
    }

    pub fn set_return(data: &[u8]) {
        with(|h| h.current().return_data = Some(data.to_vec()))
    }

    pub fn abort(code: u32, msg: &str) -> ! {
        raise(ProgramError::new(code, msg))
    }

    pub fn gas() -> u64 {
        with(|h| h.gas)
    }

    /// `molt.authorize_upgrade`, with the checks the node makes; a refusal
    /// aborts with [`crate::upgrade::NOT_AUTHORIZED`].
    pub fn authorize(cap: &Address, digest: &Digest) {
        let refused = with(|h| {
            h.writable("authorize_upgrade");
            let program = h.namespace();
            let in_ticket = h.current().ctx.ticket_call;
            let refused = match h.caps.get(cap) {
                _ if !in_ticket => Some(std::string::String::from(
                    "upgrade tickets can only be issued in the ticket call of an Upgrade \
                     transaction (molt upgrade --ticket); this call changes nothing",
                )),
                None => Some(std::format!("no upgrade cap with id {cap}")),
                Some(owner) if *owner != program => Some(std::format!(
                    "cap {cap} is owned by {owner}, not by this program {program}"
                )),
                Some(_) => h.tickets.iter().find(|t| t.cap == *cap).map(|t| {
                    std::format!(
                        "cap {cap} already has a ticket for module {} in this transaction",
                        t.digest
                    )
                }),
            };
            if refused.is_none() {
                h.tickets.push(UpgradeTicket {
                    program,
                    cap: *cap,
                    digest: *digest,
                });
            }
            refused
        });
        if let Some(message) = refused {
            raise(ProgramError::new(crate::upgrade::NOT_AUTHORIZED, message));
        }
    }

    pub fn begin_call(kind: CallKind, visibility: &str, view: bool, func: &str) {
        let refused = match (visibility, kind) {
            ("internal", _) => Some("internal functions are not callable from outside"),
            ("entry", CallKind::Program) => {
                Some("entry functions are callable by transactions only, not by programs")
            }
            _ => None,
        };
        if let Some(why) = refused {
            raise(ProgramError::new(
                codes::NOT_CALLABLE,
                std::format!("`{func}`: {why}"),
            ));
        }
        with(|h| h.current().view = view);
    }
}
