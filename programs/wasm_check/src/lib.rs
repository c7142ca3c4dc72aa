//! Checks the built program modules: interface section, exports, no
//! floats/SIMD/threads. The checks are tests (`tests/modules.rs`); build the
//! modules first (docs/writing-programs.md), then `cargo test -p wasm_check`.
#![no_std]
