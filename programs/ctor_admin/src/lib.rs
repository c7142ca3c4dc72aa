//! `ctor_admin`: published with `constructor(admin = ..)`; only that address
//! may upgrade (here the dev chain's account `dev1`, so the constructor can be
//! exercised on `molt node --dev`).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(constructor(
    admin = "0xdba4e56c3b02d5ab4e4060da02b7ebeace0090fac5e2999b3195960187199458"
))]
pub mod ctor_admin {
    use molt_sdk::prelude::*;

    #[public]
    #[view]
    fn version() -> u64 {
        context().version
    }
}

#[cfg(test)]
mod tests {
    use super::ctor_admin as p;
    use molt_sdk::error::codes;
    use molt_sdk::prelude::Address;
    use molt_sdk::testing::{TestEnv, interface::ConstructorPolicy};

    /// `dev1` of the dev chain.
    const ADMIN: Address = Address([
        0xdb, 0xa4, 0xe5, 0x6c, 0x3b, 0x02, 0xd5, 0xab, 0x4e, 0x40, 0x60, 0xda, 0x02, 0xb7, 0xeb,
        0xea, 0xce, 0x00, 0x90, 0xfa, 0xc5, 0xe2, 0x99, 0x9b, 0x31, 0x95, 0x96, 0x01, 0x87, 0x19,
        0x94, 0x58,
    ]);

    #[test]
    fn only_the_admin_upgrades() {
        let env = TestEnv::new();
        env.set_caller(TestEnv::BOB);
        env.call(p::__molt_constructor).expect("anyone may publish");
        env.set_edition(1);
        assert_eq!(
            env.call(p::__molt_constructor).unwrap_err().code,
            codes::CONSTRUCTOR_REJECTED
        );
        env.set_caller(ADMIN);
        env.call(p::__molt_constructor).unwrap();
        assert_eq!(
            p::__molt_interface().constructor.unwrap().policy,
            ConstructorPolicy::Admin(ADMIN)
        );
    }
}
