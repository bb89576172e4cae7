#!/usr/bin/env bash
# Regenerates the seed corpora of tests/fuzz/corpus from the examples, the
# loader's test objects, the test captures and the conformance vectors.
# Regression inputs (corpus/*/regress-*) are kept. Run from the source tree
# after a build: tests/fuzz/make_corpus.sh BUILD_DIR [CONFORMANCE_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
conf=${2:-../shared/conformance/tests}
bpfstep=$build/cli/bpfstep
out=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in elf btf interp jit_diff asm pcap dbg_expr maps_json; do
	mkdir -p "$out/$d"
	find "$out/$d" -type f ! -name 'regress-*' -delete
done

# ELF: the examples and the loader's edge cases
for o in "$build"/examples/*.bpf.o "$build"/tests/*.o; do
	cp "$o" "$out/elf/$(basename "$o")"
done

# BTF: .BTF and .BTF.ext of each example, as fuzz_btf takes them
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"; }
for o in "$build"/examples/*.bpf.o; do
	n=$(basename "$o" .bpf.o)
	llvm-objcopy --dump-section .BTF="$tmp/btf" --dump-section .BTF.ext="$tmp/ext" "$o" "$tmp/o"
	{ le32 "$(stat -c %s "$tmp/btf")"; cat "$tmp/btf" "$tmp/ext"; } >"$out/btf/$n"
done

# programs: every conformance vector, its memory first (fuzz_interp's form:
# settings byte, memory length, memory, instructions); a few as XDP programs
i=0
for v in "$conf"/*.data; do
	n=$(basename "$v" .data)
	awk '/^-- asm/{p=1;next} /^-- /{p=0} p' "$v" >"$tmp/s"
	"$bpfstep" asm "$tmp/s" -o "$tmp/bin" 2>/dev/null || continue
	awk '/^-- mem/{p=1;next} /^-- /{p=0} p' "$v" | tr -cs '0-9a-fA-F' ' ' >"$tmp/hex"
	len=$(wc -w <"$tmp/hex")
	((len < 256)) || continue
	mode=0
	((i++ % 8 == 7)) && mode=1
	{ printf "\\x$(printf %02x $mode)\\x$(printf %02x "$len")"; for b in $(cat "$tmp/hex"); do printf "\\x$b"; done; cat "$tmp/bin"; } >"$out/interp/$n"
	cp "$out/interp/$n" "$out/jit_diff/$n"
	cp "$tmp/s" "$out/asm/$n.s"
done
cp examples/tcp_port.s "$out/asm/tcp_port.s"

# captures
for p in examples/*.pcap tests/data/pcap/*.pcap tests/data/pcap/*.pcapng; do
	cp "$p" "$out/pcap/$(basename "$p")"
done

# debugger expressions and locations
i=0
while IFS= read -r e; do
	printf '%s' "$e" >"$out/dbg_expr/e$((i++))"
done <<'EXPR'
$r0 + 1
*(u32 *)($fp - 8)
{u16}($pkt + 12)
$pkt_end - $pkt
(s8)$w2 >> 3
$r4 = $r3 * 2 + ($count % 7)
$ctx != 0 && *(u8 *)$pkt == 0 || !$r1
~$r5 ^ 0xff << 4
$r1 ? $r2 : $r3
*(u64 *)($r10 - 8) = -1
sub
*7
3
EXPR

# --maps-in: what --maps-out writes for the fuzzing object, and hand-made input
"$bpfstep" run "$build/tests/fuzz/maps_json.bpf.o" --data-in examples/http_syn.pkt \
	--map-update 'arr:00000000:'"$(printf '61%.0s' $(seq 1 56))" \
	--maps-out "$out/maps_json/out.json" >/dev/null
cat >"$out/maps_json/typed.json" <<'JSON'
{"hash": {"entries": [{"key": {"addr": 1, "port": 80, "proto": 6, "flags": 5, "spare": 1},
  "value": {"name": "abc", "counts": [1, -2, 3], "colour": "BLUE", "un": {"u": 7},
  "pair": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}}]},
 "pcpu": {"entries": [{"key": 5, "values": [{"cpu": 0, "value": 1}, {"cpu": 1, "value": 2}]}]},
 "lpm": {"entries": [{"key": {"prefixlen": 24, "addr": [10, 0, 0, 0]}, "value": 9}]},
 "queue": {"entries": [{"value": 1}, {"value": 2}]},
 "stack": {"entries": [{"value": "0100000000000000"}]},
 "progs": {"entries": [{"key": 0, "value": "prog"}]},
 "outer": {"entries": [{"key": 0, "value": "inner0"}]},
 "maps_jso.data": {"entries": [{"key": 0, "value": "0700000000000000"}]}}
JSON
du -sh "$out"
