#!/usr/bin/env bash
# Options of `bpfstep debug` that transcripts cannot show (they need other
# arguments than a transcript's): --pcap / --packet and their usage errors.
#   debug_options.sh BPFSTEP SRCDIR OBJDIR
set -u
bpfstep=$(realpath "$1") src=$(realpath "$2") obj=$(realpath "$3")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp
pass=0 fail=0
pc=$obj/pkt_counter.bpf.o
cap=$src/examples/pkt_counter.pcap

# check NAME STATUS WANT -- ARGS...: exit status and a fixed string of the output
check() {
	local name=$1 want_status=$2 want=$3
	shift 4
	out=$("$bpfstep" debug "$@" </dev/null 2>&1)
	status=$?
	if [ "$status" = "$want_status" ] && grep -qF -- "$want" <<<"$out"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: status $status (want $want_status), want '$want' in:"
		echo "$out" | head -20
		fail=$((fail + 1))
	fi
}
check "--pcap without --packet" 2 "--pcap needs --packet N" -- "$pc" --pcap "$cap"
check "--packet without --pcap" 2 "--packet is for --pcap" -- "$pc" --data-in "$cap" --packet 2
check "--packet 0" 2 "--packet needs a packet number from 1" -- "$pc" --pcap "$cap" --packet 0
check "--pcap and --data-in" 2 "not both" -- "$pc" --pcap "$cap" --packet 1 --data-in "$cap"
check "no packet at all" 2 "--data-in PKT or --pcap FILE --packet N" -- "$pc"
check "--pcap of a raw program" 2 "not for --raw" -- --raw "$obj/tcp_port.bin" --type xdp --pcap "$cap" --packet 1
check "past the last packet" 1 "has 5 packets, not 9" -- "$pc" --pcap "$cap" --packet 9 --batch -ex run
check "not a capture" 1 "bpfstep debug: error" -- "$pc" --pcap "$pc" --packet 1 --batch -ex run
# packet 1 has nothing before it: the same as --data-in of its bytes
check "packet 1" 0 '[{"key": 6, "value": {"packets": 1, "bytes": 54}}]' -- "$pc" --pcap "$cap" --packet 1 --batch -ex run -ex 'map dump counts'
# packet 5: the four before it counted; every run starts from that state
# again (a second run does not count packet 5 twice)
check "packet 5: the maps after 1..4" 0 '{"key": 0, "value": {"packets": 1, "bytes": 60}}' -- "$pc" --pcap "$cap" --packet 5 --batch -ex start -ex 'map lookup counts key 0' -ex continue
check "packet 5: run twice" 0 '{"key": 6, "value": {"packets": 2, "bytes": 108}}' -- "$pc" --pcap "$cap" --packet 5 --batch -ex run -ex run -ex 'map lookup counts key 6'
check "packet 5: reverse from the exit" 0 '{"key": 6, "value": {"packets": 1, "bytes": 54}}' -- "$pc" --pcap "$cap" --packet 5 --batch -ex run -ex 'reverse-continue' -ex 'map lookup counts key 6' -ex continue
check "the announcement" 0 "Packet 3 of pkt_counter.pcap (50 bytes), after 2 packets replayed." -- "$pc" --pcap "$cap" --packet 3 --batch -ex run
echo "debug-options: $pass passed, $fail failed"
[ "$fail" = 0 ]
