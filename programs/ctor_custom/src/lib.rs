//! `ctor_custom`: a custom constructor implementing a timelock. The owner
//! announces an upgrade; the constructor accepts an upgrade by the owner
//! only once `DELAY` blocks have passed since the announcement.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod ctor_custom {
    use molt_sdk::prelude::*;

    /// Blocks between the announcement and the upgrade.
    pub const DELAY: u64 = 100;

    #[errors]
    pub enum Error {
        #[error(
            code = 1,
            message = "only the package owner may announce or perform an upgrade"
        )]
        NotOwner,
        #[error(code = 2, message = "announce the upgrade first")]
        NotAnnounced,
        #[error(code = 3, message = "the upgrade's timelock has not expired")]
        TooEarly,
    }

    /// Block height of the pending announcement.
    #[storage]
    static ANNOUNCED_AT: Item<u64>;

    /// Runs at publish (edition 0: accepted) and at every upgrade. At every
    /// upgrade the node runs this, the first version's code, with this
    /// version's `DELAY`, whatever a new version's module contains.
    #[constructor(custom)]
    fn constructor() -> Result<(), Error> {
        let ctx = context();
        if ctx.edition == 0 {
            return Ok(());
        }
        if ctx.caller != ctx.owner {
            return Err(Error::NotOwner);
        }
        let Some(at) = ANNOUNCED_AT.get() else {
            return Err(Error::NotAnnounced);
        };
        if ctx.block_height < at.saturating_add(DELAY) {
            return Err(Error::TooEarly);
        }
        ANNOUNCED_AT.remove();
        Ok(())
    }

    /// Owner only: starts the timelock.
    #[entry]
    fn announce_upgrade() -> Result<(), Error> {
        let ctx = context();
        ensure!(ctx.caller == ctx.owner, Error::NotOwner);
        ANNOUNCED_AT.set(&ctx.block_height);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ctor_custom::{self as p, Error};
    use molt_sdk::testing::{TestEnv, interface::ConstructorPolicy};

    #[test]
    fn timelocked_upgrade() {
        let env = TestEnv::new();
        env.call(p::__molt_constructor).unwrap();
        env.set_edition(1);
        env.set_block(10, 0);
        assert_eq!(
            env.call(p::__molt_constructor),
            Err(Error::NotAnnounced.into())
        );
        env.try_call(p::announce_upgrade).unwrap();
        env.set_block(109, 0);
        assert_eq!(env.call(p::__molt_constructor), Err(Error::TooEarly.into()));
        env.set_block(110, 0);
        env.set_caller(TestEnv::BOB);
        assert_eq!(env.call(p::__molt_constructor), Err(Error::NotOwner.into()));
        env.set_caller(TestEnv::ALICE);
        env.call(p::__molt_constructor).unwrap();
        assert_eq!(
            p::__molt_interface().constructor.unwrap().policy,
            ConstructorPolicy::Custom
        );
    }
}
