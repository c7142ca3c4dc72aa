//! The thread-local host behind the SDK's calls on non-wasm targets.
//!
//! It reimplements the node's host calls natively and takes every decision
//! that is not storage from `molt_host_rules`, the code the node's VM runs:
//! ticket admission, who may call what, views, call depth, which version a
//! call reaches and where `storage_next` starts. A refusal the node reports
//! as a VM error ends the call here with one of the codes in
//! [`super::refusals`] and the node's message.

use super::{Dispatch, EmittedEvent, Mock, ProgramVersion, TestEnv, UpgradeTicket, refusals};
use crate::env::Context;
use crate::error::{ProgramError, codes};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::convert::Infallible;
use molt_host_rules::{CallOrigin, Resolution, calls, storage, tickets};
use molt_interface::{Interface, Visibility};
use molt_types::{Address, Digest};
use std::sync::Once;

/// Who is calling a function through a dispatcher.
pub use super::CallKind;

/// What an abort unwinds with.
struct AbortSignal(ProgramError);

/// One running call.
pub(super) struct Frame {
    pub(super) ctx: Context,
    view: bool,
    pub(super) return_data: Option<Vec<u8>>,
    /// The running program's interface, when the host knows it (an
    /// installed program): it pins declared dependencies and lists the
    /// events the program may emit.
    pub(super) interface: Option<Rc<Interface>>,
}

/// A program version the host can call.
pub(super) struct Installed {
    pub(super) version: ProgramVersion,
    pub(super) interface: Option<Rc<Interface>>,
}

pub(super) struct HostState {
    pub(super) storage: BTreeMap<Address, BTreeMap<Vec<u8>, Vec<u8>>>,
    /// `frames[0]` is the program under test, set by [`TestEnv`]; a
    /// cross-program call pushes a frame.
    pub(super) frames: Vec<Frame>,
    pub(super) events: Vec<EmittedEvent>,
    /// Installed program versions by package id.
    pub(super) packages: BTreeMap<Address, Installed>,
    /// original id -> package id of its latest version.
    pub(super) latest: BTreeMap<Address, Address>,
    pub(super) mocks: BTreeMap<(Address, String), Mock>,
    pub(super) gas: u64,
    pub(super) max_call_depth: u32,
    /// Upgrade caps: id -> owner.
    pub(super) caps: BTreeMap<Address, Address>,
    /// Tickets of the running (or last) transaction.
    pub(super) tickets: Vec<UpgradeTicket>,
    /// Governance actions recorded by privileged calls, in order.
    pub(super) governance: Vec<super::GovernanceEffect>,
    /// What `molt.chain_info` answers, by kind code.
    pub(super) chain_info: BTreeMap<i32, Vec<u8>>,
    /// Coin balances of accounts and programs (absent: 0).
    pub(super) balances: BTreeMap<Address, u64>,
    /// Coin the next [`TestEnv::call`] attaches.
    pub(super) attach_next: u64,
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
        attached_coin: 0,
    }
}

impl HostState {
    fn new() -> Self {
        HostState {
            storage: BTreeMap::new(),
            frames: alloc::vec![Frame {
                ctx: default_context(),
                view: false,
                return_data: None,
                interface: None,
            }],
            events: Vec::new(),
            packages: BTreeMap::new(),
            latest: BTreeMap::new(),
            mocks: BTreeMap::new(),
            gas: 1_000_000_000,
            max_call_depth: molt_host_rules::DEFAULT_MAX_CALL_DEPTH,
            caps: BTreeMap::new(),
            tickets: Vec::new(),
            governance: Vec::new(),
            chain_info: BTreeMap::new(),
            balances: BTreeMap::new(),
            attach_next: 0,
        }
    }

    pub(super) fn balance(&self, account: &Address) -> u64 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    /// Moves `amount` from `from` to `to`, recording the system's
    /// `Transfer` event as the node does; `Err(balance)` moves nothing.
    pub(super) fn transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> Result<(), u64> {
        let held = self.balance(from);
        if held < amount {
            return Err(held);
        }
        self.balances.insert(*from, held - amount);
        let credited = self.balance(to).saturating_add(amount);
        self.balances.insert(*to, credited);
        self.events.push(EmittedEvent {
            program: Address::ZERO,
            name: String::from("Transfer"),
            data: crate::__private::encode(&(*from, *to, amount)),
        });
        Ok(())
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
        self.frames[0].ctx.attached_coin = 0;
    }

    fn namespace(&mut self) -> Address {
        self.current().ctx.original_id
    }

    fn writable(&mut self, operation: &str) {
        if self.current().view {
            raise(ProgramError::new(
                refusals::WRITE_IN_VIEW,
                std::format!(
                    "`{operation}` in a view call: view functions may not write storage or \
                     emit events"
                ),
            ));
        }
    }

    pub(super) fn install(&mut self, version: ProgramVersion) {
        let newer = match self
            .latest
            .get(&version.original_id)
            .and_then(|id| self.packages.get(id))
        {
            Some(current) => version.version >= current.version.version,
            None => true,
        };
        if newer {
            self.latest.insert(version.original_id, version.package_id);
        }
        let interface = version.interface.clone().map(Rc::new);
        self.packages
            .insert(version.package_id, Installed { version, interface });
    }

    /// The version `package` names: by original id its latest version, by
    /// package id that version.
    pub(super) fn resolve(&self, package: &Address) -> Option<&Installed> {
        let id = self.latest.get(package).unwrap_or(package);
        self.packages.get(id)
    }

    /// Version `version` of the package whose original id is `original_id`.
    fn resolve_version(&self, original_id: &Address, version: u64) -> Option<&Installed> {
        self.packages
            .values()
            .find(|p| p.version.original_id == *original_id && p.version.version == version)
    }
}

impl tickets::TicketState for HostState {
    type Error = Infallible;

    fn cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, Infallible> {
        Ok(self.caps.get(cap).copied())
    }

    fn issued(&mut self, cap: &Address) -> Result<Option<Digest>, Infallible> {
        Ok(self
            .tickets
            .iter()
            .find(|t| t.cap == *cap)
            .map(|t| t.digest))
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

pub(super) fn raise(e: ProgramError) -> ! {
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

/// The VM's refusal of a function that does not exist or may not be called
/// from `origin`, checked against the callee's interface when it is known.
pub(super) fn check_callable(interface: &Interface, func: &str, origin: CallOrigin) -> bool {
    let Some(decl) = interface.function(func) else {
        raise(unknown_function(func))
    };
    if !calls::may_call(decl.visibility, origin) {
        raise(ProgramError::new(
            codes::NOT_CALLABLE,
            std::format!(
                "function `{func}` is {:?} and cannot be called {}",
                decl.visibility,
                origin.describe()
            ),
        ));
    }
    decl.view
}

/// `package declares no function ..`, as the VM says it.
pub(crate) fn unknown_function(func: &str) -> ProgramError {
    ProgramError::new(
        refusals::UNKNOWN_FUNCTION,
        std::format!("package declares no function `{func}`"),
    )
}

pub(super) fn unknown_package(package: &Address) -> ProgramError {
    ProgramError::new(
        refusals::UNKNOWN_PACKAGE,
        std::format!("no package with id {package}"),
    )
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
    use core::ops::Bound::{Excluded, Included, Unbounded};
    with(|h| {
        let ns = h.namespace();
        let store = h.storage.get(&ns)?;
        let found = match storage::start(prefix, after) {
            storage::Start::After(a) => store.range::<[u8], _>((Excluded(a), Unbounded)).next(),
            storage::Start::AtPrefix => {
                store.range::<[u8], _>((Included(prefix), Unbounded)).next()
            }
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
        let declared = h
            .current()
            .interface
            .as_ref()
            .is_none_or(|i| i.events.iter().any(|e| e.name == name));
        if !declared {
            raise(ProgramError::new(
                refusals::UNDECLARED_EVENT,
                std::format!("event `{name}` is not declared in the package's interface"),
            ));
        }
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
    call_raw_from(package, func, args, CallOrigin::Program)
}

/// `molt.call`, or with `Transaction` `molt.gov_call` (entry functions too).
fn call_raw_from(package: &Address, func: &str, args: &[u8], origin: CallOrigin) -> Vec<u8> {
    let mock = with(|h| h.mocks.get(&(*package, String::from(func))).cloned());
    if let Some(mock) = mock {
        return match mock(args) {
            Ok(bytes) => bytes,
            Err(e) => raise(e),
        };
    }
    let dispatch: Dispatch = with(|h| {
        let depth = u32::try_from(h.frames.len() + 1).unwrap_or(u32::MAX);
        if !calls::depth_allowed(depth, h.max_call_depth) {
            raise(ProgramError::new(
                refusals::CALL_DEPTH_EXCEEDED,
                std::format!(
                    "cross-program call depth exceeds the limit of {}",
                    h.max_call_depth
                ),
            ));
        }
        let (outer, outer_view, dependencies) = {
            let f = h.current();
            let deps = f
                .interface
                .as_ref()
                .map(|i| i.dependencies.clone())
                .unwrap_or_default();
            (f.ctx.clone(), f.view, deps)
        };
        let callee = match calls::resolution(&dependencies, package) {
            Resolution::Pinned { version } => h.resolve_version(package, version),
            Resolution::AsNamed => h.resolve(package),
        };
        let Some(callee) = callee else {
            raise(unknown_package(package))
        };
        let declared_view = match &callee.interface {
            Some(interface) => check_callable(interface, func, origin),
            None => false,
        };
        let v = &callee.version;
        let ctx = Context {
            caller: outer.original_id,
            origin: outer.origin,
            block_height: outer.block_height,
            block_time_ms: outer.block_time_ms,
            package_id: v.package_id,
            original_id: v.original_id,
            version: v.version,
            edition: v.edition,
            checksum: v.checksum,
            owner: v.owner,
            ticket_call: outer.ticket_call,
            attached_coin: 0,
        };
        let frame = Frame {
            ctx,
            view: calls::runs_as_view(outer_view, declared_view),
            return_data: None,
            interface: callee.interface.clone(),
        };
        let dispatch = v.dispatch;
        h.frames.push(frame);
        dispatch
    });
    let kind = match origin {
        CallOrigin::Transaction => CallKind::Transaction,
        CallOrigin::Program => CallKind::Program,
    };
    dispatch(kind, func, args);
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

/// `molt.authorize_upgrade`, admitted by the node's rule; a refusal aborts
/// with [`crate::upgrade::NOT_AUTHORIZED`] and the node's reason.
pub fn authorize(cap: &Address, digest: &Digest) {
    let refused = with(|h| {
        h.writable("authorize_upgrade");
        let program = h.namespace();
        let in_ticket_call = h.current().ctx.ticket_call;
        let admitted = match tickets::admit(in_ticket_call, &program, cap, h) {
            Ok(admitted) => admitted,
            Err(never) => match never {},
        };
        match admitted {
            Ok(()) => {
                h.tickets.push(UpgradeTicket {
                    program,
                    cap: *cap,
                    digest: *digest,
                });
                None
            }
            Err(refusal) => Some(refusal),
        }
    });
    if let Some(refusal) = refused {
        raise(ProgramError::new(
            crate::upgrade::NOT_AUTHORIZED,
            std::format!("{refusal}"),
        ));
    }
}

/// The generated dispatcher's check, for programs whose interface the host
/// does not know: visibility by name, and the frame becomes a view if the
/// function is one (a frame a view called is one already).
pub fn begin_call(kind: CallKind, visibility: &str, view: bool, func: &str) {
    let declared = match visibility {
        "public" => Visibility::Public,
        "entry" => Visibility::Entry,
        _ => Visibility::Internal,
    };
    let origin = match kind {
        CallKind::Transaction => CallOrigin::Transaction,
        CallKind::Program => CallOrigin::Program,
    };
    if !calls::may_call(declared, origin) {
        raise(ProgramError::new(
            codes::NOT_CALLABLE,
            std::format!(
                "function `{func}` is {declared:?} and cannot be called {}",
                origin.describe()
            ),
        ));
    }
    with(|h| {
        let frame = h.current();
        frame.view = calls::runs_as_view(frame.view, view);
    });
}

/// `molt.coin_balance`.
pub fn coin_balance(account: &Address) -> u64 {
    with(|h| h.balance(account))
}

/// `molt.coin_send`: from the running program's account.
pub fn coin_send(to: &Address, amount: u64) -> bool {
    with(|h| {
        h.writable("coin_send");
        let from = h.namespace();
        h.transfer(&from, to, amount).is_ok()
    })
}

/// `molt.chain_info`: what [`TestEnv::set_chain_info`] set, else absent.
pub fn chain_info(kind: i32) -> Option<Vec<u8>> {
    with(|h| h.chain_info.get(&kind).cloned())
}

/// The node's privilege rule for the running program; a refusal aborts
/// with [`crate::system::NOT_PRIVILEGED`] and the node's message.
fn privileged(call: molt_host_rules::PrivilegedCall) {
    let refused = with(|h| {
        h.writable(call.import_name());
        let program = h.namespace();
        molt_host_rules::privilege::admit(call, &program).err()
    });
    if let Some(refusal) = refused {
        raise(ProgramError::new(
            crate::system::NOT_PRIVILEGED,
            std::format!("{refusal}"),
        ));
    }
}

fn record(effect: super::GovernanceEffect) {
    with(|h| h.governance.push(effect))
}

pub fn gov_upgrade_package(package: &Address, module: &[u8]) {
    privileged(molt_host_rules::PrivilegedCall::UpgradePackage);
    record(super::GovernanceEffect::UpgradePackage {
        package: *package,
        module: module.to_vec(),
    })
}

pub fn gov_set_params(params: &[u8]) {
    privileged(molt_host_rules::PrivilegedCall::SetParams);
    record(super::GovernanceEffect::SetParams(params.to_vec()))
}

pub fn gov_set_next_validators(validators: &[u8]) {
    privileged(molt_host_rules::PrivilegedCall::SetNextValidators);
    record(super::GovernanceEffect::SetNextValidators(
        validators.to_vec(),
    ))
}

pub fn gov_schedule_upgrade(plan: &[u8]) {
    privileged(molt_host_rules::PrivilegedCall::ScheduleUpgrade);
    record(super::GovernanceEffect::ScheduleUpgrade(plan.to_vec()))
}

pub fn gov_end_epoch() {
    privileged(molt_host_rules::PrivilegedCall::EndEpoch);
    record(super::GovernanceEffect::EndEpoch)
}

pub fn gov_call(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
    privileged(molt_host_rules::PrivilegedCall::CallAsGovernance);
    call_raw_from(package, func, args, CallOrigin::Transaction)
}
