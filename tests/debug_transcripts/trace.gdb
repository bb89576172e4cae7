# args: OBJ/globals.bpf.o --data-in SRC/examples/globals_small.pkt
# status: 0
# bpf_trace_printk output so far: it follows the position, backwards too
start
trace
continue
trace
reverse-stepi
trace
map dump .bss
reverse-continue
trace
continue
