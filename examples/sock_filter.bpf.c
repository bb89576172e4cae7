// SPDX-License-Identifier: MIT
/* Socket filter: keeps only TCP segments to port 80 (IPv4, any IP header
 * length, first fragment) and drops everything else. A socket filter returns
 * how many bytes of the packet to keep: the whole skb->len, or 0 to drop it.
 *
 * What the filter sees: skb->protocol is the EtherType in network byte order
 * and the skb data starts at the IP header, as for a filter on an AF_INET
 * socket and under BPF_PROG_TEST_RUN (which consumes the Ethernet header of
 * the packet it is given with eth_type_trans). Headers are copied out with
 * bpf_skb_load_bytes: socket filters may not read skb->data directly.
 *
 * Packets (Ethernet frames): sock_filter_http.pkt (TCP SYN to port 80, with
 * 4 bytes of IP options: accepted, returns 64 = its length without the
 * Ethernet header), sock_filter_ssh.pkt (TCP to port 22) and
 * sock_filter_udp.pkt (UDP to port 80): both dropped, 0. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	struct iphdr ip;
	__u16 dport;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 0;
	if (ip.protocol != IPPROTO_TCP || (ip.frag_off & bpf_htons(0x1fff)))
		return 0;
	__u32 tcp_off = ip.ihl * 4;
	if (bpf_skb_load_bytes(skb, tcp_off + offsetof(struct tcphdr, dest), &dport,
			       sizeof(dport)) < 0)
		return 0;
	if (dport != bpf_htons(80))
		return 0;
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
