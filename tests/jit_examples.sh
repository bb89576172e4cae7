#!/usr/bin/env bash
# Every example on every packet (and the assembled tcp_port on its packet):
# `run --json` under the JIT and the unchecked JIT must equal the
# interpreter's report byte for byte. Cheap enough for emulated builds
# (the arm64 cross suite runs it under qemu).
#   jit_examples.sh BPFSTEP SOURCE_DIR EXAMPLES_BUILD_DIR
# BS_WRAPPER: a command to run BPFSTEP through (an emulator), or empty.
set -u
bs=$1 src=$2 ex=$3
read -r -a wrap <<<"${BS_WRAPPER-}"
bsw() { "${wrap[@]}" "$bs" "$@"; }
pass=0 fail=0
if ! bsw run --raw "$ex/tcp_port.bin" --mem "$src/examples/http_syn.pkt" --engine jit >/dev/null 2>&1 &&
	bsw run --raw "$ex/tcp_port.bin" --mem "$src/examples/http_syn.pkt" --engine jit 2>&1 | grep -q "no JIT"; then
	echo "no JIT on this host; skipped"
	exit 77
fi
same() { # NAME ARGS...: the JIT's reports equal the interpreter's
	local name=$1 want got mode
	shift
	want=$(bsw run "$@" --json --engine interp 2>&1)
	for mode in "--engine jit" "--engine jit --jit-unchecked"; do
		# shellcheck disable=SC2086
		got=$(bsw run "$@" --json $mode 2>&1)
		if [ "$got" = "$want" ] && [ -n "$want" ]; then
			pass=$((pass + 1))
		else
			echo "FAIL $name $mode:"
			diff <(echo "$want") <(echo "$got") | head -20 | sed 's/^/    /'
			fail=$((fail + 1))
		fi
	done
}
same "tcp_port http_syn.pkt" --raw "$ex/tcp_port.bin" --mem "$src/examples/http_syn.pkt"
objs=0
for obj in "$ex"/*.bpf.o; do
	name=$(basename "$obj" .bpf.o)
	objs=$((objs + 1))
	for pkt in "$src/examples/${name}"_*.pkt; do
		[ -e "$pkt" ] || continue
		same "$name $(basename "$pkt")" "$obj" --data-in "$pkt"
	done
done
if [ "$objs" = 0 ]; then
	echo "FAIL no example objects in $ex"
	fail=$((fail + 1))
fi
echo "jit-examples: $pass passed, $fail failed ($objs objects, every packet, jit and unchecked jit = interp)"
[ "$fail" = 0 ]
