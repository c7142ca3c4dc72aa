//! Cross-program calls on the native host: the callee's context comes from
//! the installed version, views stay views, dependencies are pinned, depth
//! is limited, and `call_program` runs an installed program as a
//! transaction.

use molt_sdk::error::codes;
use molt_sdk::testing::{ProgramVersion, TestEnv, refusals};
use molt_sdk::{Address, Context, Digest};

#[molt_sdk::program(
    name = "relay",
    dependency(name = "relay", original_id = "0x77", version = 1)
)]
pub mod relay {
    use molt_sdk::prelude::*;

    #[event]
    pub struct Relayed {
        pub depth: u32,
    }

    /// The context this call sees, encoded.
    #[public]
    fn whoami() -> Vec<u8> {
        molt_sdk::__private::encode(&context())
    }

    #[public]
    fn forward(target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        molt_sdk::call_raw(&target, &func, &args)
    }

    #[public]
    #[view]
    fn forward_view(target: Address, func: String, args: Vec<u8>) -> Vec<u8> {
        molt_sdk::call_raw(&target, &func, &args)
    }

    #[public]
    fn write() {
        storage::raw::set(b"k", b"v");
    }

    /// Calls itself (by original id) `n` more times.
    #[public]
    fn recurse(n: u32) {
        if n > 0 {
            let me = context().original_id;
            molt_sdk::call::<()>(&me, "recurse", &(n - 1));
        }
    }

    #[public]
    fn announce() {
        Relayed { depth: 1 }.emit();
    }

    #[public]
    fn shout() {
        molt_sdk::events::emit("Undeclared", &1u8);
    }

    #[entry]
    fn only_by_transactions() {}
}

const ORIGINAL: Address = Address::reserved(0x77);
const V1: Address = Address([0x71; 32]);
const V2: Address = Address([0x72; 32]);
const OWNER: Address = Address([0x0e; 32]);

fn version(package_id: Address, version: u64) -> ProgramVersion {
    ProgramVersion {
        package_id,
        original_id: ORIGINAL,
        version,
        edition: (version - 1) as u16,
        checksum: Digest([version as u8; 32]),
        owner: OWNER,
        dispatch: relay::__molt_dispatch,
        interface: Some(relay::__molt_interface()),
    }
}

fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.install(version(V1, 1));
    env.install(version(V2, 2));
    env
}

fn args(target: Address, func: &str, inner: &[u8]) -> Vec<u8> {
    molt_sdk::borsh::to_vec(&(target, func.to_string(), inner.to_vec())).unwrap()
}

fn context_of(bytes: &[u8]) -> Context {
    let inner: Vec<u8> = molt_sdk::borsh::from_slice(bytes).unwrap();
    molt_sdk::borsh::from_slice(&inner).unwrap()
}

#[test]
fn call_program_runs_the_latest_version_as_a_transaction() {
    let env = setup();
    env.set_caller(TestEnv::BOB);
    let ctx = context_of(&env.call_program(&ORIGINAL, "whoami", &[]).unwrap());
    assert_eq!(
        (
            ctx.caller,
            ctx.package_id,
            ctx.version,
            ctx.edition,
            ctx.owner
        ),
        (TestEnv::BOB, V2, 2, 1, OWNER)
    );
    assert_eq!(ctx.checksum, Digest([2; 32]));
    let ctx = context_of(&env.call_program(&V1, "whoami", &[]).unwrap());
    assert_eq!((ctx.package_id, ctx.version), (V1, 1));
    // The program under test keeps its own context afterwards.
    assert_eq!(env.context().package_id, TestEnv::PROGRAM);
    let err = env.call_program(&Address([9; 32]), "whoami", &[]);
    assert_eq!(err.unwrap_err().code, refusals::UNKNOWN_PACKAGE);
    let err = env.call_program(&ORIGINAL, "nope", &[]).unwrap_err();
    assert_eq!(err.code, refusals::UNKNOWN_FUNCTION);
    env.call_program(&ORIGINAL, "only_by_transactions", &[])
        .unwrap();
}

#[test]
fn the_callee_sees_its_own_version_and_the_callers_original_id() {
    let env = setup();
    // `relay` declares itself as a dependency at version 1: calls by its
    // original id from inside it are pinned there, calls by package id not.
    let out = env
        .call_program(&V2, "forward", &args(ORIGINAL, "whoami", &[]))
        .unwrap();
    let callee = context_of(&molt_sdk::borsh::from_slice::<Vec<u8>>(&out).unwrap());
    assert_eq!(
        (callee.caller, callee.package_id, callee.version),
        (ORIGINAL, V1, 1)
    );
    assert_eq!(callee.checksum, Digest([1; 32]));
    let out = env
        .call_program(&V1, "forward", &args(V2, "whoami", &[]))
        .unwrap();
    let callee = context_of(&molt_sdk::borsh::from_slice::<Vec<u8>>(&out).unwrap());
    assert_eq!((callee.package_id, callee.edition), (V2, 1));
}

#[test]
fn a_view_cannot_write_through_another_program() {
    let env = setup();
    let err = env
        .call_program(&ORIGINAL, "forward_view", &args(ORIGINAL, "write", &[]))
        .unwrap_err();
    assert_eq!(err.code, refusals::WRITE_IN_VIEW);
    assert_eq!(
        err.message,
        "`storage_set` in a view call: view functions may not write storage or emit events"
    );
    assert!(env.storage_entries(&ORIGINAL).is_empty());
    env.call_program(&ORIGINAL, "forward", &args(ORIGINAL, "write", &[]))
        .unwrap();
    assert_eq!(env.storage_get_in(&ORIGINAL, b"k"), Some(b"v".to_vec()));
}

#[test]
fn programs_call_public_functions_only() {
    let env = setup();
    let err = env
        .call_program(
            &ORIGINAL,
            "forward",
            &args(ORIGINAL, "only_by_transactions", &[]),
        )
        .unwrap_err();
    assert_eq!(err.code, codes::NOT_CALLABLE);
    assert!(
        err.message.contains("by another program"),
        "{}",
        err.message
    );
}

#[test]
fn nesting_is_depth_limited_and_events_are_declared() {
    let env = setup();
    let depth = |n: u32| molt_sdk::borsh::to_vec(&n).unwrap();
    // The transaction's call is depth 1; seven more reach the limit of 8.
    env.call_program(&V2, "recurse", &depth(7)).unwrap();
    let err = env.call_program(&V2, "recurse", &depth(8)).unwrap_err();
    assert_eq!(err.code, refusals::CALL_DEPTH_EXCEEDED);
    env.set_max_call_depth(2);
    assert!(env.call_program(&V2, "recurse", &depth(2)).is_err());

    let err = env.call_program(&V2, "shout", &[]).unwrap_err();
    assert_eq!(err.code, refusals::UNDECLARED_EVENT);
    assert!(env.events().is_empty());
    env.call_program(&V2, "announce", &[]).unwrap();
    assert_eq!(env.events_of::<relay::Relayed>().len(), 1);
    assert_eq!(env.events()[0].program, ORIGINAL);
}
