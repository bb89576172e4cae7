#!/usr/bin/env bash
# Source files that moved since compilation: an example compiled with its
# directory recorded as /moved/away (clang -fdebug-prefix-map), then found
# again with --source-dir, `directory` and `set substitute-path`; a file
# found nowhere degrades to the line info's text or the line number.
#   debug_sources.sh BPFSTEP CLANG SRCDIR
set -u
bpfstep=$(realpath "$1") clang=$2 src=$(realpath "$3")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp
pass=0 fail=0
ex=$src/examples
multiarch=$(cc -print-multiarch 2>/dev/null || true)
inc=()
[ -n "$multiarch" ] && inc=(-I"/usr/include/$multiarch")
if ! "$clang" -O2 -g -target bpf "${inc[@]}" -fdebug-prefix-map="$ex"=/moved/away \
	-c "$ex/pkt_counter.bpf.c" -o "$tmp/pc.o"; then
	echo "debug-sources: cannot compile the example"
	exit 1
fi
# check NAME WANT-GREP [NOT] -- ARGS...: the batch output contains (or with
# NOT does not contain) the fixed string WANT; the exit status is 0
check() {
	local name=$1 want=$2 neg=$3
	shift 4
	out=$("$bpfstep" debug "$@" --batch 2>&1)
	status=$?
	if [ "$status" != 0 ]; then
		echo "FAIL $name: exit status $status"
		echo "$out" | head -20
		fail=$((fail + 1))
		return
	fi
	if grep -qF -- "$want" <<<"$out"; then found=1; else found=0; fi
	if { [ "$neg" = no ] && [ $found = 1 ]; } || { [ "$neg" = yes ] && [ $found = 0 ]; }; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: ${neg/yes/unexpected}${neg/no/missing} '$want'"
		echo "$out" | head -30
		fail=$((fail + 1))
	fi
}
pkt=$ex/pkt_counter_tcp.pkt
comment='1	// SPDX-License-Identifier: MIT'
run=(-ex 'break 44' -ex run -ex 'list 1' -ex 'info source' -ex continue)
# the line table comes from DWARF, which keeps no text: the stop line
# shows the file's line when the file is found, else the line number only
stop='=> 23: (15) if r0 == 0x0 goto pc+4   ; if (c) {'
check "moved: no file, no error" "not readable here" no -- "$tmp/pc.o" --data-in "$pkt" "${run[@]}"
check "moved: the line number" "pkt_counter () at pkt_counter.bpf.c:44" no -- "$tmp/pc.o" --data-in "$pkt" "${run[@]}"
check "moved: no text" "$stop" yes -- "$tmp/pc.o" --data-in "$pkt" "${run[@]}"
check "moved: list has the line info's lines only" "$comment" yes -- "$tmp/pc.o" --data-in "$pkt" "${run[@]}"
check "--source-dir: the stop line's text" "$stop" no -- "$tmp/pc.o" --data-in "$pkt" --source-dir "$tmp/nowhere" --source-dir "$ex" "${run[@]}"
check "--source-dir: list" "$comment" no -- "$tmp/pc.o" --data-in "$pkt" --source-dir "$tmp/nowhere" --source-dir "$ex" "${run[@]}"
check "--source-dir: info source" "Located in $ex/pkt_counter.bpf.c" no -- "$tmp/pc.o" --data-in "$pkt" --source-dir "$ex" "${run[@]}"
check "directory" "$comment" no -- "$tmp/pc.o" --data-in "$pkt" -ex "directory $ex" "${run[@]}"
check "set substitute-path" "$stop" no -- "$tmp/pc.o" --data-in "$pkt" -ex "set substitute-path /moved/away $ex" "${run[@]}"
check "set substitute-path: list" "$comment" no -- "$tmp/pc.o" --data-in "$pkt" -ex "set substitute-path /moved/away $ex" "${run[@]}"
check "substitute-path of a part of a name does not apply" "$comment" yes -- "$tmp/pc.o" --data-in "$pkt" -ex "set substitute-path /moved/aw $ex" "${run[@]}"
echo "debug-sources: $pass passed, $fail failed"
[ "$fail" = 0 ]
