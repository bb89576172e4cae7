#!/usr/bin/env bash
# Runs the walkthrough of docs/debugger.md exactly as written: the session
# in the block after "<!-- walkthrough -->" starts with the `$ bpfstep debug`
# line; each "(bpfstep) CMD" line is a command and the lines after it are
# what it must print.
#   debug_walkthrough.sh BPFSTEP SRCDIR BUILDDIR
set -u
bpfstep=$(realpath "$1") src=$(realpath "$2") build=$(realpath "$3")
doc=$src/docs/debugger.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp
# the block: from the marker's fence to the closing fence
awk '/<!-- walkthrough -->/ {on = 1; next}
     on == 1 && /^```/ {on = 2; next}
     on == 2 && /^```/ {exit}
     on == 2 {print}' "$doc" >"$tmp/session"
first=$(head -1 "$tmp/session")
case "$first" in
'$ bpfstep debug '*) ;;
*) echo "debug-walkthrough: no '\$ bpfstep debug' line in docs/debugger.md"; exit 1 ;;
esac
args=${first#'$ bpfstep debug '}
args=${args//build\//$build/}
# commands, in order
exargs=()
while IFS= read -r line; do
	exargs+=(-ex "${line#'(bpfstep) '}")
done < <(grep '^(bpfstep) ' "$tmp/session")
tail -n +2 "$tmp/session" >"$tmp/want"
# shellcheck disable=SC2086
(cd "$src" && "$bpfstep" debug $args --batch "${exargs[@]}") 2>&1 |
	sed 's/^+/(bpfstep) /' >"$tmp/got"
if diff -u "$tmp/want" "$tmp/got"; then
	echo "debug-walkthrough: 1 passed, 0 failed"
	exit 0
fi
echo "debug-walkthrough: 0 passed, 1 failed"
exit 1
