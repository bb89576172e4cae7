# args: OBJ/pkt_counter.bpf.o --data-in SRC/examples/pkt_counter_tcp.pkt
# status: 1
# print (formats, casts, pointers, assignment), x, display / undisplay,
# set var, set {type}, info registers, info frame
start
print 1 + 2 * 3
p/x 255
p/t 10
p/c 65
p/d (s8)0xff
p/u (u8)-1
p $pkt
p $ctx
p *(u16 *)($pkt + 12)
p {u8}($pkt + 23)
p $pkt_end - $pkt
p ($r1 == $ctx) && ($fp == $r10)
p 1 / 0
p $r11
x/4xb $pkt
x/2xh $pkt + 12
x/2xw $pkt
x/1xg $pkt
x/6db $pkt + 26
x/4c $pkt + 54
x/3i 0
display $r0
display/4xb $pkt + 12
stepi 3
info display
undisplay 1
stepi
undisplay
set var $r7 = 0x1234
p/x $r7
set {u16}($pkt + 12) = 0x0608
x/2xb $pkt + 12
set var $r10 = 1
info registers
info registers r6
stepi 5
info frame
continue
map lookup counts key 0
