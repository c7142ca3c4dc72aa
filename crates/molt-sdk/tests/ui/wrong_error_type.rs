// A function's error type must be an #[errors] enum or ProgramError:
// reported at the error type.
#[molt_sdk::program]
mod p {
    use molt_sdk::prelude::*;

    #[constructor(custom)]
    fn constructor() -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
