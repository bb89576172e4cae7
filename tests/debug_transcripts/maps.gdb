# args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt
# status: 1
# map update / delete and set var on a map value, typed by BTF, kept by
# reverse steps (made at a position, repeated by every re-run that passes
# it, forgotten by going back before it); bytes with /x; bad input (status 1)
break 44
run
map lookup counts key 6
map update counts key 6 value {packets = 100, bytes = 0x1000}
set var counts[17].packets = 7
set var counts[1] = {"packets": 1, "bytes": 2}
map lookup/x counts key 17
stepi
reverse-stepi
print counts
goto 10
print counts
goto 23
map lookup counts key 6
map update counts key 6 value {packets = 100}
continue
map lookup counts key 6
map update counts key 6 value {packets = 100, nosuch = 1}
map update counts key 6 value {packets = 100
map delete counts key 6
set var counts[6].nosuch = 1
map update counts key 300 value hex 00
map lookup counts key 999
