//! Functions and constructors returning `Result<_, ProgramError>`: the error
//! the function builds (here from another program's state) is the call's
//! error, code and message, as an `#[errors]` enum's would be.

use molt_sdk::testing::TestEnv;
use molt_sdk::{Address, ProgramError};

const REGISTRY: Address = Address([0x5e; 32]);

/// Upgrades are refused while the registry's `frozen` item holds a code.
#[molt_sdk::program(name = "gatekeeper")]
pub mod gatekeeper {
    use molt_sdk::prelude::*;

    pub const REGISTRY: Address = Address([0x5e; 32]);

    #[constructor(custom)]
    fn constructor() -> Result<(), ProgramError> {
        if context().edition == 0 {
            return Ok(());
        }
        match molt_sdk::foreign_item::<u32>(&REGISTRY, "frozen") {
            Some(code) => Err(ProgramError::new(
                code,
                "the registry froze upgrades of this package",
            )),
            None => Ok(()),
        }
    }

    #[public]
    fn checked_double(n: u64) -> Result<u64, ProgramError> {
        n.checked_mul(2)
            .ok_or_else(|| ProgramError::new(9, "the double does not fit in u64"))
    }
}

#[test]
fn a_constructor_returning_program_error_refuses_the_upgrade_with_its_code() {
    let env = TestEnv::new();
    env.set_foreign_item(&REGISTRY, "frozen", &42u32);
    // Publish (edition 0) is accepted whatever the registry says.
    env.call(gatekeeper::__molt_constructor).unwrap();
    env.set_edition(1);
    assert_eq!(
        env.call(gatekeeper::__molt_constructor),
        Err(ProgramError::new(
            42,
            "the registry froze upgrades of this package"
        ))
    );
}

#[test]
fn a_function_returning_program_error_fails_with_its_code() {
    let env = TestEnv::new();
    assert_eq!(env.try_call(|| gatekeeper::checked_double(21)), Ok(42));
    let r = env.invoke::<u64>(gatekeeper::__molt_dispatch, "checked_double", &u64::MAX);
    assert_eq!(
        r,
        Err(ProgramError::new(9, "the double does not fit in u64"))
    );
}
