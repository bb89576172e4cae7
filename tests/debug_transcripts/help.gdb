# args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt
# status: 1
# help, help for a command, prefixes, ambiguity, unknown commands
help
help break
help rsi
help info
re
nosuch
info nosuch
run
