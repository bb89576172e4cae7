# args: OBJ/subprogs.bpf.o --prog xdp_sum --data-in SRC/examples/subprogs_syn.pkt
# status: 0
# list, disassemble (with /s), info line, info source, info functions
info functions
list fold
list
list csum_words
break fold
run
list
info line
info line 79
info source
disassemble
disassemble /s csum_words
continue
delete
continue
