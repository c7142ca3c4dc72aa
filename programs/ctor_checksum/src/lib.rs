//! `ctor_checksum`: published with
//! `constructor(checksum(program = <registry>, item = "approved", key = self))`;
//! an upgrade is accepted only if `checksum_registry` (at the reserved test
//! address `0x7e57`) approved exactly the new module's checksum for this
//! package's original id.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program(constructor(checksum(program = "0x7e57", item = "approved", key = self)))]
pub mod ctor_checksum {
    use molt_sdk::prelude::*;

    #[public]
    #[view]
    fn version() -> u64 {
        context().version
    }
}

#[cfg(test)]
mod tests {
    use super::ctor_checksum as p;
    use checksum_registry::checksum_registry as registry;
    use molt_sdk::error::codes;
    use molt_sdk::testing::{TestEnv, interface::ConstructorPolicy};
    use molt_sdk::{Address, Digest};

    const REGISTRY: Address = Address::reserved(0x7e57);

    #[test]
    fn upgrade_needs_the_approved_checksum() {
        let env = TestEnv::new();
        env.call(p::__molt_constructor)
            .expect("publish is always accepted");
        env.set_edition(1);
        env.set_checksum(Digest([1; 32]));
        let err = env.call(p::__molt_constructor).unwrap_err();
        assert_eq!(err.code, codes::CONSTRUCTOR_REJECTED);
        assert!(
            err.message.contains("no checksum is approved"),
            "{}",
            err.message
        );

        // The registry program approves another checksum, then this one.
        env.register_program(REGISTRY, registry::__molt_dispatch);
        env.set_foreign_item(&REGISTRY, "admin", &TestEnv::ALICE);
        env.set_foreign_map_entry(&REGISTRY, "approved", &TestEnv::PROGRAM, &Digest([2; 32]));
        assert_eq!(
            env.call(p::__molt_constructor).unwrap_err().code,
            codes::CONSTRUCTOR_REJECTED
        );
        env.set_foreign_map_entry(&REGISTRY, "approved", &TestEnv::PROGRAM, &Digest([1; 32]));
        env.call(p::__molt_constructor).unwrap();

        let policy = p::__molt_interface().constructor.unwrap().policy;
        assert_eq!(
            policy,
            ConstructorPolicy::Checksum {
                program: REGISTRY,
                item: "approved".into(),
                key: vec![]
            }
        );
    }
}
