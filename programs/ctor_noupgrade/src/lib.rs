//! `ctor_noupgrade`: published with `constructor(noupgrade)`; every upgrade
//! is rejected by the constructor.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(constructor(noupgrade))]
pub mod ctor_noupgrade {
    use molt_sdk::prelude::*;

    #[public]
    #[view]
    fn version() -> u64 {
        context().version
    }
}

#[cfg(test)]
mod tests {
    use super::ctor_noupgrade as p;
    use molt_sdk::error::codes;
    use molt_sdk::testing::{TestEnv, interface::ConstructorPolicy};

    #[test]
    fn publish_passes_upgrade_fails() {
        let env = TestEnv::new();
        env.call(p::__molt_constructor).unwrap();
        env.set_edition(1);
        let err = env.call(p::__molt_constructor).unwrap_err();
        assert_eq!(err.code, codes::CONSTRUCTOR_REJECTED);
        assert_eq!(
            p::__molt_interface().constructor.unwrap().policy,
            ConstructorPolicy::NoUpgrade
        );
    }
}
