#!/usr/bin/env bash
# End-to-end tests of `bpfstep replay`: every flag, expectations that hold
# and that fail, the JSON and JUnit reports (parsed by python3), lcov
# coverage (checked by genhtml where it is installed), the output pcap, and
# broken captures.
#   replay_test.sh BPFSTEP SOURCE_DIR
# BS_EXAMPLES_DIR: the built examples; BS_TEST_OBJ_DIR: xdp_tx.bpf.o.
set -u
bs=$1 src=$2
ex=${BS_EXAMPLES_DIR:?} obj=${BS_TEST_OBJ_DIR:?}
data=$src/tests/data/pcap
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
		echo "$out" | sed 's/^/    /' | head -30
		echo "    (wanted to contain: $needle)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

# ok NAME -- CMD...: the command succeeds (a python check, a cmp)
ok() {
	local name=$1
	shift 2
	local out
	if ! out=$("$@" 2>&1); then
		echo "FAIL $name:"
		echo "$out" | sed 's/^/    /' | head -30
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

fw=$ex/xdp_firewall.bpf.o
tx=$obj/xdp_tx.bpf.o
block=blocked:c0000242:0000000000000000

# usage
check "--help" 0 "--write-expect FILE" -- "$bs" replay --help
check "help replay" 0 "Usage: bpfstep replay" -- "$bs" help replay
check "listed in the main help" 0 "replay" -- "$bs" --help
check "no object" 2 "a program is required" -- "$bs" replay --pcap "$data/xdp_tx.pcap"
check "no capture" 2 "a capture is required" -- "$bs" replay "$tx"
check "unknown option" 2 "unknown option '--frob'" -- "$bs" replay "$tx" --frob
check "bad report format" 2 "--report takes text, json or junit" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report xml
ok "--report none prints nothing" -- sh -c '[ -z "$("$0" replay "$1" --pcap "$2" --report none 2>&1)" ]' "$bs" "$tx" "$data/xdp_tx.pcap"
check "--report none: a failed expectation still fails, with its diff" 1 "verdict: expected XDP_DROP, got XDP_PASS" -- "$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --expect "$src/examples/xdp_firewall.expect" --report none
check "--count 0" 2 "--count needs" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --count 0
check "--jobs 4 refused, with the reason" 2 "carry over from each packet" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --jobs 4
check "--jobs 1" 0 "6 packets" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --jobs 1
check "--engine bad" 2 "--engine must be interp or jit" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --engine gpu
check "--dispatch bad" 2 "--dispatch must be goto or switch" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --dispatch call
check "env option checked like run" 2 "--ncpus needs at least 1 CPU" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --ncpus 0
check "--rx-queue is for xdp" 1 "--rx-queue is for xdp" -- "$bs" replay "$ex/pkt_counter.bpf.o" --pcap "$data/xdp_tx.pcap" --rx-queue 1
check "same file for --expect and --write-expect" 2 "name the same file" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/e" --write-expect "$tmp/e"

# verdicts of every kind, per packet, with the trace lines and records
check "xdp verdicts" 0 "packet 3: 50 bytes: XDP_REDIRECT (4) redirect=ifindex:7" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap"
check "xdp_tx rewrite" 0 "packet 1: 54 bytes: XDP_TX (3), rewritten to 54 bytes" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap"
check "trace line with its packet" 0 $'XDP_TX (3), rewritten to 54 bytes, 84 insns\n  trace: tx 2' -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --count 6
check "ringbuf record with its packet" 0 $'  trace: tx 1\n  ringbuf events: c0000201' -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap"
check "aborted" 0 "packet 4: 58 bytes: XDP_ABORTED (0)" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap"
check "summary table" 0 "XDP_TX                              2" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap"
check "maps carry over (firewall)" 0 "XDP_DROP                            3" -- "$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --map-update "$block"
check "tc verdicts" 0 "packet 4: 60 bytes: TC_ACT_OK (0)" -- "$bs" replay "$ex/pkt_counter.bpf.o" --pcap "$src/examples/pkt_counter.pcap"
check "socket filter: bytes kept" 0 "packet 1: 58 bytes: KEEP:44 (44)" -- "$bs" replay "$ex/sock_filter.bpf.o" --pcap "$src/examples/sock_filter.pcap"
check "socket filter: dropped" 0 "packet 2: 54 bytes: DROP (0)" -- "$bs" replay "$ex/sock_filter.bpf.o" --pcap "$src/examples/sock_filter.pcap"
check "--count" 0 "2 packets, 0 errors" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --count 2
check "--prog" 0 "6 packets" -- "$bs" replay "$tx" --prog xdp_tx --pcap "$data/xdp_tx.pcap"
check "--prog unknown" 1 "has no program 'nope'" -- "$bs" replay "$tx" --prog nope --pcap "$data/xdp_tx.pcap"
check "stdin capture" 0 "6 packets" -- sh -c "'$bs' replay '$tx' --pcap - < '$data/xdp_tx.pcap'"
check "--duration" 0 "packets/s" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --duration
check "--budget runs out" 1 "instruction budget of 20" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --budget 20
check "--ifindex --rx-queue" 0 "6 packets, 0 errors" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --ifindex 5 --rx-queue 2
check "--rx-queue on loopback refused per packet" 1 "rx_queue_index" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --rx-queue 2
check "--ifindex for tc" 0 "5 packets, 0 errors" -- "$bs" replay "$ex/pkt_counter.bpf.o" --pcap "$src/examples/pkt_counter.pcap" --ifindex 1
check "--pcap-time" 0 "6 packets, 0 errors" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --pcap-time
check "environment options" 0 "6 packets, 0 errors" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --time-ns 5 --seed 3 --cpu 1 --ncpus 2 --numa-node 0 --pid-tgid 7 --uid-gid 8 --comm x --fib success
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report json --engine interp >"$tmp/goto.json" 2>&1
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report json --engine interp --dispatch switch >"$tmp/switch.json" 2>&1
ok "--dispatch switch gives the same report" -- cmp "$tmp/goto.json" "$tmp/switch.json"
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report json --engine interp >"$tmp/again.json" 2>&1
ok "two replays print the same bytes" -- cmp "$tmp/goto.json" "$tmp/again.json"
# --engine jit: every packet as the interpreter gives it, where there is a JIT
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report json --engine jit >"$tmp/jit.json" 2>&1
jit=$?
if [ $jit = 0 ]; then
	for e in jit jit-unchecked; do
		"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --report json --engine jit $([ $e = jit ] || echo --jit-unchecked) >"$tmp/$e.json" 2>&1
		ok "--engine $e gives the interpreter's packets and maps" -- python3 -c "
import json
a, b = json.load(open('$tmp/goto.json')), json.load(open('$tmp/$e.json'))
assert a['engine'] == 'interp' and b['engine'] == '$e', (a['engine'], b['engine'])
assert a['packets'] == b['packets'] and a['maps'] == b['maps'] and a['summary'] == b['summary']"
	done
	check "--coverage runs the interpreter" 0 '"engine": "interp"' -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --engine jit --coverage "$tmp/jc.info" --report json
else
	ok "--engine jit: a clear error without a JIT" -- sh -c "[ $jit = 1 ] && grep -q 'no JIT for this machine' '$tmp/jit.json'"
fi

# maps in and out
check "--maps-out" 0 "" -- "$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --map-update "$block" --maps-out "$tmp/maps.json"
ok "--maps-out holds the drop count" -- python3 -c "
import json
m = json.load(open('$tmp/maps.json'))
e = m['blocked']['entries']
assert e == [{'key': 'c0000242', 'value': '0300000000000000', 'formatted': {'key': 1107427520, 'value': 3}}] or \
       [(x['key'], x['value']) for x in e] == [('c0000242', '0300000000000000')], e"
check "--maps-in carries on from the file" 0 "XDP_DROP                            3" -- "$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --maps-in "$tmp/maps.json" --maps-out "$tmp/maps2.json"
ok "--maps-in: counts go on from 3 to 6" -- grep -q '"value": "0600000000000000"' "$tmp/maps2.json"

# expectations: a baseline holds, a changed one fails with a readable diff
check "--write-expect" 0 "6 packets" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --write-expect "$tmp/tx.expect"
ok "baseline lines" -- grep -q '^3 XDP_REDIRECT redirect=ifindex:7 len=50 sha256=' "$tmp/tx.expect"
ok "baseline keeps rewritten bytes" -- grep -q '^1 XDP_TX len=54 sha256=[0-9a-f]\{64\} data=020000000001020000000002' "$tmp/tx.expect"
ok "baseline keeps map contents" -- grep -qx 'map seen 00000000 0200000000000000' "$tmp/tx.expect"
ok "baseline leaves read-only data out" -- sh -c "! grep -q rodata '$tmp/tx.expect'"
check "--expect holds" 0 "expectations: 7 checked, 0 failed" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/tx.expect"
sed -e 's/^2 XDP_DROP/2 XDP_PASS/' "$tmp/tx.expect" >"$tmp/verdict.expect"
check "verdict mismatch: exit 1" 1 "verdict: expected XDP_PASS, got XDP_DROP" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/verdict.expect"
check "mismatch names packet and line" 1 "MISMATCH: packet 2 ($tmp/verdict.expect line 4): expected XDP_PASS" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/verdict.expect"
check "mismatch on stderr without a text report" 1 "verdict: expected XDP_PASS, got XDP_DROP" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/verdict.expect" --report json:"$tmp/x.json"
# packet 6's rewrite expected differently: the first differing byte and its trace
sed -e '/^6 /s/data=020000000001/data=020000000003/' -e '/^6 /s/sha256=[0-9a-f]*/sha256=0000000000000000000000000000000000000000000000000000000000000000/' "$tmp/tx.expect" >"$tmp/bytes.expect"
check "byte diff" 1 "data_out: first difference at byte 5: expected 0x03 (data=), got 0x01" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/bytes.expect"
check "byte diff shows the packet's trace" 1 $'got 0x01\n    trace: tx 2' -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/bytes.expect"
# an unchanged packet expected: the diff is against the packet as captured
printf '1 XDP_TX sha256=%s\n' "$(python3 -c "
import struct
d = open('$data/xdp_tx.pcap','rb').read()
import hashlib
n = struct.unpack('<I', d[24+8:24+12])[0]
print(hashlib.sha256(d[40:40+n]).hexdigest())")" >"$tmp/unchanged.expect"
check "byte diff against the captured packet" 1 "first difference at byte 5: expected 0x02 (the packet as captured), got 0x01" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/unchanged.expect"
printf '2 1\n3 4 redirect=ifindex:8\n5 2 len=61\n' >"$tmp/numbers.expect"
check "numeric verdicts and items" 1 "redirect: expected ifindex:8, got ifindex:7" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/numbers.expect"
check "len item" 1 "len: expected 61, got 60" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/numbers.expect"
check "only 2 of 3 failed" 1 "expectations: 3 checked, 2 failed" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/numbers.expect"
printf '9 XDP_PASS\n' >"$tmp/beyond.expect"
check "expected packet past the end" 1 "expected XDP_PASS, but the capture has 6 packets" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/beyond.expect"
printf 'map seen 00000000 0500000000000000\nmap nosuch 00 00\n' >"$tmp/maps.expect"
check "final map mismatch" 1 "map seen key 00000000 ($tmp/maps.expect line 1): expected 0500000000000000, got 0200000000000000" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/maps.expect"
check "unknown map" 1 "map nosuch ($tmp/maps.expect line 2): the object has no such map" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/maps.expect"
printf '3 XDP_PASS\n2 XDP_DROP\n' >"$tmp/order.expect"
check "lines out of order" 1 "packet 2 after packet 3" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/order.expect"
printf '1 XDP_TX frob=1\n' >"$tmp/item.expect"
check "unknown item" 1 "item.expect:1: unknown item 'frob='" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/item.expect"
printf 'one XDP_TX\n' >"$tmp/num.expect"
check "not a packet number" 1 "num.expect:1: 'one' is not a packet number" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/num.expect"
check "missing expectations file" 1 "cannot read" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/none.expect"

# packets the kernel refuses: an error each, replay goes on; a baseline
# that expects them passes
check "zero-length packets: replay goes on" 1 "packet 4: 54 bytes: XDP_PASS" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap"
check "zero-length packet error" 1 "packet 2: 0 bytes: error: the packet is 0 bytes" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap"
check "unexpected errors fail the run" 1 "2 packets failed" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap"
"$bs" replay "$fw" --pcap "$data/zero_len.pcap" --write-expect "$tmp/zero.expect" >/dev/null 2>&1
ok "baseline says error" -- grep -q '^2 error' "$tmp/zero.expect"
check "expected errors pass" 0 "2 errors" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap" --expect "$tmp/zero.expect"
printf '1 error\n' >"$tmp/want_error.expect"
check "an error expected, a verdict got" 1 "expected error" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap" --expect "$tmp/want_error.expect"

# broken and unusual captures
check "truncated capture" 1 "packet 3: truncated dump file" -- "$bs" replay "$fw" --pcap "$data/truncated.pcap"
check "truncated capture: the offset" 1 "file offset 164, after 2 good packets" -- "$bs" replay "$fw" --pcap "$data/truncated.pcap"
check "truncated capture: packets before it ran" 1 "packet 2: 54 bytes: XDP_PASS" -- "$bs" replay "$fw" --pcap "$data/truncated.pcap"
check "cut record header" 1 "packet 3:" -- "$bs" replay "$fw" --pcap "$data/truncated_header.pcap"
check "impossible caplen" 1 "file offset 94" -- "$bs" replay "$fw" --pcap "$data/bad_caplen.pcap"
check "not a capture" 1 "is not a pcap or pcapng capture" -- "$bs" replay "$fw" --pcap "$data/corrupt.pcap"
check "missing capture" 1 "cannot read" -- "$bs" replay "$fw" --pcap "$tmp/none.pcap"
check "unsupported link type" 1 "link type 105 (IEEE802_11)" -- "$bs" replay "$fw" --pcap "$data/wifi.pcap"
check "empty capture" 0 "0 packets, 0 errors" -- "$bs" replay "$fw" --pcap "$data/empty.pcap"
check "snaplen-cut packets: the captured bytes" 0 "packet 1: 34 bytes: XDP_DROP" -- "$bs" replay "$fw" --pcap "$data/snaplen.pcap" --map-update "$block"
check "raw IP capture" 0 "packet 1: 54 bytes: XDP_DROP" -- "$bs" replay "$fw" --pcap "$data/raw_ip.pcap" --map-update "$block"
check "LINKTYPE_IPV4 capture" 0 "packet 4: 54 bytes: XDP_DROP" -- "$bs" replay "$fw" --pcap "$data/ipv4.pcap" --map-update "$block"
check "Linux cooked capture" 0 "3 packets, 0 errors" -- "$bs" replay "$fw" --pcap "$data/sll.pcap" --map-update "$block"
"$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --map-update "$block" --write-expect "$tmp/fw.expect" >/dev/null 2>&1
for f in firewall.pcapng firewall_be.pcap firewall_ns.pcap; do
	check "$f: the pcap's baseline holds" 0 "expectations: 9 checked, 0 failed" -- "$bs" replay "$fw" --pcap "$data/$f" --map-update "$block" --expect "$tmp/fw.expect"
done
check "the checked-in firewall baseline" 0 "0 failed" -- "$bs" replay "$fw" --pcap "$src/examples/xdp_firewall.pcap" --map-update "$block" --expect "$src/examples/xdp_firewall.expect"

# the output pcap and its verdicts
check "--out" 0 "6 packets" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --out "$tmp/out.pcap"
ok "--out holds the packets after the program" -- python3 -c "
import struct, json
d = open('$tmp/out.pcap', 'rb').read()
magic, _, _, _, _, snap, link = struct.unpack('<IHHiIII', d[:24])
assert magic == 0xa1b2c3d4 and link == 1, (hex(magic), link)
rep = json.load(open('$tmp/goto.json'))
at, n = 24, 0
while at < len(d):
    sec, usec, cap, wire = struct.unpack('<IIII', d[at:at + 16])
    frame = d[at + 16:at + 16 + cap].hex()
    assert frame == rep['packets'][n]['data_out'], (n, frame)
    assert sec == 1700000000 + n and usec == 1000 * n
    at += 16 + cap
    n += 1
assert n == 6, n"
ok "--out verdicts file" -- grep -q '^2 XDP_DROP len=54 sha256=' "$tmp/out.pcap.verdicts"
check "the verdicts file is a baseline" 0 "0 failed" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/out.pcap.verdicts"
check "--out unwritable" 1 "cannot write" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --out "$tmp/no/dir/out.pcap"
check "--out keeps a refused packet as it came" 1 "2 packets failed" -- "$bs" replay "$fw" --pcap "$data/zero_len.pcap" --out "$tmp/zero_out.pcap"
ok "--out: 4 packets, the refused ones unchanged" -- python3 -c "
d = open('$tmp/zero_out.pcap', 'rb').read()
src = open('$data/zero_len.pcap', 'rb').read()
assert d[24:] == src[24:], 'frames differ'"

# JSON report
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --engine interp --expect "$tmp/verdict.expect" --report json:"$tmp/r.json" >/dev/null 2>&1
ok "JSON report" -- python3 -c "
import json, hashlib
r = json.load(open('$tmp/r.json'))
assert r['program'] == 'xdp_tx' and r['engine'] == 'interp' and r['type'] == 'xdp'
p = r['packets']
assert [x['index'] for x in p] == [1, 2, 3, 4, 5, 6]
assert [x['verdict'] for x in p] == ['XDP_TX', 'XDP_DROP', 'XDP_REDIRECT', 'XDP_ABORTED', 'XDP_PASS', 'XDP_TX']
assert [x['retval'] for x in p] == [3, 1, 4, 0, 2, 3]
assert p[2]['redirect'] == 'ifindex:7' and p[0]['redirect'] is None
assert p[0]['trace'] == ['tx 1'] and p[5]['trace'] == ['tx 2'] and p[1]['trace'] == []
assert p[0]['ringbuf'] == [{'map': 'events', 'data': 'c0000201'}] and p[1]['ringbuf'] == []
for x in p:
    assert hashlib.sha256(bytes.fromhex(x['data_out'])).hexdigest() == x['sha256']
    assert x['len'] == len(bytes.fromhex(x['data_out']))
assert p[1]['expectation']['ok'] is False and 'XDP_PASS' in p[1]['expectation']['diff']
assert p[0]['expectation'] == {'ok': True, 'diff': None}
s = r['summary']
assert s['packets'] == 6 and s['errors'] == 0 and s['expectations_failed'] == 1
assert s['verdicts'] == {'XDP_TX': 2, 'XDP_DROP': 1, 'XDP_REDIRECT': 1, 'XDP_ABORTED': 1, 'XDP_PASS': 1}
assert r['maps']['seen']['entries'][0]['value'] == '0200000000000000'
assert r['error'] is None"
"$bs" replay "$fw" --pcap "$data/truncated.pcap" --report json:"$tmp/t.json" >/dev/null 2>&1
ok "JSON report of a broken capture" -- python3 -c "
import json
r = json.load(open('$tmp/t.json'))
assert len(r['packets']) == 2 and r['error']['kind'] == 'parse', r['error']
assert 'offset 164' in r['error']['hint']"
"$bs" replay "$fw" --pcap "$data/zero_len.pcap" --report json:"$tmp/z.json" >/dev/null 2>&1
ok "JSON report of refused packets" -- python3 -c "
import json
r = json.load(open('$tmp/z.json'))
p = r['packets'][1]
assert p['error']['kind'] == 'argument' and p['verdict'] is None and p['data_out'] is None
assert r['summary']['verdicts'] == {'XDP_PASS': 2, 'error': 2}"

# JUnit report: well-formed XML, one test case per packet
"$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --expect "$tmp/bytes.expect" --report junit:"$tmp/j.xml" --report text:"$tmp/t.txt" >/dev/null 2>&1
ok "JUnit report is XML with one failure" -- python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/j.xml').getroot()
assert root.tag == 'testsuites' and root.get('tests') == '6' and root.get('failures') == '1', root.attrib
suite = root.find('testsuite')
cases = suite.findall('testcase')
assert [c.get('name') for c in cases][:3] == ['packet 1 XDP_TX', 'packet 2 XDP_DROP', 'packet 3 XDP_REDIRECT']
failed = [c for c in cases if c.find('failure') is not None]
assert len(failed) == 1 and failed[0].get('name') == 'packet 6 XDP_TX'
assert 'first difference at byte 5' in failed[0].find('failure').text
assert 'tx 2' in failed[0].find('system-out').text"
ok "--report text:FILE" -- grep -q "expectations: 7 checked, 1 failed" "$tmp/t.txt"
"$bs" replay "$fw" --pcap "$data/zero_len.pcap" --report junit:"$tmp/z.xml" >/dev/null 2>&1
ok "JUnit: refused packets are errors" -- python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/z.xml').getroot()
assert root.get('errors') == '2' and root.get('failures') == '0', root.attrib"
"$bs" replay "$fw" --pcap "$data/truncated.pcap" --report junit:"$tmp/tr.xml" >/dev/null 2>&1
ok "JUnit: a broken capture is an error case" -- python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$tmp/tr.xml').getroot()
assert root.get('tests') == '3' and root.get('errors') == '1', root.attrib"
if command -v xmllint >/dev/null 2>&1; then
	ok "JUnit: xmllint" -- xmllint --noout "$tmp/j.xml"
fi

# coverage: lcov tracefile from .BTF.ext lines, per-instruction side file
check "--coverage" 0 "6 packets" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --coverage "$tmp/cov.info"
ok "lcov records" -- python3 -c "
lines = open('$tmp/cov.info').read().split('\n')
assert lines[0] == 'TN:' and lines[1].endswith('/tests/data/pcap/xdp_tx.c'), lines[:2]
src = open('$data/xdp_tx.c').read().split('\n')
fn = 1 + next(i for i, l in enumerate(src) if l.startswith('int xdp_tx('))
ihl = 1 + next(i for i, l in enumerate(src) if 'ip->ihl != 5' in l)
fnl = [l for l in lines if l.startswith('FN:')]
assert fnl and fnl[0].endswith(',xdp_tx') and abs(int(fnl[0][3:].split(',')[0]) - fn) <= 1, (fnl, fn)
assert 'FNDA:6,xdp_tx' in lines
assert 'end_of_record' in lines
da = {int(l[3:].split(',')[0]): int(l.split(',')[1]) for l in lines if l.startswith('DA:')}
assert max(da.values()) == 6, da   # the function's first lines: every packet
assert da[ihl] == 5, da             # the IHL check: the five IPv4 packets
brda = [l for l in lines if l.startswith('BRDA:')]
assert brda and all(len(b[5:].split(',')) == 4 for b in brda)
lf = int([l for l in lines if l.startswith('LF:')][0][3:])
assert lf == len(da)" 
ok "per-instruction counts" -- grep -qE '^ +0 +6 r0 = 2 ; xdp_tx.c:[0-9]+$' "$tmp/cov.info.insns"
ok "branch counts" -- grep -qE 'if r1 > r2 goto pc\+[0-9]+ \[taken 0 fallthrough 6\]' "$tmp/cov.info.insns"
if command -v genhtml >/dev/null 2>&1; then
	ok "genhtml accepts the tracefile" -- genhtml --branch-coverage -q -o "$tmp/html" "$tmp/cov.info"
	ok "genhtml wrote the source page" -- test -f "$tmp/html/index.html"
else
	echo "skip genhtml checks: genhtml is not installed"
fi
if command -v lcov >/dev/null 2>&1; then
	check "lcov --summary" 0 "lines......: 100.0% (20 of 20 lines)" -- lcov --summary "$tmp/cov.info"
fi
check "--coverage unwritable" 1 "cannot write" -- "$bs" replay "$tx" --pcap "$data/xdp_tx.pcap" --coverage "$tmp/no/dir/c.info"

# scale: memory stays flat with the capture's size
python3 -c "
import struct, sys
d = open('$data/xdp_tx.pcap', 'rb').read()
hdr, recs, at = d[:24], [], 24
while at < len(d):
    cap = struct.unpack('<I', d[at + 8:at + 12])[0]
    recs.append(d[at:at + 16 + cap]); at += 16 + cap
for n, name in ((3000, 'small'), (30000, 'big')):
    with open('$tmp/' + name + '.pcap', 'wb') as f:
        f.write(hdr)
        for i in range(n):
            f.write(recs[i % len(recs)])
"
# Constant memory: ten times the packets take no more memory, with every
# report and output (kept as they go) or without. The slack (8 MiB) is for
# the sanitizers' allocator caches; a per-packet leak of even 300 bytes
# over the 27,000 extra packets would exceed it.
if [ -x /usr/bin/time ]; then
	rss() { # NAME PCAP [OPTIONS...]
		local name=$1 pcap=$2
		shift 2
		# AddressSanitizer keeps freed memory in quarantine (up to 256 MiB):
		# memory that grows with the packets, but not the program's
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
			/usr/bin/time -f %M -o "$tmp/$name.rss" "$bs" replay "$tx" --pcap "$pcap" "$@" >/dev/null 2>&1
		tail -1 "$tmp/$name.rss"
	}
	all=(--report json:/dev/null --report junit:/dev/null --out "$tmp/o.pcap" --coverage "$tmp/o.info" --write-expect "$tmp/o.expect")
	small_bare=$(rss small_bare "$tmp/small.pcap" --report text:/dev/null)
	small_all=$(rss small_all "$tmp/small.pcap" "${all[@]}")
	big_bare=$(rss big_bare "$tmp/big.pcap" --report text:/dev/null)
	big_all=$(rss big_all "$tmp/big.pcap" "${all[@]}")
	ok "replay's memory does not grow with the capture" -- python3 -c "
assert $big_bare < $small_bare + 8192, ('KiB, bare replay: 3000 packets', $small_bare, '30000 packets', $big_bare)
assert $big_all < $small_all + 8192, ('KiB, every output: 3000 packets', $small_all, '30000 packets', $big_all)"
	"$bs" replay "$tx" --pcap "$tmp/big.pcap" --write-expect "$tmp/b.expect" >/dev/null 2>&1
	check "30000 packets against their baseline" 0 "30000 packets, 0 errors, 1255000 instructions; expectations: 30001 checked, 0 failed" -- "$bs" replay "$tx" --pcap "$tmp/big.pcap" --expect "$tmp/b.expect" --report text:/dev/stdout --report junit:"$tmp/big.xml"
fi

# bpfstep reads common captures (classic, this machine's byte order) itself
# and leaves the rest, and every record libpcap treats specially, to
# libpcap, which alone reads stdin: a capture replays the same from its file
# and from stdin, time stamps, cut records and errors included. Crafted:
# time stamps past 2^31 seconds, a record longer than the snapshot length
# (libpcap keeps its first snaplen bytes), records of up to 256 KiB (the
# largest libpcap takes) across bpfstep's 1 MiB reads, and the 30,000-packet
# capture cut inside a record past the first megabyte.
python3 -c "
import struct
eth = bytes(range(12)) + b'\\x08\\x00' + bytes(range(46))
def rec(sec, usec, data, wire=None):
    return struct.pack('<IIII', sec, usec, len(data), wire or len(data)) + data
with open('$tmp/odd.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 64, 1))
    f.write(rec(0x80000001, 999999, eth))
    f.write(rec(0xfffffffe, 5, eth + bytes(40)))
    f.write(rec(7, 0xffffffff, eth[:54], 1500))
    f.write(rec(8, 1, eth))
with open('$tmp/jumbo.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i in range(10):
        for n in (60, 200000, 262144, 70000, 98):
            f.write(rec(i, n, (eth * (n // len(eth) + 1))[:n]))
d = open('$tmp/big.pcap', 'rb').read()
open('$tmp/bigcut.pcap', 'wb').write(d[:(1 << 20) + 1000])
# a snapshot length past libpcap's maximum, and a record past that maximum
with open('$tmp/over.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 300000, 1))
    f.write(rec(1, 1, eth))
    f.write(rec(2, 2, (eth * 4400)[:262145]))
# a record cut to the snapshot length, then one cut short by the file's end:
# its offset counts the first one's bytes on disk (24 + 76 + 116 = 216)
with open('$tmp/cutoff.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 64, 1))
    f.write(rec(1, 1, eth))
    f.write(rec(2, 2, eth + bytes(40)))
    f.write(rec(3, 3, eth)[:40])
"
for f in "$data"/*.pcap "$data"/*.pcapng "$src"/examples/*.pcap "$tmp/odd.pcap" "$tmp/jumbo.pcap" "$tmp/big.pcap" "$tmp/bigcut.pcap" "$tmp/over.pcap" "$tmp/cutoff.pcap"; do
	name=${f##*/}
	"$bs" replay "$fw" --pcap "$f" --map-update "$block" --pcap-time --report text:"$tmp/file.txt" --out "$tmp/file.out" >"$tmp/file.err" 2>&1
	fs=$?
	"$bs" replay "$fw" --pcap - --map-update "$block" --pcap-time --report text:"$tmp/stdin.txt" --out "$tmp/stdin.out" <"$f" >"$tmp/stdin.err" 2>&1
	ss=$?
	sed -i "s#'$f'#'-'#g" "$tmp/file.txt" "$tmp/file.err"
	ok "$name: the same from its file and from stdin (status $fs, $ss)" -- sh -c '[ "$0" = "$1" ] && cmp "$2/file.txt" "$2/stdin.txt" && cmp "$2/file.err" "$2/stdin.err" && cmp "$2/file.out" "$2/stdin.out"' "$fs" "$ss" "$tmp"
done
check "the record past the snapshot length: its first 64 bytes" 0 "packet 2: 64 bytes" -- "$bs" replay "$fw" --pcap "$tmp/odd.pcap"
check "a record cut past the first megabyte" 1 "truncated dump file" -- "$bs" replay "$fw" --pcap "$tmp/bigcut.pcap" --report none
check "a record past libpcap's maximum, from the file" 1 "bigger than maximum of 262144" -- "$bs" replay "$fw" --pcap "$tmp/over.pcap" --report none
check "the offset after a record cut to the snapshot length" 1 "file offset 216" -- "$bs" replay "$fw" --pcap "$tmp/cutoff.pcap" --report none
ok "time stamps past 2^31 seconds go out as they came in" -- cmp <(tail -c +25 "$tmp/odd.pcap" | head -c 16) <("$bs" replay "$fw" --pcap "$tmp/odd.pcap" --report none --out /dev/stdout | tail -c +25 | head -c 16)

echo "replay: $pass passed, $fail failed"
[ "$fail" = 0 ]
