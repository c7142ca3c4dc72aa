// A path that does not exist is reported at the path, saying what to do.
molt_sdk::import!(name = "counter", wasm = "../fixtures/no_such.wasm");

fn main() {}
