//! `ctor_custom_nodelay`: an attacker's copy of `ctor_custom` with its
//! timelock constant set to 0 and everything else, the constructor's tokens
//! included, unchanged; so its interface, constructor code digest included,
//! is identical to `ctor_custom`'s. Upgrading `ctor_custom` to it must not
//! skip the timelock: the node runs the first version's constructor code,
//! with the first version's `DELAY`. Only tests use it.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(name = "ctor_custom")]
pub mod ctor_custom {
    use molt_sdk::prelude::*;

    /// Blocks between the announcement and the upgrade.
    pub const DELAY: u64 = 0;

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

    /// Runs at publish (edition 0: accepted) and at every upgrade. Keep a
    /// custom constructor self-contained: its digest covers this function's
    /// tokens only.
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
    use molt_sdk::testing::TestEnv;

    #[test]
    fn its_own_constructor_skips_the_timelock() {
        let env = TestEnv::new();
        env.set_edition(1);
        env.set_block(10, 0);
        assert_eq!(
            env.call(p::__molt_constructor),
            Err(Error::NotAnnounced.into())
        );
        env.try_call(p::announce_upgrade).unwrap();
        env.call(p::__molt_constructor).unwrap();
    }
}
