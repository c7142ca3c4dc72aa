#!/usr/bin/env bash
# The one command that mirrors CI: format check, clippy with warnings denied,
# then the whole test suite: the node's workspace (which builds the example
# programs and the framework to wasm32) and the native tests of the example
# programs and of the framework packages.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path programs/Cargo.toml --all -- --check
cargo fmt --manifest-path framework/Cargo.toml --all -- --check
echo "==> cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --manifest-path programs/Cargo.toml --workspace --all-targets --locked -- -D warnings
cargo clippy --manifest-path framework/Cargo.toml --workspace --all-targets --locked -- -D warnings
echo "==> cargo test (node workspace)"
cargo test --workspace --locked
echo "==> cargo test (example programs, native)"
cargo test --manifest-path programs/Cargo.toml --workspace --locked
echo "==> cargo test (framework packages, native)"
cargo test --manifest-path framework/Cargo.toml --workspace --locked
