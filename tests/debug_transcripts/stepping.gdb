# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 0
# start, step into a function, next over calls, stepi / nexti, finish,
# until, advance; Enter repeats are a terminal feature (see pty test)
start
next
step
step 2
stepi
si 3
nexti
ni
finish
next
advance 80
stepi 2
