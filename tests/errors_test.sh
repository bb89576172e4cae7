#!/usr/bin/env bash
# docs/errors.md kept true: runs the `Test:` command of every entry and checks
# that its output (stdout + stderr) contains the entry's `Message:` text and
# that it exits with the entry's `Exit:` status.
#   errors_test.sh BPFSTEP SOURCE_DIR   (env: BS_EXAMPLES_DIR, BS_TEST_OBJ_DIR)
set -u
bs=$1 src=$2
doc=$src/docs/errors.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

# ---- the @NAME files of the Test: lines ----
asm() { # NAME TEXT
	printf '%b' "$2" >"$tmp/$1.s"
	"$bs" asm "$tmp/$1.s" -o "$tmp/$1.bin" || { echo "FAIL: cannot assemble $1"; exit 1; }
}
asm ok 'r0 = 0\nexit\n'
asm r10 'r10 = 0\nexit\n'
asm jump_out 'goto +5\nexit\n'
asm no_exit 'r0 = 0\n'
asm bad_helper 'call 999\nexit\n'
asm stack 'r0 = *(u64 *)(r10 -520)\nexit\n'
asm pkt_end 'r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr0 = *(u8 *)(r3 +0)\nexit\n'
asm null 'r1 = 0\nr0 = *(u32 *)(r1 +0)\nexit\n'
asm ctx 'r0 = *(u32 *)(r1 +24)\nexit\n'
asm helper_arg 'r1 = 0x5ec2e7 ll\nr2 = 8\ncall bpf_trace_printk#6\nexit\n'
asm loop 'l:\ngoto l\nexit\n'
asm recurse 'f:\ncall f\nexit\n'
printf 'r0 = 1\nfrob r1\nexit\n' >"$tmp/bad.s"
printf '\xff\0\0\0\0\0\0\0\x95\0\0\0\0\0\0\0' >"$tmp/unknown_op.bin"
printf '\xb7\x30\0\0\x01\0\0\0\x95\0\0\0\0\0\0\0' >"$tmp/reserved.bin"
printf '\x05\0\x01\0\0\0\0\0\x18\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x95\0\0\0\0\0\0\0' >"$tmp/jump_lddw.bin"
printf '\xb7\0\0\0\0\0\0\0\x18\0\0\0\x01\0\0\0' >"$tmp/half_lddw.bin"
printf '\x85\x20\0\0\x05\0\0\0\x95\0\0\0\0\0\0\0' >"$tmp/kfunc.bin"
printf '\x95\0\0\0\0\0\0\0\0' >"$tmp/odd.bin"
: >"$tmp/empty"
head -c 8000008 /dev/zero >"$tmp/big.bin"
echo garbage >"$tmp/garbage"
printf '\x9f\xeb\x01\x00\x18\0\0\0\0\0\0\0\xff\0\0\0\0\0\0\0\0\0\0\0' >"$tmp/bad_btf"
echo '{"blocked": {"entries": [{"key": "00", "value": "00"}]}}' >"$tmp/badkey.json"
head -c 100 "$BS_EXAMPLES_DIR/xdp_firewall.bpf.o" >"$tmp/truncated.o"
ln -s "$BS_EXAMPLES_DIR/xdp_firewall.bpf.o" "$tmp/xdp.o"
ln -s "$BS_TEST_OBJ_DIR/ktime.o" "$tmp/ktime.o"
ln -s "$src/examples/http_syn.pkt" "$tmp/pkt"
ln -s "$src/tests/data/pcap/truncated.pcap" "$tmp/truncated.pcap"
ln -s "$src/tests/data/pcap/wifi.pcap" "$tmp/wifi.pcap"
ln -s "$src/tests/data/pcap/bad_caplen.pcap" "$tmp/bad_caplen.pcap"
ln -s "$(command -v ls)" "$tmp/host_elf"
# @missing and @nodir/... do not exist

# bpf() as root: the kernel comparison entries need it, or need it gone
have_bpf=0
"$bs" run "$tmp/xdp.o" --data-in "$tmp/pkt" --compare-kernel --engine interp >/dev/null 2>&1 &&
	have_bpf=1

run_entry() { # TITLE MESSAGE EXIT MODE COMMAND
	local title=$1 msg=$2 want=$3 mode=$4 cmd=$5 out status
	cmd=${cmd//@/$tmp/}
	msg=${msg//@/$tmp/}
	# words as the shell splits them: 'quoted words' stay one argument
	local -a argv
	eval "argv=($cmd)"
	[ "${argv[0]}" = bpfstep ] || { echo "FAIL $title: a Test: line must start with bpfstep"; fail=$((fail + 1)); return; }
	argv[0]=$bs
	case $mode in
	privileged)
		if ((!have_bpf)); then skip=$((skip + 1)); return; fi ;;
	unprivileged)
		if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
			argv=(setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all "${argv[@]}")
		elif ((have_bpf)); then
			skip=$((skip + 1)); return
		fi ;;
	esac
	out=$("${argv[@]}" 2>&1)
	status=$?
	if [ "$status" != "$want" ] || [[ "$out" != *"$msg"* ]]; then
		echo "FAIL $title: status $status (want $want), output:"
		echo "$out" | sed 's/^/    /' | head -12
		echo "    (wanted to contain: $msg)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

# ---- the entries ----
title='' msg='' want='' entries=0
while IFS= read -r line; do
	case $line in
	'### '*) title=${line#'### '} msg='' want='' ;;
	'- Message: `'*) msg=${line#'- Message: `'} msg=${msg%'`'} ;;
	'- Exit: '*) want=${line#'- Exit: '} ;;
	'- Test'*': `'*)
		mode=plain
		[[ $line == '- Test (with bpf()):'* ]] && mode=privileged
		[[ $line == '- Test (without privileges):'* ]] && mode=unprivileged
		cmd=${line#*': `'} cmd=${cmd%'`'}
		entries=$((entries + 1))
		if [ -z "$title" ] || [ -z "$msg" ] || [ -z "$want" ]; then
			echo "FAIL: docs/errors.md entry '$title' needs Message:, Exit: and Test: in that order"
			fail=$((fail + 1))
			continue
		fi
		run_entry "$title" "$msg" "$want" "$mode" "$cmd"
		title='' ;;
	esac
done <"$doc"

# every entry has its test: a heading without one is an error too
headings=$(awk '/^## Usage/{on=1} on && /^### /{n++} END{print n+0}' "$doc")
if [ "$headings" != "$entries" ]; then
	echo "FAIL: docs/errors.md has $headings entries but $entries Test: lines"
	fail=$((fail + 1))
fi
echo "errors: $entries catalogued errors, $pass passed, $fail failed, $skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
