# tcp_port: the TCP destination port of an Ethernet + IPv4 + TCP packet, or 0.
#
# Raw-program convention (bpfstep run --raw --mem): r1 points to the packet,
# r2 holds its length. Every read is bounds-checked first, as the kernel
# verifier would demand of a real XDP or tc program.
        mov %r0, 0
        jlt %r2, 34, out          # Ethernet (14) + minimal IPv4 header (20)
        ldxh %r3, [%r1+12]        # EtherType, stored big-endian
        be16 %r3
        jne %r3, 0x0800, out      # not IPv4
        ldxb %r4, [%r1+23]        # IPv4 protocol
        jne %r4, 6, out           # not TCP
        ldxb %r5, [%r1+14]        # version and IHL
        and %r5, 0x0f
        lsh %r5, 2                # IPv4 header length in bytes
        mov %r6, %r5
        add %r6, 18               # Ethernet + IPv4 header + both TCP ports
        jgt %r6, %r2, out         # packet too short for the TCP ports
        add %r5, %r1              # r5 + 14 = start of the TCP header
        ldxh %r0, [%r5+16]        # TCP destination port
        be16 %r0
out:
        exit
