# args: OBJ/xdp_firewall.bpf.o --data-in SRC/examples/xdp_firewall_blocked.pkt --map-update blocked:c0000242:0000000000000000
# status: 1
# C from DWARF (docs/dwarf.md): info locals / args, print of variables,
# members and packet headers, print/x, ptype, whatis, display, watch of a
# C lvalue, set var, break ... if over C variables; two bad names (status 1)
break xdp_firewall.bpf.c:37 if eth->h_proto == 8 && ip->ttl == 64
run
info args
info locals
print *eth
print eth
print/x eth->h_proto
print ip->saddr
print ip->ttl
print/x ip->protocol
print ((struct iphdr *)(eth + 1))->daddr
print sizeof(struct ethhdr) + ip->ihl * 4
print (__u8 *)ip - (__u8 *)eth
whatis eth->h_dest
ptype struct iphdr
ptype ctx
print nosuch
print eth->nosuch
next
display saddr
print/x saddr
next
print drops
print *drops
set var *drops = 41
print *drops
watch *drops
continue
continue
map dump blocked
