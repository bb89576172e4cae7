# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 0
# reverse-stepi, reverse-next, reverse-step, reverse-finish,
# reverse-continue and goto, with state checked on the way
break fold
run
p $r1
continue
p $r1
reverse-continue
p $r1
reverse-continue
p $count
continue
continue
reverse-stepi
reverse-stepi 3
rsi
rn
rs
step
step
reverse-finish
info registers r0
goto 10
p $count
rc
rc
continue
continue
continue
