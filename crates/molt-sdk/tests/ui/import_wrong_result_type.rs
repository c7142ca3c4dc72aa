// counter_v1's `owner` returns an Address, not a u64.
molt_sdk::import!(name = "counter", wasm = "../fixtures/counter_v1.wasm", address = "0xc0");

#[molt_sdk::program]
mod p {
    #[public]
    fn go() -> u64 {
        super::counter::owner()
    }
}

fn main() {}
