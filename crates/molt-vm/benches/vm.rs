//! Per-call cost of the VM on hand-written WAT programs shaped like real
//! ones, each against the same logic in native Rust on the same
//! `MemoryHost`, and module preparation with and without the cache.
//!
//! Run: `cargo bench -p molt-vm` (release). Prints a table; figures are
//! recorded in docs/decisions/0004-wasm-engine.md.

use molt_interface::{EventDecl, FunctionDecl, Interface, Param, TypeRef, Visibility};
use molt_types::{Address, Event};
use molt_vm::{
    CallContext, CallTarget, Host, MemoryHost, PackageInfo, PreparedModule, Vm, VmConfig,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

const WAT: &str = r#"(module
  (import "molt" "buffer_read" (func $buffer_read (param i32)))
  (import "molt" "storage_get" (func $storage_get (param i32 i32) (result i64)))
  (import "molt" "storage_set" (func $storage_set (param i32 i32 i32 i32)))
  (import "molt" "emit_event" (func $emit_event (param i32 i32 i32 i32)))
  (import "molt" "return_data" (func $return_data (param i32 i32)))
  (import "molt" "abort" (func $abort (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "bal/alice")
  (data (i32.const 32) "bal/bob__")
  (data (i32.const 48) "Transfer")
  (data (i32.const 64) "insufficient balance")
  (func $alloc (export "molt_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $p))
  (func (export "molt:fn:noop"))
  ;; Reads an 8-byte balance at key (k, 9) into address dst; 0 if absent.
  (func $balance (param $k i32) (param $dst i32) (result i64)
    (if (i64.lt_s (call $storage_get (local.get $k) (i32.const 9)) (i64.const 0))
      (then (return (i64.const 0))))
    (call $buffer_read (local.get $dst))
    (i64.load (local.get $dst)))
  ;; args: amount (u64 LE). Moves it from alice to bob.
  (func (export "molt:fn:transfer") (param $p i32) (param $l i32)
    (local $amount i64) (local $from i64) (local $to i64)
    (local.set $amount (i64.load (local.get $p)))
    (local.set $from (call $balance (i32.const 16) (i32.const 128)))
    (local.set $to (call $balance (i32.const 32) (i32.const 136)))
    (if (i64.lt_u (local.get $from) (local.get $amount))
      (then (call $abort (i32.const 1) (i32.const 64) (i32.const 20))))
    (i64.store (i32.const 128) (i64.sub (local.get $from) (local.get $amount)))
    (i64.store (i32.const 136) (i64.add (local.get $to) (local.get $amount)))
    (call $storage_set (i32.const 16) (i32.const 9) (i32.const 128) (i32.const 8))
    (call $storage_set (i32.const 32) (i32.const 9) (i32.const 136) (i32.const 8))
    (call $emit_event (i32.const 48) (i32.const 8) (local.get $p) (local.get $l)))
  ;; args: iterations (u32 LE). xorshift64 over a counter; returns the state.
  (func (export "molt:fn:compute") (param $p i32) (param $l i32)
    (local $n i32) (local $x i64)
    (local.set $n (i32.load (local.get $p)))
    (local.set $x (i64.const 88172645463325252))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i64.store (i32.const 0) (local.get $x))
    (call $return_data (i32.const 0) (i32.const 8)))
)"#;

fn interface() -> Interface {
    let f = |name: &str, args: bool, returns: TypeRef| FunctionDecl {
        name: name.into(),
        visibility: Visibility::Public,
        view: false,
        params: if args {
            vec![Param {
                name: "input".into(),
                ty: TypeRef::Bytes,
            }]
        } else {
            vec![]
        },
        returns,
    };
    let mut i = Interface::new("bench");
    i.functions = vec![
        f("noop", false, TypeRef::Unit),
        f("transfer", true, TypeRef::Unit),
        f("compute", true, TypeRef::U64),
    ];
    i.events = vec![EventDecl {
        name: "Transfer".into(),
        ty: TypeRef::U64,
    }];
    i
}

fn module_bytes(salt: Option<u64>) -> Vec<u8> {
    let mut bytes = wat::parse_str(WAT).expect("bench WAT parses");
    custom_section(
        &mut bytes,
        molt_interface::SECTION_NAME,
        &borsh::to_vec(&interface()).unwrap(),
    );
    if let Some(salt) = salt {
        // A different checksum, so that `prepare` misses the cache.
        custom_section(&mut bytes, "salt", &salt.to_le_bytes());
    }
    bytes
}

fn custom_section(module: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    module.push(0);
    let mut n = body.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            module.push(byte);
            break;
        }
        module.push(byte | 0x80);
    }
    module.extend_from_slice(&body);
}

/// Median time per operation over `rounds` rounds of `iters` operations.
fn measure(rounds: usize, iters: u32, mut op: impl FnMut()) -> Duration {
    for _ in 0..iters.min(100) {
        op();
    }
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                op();
            }
            start.elapsed() / iters
        })
        .collect();
    samples.sort();
    samples[rounds / 2]
}

const NS: Address = Address([2; 32]);

fn native_transfer(host: &mut dyn Host, args: &[u8]) {
    host.checkpoint();
    let amount = u64::from_le_bytes(args[..8].try_into().unwrap());
    let balance = |host: &mut dyn Host, key: &[u8]| {
        host.storage_get(&NS, key)
            .unwrap()
            .map_or(0, |v| u64::from_le_bytes(v[..8].try_into().unwrap()))
    };
    let from = balance(host, b"bal/alice");
    let to = balance(host, b"bal/bob__");
    assert!(from >= amount, "insufficient balance");
    host.storage_set(&NS, b"bal/alice", &(from - amount).to_le_bytes())
        .unwrap();
    host.storage_set(&NS, b"bal/bob__", &(to + amount).to_le_bytes())
        .unwrap();
    host.emit_event(Event {
        emitter: NS,
        name: "Transfer".into(),
        data: args.to_vec(),
    })
    .unwrap();
    host.commit();
}

fn native_compute(n: u32) -> u64 {
    let mut x: u64 = 88172645463325252;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// `a / b` with two decimals, in integer arithmetic.
fn ratio(a: Duration, b: Duration) -> String {
    let centi = a.as_nanos() * 100 / b.as_nanos().max(1);
    format!("{}.{:02}", centi / 100, centi % 100)
}

struct Bench {
    vm: Vm,
    module: std::sync::Arc<PreparedModule>,
    ctx: CallContext,
}

impl Bench {
    fn call(&self, host: &mut MemoryHost, function: &str, args: &[u8]) -> Vec<u8> {
        let target = CallTarget::Function(function.into());
        match self.vm.call(
            &self.module,
            host,
            self.ctx.clone(),
            &target,
            args,
            1_000_000_000,
        ) {
            Ok(outcome) => outcome.return_data,
            Err(e) => panic!("{function}: {e}"),
        }
    }
}

fn row(name: &str, wasm: Duration, native: Option<Duration>) {
    match native {
        Some(native) => {
            let ratio = wasm.as_nanos() as u64 / (native.as_nanos() as u64).max(1);
            println!("{name:<34} {:>12?} {:>12?} {:>9}x", wasm, native, ratio);
        }
        None => println!("{name:<34} {:>12?}", wasm),
    }
}

fn main() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let bytes = module_bytes(None);
    let module = vm.prepare(&bytes).unwrap();
    let package = PackageInfo {
        package_id: Address([1; 32]),
        original_id: NS,
        version: 1,
        edition: 0,
        owner: Address([3; 32]),
        checksum: module.checksum(),
    };
    let ctx = CallContext {
        caller: Address([9; 32]),
        origin: Address([9; 32]),
        block_height: 1,
        block_time_ms: 0,
        package,
        ticket_call: false,
        attached_coin: 0,
    };
    let bench = Bench { vm, module, ctx };
    let mut host = MemoryHost::new();
    host.insert(NS, b"bal/alice", &u64::MAX.to_le_bytes());
    let mut native_host = host.clone();

    println!(
        "molt-vm bench (wasmi 2.0.0, release); module {} bytes",
        bytes.len()
    );
    println!(
        "{:<34} {:>12} {:>12} {:>10}",
        "operation", "wasm", "native", "ratio"
    );

    let empty = measure(15, 20_000, || {
        bench.call(&mut host, "noop", b"");
    });
    let native_empty = measure(15, 20_000, || {
        native_host.checkpoint();
        native_host.commit();
    });
    row("empty call", empty, Some(native_empty));

    let amount = 1u64.to_le_bytes();
    let transfer = measure(15, 5_000, || {
        bench.call(&mut host, "transfer", &amount);
    });
    let native = measure(15, 5_000, || native_transfer(&mut native_host, &amount));
    row(
        "token transfer (2 get, 2 set, event)",
        transfer,
        Some(native),
    );

    // The same transfer written with the SDK and built from programs/token.
    let token_bytes = molt_build::example("token").expect("build programs/token");
    let token = bench.vm.prepare(&token_bytes).unwrap();
    let token_ns = Address([0x70; 32]);
    let token_ctx = CallContext {
        package: PackageInfo {
            package_id: Address([0x71; 32]),
            original_id: token_ns,
            version: 1,
            edition: 0,
            owner: Address([9; 32]),
            checksum: token.checksum(),
        },
        ..bench.ctx.clone()
    };
    let mut token_host = MemoryHost::new();
    let token_call = |host: &mut MemoryHost, target: CallTarget, args: &[u8]| {
        bench
            .vm
            .call(
                &token,
                host,
                token_ctx.clone(),
                &target,
                args,
                1_000_000_000,
            )
            .unwrap_or_else(|e| panic!("token: {}", e.error))
    };
    token_call(&mut token_host, CallTarget::Init, b"");
    let mint = borsh::to_vec(&(Address([9; 32]), u128::MAX / 2)).unwrap();
    token_call(&mut token_host, CallTarget::Function("mint".into()), &mint);
    let pay = borsh::to_vec(&(Address([8; 32]), 1u128)).unwrap();
    let sdk = measure(15, 2_000, || {
        token_call(
            &mut token_host,
            CallTarget::Function("transfer".into()),
            &pay,
        );
    });
    row("token transfer, SDK program (Rust)", sdk, Some(native));
    let supply = measure(15, 2_000, || {
        token_call(&mut token_host, CallTarget::Function("supply".into()), b"");
    });
    row("SDK program, view (1 get)", supply, None);
    let supply_gas =
        token_call(&mut token_host, CallTarget::Function("supply".into()), b"").gas_used;
    println!("SDK view gas = {supply_gas}");
    let sdk_gas = token_call(
        &mut token_host,
        CallTarget::Function("transfer".into()),
        &pay,
    )
    .gas_used;
    println!(
        "SDK transfer / WAT transfer = {}x, SDK transfer / native = {}x, SDK gas = {sdk_gas}",
        ratio(sdk, transfer),
        ratio(sdk, native)
    );
    // The same three transfers interleaved round by round, so that a busy
    // machine slows all of them alike: the median of the per-round ratios.
    let (mut sdk_wat, mut sdk_native, mut wat_native) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let wat = measure(1, 1_000, || {
            bench.call(&mut host, "transfer", &amount);
        });
        let sdk = measure(1, 1_000, || {
            token_call(
                &mut token_host,
                CallTarget::Function("transfer".into()),
                &pay,
            );
        });
        let native = measure(1, 1_000, || native_transfer(&mut native_host, &amount));
        let centi = |a: Duration, b: Duration| a.as_nanos() * 100 / b.as_nanos().max(1);
        sdk_wat.push(centi(sdk, wat));
        sdk_native.push(centi(sdk, native));
        wat_native.push(centi(wat, native));
    }
    let median_ratio = |mut v: Vec<u128>| {
        v.sort();
        let m = v[v.len() / 2];
        format!("{}.{:02}", m / 100, m % 100)
    };
    println!(
        "interleaved, median of 15 rounds: SDK/WAT = {}x, SDK/native = {}x, WAT/native = {}x",
        median_ratio(sdk_wat),
        median_ratio(sdk_native),
        median_ratio(wat_native)
    );

    for n in [1_000u32, 100_000] {
        let args = n.to_le_bytes();
        let expected = native_compute(n).to_le_bytes();
        assert_eq!(
            bench.call(&mut host, "compute", &args),
            expected,
            "same result as native"
        );
        let iters = if n > 10_000 { 50 } else { 2_000 };
        let wasm = measure(9, iters, || {
            black_box(bench.call(&mut host, "compute", &args));
        });
        let native = measure(9, iters, || {
            black_box(native_compute(black_box(n)));
        });
        row(&format!("compute loop, {n} iterations"), wasm, Some(native));
    }
    let target = CallTarget::Function("compute".into());
    let gas = bench.vm.call(
        &bench.module,
        &mut host,
        bench.ctx.clone(),
        &target,
        &100_000u32.to_le_bytes(),
        1_000_000_000,
    );
    let transfer_gas = bench.vm.call(
        &bench.module,
        &mut host,
        bench.ctx.clone(),
        &CallTarget::Function("transfer".into()),
        &amount,
        1_000_000_000,
    );
    println!(
        "gas: compute(100000) = {}, transfer = {}",
        gas.map(|o| o.gas_used).unwrap_or(0),
        transfer_gas.map(|o| o.gas_used).unwrap_or(0)
    );

    let mut salt = 0u64;
    let salted: Vec<Vec<u8>> = (0..2_000)
        .map(|_| {
            salt += 1;
            module_bytes(Some(salt))
        })
        .collect();
    let mut next = salted.iter().cycle();
    let fresh = Vm::new(VmConfig {
        module_cache_capacity: 4,
        ..VmConfig::default()
    })
    .unwrap();
    let first_use = measure(9, 200, || {
        black_box(fresh.prepare(next.next().unwrap()).unwrap());
    });
    row("prepare, first use (validate+compile)", first_use, None);
    let cached = measure(9, 2_000, || {
        black_box(bench.vm.prepare(&bytes).unwrap());
    });
    row("prepare, cached (sha3 + lookup)", cached, None);
    let stats = bench.vm.cache_stats();
    println!("cache: {} hits, {} misses", stats.hits, stats.misses);
}
