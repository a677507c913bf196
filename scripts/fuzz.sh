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
mkdir -p fuzz/logs
for target in alert config template expr http k8saudit_rules k8saudit_body spool; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/logs/$target.log"
  if cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
    echo "fuzz $target: ${runs:-?} runs in ${seconds}s, no crash (log: $log)"
  else
    echo "fuzz $target: FAILED; the input is in fuzz/artifacts/$target/" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
done
