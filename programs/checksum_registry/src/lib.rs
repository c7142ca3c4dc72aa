//! `checksum_registry`: approved module checksums, for packages published
//! with the built-in constructor
//! `constructor(checksum(program = "<this registry>", item = "approved", key = self))`.
//!
//! The admin (the publisher) approves the checksum of the next version of a
//! package; that package's constructor then accepts an upgrade only to
//! exactly those module bytes. In a real deployment the admin would be a
//! governance or multisig program.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod checksum_registry {
    use molt_sdk::prelude::*;

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Approved {
        pub program: Address,
        pub checksum: Digest,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct Revoked {
        pub program: Address,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "only the registry's admin may approve checksums")]
        NotAdmin,
    }

    #[storage]
    static ADMIN: Item<Address>;
    /// Program original id -> the checksum its next upgrade must have. The
    /// name and key encoding are what checksum constructors read.
    #[storage]
    static APPROVED: Map<Address, Digest>;

    #[init]
    fn init() {
        ADMIN.set(&env::caller());
    }

    /// Admin only: approves `checksum` as the next module of `program`.
    #[public]
    fn approve(program: Address, checksum: Digest) -> Result<(), Error> {
        ensure!(env::caller() == ADMIN.load(), Error::NotAdmin);
        APPROVED.set(&program, &checksum);
        Approved { program, checksum }.emit();
        Ok(())
    }

    /// Admin only: withdraws the approval for `program`.
    #[public]
    fn revoke(program: Address) -> Result<(), Error> {
        ensure!(env::caller() == ADMIN.load(), Error::NotAdmin);
        if APPROVED.remove(&program) {
            Revoked { program }.emit();
        }
        Ok(())
    }

    #[public]
    #[view]
    fn approved(program: Address) -> Option<Digest> {
        APPROVED.get(&program)
    }
}

#[cfg(test)]
mod tests {
    use super::checksum_registry::{self as registry, Approved, Error};
    use molt_sdk::testing::TestEnv;
    use molt_sdk::{Address, Digest};

    #[test]
    fn admin_approves_and_revokes() {
        let env = TestEnv::new();
        env.call(registry::init).unwrap();
        let program = Address([9; 32]);
        let sum = Digest([7; 32]);
        env.try_call(|| registry::approve(program, sum)).unwrap();
        assert_eq!(env.call(|| registry::approved(program)), Ok(Some(sum)));
        assert_eq!(
            env.events_of::<Approved>(),
            [Approved {
                program,
                checksum: sum
            }]
        );
        // The layout checksum constructors read: "approved/" ++ borsh(id).
        let mut key = b"approved/".to_vec();
        key.extend_from_slice(&program.0);
        assert_eq!(env.storage_get(&key), Some(sum.0.to_vec()));

        env.set_caller(TestEnv::BOB);
        assert_eq!(
            env.try_call(|| registry::approve(program, sum)),
            Err(Error::NotAdmin.into())
        );
        env.set_caller(TestEnv::ALICE);
        env.try_call(|| registry::revoke(program)).unwrap();
        assert_eq!(env.call(|| registry::approved(program)), Ok(None));
    }
}
