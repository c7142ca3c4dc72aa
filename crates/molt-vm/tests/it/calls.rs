//! Successful calls and their effects, and failures at run time.

use crate::support::{GAS, World, addr};
use borsh::BorshDeserialize;
use molt_interface::Visibility;
use molt_types::Event;
use molt_vm::{CallTarget, Context, Host, MemoryHost, VmConfig, VmError};

#[test]
fn call_returns_its_result_and_gas() {
    let mut w = World::new();
    let outcome = w.call("echo", b"hello").unwrap();
    assert_eq!(outcome.return_data, b"hello");
    assert!(outcome.gas_used > 0 && outcome.gas_used < GAS);
    assert_eq!(w.host.open_checkpoints(), 0);
}

#[test]
fn storage_set_get_has_remove() {
    let mut w = World::new();
    let ns = w.package.original_id;
    w.ok("set", b"key1value-one");
    assert_eq!(w.host.get(&ns, b"key1"), Some(&b"value-one"[..]));
    assert_eq!(w.ok("get", b"key1"), b"value-one");
    assert_eq!(w.ok("get", b"nope"), b"");
    assert_eq!(w.ok("has", b"key1"), [1]);
    assert_eq!(w.ok("has", b"nope"), [0]);
    assert_eq!(w.ok("remove", b"key1"), [1]);
    assert_eq!(w.ok("remove", b"key1"), [0]);
    assert_eq!(w.ok("has", b"key1"), [0]);
    // Writes land in the package's namespace (its original id) only.
    assert!(w.host.entries(&w.package.package_id).is_empty());
}

#[test]
fn prefix_iteration_is_in_ascending_byte_order() {
    let mut w = World::new();
    let ns = w.package.original_id;
    for (k, v) in [
        (&b"m/\x02"[..], &b"b"[..]),
        (b"m/\x01", b"a"),
        (b"m/\xff", b"c"),
        (b"n/\x00", b"x"),
        (b"m\x00", b"y"),
    ] {
        w.host.insert(ns, k, v);
    }
    w.host.insert(addr(77), b"m/\x00", b"other namespace");
    let listed = w.ok("list", b"m/");
    let mut rest = &listed[..];
    let mut entries = Vec::new();
    while !rest.is_empty() {
        entries.push(<(Vec<u8>, Vec<u8>)>::deserialize(&mut rest).unwrap());
    }
    let expected: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"m/\x01".to_vec(), b"a".to_vec()),
        (b"m/\x02".to_vec(), b"b".to_vec()),
        (b"m/\xff".to_vec(), b"c".to_vec()),
    ];
    assert_eq!(entries, expected);
    assert_eq!(w.ok("list", b"zz"), b"");
}

#[test]
fn events_are_recorded_with_the_emitter() {
    let mut w = World::new();
    w.ok("emit", b"\x01\x02");
    let expected = Event {
        emitter: w.package.original_id,
        name: "Transfer".into(),
        data: vec![1, 2],
    };
    assert_eq!(w.host.events(), &[expected]);
    let e = w.call("emit_undeclared", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::UndeclaredEvent {
            name: "insufficient".into()
        }
    );
}

#[test]
fn context_fields_reach_the_program() {
    let mut w = World::new();
    let bytes = w.ok("ctx", b"");
    let ctx = Context::try_from_slice(&bytes).unwrap();
    assert_eq!(ctx.caller, addr(9));
    assert_eq!(ctx.origin, addr(9));
    assert_eq!(ctx.block_height, 42);
    assert_eq!(ctx.block_time_ms, 1_700_000_000_000);
    assert_eq!(ctx.package_id, addr(1));
    assert_eq!(ctx.original_id, addr(2));
    assert_eq!(ctx.version, 1);
    assert_eq!(ctx.edition, 0);
    assert_eq!(ctx.checksum, w.package.checksum);
    assert_eq!(ctx.owner, addr(3));
}

#[test]
fn gas_left_is_visible_and_decreasing() {
    let mut w = World::new();
    let left = u64::from_le_bytes(w.ok("gas", b"").try_into().unwrap());
    assert!(left < GAS && left > GAS - 1_000);
}

#[test]
fn abort_reports_code_and_message_and_reverts_writes() {
    let mut w = World::new();
    let e = w.call("fail", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::Aborted {
            code: 7,
            message: "insufficient balance".into()
        }
    );
    assert!(e.gas_used > 0);

    let e = w.call("set_then_fail", b"key1value").unwrap_err();
    assert!(matches!(e.error, VmError::Aborted { code: 7, .. }));
    assert_eq!(w.host.get(&w.package.original_id, b"key1"), None);
    assert!(w.host.events().is_empty());
    assert_eq!(w.host.open_checkpoints(), 0);
}

#[test]
fn init_runs_and_visibility_is_enforced() {
    let mut w = World::new();
    let module = w.vm.prepare(&crate::support::kitchen_sink()).unwrap();
    let ctx = w.context();
    w.vm.call(
        &module,
        &mut w.host,
        ctx.clone(),
        &CallTarget::Init,
        b"",
        GAS,
    )
    .unwrap();
    assert_eq!(
        w.host.get(&w.package.original_id, b"init"),
        Some(&b"init"[..])
    );
    let e = w.vm.call(
        &module,
        &mut w.host,
        ctx,
        &CallTarget::Constructor,
        b"",
        GAS,
    );
    assert!(matches!(
        e.unwrap_err().error,
        VmError::NoSuchEntryPoint { .. }
    ));

    assert!(
        w.call("admin", b"").is_ok(),
        "entry functions are callable by transactions"
    );
    let e = w.call("hidden", b"").unwrap_err();
    assert!(matches!(
        e.error,
        VmError::NotCallable {
            visibility: Visibility::Internal,
            ..
        }
    ));
    let e = w.call("missing", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::UnknownFunction {
            name: "missing".into()
        }
    );
    let e = w.call("spin", b"unexpected").unwrap_err();
    assert!(matches!(
        e.error,
        VmError::UnexpectedArguments { len: 10, .. }
    ));
    let e = w.call("no_result", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::MissingReturnData {
            name: "no_result".into()
        }
    );
}

#[test]
fn cross_program_call_returns_the_callee_result() {
    let mut w = World::new();
    // A second copy of the code under another id, called by original id.
    let callee = w.host.publish(
        addr(10),
        addr(11),
        1,
        addr(3),
        crate::support::kitchen_sink(),
    );
    let args = World::invoke_args(callee.original_id, "echo", b"ping");
    assert_eq!(w.ok("invoke", &args), b"ping");

    // The callee writes to its own namespace and sees the caller's id.
    let args = World::invoke_args(callee.original_id, "set", b"kkkkvvv");
    w.ok("invoke", &args);
    assert_eq!(w.host.get(&addr(11), b"kkkk"), Some(&b"vvv"[..]));
    assert_eq!(w.host.get(&w.package.original_id, b"kkkk"), None);
    let ctx = Context::try_from_slice(&w.ok("invoke", &World::invoke_args(addr(10), "ctx", b"")))
        .unwrap();
    assert_eq!(
        (ctx.caller, ctx.origin, ctx.package_id),
        (w.package.original_id, addr(9), addr(10))
    );

    // A foreign read of the callee's storage.
    let mut args = addr(11).0.to_vec();
    args.extend_from_slice(b"kkkk");
    assert_eq!(w.ok("get_foreign", &args), b"vvv");
}

#[test]
fn cross_program_call_rules() {
    let mut w = World::new();
    let callee = w.package.original_id;
    let e = w
        .call("invoke", &World::invoke_args(callee, "admin", b""))
        .unwrap_err();
    assert!(matches!(
        e.error,
        VmError::NotCallable {
            visibility: Visibility::Entry,
            ..
        }
    ));
    let e = w
        .call("invoke", &World::invoke_args(addr(99), "echo", b""))
        .unwrap_err();
    assert_eq!(e.error, VmError::UnknownPackage { package: addr(99) });
    // The callee's abort fails the caller with the callee's error.
    let e = w
        .call("invoke", &World::invoke_args(callee, "fail", b""))
        .unwrap_err();
    assert!(matches!(e.error, VmError::Aborted { code: 7, .. }));
    // A view caller propagates `view` to its callee.
    let e = w
        .call("invoke_view", &World::invoke_args(callee, "set", b"kkkkv"))
        .unwrap_err();
    assert_eq!(
        e.error,
        VmError::WriteInView {
            operation: "storage_set"
        }
    );
    assert!(w.host.entries(&callee).is_empty());
}

#[test]
fn cross_program_calls_are_depth_limited() {
    let mut w = World::new();
    let me = w.package.original_id;
    // invoke(me, invoke(me, invoke(me, ...))) twenty levels deep.
    let mut args = b"end".to_vec();
    for _ in 0..20 {
        args = World::invoke_args(me, "invoke", &args);
    }
    let e = w.call("invoke", &args).unwrap_err();
    assert_eq!(e.error, VmError::CallDepthExceeded { limit: 8 });
    assert_eq!(w.host.open_checkpoints(), 0);

    // Exactly the limit is fine: 7 nested calls + the transaction's call.
    let mut args = World::invoke_args(me, "echo", b"deep");
    for _ in 0..6 {
        args = World::invoke_args(me, "invoke", &args);
    }
    assert_eq!(w.ok("invoke", &args), b"deep");
}

#[test]
fn view_call_that_writes_is_rejected() {
    let mut w = World::new();
    let e = w.call("set_view", b"key1value").unwrap_err();
    assert_eq!(
        e.error,
        VmError::WriteInView {
            operation: "storage_set"
        }
    );
    assert_eq!(w.host.get(&w.package.original_id, b"key1"), None);
}

#[test]
fn infinite_loop_runs_out_of_gas_using_the_whole_limit() {
    let mut w = World::new();
    let e = w.call_with_gas("spin", b"", 100_000).unwrap_err();
    assert_eq!(
        e.error,
        VmError::OutOfGas {
            gas_used: 100_000,
            limit: 100_000
        }
    );
    assert_eq!(e.gas_used, 100_000);
}

#[test]
fn host_calls_run_out_of_gas_too() {
    let mut w = World::new();
    // Enough to enter the function, not enough for a storage write.
    let e = w.call_with_gas("set", b"key1value", 2_000).unwrap_err();
    assert_eq!(
        e.error,
        VmError::OutOfGas {
            gas_used: 2_000,
            limit: 2_000
        }
    );
    assert_eq!(w.host.get(&w.package.original_id, b"key1"), None);
}

#[test]
fn gas_limit_above_the_maximum_is_refused() {
    let mut w = World::new();
    let e = w.call_with_gas("echo", b"", u64::MAX).unwrap_err();
    assert!(matches!(e.error, VmError::GasLimitTooHigh { .. }));
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let mut w = World::new();
    let e = w.call("recurse", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::StackOverflow {
            max_recursion_depth: 1024
        }
    );
}

#[test]
fn memory_growth_above_the_limit_fails() {
    let mut w = World::new();
    let e = w.call("grow", b"").unwrap_err();
    assert_eq!(
        e.error,
        VmError::MemoryLimit {
            requested_pages: 101,
            limit_pages: 16
        }
    );
    // Up to the limit is fine: memory.grow returns the old size, 1 page.
    assert_eq!(w.ok("grow_to_limit", b""), 1u32.to_le_bytes());
}

#[test]
fn out_of_bounds_pointers_trap_cleanly() {
    let mut w = World::new();
    let e = w.call("bad_ptr", b"").unwrap_err();
    assert!(matches!(
        e.error,
        VmError::MemoryOutOfBounds {
            function: "storage_get",
            ptr: 65530,
            len: 100,
            ..
        }
    ));
}

#[test]
fn gas_is_deterministic_across_vms() {
    let run = || {
        let mut w = World::with_config(VmConfig::default());
        let a = w.call("set", b"key1value").unwrap().gas_used;
        let b = w.call("list", b"k").unwrap().gas_used;
        let c = w
            .call(
                "invoke",
                &World::invoke_args(w.package.original_id, "echo", b"x"),
            )
            .unwrap();
        (a, b, c.gas_used)
    };
    assert_eq!(run(), run());
}

#[test]
fn memory_host_checkpoints_nest() {
    let mut h = MemoryHost::new();
    let ns = addr(1);
    h.checkpoint();
    h.storage_set(&ns, b"a", b"1").unwrap();
    h.checkpoint();
    h.storage_set(&ns, b"a", b"2").unwrap();
    h.storage_set(&ns, b"b", b"3").unwrap();
    h.revert();
    assert_eq!(h.get(&ns, b"a"), Some(&b"1"[..]));
    assert_eq!(h.get(&ns, b"b"), None);
    h.checkpoint();
    h.storage_remove(&ns, b"a").unwrap();
    h.commit();
    h.revert();
    assert_eq!(h.get(&ns, b"a"), None);
    assert_eq!(h.open_checkpoints(), 0);
}
