#!/usr/bin/env bash
# bpfstep set-up: installs what a fresh Debian 12 machine lacks, builds, then
#   ./setup.sh demo   runs bpfstep on the bundled example and explains the output
#   ./setup.sh test   runs the whole test suite (gcc, clang, ASan+UBSan builds, and an
#                     arm64 cross build under qemu-aarch64)
#   ./setup.sh bench [--repeat N]  also installs DPDK's librte_bpf (librte-bpf23,
#                     dpdk-dev) and runs the benchmark harness (docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-demo}
case "$mode" in
demo|test|bench) ;;
-h|--help)
	sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
*)
	echo "usage: ./setup.sh demo|test|bench [--repeat N]" >&2
	exit 2 ;;
esac

# Debian packages the build and the tests use.
packages=(meson ninja-build pkg-config gcc clang llvm libcmocka-dev libelf-dev libbpf-dev bpftool
	libjansson-dev libreadline-dev libpcap-dev lcov libcapstone-dev libdwarf-dev valgrind)
# bench: DPDK's librte_bpf, the benchmark's peer column (its build finds it
# through libdpdk's pkg-config file, which dpdk-dev installs)
if [ "$mode" = bench ]; then
	packages+=(librte-bpf23 dpdk-dev)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	if [ "$(id -u)" = 0 ]; then
		echo "setup: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq "${missing[@]}" >/dev/null
	else
		echo "setup: missing Debian packages; install them with:" >&2
		echo "  sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

# The arm64 cross suite (`test` only): Debian's cross compiler, qemu user
# emulation and the :arm64 libraries. Where they cannot be installed the
# suite is skipped with a message; everything else still runs.
cross_packages=(gcc-aarch64-linux-gnu qemu-user libc6-dev:arm64 libelf-dev:arm64
	libcmocka-dev:arm64 libjansson-dev:arm64 libpcap-dev:arm64 libdwarf-dev:arm64
	libreadline-dev:arm64 zlib1g-dev:arm64 libcapstone-dev:arm64 libbpf-dev:arm64)
cross=no
if [ "$mode" = test ]; then
	missing=()
	for p in "${cross_packages[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} == 0)); then
		cross=yes
	elif [ "$(id -u)" = 0 ]; then
		echo "setup: installing the arm64 cross suite's ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		if { dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64; } &&
			apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; then
			cross=yes
		else
			echo "setup: the arm64 cross toolchain, qemu-user or :arm64 libraries could not be installed: the arm64 suite is skipped"
		fi
	else
		echo "setup: the arm64 suite needs (as root): dpkg --add-architecture arm64 && apt-get update && apt-get install ${missing[*]}; skipped"
	fi
fi

# configure once; later runs only rebuild what changed
setup_dir() { # DIR [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

setup_dir build

if [ "$mode" = bench ]; then
	# a build configured before DPDK was installed has to look for it again
	if ! grep -q BENCH_HAVE_RTE build/build.ninja; then
		meson setup --reconfigure build >/dev/null
	fi
	ninja -C build bench/bench >/dev/null
	echo "== bpfstep bench (docs/performance.md explains the columns) =="
	./build/bench/bench build/bench/progs.bpf.o "${@:2}"
	exit 0
fi

if [ "$mode" = demo ]; then
	cat <<'TXT'
== bpfstep demo ==========================================================
examples/tcp_port.s is a small eBPF program: given an Ethernet frame in
memory (r1 = pointer, r2 = length), it checks that the frame is IPv4 + TCP,
with every read bounds-checked as the kernel verifier demands, and returns
the TCP destination port. examples/http_syn.pkt is a 74-byte TCP SYN to
port 80. The build assembled the program with `bpfstep asm`; here it is,
disassembled the way `bpftool prog dump xlated` prints programs:
TXT
	./build/cli/bpfstep dump --raw build/examples/tcp_port.bin
	echo
	echo '$ bpfstep run --raw build/examples/tcp_port.bin --mem examples/http_syn.pkt'
	./build/cli/bpfstep run --raw build/examples/tcp_port.bin --mem examples/http_syn.pkt
	cat <<'TXT'

"Return value" is r0 at exit: 80, the packet's TCP destination port.
"Instructions executed" counts the instructions the interpreter ran on the
way (the jumps skip none here: the packet passes every check).
Try --json, or a truncated packet:
TXT
	short=$(mktemp)
	trap 'rm -f "$short"' EXIT
	head -c 36 examples/http_syn.pkt >"$short"
	echo '$ head -c 36 examples/http_syn.pkt > short.pkt; bpfstep run ... --mem short.pkt'
	./build/cli/bpfstep run --raw build/examples/tcp_port.bin --mem "$short"
	echo '(36 bytes: the IPv4 header fits, the TCP ports do not, so the program returns 0)'
	cat <<'TXT'

== An object from clang -target bpf ========================================
examples/xdp_firewall.bpf.c is an XDP program in C: it drops IPv4 packets
whose source address is in the hash map `blocked`. The build compiled it with
clang; bpfstep loads the object the way libbpf does and shows it with its
source lines and map names:
TXT
	echo '$ bpfstep dump build/examples/xdp_firewall.bpf.o | head -24'
	./build/cli/bpfstep dump build/examples/xdp_firewall.bpf.o | sed -n '1,24p'
	echo '$ bpfstep run build/examples/xdp_firewall.bpf.o --data-in examples/xdp_firewall_blocked.pkt'
	./build/cli/bpfstep run build/examples/xdp_firewall.bpf.o --data-in examples/xdp_firewall_blocked.pkt
	cat <<'TXT'

The run is a BPF_PROG_TEST_RUN in user space: r1 points to a struct xdp_md
over the packet, the map starts empty, and the return value 2 is XDP_PASS
(nothing is blocked yet). docs/run.md and docs/examples.md say more.

== The debugger ==============================================================
Now with 192.0.2.66 in `blocked` (--map-update), stopped at the map lookup
(line 42 of the source): the packet, decoded, then the source address as the
C variable `saddr`. At a terminal you get the (bpfstep) prompt: try `next`,
`info locals`, `print *drops`, `watch *drops`, `continue`, `reverse-stepi`,
`help`; `quit` leaves. Without a terminal the session runs to the end.
TXT
	batch=()
	[ -t 0 ] && [ -t 1 ] || batch=(--batch -ex next -ex 'info locals' -ex continue)
	echo '$ bpfstep debug build/examples/xdp_firewall.bpf.o --data-in examples/xdp_firewall_blocked.pkt \'
	echo '      --map-update blocked:c0000242:0000000000000000 \'
	echo "      -ex 'break xdp_firewall.bpf.c:42' -ex run -ex packet -ex 'print/x saddr' ${batch[*]:+...}"
	./build/cli/bpfstep debug build/examples/xdp_firewall.bpf.o \
		--data-in examples/xdp_firewall_blocked.pkt \
		--map-update blocked:c0000242:0000000000000000 \
		-ex 'break xdp_firewall.bpf.c:42' -ex run -ex packet -ex 'print/x saddr' "${batch[@]}"
	exit 0
fi

# test: the suite under gcc, then under ASan+UBSan, then a clang build
passed=0 failed=0
run_suite() { # BUILD_DIR [meson test options...]
	local dir=$1 out
	shift
	out=$(mktemp)
	local status=0
	meson test -C "$dir" --print-errorlogs "$@" | tee "$out" || status=$?
	passed=$((passed + $(awk '/^Ok:/ {print $2}' "$out")))
	failed=$((failed + $(awk '/^Fail:/ {print $2}' "$out")))
	# the counts the suites print: conformance vectors, kernel programs, CLI checks
	grep -hE '^(conformance|kdiff|kernel-objects|maps-kernel|cli|fuzz|replay|kernel-replay|jit_diff|jit-examples): ' "$dir/meson-logs/testlog.txt" | sed "s|^|  [$dir] |" || true
	rm -f "$out"
	return "$status"
}

run_suite build
# valgrind memcheck over the hostile programs and the sandbox (short: the
# ASan build below covers the rest, with LeakSanitizer)
run_suite build --suite unit hostile sandbox --timeout-multiplier 10 \
	--wrap='valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99'
setup_dir build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dkernel_tests=disabled
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suite build-asan
if [ ! -f build-clang/build.ninja ]; then
	CC=clang meson setup build-clang -Dkernel_tests=disabled >/dev/null
fi
ninja -C build-clang >/dev/null
run_suite build-clang --suite unit
# the fuzz targets, a few seconds each (docs/fuzzing.md), where clang has libFuzzer
if echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' |
	clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined \
			-Db_lundef=false -Dkernel_tests=disabled >/dev/null
	fi
	ninja -C build-fuzz >/dev/null
	ASAN_OPTIONS=detect_leaks=1 run_suite build-fuzz --suite fuzz
else
	echo "setup: clang has no libFuzzer runtime here: the fuzz suite is skipped"
fi
# arm64: cross-built, run under qemu-aarch64 (docs/testing.md); the unit
# tests, the conformance vectors and the arm64 JIT against the interpreter
if [ "$cross" = yes ]; then
	setup_dir build-arm64 --cross-file cross/aarch64-linux-gnu.ini -Dkernel_tests=disabled
	run_suite build-arm64 --suite unit --suite conformance --suite jit --timeout-multiplier 4
else
	echo "setup: the arm64 cross suite is skipped (see above)"
fi
echo "$passed passed, $failed failed"
