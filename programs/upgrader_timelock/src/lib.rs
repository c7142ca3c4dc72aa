//! `upgrader_timelock`: a timelocked upgrade policy written as an ordinary
//! program (DESIGN.md 2.2, upgrade tickets).
//!
//! Transfer a package's `UpgradeCap` to this program. Its admin (the
//! publisher) `announce`s an exact module digest for a cap; `DELAY` blocks
//! later anyone may send the upgrade with `authorize` as its ticket call
//! (`molt upgrade --ticket`), which consumes the announcement and issues the
//! upgrade ticket for that digest (`molt_sdk::upgrade::authorize`).
//! `authorize` refuses to run anywhere but in the ticket call of an `Upgrade`
//! transaction, and a failed upgrade undoes its ticket call, so the
//! announcement is consumed only by the upgrade it announced. The admin may
//! `cancel` an announcement at any time before.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod upgrader_timelock {
    use molt_sdk::prelude::*;

    /// Blocks between an announcement and the earliest authorization.
    pub const DELAY: u64 = 5;

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Announced {
        pub cap: Address,
        pub digest: Digest,
        pub at: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Cancelled {
        pub cap: Address,
        pub digest: Digest,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Authorized {
        pub cap: Address,
        pub digest: Digest,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "only the admin may announce or cancel an upgrade")]
        NotAdmin,
        #[error(
            code = 2,
            message = "this upgrade is already announced: cancel it first to restart the delay"
        )]
        AlreadyAnnounced,
        #[error(code = 3, message = "no announcement for this cap and digest")]
        NotAnnounced,
        #[error(
            code = 4,
            message = "the timelock has not expired: authorize at announced_at + delay() or later"
        )]
        TooEarly,
        #[error(
            code = 5,
            message = "authorize runs only as the ticket call of an Upgrade transaction (molt upgrade --ticket)"
        )]
        NotInUpgrade,
    }

    /// The publisher.
    #[storage]
    static ADMIN: Item<Address>;
    /// `(cap, digest)` -> block height of its announcement.
    #[storage]
    static ANNOUNCED: Map<(Address, Digest), u64>;

    #[init]
    fn init() {
        ADMIN.set(&env::caller());
    }

    /// Admin only: starts the timelock for upgrading through `cap` to the
    /// module with checksum `digest`.
    #[entry]
    fn announce(cap: Address, digest: Digest) -> Result<(), Error> {
        admin_only()?;
        let key = (cap, digest);
        ensure!(!ANNOUNCED.has(&key), Error::AlreadyAnnounced);
        let at = context().block_height;
        ANNOUNCED.set(&key, &at);
        Announced { cap, digest, at }.emit();
        Ok(())
    }

    /// Admin only: withdraws an announcement.
    #[entry]
    fn cancel(cap: Address, digest: Digest) -> Result<(), Error> {
        admin_only()?;
        ensure!(ANNOUNCED.remove(&(cap, digest)), Error::NotAnnounced);
        Cancelled { cap, digest }.emit();
        Ok(())
    }

    /// Anyone, from `announced_at + DELAY` on: issues the upgrade ticket for
    /// exactly `(cap, digest)` and consumes the announcement, as the ticket
    /// call of the upgrade. Fails (and changes nothing) outside the ticket
    /// call of an `Upgrade` transaction, or if the node refuses the ticket,
    /// e.g. when this program does not own `cap`.
    #[public]
    fn authorize(cap: Address, digest: Digest) -> Result<(), Error> {
        ensure!(env::in_ticket_call(), Error::NotInUpgrade);
        let key = (cap, digest);
        let at = ANNOUNCED.get(&key).ok_or(Error::NotAnnounced)?;
        ensure!(
            context().block_height >= at.saturating_add(DELAY),
            Error::TooEarly
        );
        ANNOUNCED.remove(&key);
        upgrade::authorize(&cap, &digest);
        Authorized { cap, digest }.emit();
        Ok(())
    }

    /// The delay in blocks: 5.
    #[view]
    fn delay() -> u64 {
        DELAY
    }

    /// The block height at which `(cap, digest)` was announced, if it is.
    #[view]
    fn announced_at(cap: Address, digest: Digest) -> Option<u64> {
        ANNOUNCED.get(&(cap, digest))
    }

    #[view]
    fn admin() -> Address {
        ADMIN.load()
    }

    fn admin_only() -> Result<(), Error> {
        ensure!(env::caller() == ADMIN.load(), Error::NotAdmin);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::upgrader_timelock::{self as p, Announced, Authorized, Cancelled, Error};
    use molt_sdk::testing::{TestEnv, UpgradeTicket};
    use molt_sdk::upgrade::NOT_AUTHORIZED;
    use molt_sdk::{Address, Digest};

    const CAP: Address = Address([0xca; 32]);
    const DIGEST: Digest = Digest([0xd1; 32]);

    /// Published by ALICE (the admin) at block 10; the cap owned by the
    /// program.
    fn setup() -> TestEnv {
        let env = TestEnv::new();
        env.set_block(10, 0);
        env.call(p::__molt_init).unwrap();
        env.add_cap(CAP, TestEnv::PROGRAM);
        // `authorize` runs as the ticket call of an upgrade.
        env.set_ticket_call(true);
        env
    }

    #[test]
    fn authorizes_after_the_delay_only() {
        let env = setup();
        env.try_call(|| p::announce(CAP, DIGEST)).unwrap();
        assert_eq!(env.call(|| p::announced_at(CAP, DIGEST)).unwrap(), Some(10));
        env.set_caller(TestEnv::BOB);
        env.set_block(14, 0);
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::TooEarly.into())
        );
        env.set_block(15, 0);
        env.try_call(|| p::authorize(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.tickets(),
            [UpgradeTicket {
                program: TestEnv::PROGRAM,
                cap: CAP,
                digest: DIGEST
            }]
        );
        assert_eq!(
            env.events_of::<Announced>(),
            [Announced {
                cap: CAP,
                digest: DIGEST,
                at: 10
            }]
        );
        assert_eq!(env.events_of::<Authorized>().len(), 1);
        // The announcement is consumed.
        env.take_tickets();
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotAnnounced.into())
        );
    }

    #[test]
    fn only_the_announced_digest() {
        let env = setup();
        env.try_call(|| p::announce(CAP, DIGEST)).unwrap();
        env.set_block(100, 0);
        assert_eq!(
            env.try_call(|| p::authorize(CAP, Digest([7; 32]))),
            Err(Error::NotAnnounced.into())
        );
        assert!(env.tickets().is_empty());
    }

    #[test]
    fn admin_only_announce_and_cancel() {
        let env = setup();
        env.set_caller(TestEnv::BOB);
        assert_eq!(
            env.try_call(|| p::announce(CAP, DIGEST)),
            Err(Error::NotAdmin.into())
        );
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::announce(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.try_call(|| p::announce(CAP, DIGEST)),
            Err(Error::AlreadyAnnounced.into())
        );
        env.set_caller(TestEnv::BOB);
        assert_eq!(
            env.try_call(|| p::cancel(CAP, DIGEST)),
            Err(Error::NotAdmin.into())
        );
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| p::cancel(CAP, DIGEST)).unwrap();
        assert_eq!(
            env.events_of::<Cancelled>(),
            [Cancelled {
                cap: CAP,
                digest: DIGEST
            }]
        );
        assert_eq!(
            env.try_call(|| p::cancel(CAP, DIGEST)),
            Err(Error::NotAnnounced.into())
        );
        env.set_block(100, 0);
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotAnnounced.into())
        );
        assert_eq!(env.call(p::admin).unwrap(), TestEnv::ALICE);
    }

    #[test]
    fn a_refused_ticket_keeps_the_announcement() {
        let env = setup();
        env.add_cap(CAP, TestEnv::BOB);
        env.try_call(|| p::announce(CAP, DIGEST)).unwrap();
        env.set_block(15, 0);
        let err = env.try_call(|| p::authorize(CAP, DIGEST)).unwrap_err();
        assert_eq!(err.code, NOT_AUTHORIZED);
        assert_eq!(env.call(|| p::announced_at(CAP, DIGEST)).unwrap(), Some(10));
        assert!(env.tickets().is_empty());
    }

    #[test]
    fn a_strangers_plain_call_leaves_the_announcement_usable() {
        let env = setup();
        env.try_call(|| p::announce(CAP, DIGEST)).unwrap();
        env.set_block(15, 0);
        env.set_ticket_call(false);
        env.set_caller(TestEnv::BOB);
        assert_eq!(
            env.try_call(|| p::authorize(CAP, DIGEST)),
            Err(Error::NotInUpgrade.into())
        );
        assert_eq!(env.call(|| p::announced_at(CAP, DIGEST)).unwrap(), Some(10));
        env.set_ticket_call(true);
        env.try_call(|| p::authorize(CAP, DIGEST)).unwrap();
        assert_eq!(env.tickets().len(), 1);
    }

    #[test]
    fn delay_is_a_view() {
        let env = setup();
        let delay: u64 = env.invoke(p::__molt_dispatch, "delay", &()).unwrap();
        assert_eq!(delay, p::DELAY);
        assert_eq!(delay, 5);
        let f = p::__molt_interface();
        assert!(f.function("delay").unwrap().view);
        assert!(!f.function("authorize").unwrap().view);
    }
}
