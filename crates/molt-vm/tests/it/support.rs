//! Test programs written in WAT, with their interfaces, and call helpers.

use molt_interface::{EventDecl, FunctionDecl, Interface, Param, TypeRef, Visibility};
use molt_types::Address;
use molt_vm::{
    CallContext, CallError, CallOutcome, CallTarget, MemoryHost, PackageInfo, Vm, VmConfig,
};

/// Appends a custom section `name` with `data` to a Wasm module.
pub fn append_custom_section(module: &mut Vec<u8>, name: &str, data: &[u8]) {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::new();
    leb128(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    module.push(0);
    leb128(body.len(), module);
    module.extend_from_slice(&body);
}

/// WAT text -> module bytes with `interface` (borsh) as `molt:interface`.
pub fn module(wat: &str, interface: &Interface) -> Vec<u8> {
    let mut bytes = wat::parse_str(wat).expect("test WAT parses");
    let section = borsh::to_vec(interface).expect("interface encodes");
    append_custom_section(&mut bytes, molt_interface::SECTION_NAME, &section);
    bytes
}

/// A declared function; `args` says whether it takes parameters.
pub fn function(
    name: &str,
    visibility: Visibility,
    view: bool,
    args: bool,
    returns: TypeRef,
) -> FunctionDecl {
    FunctionDecl {
        name: name.to_string(),
        visibility,
        view,
        params: if args {
            vec![Param {
                name: "input".into(),
                ty: TypeRef::Bytes,
            }]
        } else {
            vec![]
        },
        returns,
    }
}

/// The imports of every test program: the whole host ABI.
pub const IMPORTS: &str = r#"
  (import "molt" "buffer_read" (func $buffer_read (param i32)))
  (import "molt" "storage_get" (func $storage_get (param i32 i32) (result i64)))
  (import "molt" "storage_has" (func $storage_has (param i32 i32) (result i32)))
  (import "molt" "storage_set" (func $storage_set (param i32 i32 i32 i32)))
  (import "molt" "storage_remove" (func $storage_remove (param i32 i32) (result i32)))
  (import "molt" "storage_next" (func $storage_next (param i32 i32 i32 i32 i32) (result i64)))
  (import "molt" "storage_get_foreign" (func $storage_get_foreign (param i32 i32 i32) (result i64)))
  (import "molt" "emit_event" (func $emit_event (param i32 i32 i32 i32)))
  (import "molt" "context" (func $context (result i64)))
  (import "molt" "call" (func $call (param i32 i32 i32 i32 i32) (result i64)))
  (import "molt" "return_data" (func $return_data (param i32 i32)))
  (import "molt" "abort" (func $abort (param i32 i32 i32)))
  (import "molt" "gas_left" (func $gas_left (result i64)))
  (import "molt" "authorize_upgrade" (func $authorize_upgrade (param i32 i32)))
"#;

/// Memory, a bump allocator from 4096 and the `molt_alloc` export.
pub const RUNTIME: &str = r#"
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func $alloc (export "molt_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $p))
"#;

/// The main test program: one exported function per behaviour under test.
/// Raw argument layouts (not borsh) keep the WAT short; the VM does not
/// interpret arguments.
pub const KITCHEN_SINK: &str = r#"
  ;; Copies the host buffer (`n` bytes) to fresh memory and returns it.
  (func $return_buffer (param $n i64)
    (local $dst i32)
    (local.set $dst (call $alloc (i32.wrap_i64 (local.get $n))))
    (call $buffer_read (local.get $dst))
    (call $return_data (local.get $dst) (i32.wrap_i64 (local.get $n))))
  (data (i32.const 16) "Transfer")
  (data (i32.const 48) "insufficient balance")
  (func (export "molt:fn:echo") (param $p i32) (param $l i32)
    (call $return_data (local.get $p) (local.get $l)))
  ;; key = first 4 bytes, value = the rest
  (func $set (export "molt:fn:set") (param $p i32) (param $l i32)
    (call $storage_set (local.get $p) (i32.const 4)
      (i32.add (local.get $p) (i32.const 4)) (i32.sub (local.get $l) (i32.const 4))))
  (export "molt:fn:set_view" (func $set))
  (func (export "molt:fn:get") (param $p i32) (param $l i32)
    (local $n i64)
    (local.set $n (call $storage_get (local.get $p) (local.get $l)))
    (if (i64.ge_s (local.get $n) (i64.const 0))
      (then (call $return_buffer (local.get $n)))
      (else (call $return_data (i32.const 0) (i32.const 0)))))
  ;; 32-byte program id ++ key
  (func (export "molt:fn:get_foreign") (param $p i32) (param $l i32)
    (local $n i64)
    (local.set $n (call $storage_get_foreign (local.get $p)
      (i32.add (local.get $p) (i32.const 32)) (i32.sub (local.get $l) (i32.const 32))))
    (if (i64.ge_s (local.get $n) (i64.const 0))
      (then (call $return_buffer (local.get $n)))
      (else (call $return_data (i32.const 0) (i32.const 0)))))
  (func (export "molt:fn:has") (param $p i32) (param $l i32)
    (i32.store8 (i32.const 0) (call $storage_has (local.get $p) (local.get $l)))
    (call $return_data (i32.const 0) (i32.const 1)))
  (func (export "molt:fn:remove") (param $p i32) (param $l i32)
    (i32.store8 (i32.const 0) (call $storage_remove (local.get $p) (local.get $l)))
    (call $return_data (i32.const 0) (i32.const 1)))
  ;; Every entry under the prefix: concatenated borsh((key, value)).
  (func (export "molt:fn:list") (param $p i32) (param $l i32)
    (local $start i32) (local $out i32) (local $n i64)
    (local $after i32) (local $after_len i32) (local $flags i32)
    (local.set $start (global.get $heap))
    (local.set $out (local.get $start))
    (block $done
      (loop $next
        (local.set $n (call $storage_next (local.get $p) (local.get $l)
          (local.get $after) (local.get $after_len) (local.get $flags)))
        (br_if $done (i64.lt_s (local.get $n) (i64.const 0)))
        (call $buffer_read (local.get $out))
        (local.set $after (i32.add (local.get $out) (i32.const 4)))
        (local.set $after_len (i32.load (local.get $out)))
        (local.set $flags (i32.const 1))
        (local.set $out (i32.add (local.get $out) (i32.wrap_i64 (local.get $n))))
        (br $next)))
    (call $return_data (local.get $start) (i32.sub (local.get $out) (local.get $start))))
  (func (export "molt:fn:emit") (param $p i32) (param $l i32)
    (call $emit_event (i32.const 16) (i32.const 8) (local.get $p) (local.get $l)))
  (func (export "molt:fn:emit_undeclared")
    (call $emit_event (i32.const 48) (i32.const 12) (i32.const 0) (i32.const 0)))
  (func (export "molt:fn:ctx")
    (call $return_buffer (call $context)))
  (func (export "molt:fn:fail")
    (call $abort (i32.const 7) (i32.const 48) (i32.const 20)))
  (func (export "molt:fn:set_then_fail") (param $p i32) (param $l i32)
    (call $set (local.get $p) (local.get $l))
    (call $emit_event (i32.const 16) (i32.const 8) (local.get $p) (local.get $l))
    (call $abort (i32.const 7) (i32.const 48) (i32.const 20)))
  (func (export "molt:fn:spin") (loop $forever (br $forever)))
  (func $recurse (export "molt:fn:recurse") (call $recurse))
  (func (export "molt:fn:grow") (drop (memory.grow (i32.const 100))))
  (func (export "molt:fn:grow_to_limit")
    (i32.store (i32.const 0) (memory.grow (i32.const 15)))
    (call $return_data (i32.const 0) (i32.const 4)))
  ;; 32-byte package ++ name length (1 byte) ++ name ++ arguments
  (func $invoke (export "molt:fn:invoke") (param $p i32) (param $l i32)
    (local $name_len i32) (local $args i32)
    (local.set $name_len (i32.load8_u (i32.add (local.get $p) (i32.const 32))))
    (local.set $args (i32.add (i32.add (local.get $p) (i32.const 33)) (local.get $name_len)))
    (call $return_buffer (call $call (local.get $p)
      (i32.add (local.get $p) (i32.const 33)) (local.get $name_len)
      (local.get $args) (i32.sub (i32.add (local.get $p) (local.get $l)) (local.get $args)))))
  (export "molt:fn:invoke_view" (func $invoke))
  (func (export "molt:fn:gas")
    (i64.store (i32.const 0) (call $gas_left))
    (call $return_data (i32.const 0) (i32.const 8)))
  (func (export "molt:fn:bad_ptr")
    (drop (call $storage_get (i32.const 65530) (i32.const 100))))
  (func (export "molt:fn:hidden"))
  (func (export "molt:fn:admin"))
  (func (export "molt:fn:no_result"))
  (func (export "molt:init")
    (i32.store (i32.const 0) (i32.const 0x74696e69)) ;; "init"
    (call $storage_set (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4)))
"#;

pub fn kitchen_sink_interface() -> Interface {
    use TypeRef::{Bytes, U64, Unit};
    use Visibility::{Entry, Internal, Public};
    let mut i = Interface::new("kitchen_sink");
    i.functions = vec![
        function("echo", Public, true, true, Bytes),
        function("set", Public, false, true, Unit),
        function("set_view", Public, true, true, Unit),
        function("get", Public, true, true, Bytes),
        function("get_foreign", Public, true, true, Bytes),
        function("has", Public, true, true, Bytes),
        function("remove", Public, false, true, Bytes),
        function("list", Public, true, true, Bytes),
        function("emit", Public, false, true, Unit),
        function("emit_undeclared", Public, false, false, Unit),
        function("ctx", Public, true, false, Bytes),
        function("fail", Public, false, false, Unit),
        function("set_then_fail", Public, false, true, Unit),
        function("spin", Public, false, false, Unit),
        function("recurse", Public, false, false, Unit),
        function("grow", Public, false, false, Unit),
        function("grow_to_limit", Public, false, false, Bytes),
        function("invoke", Public, false, true, Bytes),
        function("invoke_view", Public, true, true, Bytes),
        function("gas", Public, true, false, U64),
        function("bad_ptr", Public, true, false, Unit),
        function("hidden", Internal, false, false, Unit),
        function("admin", Entry, false, false, Unit),
        function("no_result", Public, true, false, U64),
    ];
    i.events = vec![EventDecl {
        name: "Transfer".into(),
        ty: Bytes,
    }];
    i.init = true;
    i
}

pub fn kitchen_sink() -> Vec<u8> {
    module(
        &format!("(module {IMPORTS} {RUNTIME} {KITCHEN_SINK})"),
        &kitchen_sink_interface(),
    )
}

/// A module with only the runtime and `body`, declaring `functions`.
pub fn minimal(body: &str, functions: Vec<FunctionDecl>) -> Vec<u8> {
    let mut i = Interface::new("minimal");
    i.functions = functions;
    module(&format!("(module {IMPORTS} {RUNTIME} {body})"), &i)
}

pub fn addr(n: u8) -> Address {
    Address([n; 32])
}

/// A VM, a host with the kitchen sink published as package `addr(1)`
/// (original id `addr(2)`), and that package's info.
pub struct World {
    pub vm: Vm,
    pub host: MemoryHost,
    pub package: PackageInfo,
}

pub const GAS: u64 = 10_000_000;

impl World {
    pub fn new() -> Self {
        Self::with_config(VmConfig::default())
    }

    pub fn with_config(config: VmConfig) -> Self {
        let vm = Vm::new(config).expect("valid config");
        let mut host = MemoryHost::new();
        let package = host.publish(addr(1), addr(2), 1, addr(3), kitchen_sink());
        World { vm, host, package }
    }

    pub fn context(&self) -> CallContext {
        CallContext {
            caller: addr(9),
            origin: addr(9),
            block_height: 42,
            block_time_ms: 1_700_000_000_000,
            package: self.package.clone(),
            ticket_call: false,
            attached_coin: 0,
        }
    }

    pub fn call(&mut self, function: &str, args: &[u8]) -> Result<CallOutcome, CallError> {
        self.call_with_gas(function, args, GAS)
    }

    pub fn call_with_gas(
        &mut self,
        function: &str,
        args: &[u8],
        gas: u64,
    ) -> Result<CallOutcome, CallError> {
        let module = self
            .vm
            .prepare(&kitchen_sink())
            .expect("kitchen sink prepares");
        let target = CallTarget::Function(function.to_string());
        let ctx = self.context();
        self.vm
            .call(&module, &mut self.host, ctx, &target, args, gas)
    }

    /// The result bytes of a call that must succeed.
    pub fn ok(&mut self, function: &str, args: &[u8]) -> Vec<u8> {
        match self.call(function, args) {
            Ok(outcome) => outcome.return_data,
            Err(e) => panic!("{function} failed: {e}"),
        }
    }

    /// Arguments of `invoke`: call `function` of `package` with `args`.
    pub fn invoke_args(package: Address, function: &str, args: &[u8]) -> Vec<u8> {
        let mut out = package.0.to_vec();
        out.push(function.len() as u8);
        out.extend_from_slice(function.as_bytes());
        out.extend_from_slice(args);
        out
    }
}
