/* SPDX-License-Identifier: MIT */
/* The benchmark programs, written once. Each is an XDP program over one
 * 1500-byte packet, compiled
 *   - with clang -target bpf into progs.bpf.o (the kernel's ABI: struct
 *     xdp_md, an array map), and with BENCH_LOOP_FREE into progs_lf.bpf.o;
 *   - with clang -O2 for the host (BENCH_NATIVE, the ceiling);
 *   - for DPDK's librte_bpf (BENCH_RTE, clang -target bpf -mcpu=v2), as
 *     written into progs_rte.bpf.o and with BENCH_LOOP_FREE into
 *     progs_rte_lf.bpf.o, one section "rte/NAME" per program.
 * BENCH_LOOP_FREE unrolls every loop (librte_bpf's validator refuses
 * backward jumps) and folds the checksum a fixed number of times. */
#ifndef BENCH_PROGS_H
#define BENCH_PROGS_H

#define BENCH_PKT_LEN 1500
#define BENCH_MAP_ENTRIES 256

#if defined(BENCH_NATIVE)
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
struct bench_ctx { void *data, *data_end; };
#define CTX struct bench_ctx
#define DATA(c) ((c)->data)
#define DATA_END(c) ((c)->data_end)
#define PROG(name) int name(CTX *ctx)
extern __u64 bench_map[BENCH_MAP_ENTRIES];
static inline void *map_lookup(__u32 key)
{
	return key < BENCH_MAP_ENTRIES ? &bench_map[key] : 0;
}
#elif defined(BENCH_RTE)
#include <linux/types.h>
/* librte_bpf's validator knows one kind of pointer, the program's argument
 * (a buffer of a size given at load time; a pointer loaded from memory is a
 * number to it), so the packet is in the argument, after its length. */
struct bench_rte_ctx {
	__u64 len;
	__u8 data[BENCH_PKT_LEN];
};
#define CTX struct bench_rte_ctx
#define DATA(c) ((void *)(c)->data)
#define DATA_END(c) ((void *)((c)->data + (c)->len))
#define PROG(name) __attribute__((section("rte/" #name), used)) int name(CTX *ctx)
/* No maps either: the array and its lookup are external symbols, resolved
 * by name when rte_bpf_elf_load loads the section (bench/rte.c). */
extern __u64 bench_map[BENCH_MAP_ENTRIES];
extern __u64 *bench_array_lookup(__u64 *map, const __u32 *key);
static inline void *map_lookup(__u32 key)
{
	return bench_array_lookup(bench_map, &key);
}
#else
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, BENCH_MAP_ENTRIES);
} bench_map SEC(".maps");
#define CTX struct xdp_md
#define DATA(c) ((void *)(long)(c)->data)
#define DATA_END(c) ((void *)(long)(c)->data_end)
#define PROG(name) SEC("xdp") int name(CTX *ctx)
static inline void *map_lookup(__u32 key)
{
	return bpf_map_lookup_elem(&bench_map, &key);
}
#endif

/* before every loop: unrolled whole in the loop-free variants (the build
 * raises clang's size limit for compute_loop's 2,000 rounds) */
#ifdef BENCH_LOOP_FREE
#define LOOP _Pragma("clang loop unroll(full)")
#define BYTE_LOOP _Pragma("clang loop unroll(full)")
/* keeps a sum's additions in order: unrolled, clang makes a tree of
 * compute_loop's 2,000 that spills past the 512-byte stack */
#define IN_ORDER(v) __asm__ volatile("" : "+r"(v))
#else
#define LOOP
#define IN_ORDER(v)
/* a loop of single bytes, as written (clang would widen the copy) */
#define BYTE_LOOP _Pragma("clang loop unroll(disable) vectorize(disable)")
#endif

/* 1. arithmetic in a loop: a xorshift generator, 2000 rounds */
PROG(compute_loop)
{
	__u64 x = 88172645463325252ULL ^ (__u64)(DATA_END(ctx) - DATA(ctx)), acc = 0;
	LOOP
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += x & 0xff;
		IN_ORDER(acc);
	}
	return (int)(acc & 3);
}

/* 2. Ethernet / IPv4 / TCP or UDP headers, with every bounds check */
PROG(pkt_parser)
{
	__u8 *p = DATA(ctx), *end = DATA_END(ctx);
	if (p + 14 > end)
		return 1;
	__u16 proto = (__u16)(p[12] << 8 | p[13]);
	__u32 off = 14;
	if (proto == 0x8100) {
		if (p + 18 > end)
			return 1;
		proto = (__u16)(p[16] << 8 | p[17]);
		off = 18;
	}
	if (proto != 0x0800)
		return 2;
	__u8 *ip = p + off;
	if (ip + 20 > end)
		return 1;
	__u32 ihl = (ip[0] & 0xf) * 4;
	if (ihl < 20)
		return 1;
	__u8 *l4 = ip + ihl;
	if (l4 + 8 > end)
		return 1;
	__u16 dport = (__u16)(l4[2] << 8 | l4[3]);
	__u32 saddr = (__u32)ip[12] << 24 | (__u32)ip[13] << 16 | (__u32)ip[14] << 8 | ip[15];
	if (ip[9] == 6 && dport == 80)
		return (saddr & 1) ? 2 : 3;
	if (ip[9] == 17 && dport == 53)
		return 2;
	return 1;
}

/* 3. the Internet checksum over the whole 1500-byte packet */
PROG(checksum)
{
	__u8 *p = DATA(ctx), *end = DATA_END(ctx);
	__u32 sum = 0;
	LOOP
	for (int i = 0; i < BENCH_PKT_LEN; i += 2) {
		if (p + i + 2 > end)
			break;
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	}
#ifdef BENCH_LOOP_FREE
	/* 750 words: sum < 2^26, and two folds bring that below 2^16 */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
#else
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
#endif
	return (int)(~sum & 3);
}

/* 4. array map lookups: 64 per run, each read and updated */
PROG(map_lookups)
{
	__u8 *p = DATA(ctx), *end = DATA_END(ctx);
	__u64 acc = 0;
	if (p + 64 > end)
		return 1;
	LOOP
	for (int i = 0; i < 64; i++) {
		__u64 *v = map_lookup(p[i]);
		if (!v)
			return 1;
		acc += *v;
		*v += 1;
	}
	return (int)(acc & 3);
}

/* 5. a byte copy loop: 512 bytes of the packet to its second half, then a fold */
PROG(byte_copy)
{
	__u8 *p = DATA(ctx), *end = DATA_END(ctx);
	if (p + 1024 > end)
		return 1;
	BYTE_LOOP
	for (int i = 0; i < 512; i++)
		p[512 + i] = p[i];
	__u32 h = 0;
	LOOP
	for (int i = 512; i < 1024; i += 8)
		h = h * 31 + p[i];
	return (int)(h & 3);
}

/* 6. bitwise CRC-32 over 64 bytes */
PROG(crc32)
{
	__u8 *p = DATA(ctx), *end = DATA_END(ctx);
	__u32 crc = 0xffffffff;
	if (p + 64 > end)
		return 1;
	LOOP
	for (int i = 0; i < 64; i++) {
		crc ^= p[i];
		LOOP
		for (int k = 0; k < 8; k++) {
#ifdef BENCH_LOOP_FREE
			/* without a branch: librte_bpf's validator walks every
			 * path, and 512 ifs in a row are 2^512 of them */
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
#else
			if (crc & 1)
				crc = (crc >> 1) ^ 0xedb88320;
			else
				crc >>= 1;
#endif
		}
	}
	return (int)(~crc & 3);
}

#endif
