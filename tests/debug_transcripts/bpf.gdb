# args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt --map-update counts:06000000:05000000000000000000000000000000
# status: 1
# map dump / lookup / update / delete, info maps, packet, explain, trace
info maps
start
packet
explain
stepi 2
explain
map dump counts
map lookup counts key 6 0 0 0
map lookup counts key 6
map update counts key 17 value hex 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00
map lookup counts key 17
map lookup counts key 1 2
map delete counts key 6
map dump nosuch
trace
break 44
continue
explain
stepi 2
explain
continue
map dump counts
