// Two storage items with one name: reported at the second.
#[molt_sdk::program]
mod p {
    use molt_sdk::prelude::*;

    #[storage]
    static TOTAL: Item<u64>;

    #[storage(name = "total")]
    static AGAIN: Item<u64>;
}

fn main() {}
