# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 0
# backtrace, frame N, up, down, info stack, info frame in a caller
break load_word
run
backtrace
frame 1
up
info frame
down
down
frame
info stack
finish
bt
continue
delete
continue
