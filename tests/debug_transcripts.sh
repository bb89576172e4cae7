#!/usr/bin/env bash
# Transcript tests of `bpfstep debug --batch`: each tests/debug_transcripts/NAME.gdb
# is a script whose first lines say how to start the debugger:
#   # args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt
#   # status: 0
# (OBJ: the built examples, SRC: the source tree, ASM/x.s: assembled first).
# Its output (stdout and stderr) must equal NAME.out byte for byte.
#   debug_transcripts.sh BPFSTEP SRCDIR OBJDIR [--update]
set -u
bpfstep=$(realpath "$1") src=$(realpath "$2") obj=$(realpath "$3") update=${4:-}
dir=$src/tests/debug_transcripts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp
pass=0 fail=0
for script in "$dir"/*.gdb; do
	name=$(basename "$script" .gdb)
	args=$(sed -n 's/^# args: //p' "$script" | head -1)
	want_status=$(sed -n 's/^# status: //p' "$script" | head -1)
	want_status=${want_status:-0}
	# assemble any ASM/NAME.s the arguments name
	for s in $(grep -o 'ASM/[A-Za-z0-9_]*\.s' <<<"$args"); do
		base=$(basename "$s" .s)
		"$bpfstep" asm "$dir/$base.s" -o "$tmp/$base.bin" || { echo "FAIL $name: asm"; fail=$((fail + 1)); continue 2; }
	done
	args=${args//OBJ\//$obj/}
	args=${args//SRC\//$src/}
	args=$(sed -E "s#ASM/([A-Za-z0-9_]*)\.s#$tmp/\1.bin#g" <<<"$args")
	# shellcheck disable=SC2086
	# paths that depend on where the tree is read as SRC/, OBJ/
	(cd "$tmp" && "$bpfstep" debug $args --batch -x "$script") 2>&1 |
		grep -v '^note: ' | sed -e "s#$src/#SRC/#g" -e "s#$obj/#OBJ/#g" >"$tmp/out"
	status=${PIPESTATUS[0]}
	echo "[exit status $status]" >>"$tmp/out"
	if [ "$update" = --update ]; then
		cp "$tmp/out" "$dir/$name.out"
	fi
	if [ "$status" != "$want_status" ]; then
		echo "FAIL $name: exit status $status, expected $want_status"
		fail=$((fail + 1))
	elif ! diff -u "$dir/$name.out" "$tmp/out" >"$tmp/diff"; then
		echo "FAIL $name: output differs"
		head -40 "$tmp/diff"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
echo "debug-transcripts: $pass passed, $fail failed"
[ "$fail" = 0 ]
