# args: OBJ/dispatch.bpf.o --prog handle_tcp --data-in SRC/examples/dispatch_tcp.pkt
# status: 0
# next runs a bpf_loop call (and its 20 callback calls) as one line; step
# goes into the callback; bt shows the helper call; finish leaves it
start
next 6
next
break add_byte
info breakpoints
run
bt
p $r1
continue 3
p $r1
delete
finish
reverse-continue
continue
