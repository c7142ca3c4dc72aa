#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time.
#
#   scripts/fuzz.sh [seconds per target, default 30]
#
# cargo-fuzz needs nightly-only compiler flags; on a stable toolchain
# RUSTC_BOOTSTRAP=1 unlocks them. Installs cargo-fuzz when it is missing.
# The same targets also run, bounded, in `cargo test -p molt-vm`
# (tests/it/robustness.rs) on plain stable.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
for target in interface_decode module_validate; do
    echo "==> fuzz $target for ${seconds}s"
    cargo fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="$seconds"
done
