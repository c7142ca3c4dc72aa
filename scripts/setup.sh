#!/usr/bin/env bash
# Installs what a fresh machine needs to build and test Molt:
# - rustfmt and clippy for the host toolchain,
# - a route to build Rust programs to wasm32-unknown-unknown,
# - promtool (Debian package prometheus), for the metrics test,
# - chromium and chromedriver (Debian packages chromium, chromium-driver),
#   for the dashboard's browser test.
#
# The wasm32 route, in order of preference (see docs/building-programs.md):
#   1. rustup's wasm32-unknown-unknown target, if rustup can install it;
#   2. Debian's rustc-web + rust-web-src + lld (build-std from source);
#   3. otherwise fail, naming what to install.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }

# promtool, which the metrics test runs (`promtool check metrics`). Debian
# ships it only in the `prometheus` package (about 19 MB to download, no
# recommends); there is no smaller package with it.
if ! command -v promtool >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing Debian package prometheus (for promtool)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    log "promtool is missing and cannot be installed here (not root, or no apt-get): the metrics test will fail; install the prometheus package"
  fi
fi

# A real headless browser for the dashboard test (WebDriver). About 100 MB
# with its libraries; installed once.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing Debian packages chromium chromium-driver (for the dashboard's browser test)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    log "chromium/chromedriver are missing and cannot be installed here (not root, or no apt-get): the dashboard test will fail; install chromium and chromium-driver"
  fi
fi

if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || log "could not add rustfmt/clippy with rustup (continuing)"
fi

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "wasm32 route: rustup target wasm32-unknown-unknown (already installed)"
  exit 0
fi
if rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  log "wasm32 route: rustup target wasm32-unknown-unknown (installed now)"
  exit 0
fi

have_debian_route() {
  [ -x /usr/bin/rustc ] && ls -d /usr/src/rustc-*/library >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1
}

if have_debian_route; then
  log "wasm32 route: Debian rustc-web + rust-web-src + lld (already installed)"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing Debian packages rustc-web cargo-web rust-web-src lld (one-time, ~1 minute)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src lld >/dev/null
fi

if have_debian_route; then
  log "wasm32 route: Debian rustc-web + rust-web-src + lld"
  exit 0
fi

log "no way to build wasm32 programs was found. Install one of:"
log "  rustup target add wasm32-unknown-unknown"
log "  apt-get install rustc-web cargo-web rust-web-src lld   (Debian)"
exit 1
