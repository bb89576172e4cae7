# args: OBJ/pkt_counter.bpf.o --pcap SRC/examples/pkt_counter.pcap --packet 4
# status: 0
# --pcap/--packet: packet 4 of the capture starts from the maps packets 1..3
# left (TCP, UDP and ICMP counted once each); reverse steps re-run it from
# those maps again. packet marks the bytes read so far.
start
print counts
break 44
continue
packet
reverse-stepi 10
packet
goto 0
map lookup counts key 6
continue
stepi 3
info registers r1
continue
map dump counts
