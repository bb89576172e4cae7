#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the bundled packet captures with nothing but the struct module:
the examples' captures (examples/*.pcap, for `bpfstep replay`) and the
reader's test captures (tests/data/pcap/*). The outputs are checked in;
run `python3 examples/make_pcaps.py` from the source tree to remake them
(the bytes come out the same every time)."""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
TESTS = os.path.join(ROOT, "tests", "data", "pcap")

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
T0 = 1700000000  # capture time of the first packet (2023-11-14)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def eth(payload, proto, dst=MAC_B, src=MAC_A):
    return dst + src + struct.pack("!H", proto) + payload


def ipv4(src, dst, proto, payload, ident=0x1C46, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), ident,
                      0x4000, 64, proto, 0, ip4(src), ip4(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_csum(src, dst, proto, seg):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def tcp(src, dst, sport, dport, flags=0x02, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 0xFAF0, 0, 0) + payload
    c = l4_csum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_echo(payload=b"bpfstep!"):
    msg = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def tcp4(src, dst, sport, dport, **kw):
    return eth(ipv4(src, dst, 6, tcp(src, dst, sport, dport), **kw), 0x0800)


def udp4(src, dst, sport, dport, payload=b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"):
    return eth(ipv4(src, dst, 17, udp(src, dst, sport, dport, payload)), 0x0800)


def icmp4(src, dst):
    return eth(ipv4(src, dst, 1, icmp_echo()), 0x0800)


def udp6():
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    seg = struct.pack("!HHHH", 5353, 5353, 8 + 4, 0) + b"bpf!"
    pseudo = src + dst + struct.pack("!IxxxB", len(seg), 17)
    seg = seg[:6] + struct.pack("!H", csum(pseudo + seg)) + seg[8:]
    hdr = struct.pack("!IHBB", 0x60000000, len(seg), 17, 64) + src + dst
    return eth(hdr + seg, 0x86DD)


def arp():
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_A + ip4("192.0.2.1") + \
        bytes(6) + ip4("192.0.2.2")
    return eth(body + bytes(18), 0x0806, dst=b"\xff" * 6)


# ---- pcap and pcapng ----

def pcap(frames, linktype=1, snaplen=65535, magic=0xA1B2C3D4, endian="<", cut=None):
    """frames: bytes, or (bytes, wire_len); cut: captured bytes of each"""
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, f in enumerate(frames):
        data, wire = (f, len(f)) if isinstance(f, bytes) else f
        if cut is not None:
            data = data[:cut]
        frac = i * 1000 if magic == 0xA1B2C3D4 else i * 1000000
        out += struct.pack(endian + "IIII", T0 + i, frac, len(data), wire) + data
    return out


def pcapng(frames, linktype=1):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 0))
    for i, f in enumerate(frames):
        ts = (T0 + i) * 1000000 + i * 1000  # microseconds, the default if_tsresol
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f
        out += block(6, body)
    return out


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (os.path.relpath(path, ROOT), len(data)))


def main():
    blocked = "192.0.2.66"
    firewall = [
        tcp4(blocked, "198.51.100.7", 50000, 80),
        tcp4("198.51.100.7", "192.0.2.66", 50001, 443),
        udp4("203.0.113.9", "198.51.100.7", 53000, 53),
        tcp4(blocked, "198.51.100.7", 50000, 80, ident=0x1C47),
        udp6(),
        arp(),
        icmp4(blocked, "198.51.100.7"),
        tcp4("198.51.100.8", "192.0.2.66", 50002, 22),
    ]
    counter = [
        tcp4("192.0.2.1", "198.51.100.7", 50000, 80),
        udp4("192.0.2.1", "198.51.100.53", 53000, 53),
        icmp4("192.0.2.1", "198.51.100.7"),
        arp(),
        tcp4("192.0.2.1", "198.51.100.7", 50001, 443),
    ]
    opts = b"\x01\x01\x01\x00"  # NOP NOP NOP EOL: 24-byte IP header
    sock = [
        eth(ipv4("192.0.2.1", "198.51.100.7", 6, tcp("192.0.2.1", "198.51.100.7", 50000, 80),
                 options=opts), 0x0800),
        tcp4("192.0.2.1", "198.51.100.7", 50000, 22),
        udp4("192.0.2.1", "198.51.100.7", 50000, 80),
        tcp4("192.0.2.1", "198.51.100.7", 50001, 80),
    ]
    write(os.path.join(EXAMPLES, "xdp_firewall.pcap"), pcap(firewall))
    write(os.path.join(EXAMPLES, "pkt_counter.pcap"), pcap(counter))
    write(os.path.join(EXAMPLES, "sock_filter.pcap"), pcap(sock))

    # tests/data/pcap/xdp_tx.c: TX (UDP, rewritten), DROP (telnet), REDIRECT
    # (ICMP), ABORTED (IPv4 options), PASS (everything else)
    tx = [
        udp4("192.0.2.1", "198.51.100.7", 53000, 53),
        tcp4("192.0.2.1", "198.51.100.7", 50000, 23),
        icmp4("192.0.2.1", "198.51.100.7"),
        eth(ipv4("192.0.2.1", "198.51.100.7", 6, tcp("192.0.2.1", "198.51.100.7", 1, 80),
                 options=opts), 0x0800),
        arp(),
        udp4("192.0.2.9", "198.51.100.7", 53001, 53),
    ]
    os.makedirs(TESTS, exist_ok=True)
    t = lambda name: os.path.join(TESTS, name)
    write(t("xdp_tx.pcap"), pcap(tx))
    write(t("firewall.pcapng"), pcapng(firewall))
    write(t("firewall_be.pcap"), pcap(firewall, endian=">"))
    write(t("firewall_ns.pcap"), pcap(firewall, magic=0xA1B23C4D))
    write(t("raw_ip.pcap"), pcap([f[14:] for f in firewall[:5]], linktype=101))
    write(t("ipv4.pcap"), pcap([f[14:] for f in firewall[:4]], linktype=228))
    sll = [struct.pack("!HHH", 0, 1, 6) + MAC_A + b"\0\0" + f[12:] for f in firewall[:3]]
    write(t("sll.pcap"), pcap(sll, linktype=113))
    write(t("snaplen.pcap"), pcap([(f, len(f)) for f in firewall[:3]], snaplen=34, cut=34))
    write(t("zero_len.pcap"), pcap([firewall[0], b"", firewall[1][:10], firewall[2]]))
    good = pcap(firewall[:3])
    write(t("truncated.pcap"), good[:-20])              # the last packet's data cut
    write(t("truncated_header.pcap"), pcap(firewall[:2]) + good[24:24 + 8])
    write(t("empty.pcap"), pcap([]))
    write(t("corrupt.pcap"), b"this is not a capture file at all, only text\n")
    bad = bytearray(pcap(firewall[:3]))
    second = 24 + 16 + len(firewall[0])
    struct.pack_into("<I", bad, second + 8, 0x7FFFFFF0)  # caplen of packet 2
    write(t("bad_caplen.pcap"), bytes(bad))
    write(t("wifi.pcap"), pcap([firewall[0]], linktype=105))
    return 0


if __name__ == "__main__":
    sys.exit(main())
