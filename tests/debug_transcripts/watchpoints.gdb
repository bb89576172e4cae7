# args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt
# status: 0
# watch a map value, rwatch packet bytes, awatch a stack slot, watch a
# register; each stops with the value; reverse-continue finds them again
start
watch *(u64 *)0x120060
rwatch *(u16 *)($pkt + 12)
info watchpoints
continue
continue
continue
reverse-continue
delete
awatch *(u32 *)($fp - 4)
run
continue
delete
start
watch $r3
continue
continue
delete
continue
