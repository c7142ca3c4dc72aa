use crate::sample::{self, Deposited, Error, Position, Shape};
use molt_sdk::error::codes;
use molt_sdk::testing::{TestEnv, refusals};
use molt_sdk::{Address, Digest, ProgramError};

fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.call(sample::__molt_init).unwrap();
    env
}

#[test]
fn calls_as_plain_rust_with_events_and_storage() {
    let env = setup();
    assert_eq!(env.try_call(|| sample::deposit(10, "a".into())), Ok(10));
    env.set_caller(TestEnv::BOB);
    assert_eq!(env.try_call(|| sample::deposit(5, "b".into())), Ok(15));
    assert_eq!(
        env.call(|| sample::position(TestEnv::BOB)).unwrap(),
        Some(Position {
            owner: TestEnv::BOB,
            amount: 5,
            tags: vec!["b".into()]
        })
    );
    assert_eq!(
        env.events_of::<Deposited>(),
        [
            Deposited {
                who: TestEnv::ALICE,
                amount: 10
            },
            Deposited {
                who: TestEnv::BOB,
                amount: 5
            }
        ]
    );
    // The exact key layout of host-abi.md.
    assert_eq!(
        env.storage_get(b"total"),
        Some(15u128.to_le_bytes().to_vec())
    );
    let mut key = b"positions/".to_vec();
    key.extend_from_slice(&TestEnv::BOB.0);
    assert!(env.storage_get(&key).is_some());
}

#[test]
fn aborts_are_errors_and_roll_back() {
    let env = setup();
    env.try_call(|| sample::deposit(10, "a".into())).unwrap();
    let before = env.storage_entries(&TestEnv::PROGRAM);
    let err = env.try_call(|| sample::deposit(0, "x".into())).unwrap_err();
    assert_eq!(err, Error::ZeroAmount.into());
    assert_eq!(err, ProgramError::new(1, "amount must be positive"));
    // A write before the abort is discarded, like on the node.
    let err = env
        .call(|| {
            sample::put_blob(1, vec![1]);
            molt_sdk::abort(77, "stop")
        })
        .unwrap_err();
    assert_eq!(err, ProgramError::new(77, "stop"));
    assert_eq!(env.storage_entries(&TestEnv::PROGRAM), before);
    assert_eq!(env.events().len(), 1);
    // Rust panics are code 0.
    let err = env.call(|| sample::double(u64::MAX)).unwrap_err();
    assert_eq!(err.code, 0);
    assert!(err.message.contains("overflow"), "{}", err.message);
}

#[test]
fn dispatcher_decodes_args_and_enforces_visibility_and_views() {
    let env = setup();
    let total: u128 = env
        .invoke(
            sample::__molt_dispatch,
            "deposit",
            &(3u128, String::from("t")),
        )
        .unwrap();
    assert_eq!(total, 3);
    let err = env
        .invoke_raw(sample::__molt_dispatch, "deposit", &[1, 2, 3])
        .unwrap_err();
    assert_eq!(err.code, codes::BAD_ARGUMENTS);
    assert!(err.message.contains("`deposit`"), "{}", err.message);
    // Trailing bytes are bad arguments too.
    let mut args = molt_sdk::borsh::to_vec(&(1u128, String::from("t"))).unwrap();
    args.push(0);
    assert_eq!(
        env.invoke_raw(sample::__molt_dispatch, "deposit", &args)
            .unwrap_err()
            .code,
        codes::BAD_ARGUMENTS
    );
    let err = env
        .invoke::<()>(sample::__molt_dispatch, "bump", &())
        .unwrap_err();
    assert_eq!(err.code, codes::NOT_CALLABLE);
    let err = env
        .invoke::<()>(sample::__molt_dispatch, "nope", &())
        .unwrap_err();
    assert_eq!(err.code, refusals::UNKNOWN_FUNCTION);
    assert_eq!(err.message, "package declares no function `nope`");
    let err = env
        .invoke::<()>(sample::__molt_dispatch, "bad_view", &())
        .unwrap_err();
    assert!(err.message.contains("view"), "{}", err.message);
    let shapes: Vec<Shape> = env
        .invoke(
            sample::__molt_dispatch,
            "shapes",
            &(Shape::Point(1, -2), (7u8, true), [1u16, 2, 3, 4], vec![9u8]),
        )
        .unwrap();
    assert_eq!(shapes, [Shape::Point(1, -2), Shape::Empty]);
}

#[test]
fn maps_iterate_in_key_byte_order() {
    let env = setup();
    env.call(|| {
        for k in [300u32, 2, 1, 256] {
            sample::put_blob(k, vec![]);
        }
    })
    .unwrap();
    // Little-endian u32 keys: byte order, not numeric order.
    assert_eq!(env.call(sample::blob_keys).unwrap(), [256, 1, 2, 300]);
}

#[test]
fn cross_program_calls_mocks_and_foreign_storage() {
    let env = setup();
    let err = env.call(sample::token_supply).unwrap_err();
    assert_eq!(err.code, refusals::UNKNOWN_PACKAGE);
    assert_eq!(
        err.message,
        format!("no package with id {}", sample::deps::TOKEN)
    );
    env.mock_call_typed(sample::deps::TOKEN, "supply", |(): ()| Ok(1_000u128));
    assert_eq!(env.call(sample::token_supply), Ok(1_000));
    env.mock_call(sample::deps::TOKEN, "supply", |_| {
        Err(ProgramError::new(9, "halted"))
    });
    assert_eq!(
        env.call(sample::token_supply),
        Err(ProgramError::new(9, "halted"))
    );

    // A registered program runs with its own namespace and sees the caller.
    let other = Address([7; 32]);
    env.register_program(other, sample::__molt_dispatch);
    env.call(|| sample::put_blob(1, vec![])).unwrap();
    let r: u128 = env.call(|| molt_sdk::call(&other, "total", &())).unwrap();
    assert_eq!(r, 0, "the callee reads its own namespace");
    let err = env
        .call(|| molt_sdk::call::<u128>(&other, "deposit", &(1u128, String::from("x"))))
        .unwrap_err();
    assert_eq!(
        err.code,
        codes::NOT_CALLABLE,
        "entry functions are not callable by programs"
    );

    env.set_foreign_item(&other, "total", &42u128);
    assert_eq!(env.call(|| sample::foreign_total(other)), Ok(Some(42)));
    assert_eq!(
        env.call(|| sample::foreign_total(Address([8; 32]))),
        Ok(None)
    );
}

#[test]
fn version_guard_blocks_old_versions_after_migrate() {
    let env = setup();
    env.try_call(|| sample::deposit(1, "a".into())).unwrap();
    // Only the admin (the init caller, ALICE) migrates.
    env.set_caller(TestEnv::BOB);
    assert_eq!(
        env.call(|| sample::migrate_to(2)).unwrap_err().code,
        codes::NOT_ADMIN
    );
    env.set_caller(TestEnv::ALICE);
    assert_eq!(
        env.call(|| sample::migrate_to(1)).unwrap_err().code,
        codes::BAD_MIGRATION
    );
    env.call(|| sample::migrate_to(2)).unwrap();
    let err = env.try_call(|| sample::deposit(1, "a".into())).unwrap_err();
    assert_eq!(err.code, codes::WRONG_VERSION);
    assert!(
        err.message.contains("version 1") && err.message.contains("version 2"),
        "{}",
        err.message
    );
    // Paused state: every guarded call fails until the next migrate.
    env.call(sample::pause).unwrap();
    assert_eq!(
        env.try_call(|| sample::deposit(1, "a".into()))
            .unwrap_err()
            .code,
        codes::PAUSED
    );
    env.call(|| sample::migrate_to(3)).unwrap();
}

#[test]
fn custom_constructor_sees_edition_and_caller() {
    let env = setup();
    env.call(sample::__molt_constructor).unwrap();
    env.set_edition(1);
    env.set_caller(TestEnv::BOB);
    assert_eq!(
        env.call(sample::__molt_constructor).unwrap_err(),
        Error::NotOwner.into()
    );
    env.set_caller(TestEnv::ALICE);
    env.call(sample::__molt_constructor).unwrap();
    let ctx = env.context();
    assert_eq!((ctx.edition, ctx.checksum), (1, TestEnv::CHECKSUM));
    env.set_checksum(Digest([1; 32]));
    assert_eq!(
        env.call(molt_sdk::context).unwrap().checksum,
        Digest([1; 32])
    );
}
