//! The example programs in `programs/`, built from source to wasm32 with the
//! same route as `molt build`, are accepted by the VM: interface section,
//! exports with their lowered signatures, no floats, SIMD or threads.

use molt_interface::Interface;
use molt_types::{Address, Digest};
use molt_vm::{CallContext, CallTarget, MemoryHost, UpgradeTicket, Vm, VmConfig, VmError};

const PROGRAMS: &[(&str, &str)] = &[
    ("counter_v1", "counter"),
    ("counter_v2", "counter"),
    ("counter_v3", "counter"),
    ("token", "token"),
    ("versioned_counter_v1", "versioned_counter"),
    ("versioned_counter_v2", "versioned_counter"),
    ("checksum_registry", "checksum_registry"),
    ("ctor_noupgrade", "ctor_noupgrade"),
    ("ctor_admin", "ctor_admin"),
    ("ctor_checksum", "ctor_checksum"),
    ("ctor_custom", "ctor_custom"),
    ("ctor_custom_nodelay", "ctor_custom"),
    ("counter_client", "counter_client"),
    ("counter_client_dep2", "counter_client"),
    ("counter_typed_client", "counter_typed_client"),
    ("upgrader_multisig", "upgrader_multisig"),
    ("upgrader_timelock", "upgrader_timelock"),
    ("conformance_probe", "conformance_probe"),
    ("conformance_callee", "conformance_callee"),
];

fn interface(name: &str) -> Interface {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let bytes = molt_build::example(name).unwrap();
    vm.prepare(&bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .interface()
        .clone()
}

#[test]
fn every_example_program_is_a_valid_module() {
    for (crate_name, program) in PROGRAMS {
        assert_eq!(interface(crate_name).name, *program, "{crate_name}");
    }
}

#[test]
fn counter_versions_differ_as_documented() {
    let (v1, v2, v3) = (
        interface("counter_v1"),
        interface("counter_v2"),
        interface("counter_v3"),
    );
    for f in &v1.functions {
        assert_eq!(v2.function(&f.name), Some(f), "v2 keeps {}", f.name);
    }
    assert_eq!(
        v1.types[..],
        v2.types[..v1.types.len()],
        "v2 only appends types"
    );
    assert_eq!(v1.storage[..], v2.storage[..v1.storage.len()]);
    assert_eq!(v1.events[..], v2.events[..v1.events.len()]);
    assert!(v2.functions.len() > v1.functions.len());
    assert!(
        v3.function("owner").is_none(),
        "v3 removes a public function"
    );
    assert_ne!(
        v1.type_def("State"),
        v3.type_def("State"),
        "v3 renames a field"
    );
    assert_ne!(
        v1.function("add"),
        v3.function("add"),
        "v3 changes a signature"
    );
}

/// The timelock policy, built to wasm32, issues a ticket through
/// `molt.authorize_upgrade` once its delay has passed.
#[test]
fn timelock_program_issues_an_upgrade_ticket() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = molt_build::example("upgrader_timelock").unwrap();
    let module = vm.prepare(&code).unwrap();
    let mut host = MemoryHost::new();
    let (program, admin, cap) = (Address([7; 32]), Address([0xa1; 32]), Address([0xca; 32]));
    let package = host.publish(program, program, 1, admin, code);
    host.add_cap(cap, program);
    let digest = Digest([0xd1; 32]);
    let args = borsh::to_vec(&(cap, digest)).unwrap();
    let mut call = |target: CallTarget, height: u64| {
        let ctx = CallContext {
            caller: admin,
            origin: admin,
            block_height: height,
            block_time_ms: 0,
            package: package.clone(),
            // `authorize` runs as the ticket call of an upgrade.
            ticket_call: matches!(&target, CallTarget::Function(n) if n == "authorize"),
            attached_coin: 0,
        };
        let args: &[u8] = if target == CallTarget::Init {
            &[]
        } else {
            &args
        };
        vm.call(&module, &mut host, ctx, &target, args, 10_000_000)
    };
    let f = |name: &str| CallTarget::Function(name.to_string());
    call(CallTarget::Init, 10).unwrap();
    call(f("announce"), 10).unwrap();
    let early = call(f("authorize"), 14).unwrap_err();
    assert!(
        matches!(early.error, VmError::Aborted { code: 4, .. }),
        "{early}"
    );
    call(f("authorize"), 15).unwrap();
    assert_eq!(
        host.tickets(),
        &[UpgradeTicket {
            program,
            cap,
            digest
        }]
    );
}

/// A refused ticket fails the multisig's `authorize` with the host's message
/// and undoes the consumption of the approvals.
#[test]
fn multisig_program_refused_ticket_reverts() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = molt_build::example("upgrader_multisig").unwrap();
    let module = vm.prepare(&code).unwrap();
    let mut host = MemoryHost::new();
    let program = Address([7; 32]);
    let signers = [Address([1; 32]), Address([2; 32]), Address([3; 32])];
    let cap = Address([0xca; 32]);
    let package = host.publish(program, program, 1, signers[0], code);
    host.add_cap(cap, signers[0]);
    let digest = Digest([0xd1; 32]);
    let pair = borsh::to_vec(&(cap, digest)).unwrap();
    let call = |host: &mut MemoryHost, caller: Address, target: CallTarget, args: &[u8]| {
        let ctx = CallContext {
            caller,
            origin: caller,
            block_height: 1,
            block_time_ms: 0,
            package: package.clone(),
            ticket_call: matches!(&target, CallTarget::Function(n) if n == "authorize"),
            attached_coin: 0,
        };
        vm.call(&module, host, ctx, &target, args, 10_000_000)
    };
    let f = |name: &str| CallTarget::Function(name.to_string());
    call(&mut host, signers[0], CallTarget::Init, &[]).unwrap();
    call(
        &mut host,
        signers[0],
        f("setup"),
        &borsh::to_vec(&signers).unwrap(),
    )
    .unwrap();
    call(&mut host, signers[0], f("propose"), &pair).unwrap();
    call(&mut host, signers[2], f("approve"), &pair).unwrap();
    let e = call(&mut host, signers[1], f("authorize"), &pair).unwrap_err();
    let VmError::UpgradeNotAuthorized { message } = e.error else {
        panic!("expected UpgradeNotAuthorized, got {e}");
    };
    assert!(message.contains("is owned by"), "{message}");
    let approvals = call(&mut host, signers[1], f("approvals"), &pair).unwrap();
    let approvals: Vec<Address> = borsh::from_slice(&approvals.return_data).unwrap();
    assert_eq!(approvals, [signers[0], signers[2]]);
    // Once the program owns the cap, the same approvals authorize.
    host.add_cap(cap, program);
    call(&mut host, signers[1], f("authorize"), &pair).unwrap();
    assert_eq!(host.tickets()[0].digest, digest);
}

/// A result larger than the free part of a program's initial memory: the
/// SDK's allocator grows memory and every holder comes back, in key order.
#[test]
fn token_lists_more_holders_than_the_initial_memory_holds() {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = molt_build::example("token").unwrap();
    let module = vm.prepare(&code).unwrap();
    let mut host = MemoryHost::new();
    let (program, admin) = (Address([0x70; 32]), Address([9; 32]));
    let package = host.publish(program, program, 1, admin, code);
    let ctx = CallContext {
        caller: admin,
        origin: admin,
        block_height: 1,
        block_time_ms: 0,
        package,
        ticket_call: false,
        attached_coin: 0,
    };
    let mut call = |target: CallTarget, args: &[u8]| {
        vm.call(&module, &mut host, ctx.clone(), &target, args, 100_000_000)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    call(CallTarget::Init, b"");
    // 48 bytes per holder in the result, twice over while it is encoded:
    // far beyond the ~60 KiB left in the token's two initial pages.
    let holders: Vec<(Address, u128)> = (0..1_500u32)
        .map(|i| {
            let mut who = [0u8; 32];
            who[..4].copy_from_slice(&i.to_be_bytes());
            (Address(who), u128::from(i) + 1)
        })
        .collect();
    for (who, amount) in &holders {
        let args = borsh::to_vec(&(who, amount)).unwrap();
        call(CallTarget::Function("mint".into()), &args);
    }
    let listed = call(CallTarget::Function("holders".into()), b"");
    let listed: Vec<(Address, u128)> = borsh::from_slice(&listed.return_data).unwrap();
    assert_eq!(listed, holders);
}
