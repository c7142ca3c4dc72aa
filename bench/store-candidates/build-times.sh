#!/usr/bin/env bash
# Clean release build time of each candidate's dependency set, measured separately.
# Creates throwaway crates under target/buildtime/ (ignored), reuses this folder's
# Cargo.lock so versions match the benchmark, and builds each from an empty target dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/target/buildtime"
mkdir -p "$root"
only="${1:-}"  # optional: run only the candidate whose name starts with this
cand() { # name, deps (TOML lines), use-expr
  [[ -n "$only" && "$1" != "$only"* ]] && return 0
  local d="$root/$1"; rm -rf "$d"; mkdir -p "$d/src"
  printf '[package]\nname = "bt-%s"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\n%s\n' "$1" "$2" > "$d/Cargo.toml"
  printf 'fn main() { println!("{}", std::any::type_name::<%s>()); }\n' "$3" > "$d/src/main.rs"
  cp "$here/Cargo.lock" "$d/Cargo.lock"
  local TIMEFORMAT='%R %U %S' tm
  tm=$( { time (cd "$d" && cargo build --release --quiet --offline) ; } 2>&1 | tail -1 )
  read -r wall usr sys <<<"$tm"
  local n=$(cd "$d" && cargo metadata --format-version 1 --offline 2>/dev/null | python3 -c 'import json,sys; m=json.load(sys.stdin); print(len(m["resolve"]["nodes"])-1)')
  printf '%-20s wall %6.1f s   cpu (user+sys) %6.1f s   (%s crates in graph)\n' "$1" "$wall" "$(echo "$usr + $sys" | bc)" "$n"
}
echo "clean 'cargo build --release' wall time, $(nproc) cores, $(cargo --version)"
cand "c-redb"            'redb = "=4.5.0"' 'redb::Database'
cand "a-jmt-redb"        'redb = "=4.5.0"
jmt = "=0.12.0"
borsh = "1"
sha2 = "0.10"' 'jmt::KeyHash'
cand "b-commonware-qmdb" 'commonware-storage = "=2026.10.0"
commonware-runtime = "=2026.10.0"
commonware-cryptography = "=2026.10.0"
commonware-utils = "=2026.10.0"
commonware-parallel = "=2026.10.0"' 'commonware_storage::translator::EightCap'
