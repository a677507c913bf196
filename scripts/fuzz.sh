#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 30; CI passes a short time, use 3600
# or more for a real hunt). Installs cargo-fuzz when missing. The stable toolchain is told to
# accept the nightly-only instrumentation flags (RUSTC_BOOTSTRAP), so no nightly is needed.
# A crash leaves its input in fuzz/artifacts/TARGET/: add it as a regression test, then fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi

export RUSTC_BOOTSTRAP=1
for target in alert config template; do
  mkdir -p "fuzz/corpus/$target"
  echo "== fuzz $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
