#!/usr/bin/env bash
# One target of the `fuzz` suite: every input of its corpus (the regression
# cases among them), then new inputs for SECONDS seconds. The checked-in
# corpus is only read; what the run finds goes to a temporary directory.
# usage: run_fuzz.sh TARGET CORPUS_DIR SECONDS
set -euo pipefail
target=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# -rss_limit_mb: a runaway allocation is a finding, not a slow test;
# -error_exitcode: libFuzzer's own, 77, is what meson counts as skipped
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$scratch/" "$scratch" "$corpus" 2>"$scratch/log" || {
	status=$?
	tail -n 60 "$scratch/log"
	for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
		[ -e "$f" ] && { echo "input: $f"; od -An -tx1 "$f" | head -20; }
	done
	exit "$status"
}
runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$scratch/log")
echo "fuzz: $(basename "$target"): $runs executions in ${seconds}s, no finding"
