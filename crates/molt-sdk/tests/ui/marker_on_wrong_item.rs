// A marker on an item it does not go on is reported at the marker.
#[molt_sdk::program]
mod p {
    use molt_sdk::prelude::*;

    #[public]
    fn fine() -> u64 {
        1
    }

    #[storage]
    fn not_storage() {}
}

fn main() {}
