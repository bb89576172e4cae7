# args: --raw ASM/oob.s --type xdp --data-in SRC/examples/http_syn.pkt
# status: 1
# a runtime error stops at the faulting instruction; in batch mode it ends
# the script with exit status 1
run
p $r2
