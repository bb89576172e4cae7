# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 1
# the program never exits: batch status 1
break fold
run
