//! The SDK end to end on the host: a small program compiled natively, its
//! generated interface, and the test host's behaviour.

mod coin;
mod compile_fail;
mod host;
mod import;
mod interface;
mod nested;
mod program_error;
mod upgrade;

/// A program exercising every kind of declaration.
#[molt_sdk::program(
    name = "sample",
    dependency(name = "token", original_id = "0x2a", version = 3)
)]
pub mod sample {
    use molt_sdk::prelude::*;

    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq, Default)]
    pub struct Position {
        pub owner: Address,
        pub amount: u128,
        pub tags: Vec<String>,
    }

    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub enum Shape {
        Empty,
        Point(i32, i32),
        Named { label: String, size: Option<u64> },
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Deposited {
        pub who: Address,
        pub amount: u128,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "amount must be positive")]
        ZeroAmount,
        /// The caller is not the owner.
        #[error(code = 2)]
        NotOwner,
    }

    #[storage]
    static TOTAL: Item<u128>;
    #[storage(name = "positions")]
    static POSITIONS: Map<Address, Position>;
    #[storage]
    static GUARD: VersionGuard;
    #[storage]
    static BLOBS: Map<u32, Vec<u8>>;

    pub const VERSION: u64 = 1;

    #[init]
    fn init() {
        TOTAL.set(&0);
        GUARD.init(VERSION, env::caller());
    }

    #[constructor(custom)]
    fn constructor() -> Result<(), Error> {
        // Upgrades only by the owner.
        let ctx = context();
        if ctx.edition > 0 && ctx.caller != ctx.owner {
            return Err(Error::NotOwner);
        }
        Ok(())
    }

    #[entry]
    fn deposit(amount: u128, tag: String) -> Result<u128, Error> {
        GUARD.check(VERSION);
        ensure!(amount > 0, Error::ZeroAmount);
        let who = env::caller();
        let mut p = POSITIONS.get(&who).unwrap_or_else(|| Position {
            owner: who,
            ..Default::default()
        });
        p.amount += amount;
        p.tags.push(tag);
        POSITIONS.set(&who, &p);
        let total = TOTAL.update(|t| *t += amount);
        Deposited { who, amount }.emit();
        Ok(total)
    }

    #[public]
    #[view]
    fn position(who: Address) -> Option<Position> {
        POSITIONS.get(&who)
    }

    #[view]
    fn total() -> u128 {
        TOTAL.get_or_default()
    }

    #[public]
    #[view]
    fn bad_view() {
        TOTAL.set(&7);
    }

    #[public]
    fn shapes(s: Shape, pair: (u8, bool), fixed: [u16; 4], raw: Vec<u8>) -> Vec<Shape> {
        let _ = (pair, fixed, raw);
        vec![s, Shape::Empty]
    }

    #[internal]
    fn bump() {
        TOTAL.update(|t| *t += 1);
    }

    #[public]
    fn put_blob(k: u32, v: Vec<u8>) {
        BLOBS.set(&k, &v);
    }

    #[public]
    fn blob_keys() -> Vec<u32> {
        BLOBS.iter().map(|(k, _)| k).collect()
    }

    #[public]
    fn token_supply() -> u128 {
        molt_sdk::call(&deps::TOKEN, "supply", &())
    }

    #[public]
    fn foreign_total(program: Address) -> Option<u128> {
        molt_sdk::foreign_item(&program, "total")
    }

    #[public]
    fn migrate_to(version: u64) {
        GUARD.migrate(version);
    }

    #[public]
    fn pause() {
        GUARD.pause();
    }

    /// A helper: plain Rust, not in the interface.
    pub fn double(x: u64) -> u64 {
        x * 2
    }
}
