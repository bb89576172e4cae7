# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 1
# break by function, file:line, line, *insn; tbreak; condition; ignore;
# disable / enable / delete; info breakpoints
break fold
break subprogs.bpf.c:80
tbreak *3
b 57 if $r1 != 0
info breakpoints
run
continue
continue
condition 1 $w1 > 1000
ignore 4 1
info breakpoints
run
continue
continue
disable 1 2
enable 2
delete 4
info breakpoints
run
continue
delete
info breakpoints
break nosuch
break 9999
