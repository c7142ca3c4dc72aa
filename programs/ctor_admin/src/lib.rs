//! `ctor_admin`: published with `constructor(admin = ..)`; only that address
//! may upgrade (here the test account `TestEnv::ALICE`, `0xa1a1..a1`).
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(constructor(
    admin = "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
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
    use molt_sdk::testing::{TestEnv, interface::ConstructorPolicy};

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
        env.set_caller(TestEnv::ALICE);
        env.call(p::__molt_constructor).unwrap();
        assert_eq!(
            p::__molt_interface().constructor.unwrap().policy,
            ConstructorPolicy::Admin(TestEnv::ALICE)
        );
    }
}
