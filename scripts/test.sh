#!/usr/bin/env bash
# The one command that mirrors CI: format check, clippy with warnings denied,
# then the whole test suite (which builds the example programs to wasm32).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
