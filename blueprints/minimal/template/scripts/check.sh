#!/usr/bin/env sh
# Everything CI checks, runnable before you push.
set -eu
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
