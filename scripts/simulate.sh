#!/usr/bin/env bash
# Runs the deterministic network simulation (crates/molt-consensus/tests/
# simulation.rs) for more seeds than the default one.
#
#   scripts/simulate.sh [seeds, comma separated; default 1,2,3,4,5]
#
# Each scenario (4 and 7 validators: lossy links, a partition that heals,
# crashes and restarts) runs twice per seed and must give the same result.
# A failure prints the seed: `MOLT_SIM_SEEDS=<seed> cargo test -p
# molt-consensus --test simulation` replays it exactly.
set -euo pipefail
cd "$(dirname "$0")/.."

seeds="${1:-1,2,3,4,5}"
MOLT_SIM_SEEDS="$seeds" cargo test -p molt-consensus --test simulation -- --nocapture
