# args: OBJ/dispatch.bpf.o --prog handle_tcp --data-in SRC/examples/dispatch_tcp.pkt
# status: 0
# the stop line and backtrace name a function inlined into the program; a
# hash map of typed keys and a single-entry array shown like bpftool
break 48
run
backtrace
info locals
next
next
print stats
map dump seen
set var stats[0].dispatched = 41
continue
map dump stats
