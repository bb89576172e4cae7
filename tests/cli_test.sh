#!/usr/bin/env bash
# End-to-end tests of every command and flag of bpfstep and of the
# conformance plugin: output, exit status, and error messages.
#   cli_test.sh BPFSTEP PLUGIN SOURCE_DIR
set -u
bs=$1 plugin=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# check NAME WANT_STATUS WANT_SUBSTRING -- CMD...   (stdout+stderr searched)
check() {
	local name=$1 want=$2 needle=$3
	shift 4
	local out status
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" != "$want" ] || [[ "$out" != *"$needle"* ]]; then
		echo "FAIL $name: status $status (want $want), output:"
		echo "$out" | sed 's/^/    /' | head -20
		echo "    (wanted to contain: $needle)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

printf '%s\n' 'mov %r0, 0' 'ldxb %r0, [%r1+2]' 'exit' >"$tmp/ldxb.s"
printf '%s\n' 'r0 = 7' 'r0 += 3' 'exit' >"$tmp/clike.s"
printf '%s\n' 'ja -1' 'exit' >"$tmp/loop.s"
printf '%s\n' 'ldxw %r0, [%r1+60]' 'exit' >"$tmp/oob.s"
printf '\xaa\xbb\x11\xcc' >"$tmp/mem.bin"

# bpfstep itself
check "main --help" 0 "Commands:" -- "$bs" --help
check "main no args" 2 "Usage: bpfstep" -- "$bs"
check "main --version" 0 "bpfstep 0." -- "$bs" --version
check "main help run" 0 "--mem FILE" -- "$bs" help run
check "main help unknown" 2 "unknown command" -- "$bs" help frob
check "main unknown command" 2 "unknown command 'frob'" -- "$bs" frob

# asm
check "asm --help" 0 "Usage: bpfstep asm" -- "$bs" asm --help
check "asm conformance dialect" 0 "" -- "$bs" asm "$tmp/ldxb.s" -o "$tmp/ldxb.bin"
check "asm output bytes" 0 "b7 00 00 00 00 00 00 00 71 10 02 00 00 00 00 00 95" -- \
	od -An -tx1 -w24 "$tmp/ldxb.bin"
check "asm C-like dialect" 0 "" -- "$bs" asm "$tmp/clike.s" -o "$tmp/clike.bin"
check "asm --output long form" 0 "" -- "$bs" asm "$tmp/loop.s" --output "$tmp/loop.bin"
check "asm -o -" 0 "" -- "$bs" asm "$tmp/oob.s" -o -
"$bs" asm "$tmp/oob.s" -o "$tmp/oob.bin"
check "asm without -o" 2 "an output file is required" -- "$bs" asm "$tmp/ldxb.s"
check "asm without input" 2 "an input file is required" -- "$bs" asm -o "$tmp/x.bin"
check "asm missing file" 1 "cannot open" -- "$bs" asm "$tmp/none.s" -o "$tmp/x.bin"
printf 'mov %%r0, 0\nfrobnicate %%r1\nexit\n' >"$tmp/bad.s"
check "asm syntax error names the line" 1 "bad.s:2" -- "$bs" asm "$tmp/bad.s" -o "$tmp/x.bin"
check "asm unknown option" 2 "unknown option '--frob'" -- "$bs" asm --frob

# run
check "run --help" 0 "--budget N" -- "$bs" run --help
check "run --raw --mem" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin"
check "run counts instructions" 0 "Instructions executed: 3" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin"
check "run C-like program" 0 "Return value: 10" -- "$bs" run --raw "$tmp/clike.bin"
check "run --json" 0 '{"retval": 17, "data_out": "aabb11cc", "ctx_out": null, "duration_ns": null, "repeat": 1, "insns_executed": 3, "trace": [], "ringbuf": [], "perf": [], "maps": {}, "redirect": null, "clones": [], "error": null}' -- \
	"$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --json
check "run --engine interp" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --engine interp
check "run --engine jit" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --engine jit
check "run --jit-unchecked" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --engine jit --jit-unchecked
check "run --engine jit budget" 1 "budget of 50 instructions" -- "$bs" run --raw "$tmp/loop.bin" --budget 50 --engine jit
check "run --engine jit out of bounds" 1 "at pc 0: r0 = *(u32 *)(r1 +60)" -- "$bs" run --raw "$tmp/oob.bin" --mem "$tmp/mem.bin" --engine jit
check "run --engine bad" 2 "--engine must be interp or jit" -- "$bs" run --raw "$tmp/ldxb.bin" --engine fast
check "run --dispatch switch" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --dispatch switch
check "run --dispatch bad" 2 "--dispatch must be goto or switch" -- "$bs" run --raw "$tmp/ldxb.bin" --dispatch x
check "run budget stops a loop" 1 "instruction budget of 1000000" -- "$bs" run --raw "$tmp/loop.bin"
check "run --budget N" 1 "budget of 50 instructions" -- "$bs" run --raw "$tmp/loop.bin" --budget 50
check "run --budget json" 1 '"kind": "budget"' -- "$bs" run --raw "$tmp/loop.bin" --budget 50 --json
check "run --budget bad" 2 "--budget needs a non-negative number" -- "$bs" run --raw "$tmp/loop.bin" --budget -1
check "run out of bounds" 1 "invalid read of mem off=60 size=4" -- "$bs" run --raw "$tmp/oob.bin" --mem "$tmp/mem.bin"
check "run out of bounds names pc" 1 "at pc 0: r0 = *(u32 *)(r1 +60)" -- "$bs" run --raw "$tmp/oob.bin" --mem "$tmp/mem.bin"
check "run error json" 1 '"pc": 0, "insn": "r0 = *(u32 *)(r1 +60)"' -- "$bs" run --raw "$tmp/oob.bin" --mem "$tmp/mem.bin" --json
check "run without --raw" 2 "a program is required" -- "$bs" run
check "run missing value" 2 "needs a value" -- "$bs" run --raw
check "run extra argument" 2 "unexpected argument" -- "$bs" run --raw "$tmp/ldxb.bin" extra
printf '\x95\x00\x00' >"$tmp/trunc.bin"
check "run truncated program" 1 "partial one" -- "$bs" run --raw "$tmp/trunc.bin"
printf '\xff\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$tmp/badop.bin"
check "run unknown opcode" 1 "unknown opcode ff" -- "$bs" run --raw "$tmp/badop.bin"
printf '\x85\x00\x00\x00\x01\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$tmp/lookup.bin"
check "run helper not available" 1 "helper bpf_map_lookup_elem#1 is not" -- "$bs" run --raw "$tmp/lookup.bin"
check "run missing --mem file" 1 "cannot open" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/none"

# dump
check "dump --help" 0 "Usage: bpfstep dump" -- "$bs" dump --help
check "dump --raw" 0 "   1: (71) r0 = *(u8 *)(r1 +2)" -- "$bs" dump --raw "$tmp/ldxb.bin"
check "dump xlated" 0 "   2: (95) exit" -- "$bs" dump --raw "$tmp/ldxb.bin" xlated
check "dump opcodes" 0 "       71 10 02 00 00 00 00 00" -- "$bs" dump --raw "$tmp/ldxb.bin" opcodes
check "dump bad keyword" 2 "unknown keyword 'frob'" -- "$bs" dump --raw "$tmp/ldxb.bin" frob
check "dump jited" 0 "   1: (71) r0 = *(u8 *)(r1 +2)" -- "$bs" dump --raw "$tmp/ldxb.bin" jited
check "dump jited native code" 0 "movzx" -- "$bs" dump --raw "$tmp/ldxb.bin" jited
check "dump jited opcodes" 0 "49 83 e9 03" -- "$bs" dump --raw "$tmp/ldxb.bin" jited opcodes
check "dump invalid program" 1 "unknown opcode ff" -- "$bs" dump --raw "$tmp/badop.bin"
# r2 = 0; loop: r3 = r1; r3 += r2; r4 = *(u8 *)(r3 + 0); r2 += 1; if r2 != 8 goto loop
printf '\xb7\x02\0\0\0\0\0\0\xbf\x13\0\0\0\0\0\0\x0f\x23\0\0\0\0\0\0\x71\x34\0\0\0\0\0\0\x07\x02\0\0\x01\0\0\0\x55\x02\xfb\xff\x08\0\0\0\xb7\0\0\0\0\0\0\0\x95\0\0\0\0\0\0\0' >"$tmp/count.bin"
if [ "$(uname -m)" = x86_64 ]; then
	check "dump jited loop copy" 0 "loop 1-5 without memory checks (taken when the check at 1 passes):" -- "$bs" dump --raw "$tmp/count.bin" jited
fi
check "dump without --raw" 2 "a program is required" -- "$bs" dump

# the example the README runs
check "example" 0 "Return value: 80" -- "$bs" run --raw "$BS_EXAMPLE_BIN" --mem "$src/examples/http_syn.pkt"

# conformance plugin
hex=$(od -An -tx1 -v "$tmp/ldxb.bin" | tr -d '\n')
check "plugin --help" 0 "bpf_conformance" -- "$plugin" --help
check "plugin runs with MEM" 0 "11" -- sh -c "echo '$hex' | '$plugin' 'aa  bb  11  cc  '"
check "plugin --engine interp" 0 "11" -- sh -c "echo '$hex' | '$plugin' 'aa  bb  11  cc  ' --engine interp"
check "plugin --engine jit" 0 "11" -- sh -c "echo '$hex' | '$plugin' 'aa  bb  11  cc  ' --engine jit"
loophex=$(od -An -tx1 -v "$tmp/loop.bin" | tr -d '\n')
check "plugin --budget" 1 "budget of 10 instructions" -- sh -c "echo '$loophex' | '$plugin' --budget 10"
check "plugin --elf refused" 1 "ELF input is not supported" -- sh -c "echo '$hex' | '$plugin' --elf"
check "plugin bad hex" 1 "bad hex" -- sh -c "echo 'zz' | '$plugin'"
check "plugin odd length" 1 "multiple of 8" -- sh -c "echo '95 00' | '$plugin'"
check "plugin unknown flag" 2 "unknown argument" -- sh -c "echo '$hex' | '$plugin' --frob"

# dump of ELF objects: the examples (examples/*.bpf.c, docs/examples.md) and
# the loader's test objects (tests/data/loader/*.c), built by meson
ex=${BS_EXAMPLES_DIR:-} ldr=${BS_LOADER_OBJ_DIR:-}
# check_not NAME UNWANTED_SUBSTRING -- CMD...   (status 0 and no such text)
check_not() {
	local name=$1 needle=$2
	shift 3
	local out status
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" != 0 ] || [[ "$out" == *"$needle"* ]]; then
		echo "FAIL $name: status $status, output:"
		echo "$out" | sed 's/^/    /' | head -20
		echo "    (wanted not to contain: $needle)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
# the JIT's fused pairs and multiplications by shaped constants (docs/jit.md)
printf '%s\n' 'r0 = r1' 'r0 *= 3' 'r0 >>= 3' 'r0 &= 0x1fffffff' 'r0 *= 31' 'r0 <<= 32' 'r0 s>>= 32' \
	'exit' >"$tmp/peep.s"
"$bs" asm "$tmp/peep.s" -o "$tmp/peep.bin"
if [ "$(uname -m)" = x86_64 ]; then
	check "dump jited: times 3 is a lea" 0 "lea	rax, [rax + rax*2]" -- "$bs" dump --raw "$tmp/peep.bin" jited
	check "dump jited: shift and mask are one shift" 0 "shr	eax, 3" -- "$bs" dump --raw "$tmp/peep.bin" jited
	check "dump jited: times 31 is a shift and a sub" 0 "shl	rax, 5" -- "$bs" dump --raw "$tmp/peep.bin" jited
	check "dump jited: << 32 s>> 32 is one movsxd" 0 "movsxd	rax, eax" -- "$bs" dump --raw "$tmp/peep.bin" jited
	check_not "dump jited: no imul of r0" "imul	rax" -- "$bs" dump --raw "$tmp/peep.bin" jited
	check_not "dump jited: the mask has no code" "and	rax" -- "$bs" dump --raw "$tmp/peep.bin" jited
fi
if [ -z "$ex" ] || [ -z "$ldr" ]; then
	echo "FAIL dump objects: BS_EXAMPLES_DIR and BS_LOADER_OBJ_DIR must be set (tests/meson.build)"
	fail=$((fail + 1))
else
	check "dump object: first program" 0 "prog 'xdp_sum' (section xdp, type xdp):" -- "$bs" dump "$ex/subprogs.bpf.o"
	check "dump object: second program" 0 "prog 'tc_len' (section tc, type sched_cls):" -- "$bs" dump "$ex/subprogs.bpf.o"
	check "dump object: function labels" 0 "csum_words:" -- "$bs" dump "$ex/subprogs.bpf.o"
	check "dump object: bpf-to-bpf call" 0 "   3: (85) call pc+8" -- "$bs" dump "$ex/subprogs.bpf.o"
	check "dump object --prog NAME" 0 "pkt_len_skb:" -- "$bs" dump "$ex/subprogs.bpf.o" --prog tc_len
	check_not "dump --prog shows that program only" "xdp_sum" -- "$bs" dump "$ex/subprogs.bpf.o" --prog tc_len
	check_not "dump --prog prints no prog header" "prog '" -- "$bs" dump "$ex/subprogs.bpf.o" --prog tc_len
	check "dump --prog SECTION" 0 "call bpf_skb_load_bytes#26" -- "$bs" dump "$ex/sock_filter.bpf.o" --prog socket
	# lddw's second slot has no line of its own: the call after it has its code
	check "dump jited after a lddw" 0 "  20: (85) call bpf_map_lookup_elem#1" -- "$bs" dump "$ex/xdp_firewall.bpf.o" jited
	check_not "dump jited: no second-slot line" "BUG_ld" -- "$bs" dump "$ex/xdp_firewall.bpf.o" jited
	check "dump socket filter" 0 "prog 'sock_filter' (section socket, type socket_filter):" -- "$bs" dump "$ex/sock_filter.bpf.o"
	check "dump global data" 0 "call bpf_trace_printk#6" -- "$bs" dump "$ex/globals.bpf.o"
	check "dump global data reference" 0 "(18) r1 = map[globals.data]+0" -- "$bs" dump "$ex/globals.bpf.o" --prog globals
	check "dump object opcodes" 0 "       95 00 00 00 00 00 00 00" -- "$bs" dump "$ex/globals.bpf.o" opcodes
	check "dump object xlated" 0 "(95) exit" -- "$bs" dump "$ex/sock_filter.bpf.o" xlated
	check "dump --prog unknown" 1 "has no program 'nope'; it has: xdp_sum (xdp), tc_len (tc)" -- \
		"$bs" dump "$ex/subprogs.bpf.o" --prog nope
	check "dump --prog ambiguous section" 1 "2 programs are in section 'xdp'; choose one by function name" -- \
		"$bs" dump "$ldr/two_progs.o" --prog xdp
	check "dump --prog by function in a shared section" 0 "second:" -- "$bs" dump "$ldr/two_progs.o" --prog second
	check "dump --prog with --raw" 2 "--prog selects a program of an ELF object" -- \
		"$bs" dump --raw "$tmp/ldxb.bin" --prog x
	check "dump --prog needs a value" 2 "needs a value" -- "$bs" dump "$ex/subprogs.bpf.o" --prog
	check "dump legacy maps" 0 "r1 = map[flows]" -- "$bs" dump "$ldr/legacy_maps.o"
	check "dump source lines" 0 "; 	__u64 *v = bpf_map_lookup_elem(&counts, &key);" -- "$bs" dump "$ldr/legacy_maps.o"
	check "dump linum" 0 "legacy_maps.c:" -- "$bs" dump "$ldr/legacy_maps.o" linum
	check "dump callee names" 0 "call pc+8#csum_words" -- "$bs" dump "$ex/subprogs.bpf.o" --prog xdp_sum
	check "dump function pointer" 0 "add_square:" -- "$bs" dump "$ldr/callback.o"
	check "dump unknown section" 1 "program 'weird' is in section 'frobnicate', which names no program type" -- \
		"$bs" dump "$ldr/unknown_section.o"
	check "dump unknown section hint" 1 "hint: e.g. xdp, tc, tc/ingress" -- "$bs" dump "$ldr/unknown_section.o"
	check "dump pinned map note" 0 "note: map 'pinned': pinning ignored" -- "$bs" dump "$ldr/pinned.o"
	check "run pinned map note" 0 "note: map 'pinned': pinning ignored" -- "$bs" run "$ldr/pinned.o" --data-in "$src/examples/xdp_firewall_allowed.pkt"
	check "dump kconfig extern" 1 "extern 'LINUX_KERNEL_VERSION'" -- "$bs" dump "$ldr/kconfig.o"
	check "dump missing object" 1 "cannot open" -- "$bs" dump "$tmp/none.o"
	# BTF-defined maps: loaded once the loader supports .maps, refused until then
	for obj in xdp_firewall pkt_counter; do
		check "dump $obj" 0 "prog '$obj'" -- "$bs" dump "$ex/$obj.bpf.o"
		check "dump $obj map reference" 0 "r1 = map[" -- "$bs" dump "$ex/$obj.bpf.o" --prog "$obj"
		check "dump $obj lookup" 0 "call bpf_map_lookup_elem#1" -- "$bs" dump "$ex/$obj.bpf.o"
	done
	# corrupt objects: exit 1, the file named, no crash
	head -c 3000 "$ex/globals.bpf.o" >"$tmp/cut.o"
	check "dump truncated object" 1 "bpfstep dump: error:" -- "$bs" dump "$tmp/cut.o"
	check "dump truncated object names it" 1 "$tmp/cut.o" -- "$bs" dump "$tmp/cut.o"
	head -c 40 "$ex/globals.bpf.o" >"$tmp/cut40.o"
	check "dump object cut in its header" 1 "shorter than an ELF header" -- "$bs" dump "$tmp/cut40.o"
	check "dump non-ELF file" 1 "is not an ELF file (no ELF magic at file offset 0)" -- "$bs" dump "$tmp/ldxb.s"
	cp "$ex/globals.bpf.o" "$tmp/x86.o"
	printf '\x3e' | dd of="$tmp/x86.o" bs=1 seek=18 conv=notrunc status=none
	check "dump object for another machine" 1 "e_machine is 62, not EM_BPF (247)" -- "$bs" dump "$tmp/x86.o"
	cp "$ex/globals.bpf.o" "$tmp/be.o"
	printf '\x02' | dd of="$tmp/be.o" bs=1 seek=5 conv=notrunc status=none
	check "dump big-endian object" 1 "is big-endian (EI_DATA at file offset 5)" -- "$bs" dump "$tmp/be.o"
	cp "$ex/globals.bpf.o" "$tmp/exec.o"
	printf '\x02' | dd of="$tmp/exec.o" bs=1 seek=16 conv=notrunc status=none
	check "dump executable" 1 "is not a relocatable object (e_type 2)" -- "$bs" dump "$tmp/exec.o"
fi

# run of an ELF object: BPF_PROG_TEST_RUN semantics
if [ -n "$ex" ]; then
	pk=$src/examples
	check "run object xdp" 0 "Return value: 2" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt"
	check "run object tc --json" 0 '"retval": 0, "data_out": "' -- "$bs" run "$ex/pkt_counter.bpf.o" --data-in "$pk/pkt_counter_udp.pkt" --json
	check "run object --json data_out" 0 '"data_out": "020000000002' -- "$bs" run "$ex/pkt_counter.bpf.o" --data-in "$pk/pkt_counter_udp.pkt" --json
	check "run object --prog" 0 "Return value:" -- "$bs" run "$ex/subprogs.bpf.o" --prog tc_len --data-in "$pk/subprogs_syn.pkt"
	check "run object needs --prog" 1 "choose one with --prog" -- "$bs" run "$ex/subprogs.bpf.o" --data-in "$pk/subprogs_syn.pkt"
	check "run object unknown --prog" 1 "has no program 'nope'" -- "$bs" run "$ex/subprogs.bpf.o" --prog nope --data-in "$pk/subprogs_syn.pkt"
	check "run object needs --data-in" 2 "needs a packet: --data-in" -- "$bs" run "$ex/xdp_firewall.bpf.o"
	check "run object refuses --mem" 2 "--mem is for --raw" -- "$bs" run "$ex/xdp_firewall.bpf.o" --mem "$tmp/mem.bin"
	check "run --raw refuses --data-in" 2 "are for ELF objects" -- "$bs" run --raw "$tmp/ldxb.bin" --data-in "$tmp/mem.bin"
	check "run object short packet" 1 "at least an Ethernet header (14)" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$tmp/mem.bin"
	check "run object --data-out" 0 "Return value" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --data-out "$tmp/out.pkt"
	check "run object --data-out bytes" 0 "" -- cmp "$tmp/out.pkt" "$pk/xdp_firewall_allowed.pkt"
	check "run object --ctx-out" 0 "Return value" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --ctx-out "$tmp/ctx.bin"
	check "run object --ctx-out is an xdp_md" 0 "24" -- sh -c "wc -c < '$tmp/ctx.bin'"
	head -c 24 /dev/zero >"$tmp/ctx0.bin"
	check "run object --ctx-in" 0 "Return value" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --ctx-in "$tmp/ctx0.bin"
	head -c 200 /dev/zero >"$tmp/ctxbig.bin"
	printf '\001' >>"$tmp/ctxbig.bin"
	check "run object --ctx-in too big" 1 "not all zero past struct xdp_md" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --ctx-in "$tmp/ctxbig.bin"
	check "run object trace_printk" 0 "bpf_trace_printk: globals: packet of 1514 bytes" -- "$bs" run "$ex/globals.bpf.o" --data-in "$pk/globals_big.pkt"
	check "run object skb_load_bytes" 0 "Return value: 64" -- "$bs" run "$ex/sock_filter.bpf.o" --data-in "$pk/sock_filter_http.pkt"
	check "run object --json trace" 0 '"trace": ["globals: packet of 1514 bytes"]' -- "$bs" run "$ex/globals.bpf.o" --data-in "$pk/globals_big.pkt" --json
	check "run object --engine jit" 0 "Return value" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --engine jit
	# every example on every packet: the JIT's report is the interpreter's, byte for byte
	for obj in "$ex"/*.bpf.o; do
		name=$(basename "$obj" .bpf.o)
		for pkt in "$pk/${name}"_*.pkt; do
			[ -e "$pkt" ] || continue
			for mode in "--engine jit" "--engine jit --jit-unchecked"; do
				want=$("$bs" run "$obj" --data-in "$pkt" --json --engine interp 2>&1)
				# shellcheck disable=SC2086
				got=$("$bs" run "$obj" --data-in "$pkt" --json $mode 2>&1)
				check "example $name $(basename "$pkt") $mode = interp" 0 "$want" -- printf '%s' "$got"
			done
		done
	done
fi

# run: bpftool's output, repeat, the fake environment, maps in and out,
# the kernel comparison (docs/run.md, docs/run-json.md)
if [ -n "$ex" ]; then
	pk=$src/examples
	pc=("$ex/pkt_counter.bpf.o" --data-in "$pk/pkt_counter_udp.pkt")
	gl=("$ex/globals.bpf.o" --data-in "$pk/globals_big.pkt")
	check "run --help lists --repeat" 0 "--repeat N" -- "$bs" run --help
	check "run --help lists --maps-in" 0 "--maps-in FILE" -- "$bs" run --help
	check "run --help lists --compare-kernel" 0 "--compare-kernel" -- "$bs" run --help
	check "run verdict xdp" 0 "Verdict: XDP_PASS" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt"
	check "run verdict tc" 0 "Verdict: TC_ACT_OK" -- "${bs}" run "${pc[@]}"
	check_not "run prints no duration by default" "duration" -- "$bs" run "${pc[@]}"
	check "run --duration" 0 "Return value: 0, duration: " -- "$bs" run "${pc[@]}" --duration
	check "run --duration --repeat" 0 "Return value: 0, duration (average): " -- "$bs" run "${pc[@]}" --duration --repeat 5
	check "run --json duration_ns" 0 '"duration_ns": ' -- "$bs" run "${pc[@]}" --duration --json
	check "run --json duration null" 0 '"duration_ns": null' -- "$bs" run "${pc[@]}" --json
	# repeat: the map counts every run, the trace has a line per run
	check "run --repeat counts runs" 0 "Instructions executed: 87 (3 runs)" -- "$bs" run "${pc[@]}" --repeat 3
	check "run --repeat state carries over" 0 '"key": 17, "value": {"packets": 3, "bytes": 213}' -- "$bs" run "${pc[@]}" --repeat 3 --json
	check "run --repeat trace per run" 0 '"trace": ["globals: packet of 1514 bytes", "globals: packet of 1514 bytes"]' -- "$bs" run "${gl[@]}" --repeat 2 --json
	check "run --repeat 0" 2 "--repeat needs a number from 1" -- "$bs" run "${pc[@]}" --repeat 0
	check "run --repeat with --raw" 2 "are for ELF objects" -- "$bs" run --raw "$tmp/ldxb.bin" --repeat 2
	# determinism: the same inputs, the same bytes
	for fmt in text json; do
		flag=(); [ $fmt = json ] && flag=(--json)
		"$bs" run "${gl[@]}" --repeat 4 --seed 7 --time-ns 5 "${flag[@]}" >"$tmp/det1.$fmt" 2>&1
		"$bs" run "${gl[@]}" --repeat 4 --seed 7 --time-ns 5 "${flag[@]}" >"$tmp/det2.$fmt" 2>&1
		check "run deterministic $fmt" 0 "" -- cmp "$tmp/det1.$fmt" "$tmp/det2.$fmt"
	done
	# environment options: accepted with good values, refused with bad ones
	for opt in "--time-ns 123" "--seed 42" "--cpu 0" "--ncpus 4" "--numa-node 1" \
		   "--pid-tgid 0x0000100000002000" "--uid-gid 0" "--comm sshd" "--fib success,3,02:00:00:00:00:01,02:00:00:00:00:02" \
		   "--fib no_neigh" "--fib 4"; do
		# shellcheck disable=SC2086
		check "run $opt" 0 "Return value: 0" -- "$bs" run "${pc[@]}" $opt
	done
	check "run --cpu beyond --ncpus" 1 "--cpu 3 is not below the number of CPUs (2" -- "$bs" run "${pc[@]}" --cpu 3 --ncpus 2
	check "run --comm too long" 2 "longer than a task name" -- "$bs" run "${pc[@]}" --comm abcdefghijklmnopq
	check "run --fib bad ret" 2 "not a BPF_FIB_LKUP_RET_* name" -- "$bs" run "${pc[@]}" --fib nowhere
	check "run --fib bad mac" 2 "not a MAC address" -- "$bs" run "${pc[@]}" --fib 0,1,02:00
	check "run --ncpus 0" 2 "at least 1 CPU" -- "$bs" run "${pc[@]}" --ncpus 0
	check "run --seed bad" 2 "--seed needs a number" -- "$bs" run "${pc[@]}" --seed x
	check "run --time-ns raw" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --mem "$tmp/mem.bin" --time-ns 5
	# maps out, in, and back out: the same bytes
	check "run --maps-out" 0 "Return value: 0" -- "$bs" run "${pc[@]}" --maps-out "$tmp/maps1.json"
	check "run --maps-out format" 0 '"type": "array",' -- cat "$tmp/maps1.json"
	check "run --maps-out entry" 0 '"value": "01000000000000004700000000000000"' -- cat "$tmp/maps1.json"
	check "run --maps-out formatted" 0 '"packets": 1,' -- cat "$tmp/maps1.json"
	# typed values of a map that is not the first in .maps
	check "run --maps-out formatted, second map" 0 '"key": 53,' -- "$bs" run "$ex/dispatch.bpf.o" --prog dispatch --data-in "$pk/dispatch_udp.pkt" --maps-out -
	check "run tail call verdict" 0 "Verdict: XDP_DROP" -- "$bs" run "$ex/dispatch.bpf.o" --prog dispatch --data-in "$pk/dispatch_telnet.pkt"
	check "run --maps-in round trip" 0 "" -- "$bs" run "${pc[@]}" --maps-in "$tmp/maps1.json" --maps-out "$tmp/maps2.json"
	check "run --maps-in adds up" 0 '"value": "02000000000000008e00000000000000"' -- cat "$tmp/maps2.json"
	"$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --map-update blocked:c0000201:0000000000000000 --maps-out "$tmp/fw1.json" >/dev/null 2>&1
	"$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --maps-in "$tmp/fw1.json" --maps-out "$tmp/fw2.json" >/dev/null 2>&1
	"$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_allowed.pkt" --maps-in "$tmp/fw2.json" --maps-out "$tmp/fw3.json" >/dev/null 2>&1
	check "run maps dump, load, dump: identical" 0 "" -- cmp "$tmp/fw2.json" "$tmp/fw3.json"
	check "run --map-update hash" 0 '"key": "c0000201"' -- cat "$tmp/fw1.json"
	check "run --map-update blocks" 0 "Verdict: XDP_DROP" -- "$bs" run "$ex/xdp_firewall.bpf.o" --data-in "$pk/xdp_firewall_blocked.pkt" --maps-in "$tmp/fw1.json" --map-update "blocked:$(od -An -tx1 -j26 -N4 "$pk/xdp_firewall_blocked.pkt" | tr -d ' \n'):0000000000000000"
	# typed values through BTF, as bpftool map dump prints them
	printf '{"counts": {"entries": [{"key": 17, "value": {"packets": 5, "bytes": 600}}]}}' >"$tmp/typed.json"
	check "run --maps-in typed struct" 0 '"key": 17, "value": {"packets": 6, "bytes": 671}' -- "$bs" run "${pc[@]}" --maps-in "$tmp/typed.json" --json
	printf '{"globals.data": {"entries": [{"key": 0, "value": {".data": [{"packets": 41}]}}]}, ".bss": {"entries": [{"key": "00000000", "value": {"bytes": 7}}]}}' >"$tmp/g.json"
	check "run --maps-in typed global data" 0 '{"packets": 42}' -- "$bs" run "${gl[@]}" --maps-in "$tmp/g.json" --json
	check "run --maps-in .bss by section name" 0 '{"bytes": 1521}' -- "$bs" run "${gl[@]}" --maps-in "$tmp/g.json" --json
	check "run --maps-out rodata string" 0 '"banner": "globals: packet of %u bytes"' -- "$bs" run "${gl[@]}" --maps-out -
	# errors: exit 1 with the file and what is wrong
	printf '{"nope": {"entries": []}}' >"$tmp/bad1.json"
	check "run --maps-in unknown map" 1 "there is no map 'nope'; the maps are: counts" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad1.json"
	printf '{"counts": {"key_size": 8, "entries": []}}' >"$tmp/bad2.json"
	check "run --maps-in wrong size" 1 "key_size is 4 here" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad2.json"
	printf '{"counts": {"type": "hash", "entries": []}}' >"$tmp/bad3.json"
	check "run --maps-in wrong type" 1 "the map is a array map, not hash" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad3.json"
	printf '{"counts": {"entries": [{"key": "zz", "value": "00"}]}}' >"$tmp/bad4.json"
	check "run --maps-in bad hex" 1 "entry 0: key: bad hex" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad4.json"
	printf '{"counts": {"entries": [{"key": "00000000", "value": "00"}]}}' >"$tmp/bad5.json"
	check "run --maps-in short value" 1 "value is 1 bytes; it must be 16" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad5.json"
	printf '{"counts": {\n  "entries": [,]}}' >"$tmp/bad6.json"
	check "run --maps-in malformed JSON" 1 "bad6.json:2:15: malformed JSON" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad6.json"
	printf '{"counts": {"entries": [{"key": 17, "value": {"packts": 5}}]}}' >"$tmp/bad7.json"
	check "run --maps-in unknown member" 1 "has no member 'packts'; it has: packets, bytes" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad7.json"
	printf '{"counts": {"entries": [{"key": 300, "value": "%032d"}]}}' 0 >"$tmp/bad8.json"
	check "run --maps-in key out of range" 1 "update failed" -- "$bs" run "${pc[@]}" --maps-in "$tmp/bad8.json"
	check "run --maps-in missing file" 1 "cannot open" -- "$bs" run "${pc[@]}" --maps-in "$tmp/none.json"
	check "run --map-update unknown map" 1 "there is no map 'nope'" -- "$bs" run "${pc[@]}" --map-update nope:00:00
	check "run --map-update wrong key size" 1 "key is 2 bytes; it must be 4" -- "$bs" run "${pc[@]}" --map-update counts:0011:00
	check "run --map-update bad hex" 1 "bad hex" -- "$bs" run "${pc[@]}" --map-update counts:zz:00
	check "run --map-update syntax" 1 "expected NAME:KEYHEX:VALHEX" -- "$bs" run "${pc[@]}" --map-update counts
	check "run --maps-in with --raw" 2 "are for ELF objects" -- "$bs" run --raw "$tmp/ldxb.bin" --maps-in "$tmp/g.json"
	# --raw --type: a raw program run like an object's
	printf '%s\n' 'r0 = 2' 'exit' >"$tmp/pass.s"
	"$bs" asm "$tmp/pass.s" -o "$tmp/pass.bin"
	check "run --raw --type xdp" 0 "Verdict: XDP_PASS" -- "$bs" run --raw "$tmp/pass.bin" --type xdp --data-in "$pk/xdp_firewall_allowed.pkt"
	check "run --raw --type sched_cls data_out" 0 '"data_out": "' -- "$bs" run --raw "$tmp/pass.bin" --type sched_cls --data-in "$pk/xdp_firewall_allowed.pkt" --json
	check "run --raw --type raw" 0 "Return value: 17" -- "$bs" run --raw "$tmp/ldxb.bin" --type raw --mem "$tmp/mem.bin"
	check "run --raw --type unknown" 2 "--type 'frob' is not a program type" -- "$bs" run --raw "$tmp/pass.bin" --type frob --data-in "$pk/xdp_firewall_allowed.pkt"
	check "run --raw --type needs --data-in" 2 "needs a packet" -- "$bs" run --raw "$tmp/pass.bin" --type xdp
	check "run --type without --raw" 2 "--type is for --raw" -- "${bs}" run "${pc[@]}" --type xdp
	# --compare-kernel: identical, different, or not possible here (exit 3)
	check "run --compare-kernel with --raw" 2 "are for ELF objects" -- "$bs" run --raw "$tmp/ldxb.bin" --compare-kernel
	out=$("$bs" run "${pc[@]}" --compare-kernel 2>&1); status=$?
	if [ $status = 3 ]; then
		check "run --compare-kernel not permitted" 3 "bpf() is not permitted here" -- "$bs" run "${pc[@]}" --compare-kernel
		echo "skip kernel comparisons: bpf() is not permitted here"
	else
		for args in "$ex/pkt_counter.bpf.o --data-in $pk/pkt_counter_udp.pkt --repeat 3" \
			    "$ex/globals.bpf.o --data-in $pk/globals_big.pkt --maps-in $tmp/g.json" \
			    "$ex/xdp_firewall.bpf.o --data-in $pk/xdp_firewall_blocked.pkt --maps-in $tmp/fw1.json" \
			    "$ex/sock_filter.bpf.o --data-in $pk/sock_filter_http.pkt" \
			    "$ex/dispatch.bpf.o --prog dispatch --data-in $pk/dispatch_telnet.pkt" \
			    "$ex/events.bpf.o --data-in $pk/events_dns.pkt" \
			    "$ex/xdp_firewall.bpf.o --data-in $pk/xdp_firewall_allowed.pkt --ctx-in $tmp/ctx0.bin"; do
			# shellcheck disable=SC2086
			check "run --compare-kernel $(basename "${args%% *}") ${args#* --data-in }" 0 "identical to the kernel (Linux " -- "$bs" run $args --compare-kernel
		done
		if command -v clang >/dev/null 2>&1; then
			cat >"$tmp/clock.bpf.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} late SEC(".maps");
/* XDP_DROP and late[0] = 1 once the clock is past 2^62 ns */
SEC("xdp") int clock(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&late, &k);
	int past = bpf_ktime_get_ns() > (1ULL << 62);
	if (v)
		*v = past;
	return past ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
C
			ma=$(clang -print-multiarch 2>/dev/null)
			if clang -O2 -g -target bpf -I/usr/include/"$ma" -c "$tmp/clock.bpf.c" -o "$tmp/clock.o" 2>/dev/null; then
				ck=("$tmp/clock.o" --data-in "$pk/xdp_firewall_allowed.pkt" --compare-kernel)
				check "run --compare-kernel same clock" 0 "identical to the kernel" -- "$bs" run "${ck[@]}"
				check "run --compare-kernel retval differs" 4 "retval: bpfstep 1, kernel 2" -- "$bs" run "${ck[@]}" --time-ns 0x7000000000000000
				check "run --compare-kernel map differs" 4 "map 'late': key 00000000: bpfstep \"0100000000000000\", kernel \"0000000000000000\"" -- "$bs" run "${ck[@]}" --time-ns 0x7000000000000000
				check "run --compare-kernel names the kernel" 4 "differs from the kernel (Linux " -- "$bs" run "${ck[@]}" --time-ns 0x7000000000000000
			fi
		fi
		if command -v setpriv >/dev/null 2>&1; then
			check "run --compare-kernel unprivileged" 3 "bpf() is not permitted here" -- \
				setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$bs" run "${pc[@]}" --compare-kernel
		fi
	fi
fi

# btf: raw and C dumps of .BTF (docs/btf.md)
bd=$src/tests/data/btf
check "btf --help" 0 "Usage: bpfstep btf FILE [format raw|c]" -- "$bs" btf --help
check "main help btf" 0 "format c" -- "$bs" help btf
check "btf raw blob" 0 "[19] ENUM64 'wide' encoding=UNSIGNED size=8 vlen=2" -- "$bs" btf "$bd/all_kinds.btf"
check "btf raw is bpftool's text" 0 "" -- sh -c "'$bs' btf '$bd/all_kinds.btf' format raw | cmp - '$bd/all_kinds.raw'"
check "btf format c" 0 "typedef struct pair pair_t;" -- "$bs" btf "$bd/all_kinds.btf" format c
head -c 100 "$bd/all_kinds.btf" >"$tmp/short.btf"
check "btf truncated blob" 1 ".BTF: type section (offset 0, 592 bytes" -- "$bs" btf "$tmp/short.btf"
cp "$bd/all_kinds.btf" "$tmp/bad.btf"
printf '\377\377\000\000' | dd of="$tmp/bad.btf" bs=1 seek=$((0x5c)) conv=notrunc 2>/dev/null
check "btf corrupt member type" 1 "type 4 at offset 0x4c: member 0 ('a') references type 65535, but there are 29 types" -- "$bs" btf "$tmp/bad.btf"
check "btf not BTF" 1 "is not an ELF file" -- "$bs" btf "$src/tests/cli_test.sh"
check "btf missing file" 1 "cannot open" -- "$bs" btf "$tmp/none.o"
check "btf without file" 2 "a file is required" -- "$bs" btf
check "btf format without value" 2 "'format' needs a value" -- "$bs" btf "$bd/all_kinds.btf" format
check "btf unknown format" 2 "unknown format 'json'" -- "$bs" btf "$bd/all_kinds.btf" format json
check "btf extra argument" 2 "unexpected argument 'x'" -- "$bs" btf "$bd/all_kinds.btf" x
check "btf unknown option" 2 "unknown option '--frob'" -- "$bs" btf --frob
if command -v clang >/dev/null 2>&1; then
	ma=$(clang -print-multiarch 2>/dev/null)
	bcf="-O2 -target bpf -I/usr/include/$ma"
	if clang $bcf -g -c "$bd/types.bpf.c" -o "$tmp/types.o" 2>"$tmp/clang.err"; then
		check "btf object raw" 0 "STRUCT 'node' size=" -- "$bs" btf "$tmp/types.o"
		check "btf object c" 0 "typedef struct node *node_ptr;" -- "$bs" btf "$tmp/types.o" format c
		"$bs" btf "$tmp/types.o" format c >"$tmp/types.h"
		check "btf object c compiles" 0 "" -- clang -target bpf -fsyntax-only -Wall -Werror "$tmp/types.h"
		clang $bcf -c "$bd/types.bpf.c" -o "$tmp/nobtf.o"
		check "btf object without .BTF" 1 "has no .BTF section" -- "$bs" btf "$tmp/nobtf.o"
		check "btf object without .BTF hint" 1 "hint: clang writes BTF with -g" -- "$bs" btf "$tmp/nobtf.o"
		head -c 600 "$tmp/types.o" >"$tmp/types_cut.o"
		check "btf truncated object" 1 "past the end of the file" -- "$bs" btf "$tmp/types_cut.o"
	else
		echo "FAIL btf: clang cannot build tests/data/btf/types.bpf.c:"; head -5 "$tmp/clang.err"
		fail=$((fail + 1))
	fi
else
	echo "skip btf object checks: no clang"
fi

# dump ... visual: a graphviz CFG
if [ -n "$ex" ]; then
	check "dump visual" 0 'digraph "DOT graph for eBPF program"' -- "$bs" dump "$ex/subprogs.bpf.o" --prog xdp_sum visual
	check "dump visual clusters per function" 0 'label="func_1 (csum_words)"' -- "$bs" dump "$ex/subprogs.bpf.o" --prog xdp_sum visual
	check "dump visual jump edge" 0 'fn_0_bb_0:s -> fn_0_bb_' -- "$bs" dump "$ex/xdp_firewall.bpf.o" visual
	check "dump --raw visual" 0 'label="func_0 (main)"' -- "$bs" dump --raw "$tmp/ldxb.bin" visual
	if command -v dot >/dev/null 2>&1; then
		check "dump visual is valid dot" 0 "<svg" -- sh -c "'$bs' dump '$ex/xdp_firewall.bpf.o' visual | dot -Tsvg"
	fi
fi

echo "cli: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
