//! `molt.authorize_upgrade`: a program that owns an upgrade cap issues a
//! ticket for one exact module digest (DESIGN.md 2.2).

use crate::support::{GAS, addr, function, minimal};
use molt_interface::{TypeRef, Visibility};
use molt_types::{Address, Digest, Event};
use molt_vm::{
    CallContext, CallError, CallOutcome, CallTarget, Host, HostError, MemoryHost, PackageInfo,
    StorageEntry, UpgradeTicket, Vm, VmConfig, VmError,
};

/// Arguments of every function: the 32-byte cap id ++ the 32-byte digest
/// (for `forward`: the 32-byte package to call first, then those 64 bytes).
const BODY: &str = r#"
  (data (i32.const 16) "refused")
  (func $authorize (export "molt:fn:authorize") (param $p i32) (param $l i32)
    (call $authorize_upgrade (local.get $p) (i32.add (local.get $p) (i32.const 32))))
  (export "molt:fn:authorize_view" (func $authorize))
  (func (export "molt:fn:authorize_then_fail") (param $p i32) (param $l i32)
    (call $authorize (local.get $p) (local.get $l))
    (call $abort (i32.const 9) (i32.const 16) (i32.const 7)))
  (data (i32.const 32) "authorize")
  ;; Calls `authorize` of the package named by the first 32 bytes.
  (func (export "molt:fn:forward") (param $p i32) (param $l i32)
    (drop (call $call (local.get $p) (i32.const 32) (i32.const 9)
      (i32.add (local.get $p) (i32.const 32)) (i32.const 64))))
  ;; Two tickets for the same cap in one transaction (the second digest is
  ;; the first with its bytes as given: the same cap either way).
  (func (export "molt:fn:authorize_twice") (param $p i32) (param $l i32)
    (call $authorize_upgrade (local.get $p) (i32.add (local.get $p) (i32.const 32)))
    (call $authorize_upgrade (local.get $p) (i32.add (local.get $p) (i32.const 32))))
  (func (export "molt:fn:bad_ptr")
    (call $authorize_upgrade (i32.const 65530) (i32.const 0)))
"#;

fn program() -> Vec<u8> {
    use Visibility::Public;
    minimal(
        BODY,
        vec![
            function("authorize", Public, false, true, TypeRef::Unit),
            function("authorize_view", Public, true, true, TypeRef::Unit),
            function("authorize_then_fail", Public, false, true, TypeRef::Unit),
            function("forward", Public, false, true, TypeRef::Unit),
            function("authorize_twice", Public, false, true, TypeRef::Unit),
            function("bad_ptr", Public, false, false, TypeRef::Unit),
        ],
    )
}

const CAP: Address = Address([0xca; 32]);
const DIGEST: Digest = Digest([0xd1; 32]);
/// Original id of the program under test (package id `addr(1)`).
const PROGRAM: Address = Address([2; 32]);
/// Original id of a second copy of the program (package id `addr(5)`).
const OTHER: Address = Address([6; 32]);

fn args(cap: Address, digest: Digest) -> Vec<u8> {
    let mut out = cap.0.to_vec();
    out.extend_from_slice(&digest.0);
    out
}

struct Setup<H> {
    vm: Vm,
    host: H,
    package: PackageInfo,
    /// Whether calls run as the ticket call of an `Upgrade` transaction.
    ticket_call: bool,
}

impl Setup<MemoryHost> {
    fn new() -> Self {
        let mut host = MemoryHost::new();
        let package = host.publish(addr(1), PROGRAM, 1, addr(3), program());
        host.publish(addr(5), OTHER, 1, addr(3), program());
        let vm = Vm::new(VmConfig::default()).unwrap();
        Setup {
            vm,
            host,
            package,
            ticket_call: true,
        }
    }
}

impl<H: Host> Setup<H> {
    fn call(&mut self, function: &str, args: &[u8]) -> Result<CallOutcome, CallError> {
        let module = self.vm.prepare(&program()).unwrap();
        let ctx = CallContext {
            caller: addr(9),
            origin: addr(9),
            block_height: 42,
            block_time_ms: 0,
            package: self.package.clone(),
            ticket_call: self.ticket_call,
            attached_coin: 0,
        };
        let target = CallTarget::Function(function.to_string());
        self.vm
            .call(&module, &mut self.host, ctx, &target, args, GAS)
    }
}

fn refusal(e: CallError) -> String {
    match e.error {
        VmError::UpgradeNotAuthorized { message } => message,
        other => panic!("expected UpgradeNotAuthorized, got {other:?}"),
    }
}

#[test]
fn owner_program_gets_a_ticket() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, PROGRAM);
    let outcome = s.call("authorize", &args(CAP, DIGEST)).unwrap();
    assert_eq!(
        s.host.tickets(),
        &[UpgradeTicket {
            program: PROGRAM,
            cap: CAP,
            digest: DIGEST,
        }]
    );
    assert_eq!(s.host.open_checkpoints(), 0);
    // Priced like a storage write of 64 bytes: 100 + 10 000 + 20 x 64.
    assert!(outcome.gas_used > 11_380, "{}", outcome.gas_used);
}

#[test]
fn plain_calls_may_not_issue_tickets() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, PROGRAM);
    s.ticket_call = false;
    let message = refusal(s.call("authorize", &args(CAP, DIGEST)).unwrap_err());
    assert!(message.contains("ticket call"), "{message}");
    // Nor through a program it calls.
    let mut forward = PROGRAM.0.to_vec();
    forward.extend(args(CAP, DIGEST));
    let message = refusal(s.call("forward", &forward).unwrap_err());
    assert!(message.contains("ticket call"), "{message}");
    assert!(s.host.tickets().is_empty());
    assert_eq!(s.host.open_checkpoints(), 0);
    // The ticket call of an upgrade, and the calls it makes, may.
    s.ticket_call = true;
    s.call("forward", &forward).unwrap();
    assert_eq!(s.host.tickets().len(), 1);
}

#[test]
fn cap_owned_by_someone_else_is_refused() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, addr(9));
    let message = refusal(s.call("authorize", &args(CAP, DIGEST)).unwrap_err());
    assert_eq!(
        message,
        format!(
            "UpgradeCap {CAP} is owned by {}, not by this program {PROGRAM}",
            addr(9)
        )
    );
    assert!(s.host.tickets().is_empty());
    // The Display names the failure.
    let e = VmError::UpgradeNotAuthorized { message };
    assert!(
        e.to_string()
            .starts_with("upgrade not authorized: UpgradeCap 0xcaca")
    );
}

#[test]
fn unknown_cap_is_refused() {
    let mut s = Setup::new();
    let message = refusal(s.call("authorize", &args(CAP, DIGEST)).unwrap_err());
    assert_eq!(message, format!("there is no UpgradeCap {CAP}"));
    assert!(s.host.tickets().is_empty());
}

#[test]
fn one_ticket_per_cap_per_transaction() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, PROGRAM);
    let message = refusal(s.call("authorize_twice", &args(CAP, DIGEST)).unwrap_err());
    assert_eq!(
        message,
        format!(
            "UpgradeCap {CAP} already has a ticket in this transaction (for module {DIGEST}); \
             one ticket authorizes one upgrade"
        )
    );
    // The refusal failed the call, which took its first ticket with it.
    assert!(s.host.tickets().is_empty());
    // Each call is a transaction: the next one may issue a ticket again,
    // and the ticket of the one before has expired.
    s.call("authorize", &args(CAP, DIGEST)).unwrap();
    s.call("authorize", &args(CAP, Digest([7; 32]))).unwrap();
    assert_eq!(
        s.host.tickets(),
        &[UpgradeTicket {
            program: PROGRAM,
            cap: CAP,
            digest: Digest([7; 32]),
        }]
    );
}

#[test]
fn ticket_is_reverted_when_the_call_aborts() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, PROGRAM);
    let e = s
        .call("authorize_then_fail", &args(CAP, DIGEST))
        .unwrap_err();
    assert_eq!(
        e.error,
        VmError::Aborted {
            code: 9,
            message: "refused".into()
        }
    );
    assert!(s.host.tickets().is_empty());
    assert_eq!(s.host.open_checkpoints(), 0);
}

#[test]
fn view_call_may_not_authorize() {
    let mut s = Setup::new();
    s.host.add_cap(CAP, PROGRAM);
    let e = s.call("authorize_view", &args(CAP, DIGEST)).unwrap_err();
    assert_eq!(
        e.error,
        VmError::WriteInView {
            operation: "authorize_upgrade"
        }
    );
    assert!(s.host.tickets().is_empty());
}

#[test]
fn nested_call_authorizes_as_the_callee() {
    let mut s = Setup::new();
    // The callee (OTHER) owns the cap: its ticket, not the caller's.
    s.host.add_cap(CAP, OTHER);
    let mut a = OTHER.0.to_vec();
    a.extend_from_slice(&args(CAP, DIGEST));
    s.call("forward", &a).unwrap();
    assert_eq!(s.host.tickets()[0].program, OTHER);
    // A cap owned by the caller is not the callee's to use.
    s.host.take_tickets();
    s.host.add_cap(CAP, PROGRAM);
    let message = refusal(s.call("forward", &a).unwrap_err());
    assert!(message.contains(&format!("not by this program {OTHER}")));
}

#[test]
fn pointers_are_bounds_checked() {
    let mut s = Setup::new();
    let e = s.call("bad_ptr", &[]).unwrap_err();
    assert!(
        matches!(
            e.error,
            VmError::MemoryOutOfBounds {
                function: "authorize_upgrade",
                ..
            }
        ),
        "{:?}",
        e.error
    );
}

/// A host that keeps the default cap and ticket methods: it knows no caps.
struct NoTickets(MemoryHost);

impl Host for NoTickets {
    fn storage_get(&mut self, ns: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        self.0.storage_get(ns, key)
    }
    fn storage_set(&mut self, ns: &Address, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.0.storage_set(ns, key, value)
    }
    fn storage_remove(&mut self, ns: &Address, key: &[u8]) -> Result<bool, HostError> {
        self.0.storage_remove(ns, key)
    }
    fn storage_next(
        &mut self,
        ns: &Address,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<StorageEntry>, HostError> {
        self.0.storage_next(ns, prefix, after)
    }
    fn emit_event(&mut self, event: Event) -> Result<(), HostError> {
        self.0.emit_event(event)
    }
    fn resolve_package(&mut self, package: &Address) -> Result<Option<PackageInfo>, HostError> {
        self.0.resolve_package(package)
    }
    fn package_code(&mut self, package_id: &Address) -> Result<Vec<u8>, HostError> {
        self.0.package_code(package_id)
    }
    fn checkpoint(&mut self) {
        self.0.checkpoint()
    }
    fn commit(&mut self) {
        self.0.commit()
    }
    fn revert(&mut self) {
        self.0.revert()
    }
}

#[test]
fn default_host_issues_no_tickets() {
    let Setup {
        vm,
        mut host,
        package,
        ..
    } = Setup::new();
    host.add_cap(CAP, PROGRAM);
    let mut s = Setup {
        vm,
        host: NoTickets(host),
        package,
        ticket_call: true,
    };
    let message = refusal(s.call("authorize", &args(CAP, DIGEST)).unwrap_err());
    assert_eq!(message, format!("there is no UpgradeCap {CAP}"));
    assert!(s.host.0.tickets().is_empty());
}
