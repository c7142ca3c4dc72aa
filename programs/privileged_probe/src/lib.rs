//! `privileged_probe`: calls each privileged host call (docs/framework.md)
//! on request. Published normally it is an ordinary program, and every call
//! is refused with `NotPrivileged`; the same bytes installed by genesis at a
//! framework address are admitted: privilege comes from where the package
//! lives (its original id), never from its code.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod privileged_probe {
    use molt_sdk::prelude::*;

    #[entry]
    fn upgrade(package: Address, module: Vec<u8>) {
        system::upgrade_package(&package, &module);
    }

    #[entry]
    fn set_params(params: Vec<u8>) {
        system::set_params(&params);
    }

    #[entry]
    fn set_next_validators(validators: Vec<(Address, [u8; 32], u64)>) {
        system::set_next_validators(&validators);
    }

    #[entry]
    fn end_epoch() {
        system::end_epoch();
    }

    #[entry]
    fn call_as_governance(package: Address, function: String, args: Vec<u8>) {
        system::call_as_governance(&package, &function, &args);
    }

    /// Not privileged: the current epoch, readable by any program.
    #[view]
    fn epoch() -> (u64, u64) {
        system::epoch()
    }
}

#[cfg(test)]
mod tests {
    use super::privileged_probe;
    use molt_sdk::Address;
    use molt_sdk::testing::{GovernanceEffect, TestEnv};

    #[test]
    fn the_native_host_refuses_privileged_calls_outside_the_framework() {
        let env = TestEnv::new();
        let err = env.call(privileged_probe::end_epoch).unwrap_err();
        assert_eq!(err.code, molt_sdk::system::NOT_PRIVILEGED);
        assert!(env.governance_effects().is_empty());
        env.set_package(Address::reserved(3), Address::reserved(3), 1);
        env.call(privileged_probe::end_epoch).unwrap();
        assert_eq!(env.governance_effects(), vec![GovernanceEffect::EndEpoch]);
    }
}
