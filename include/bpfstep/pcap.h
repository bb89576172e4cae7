/* SPDX-License-Identifier: MIT */
/* Packet captures in and out (libpcap): a streaming reader of pcap and
 * pcapng files, a pcap writer, and the replay of a capture's first packets
 * through a program (what a debugger needs to stop in packet N with the maps
 * as packets 1..N-1 left them). */
#ifndef BPFSTEP_PCAP_H
#define BPFSTEP_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/run.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Link types (LINKTYPE_* of the pcap format) the reader accepts. Raw IP
 * captures get a synthetic Ethernet header (all-zero addresses, EtherType
 * from the IP version) so programs see the frames BPF_PROG_TEST_RUN takes. */
enum {
	BS_PCAP_LINK_ETHERNET = 1,
	BS_PCAP_LINK_RAW = 101,
	BS_PCAP_LINK_IPV4 = 228,
	BS_PCAP_LINK_IPV6 = 229,
};

struct bs_pcap_reader;

struct bs_pcap_packet {
	uint64_t index;       /* 1 for the file's first packet */
	const uint8_t *data;  /* size bytes, valid until the next call */
	size_t size;          /* what the program sees: caplen (+ 14 for raw IP) */
	uint32_t caplen;      /* bytes captured (a snaplen may have cut the packet) */
	uint32_t len;         /* bytes on the wire */
	uint64_t ts_sec;
	uint32_t ts_usec;     /* microseconds (nanosecond captures are rounded down) */
	int64_t offset;       /* file offset of the packet's record, -1 if unknown */
	bool synthetic_eth;   /* the first 14 bytes were added (raw IP) */
};

/* Opens a pcap or pcapng file ("-": stdin). Other link types than the ones
 * above are refused (BS_ERR_UNSUPPORTED); a file that is not a capture gives
 * BS_ERR_PARSE. */
BS_MUST_CHECK int bs_pcap_open(const char *path, struct bs_pcap_reader **out,
			       struct bs_error *err);
/* The next packet: 1, 0 at the end of the file, or -1 with err (BS_ERR_PARSE
 * naming the packet and the file offset) when the file is truncated or
 * corrupt; the reader cannot go on after an error. Memory stays constant:
 * one buffer, reused. */
BS_MUST_CHECK int bs_pcap_next(struct bs_pcap_reader *r, struct bs_pcap_packet *pkt,
			       struct bs_error *err);
uint32_t bs_pcap_linktype(const struct bs_pcap_reader *r);
uint32_t bs_pcap_snaplen(const struct bs_pcap_reader *r);
/* Bytes of the file read so far and its size (0 when not a regular file). */
void bs_pcap_progress(const struct bs_pcap_reader *r, uint64_t *done, uint64_t *total);
void bs_pcap_close(struct bs_pcap_reader *r);

/* A classic pcap file of Ethernet frames (pcap_dump). */
struct bs_pcap_writer;
BS_MUST_CHECK int bs_pcap_create(const char *path, struct bs_pcap_writer **out,
				 struct bs_error *err);
/* One frame; wire_len below size is raised to size. */
BS_MUST_CHECK int bs_pcap_write(struct bs_pcap_writer *w, uint64_t ts_sec, uint32_t ts_usec,
				const void *data, size_t size, uint32_t wire_len,
				struct bs_error *err);
/* Flushes and closes; 0, or -1 with err when the data did not reach the file. */
int bs_pcap_writer_close(struct bs_pcap_writer *w, struct bs_error *err);

/* One context (ctx_in, n bytes) given for every packet of a capture, fitted
 * to a packet of pkt_size bytes: for xdp, data_end (where the linear part
 * ends) becomes the packet's size; other types keep it as it is. */
void bs_pcap_fit_ctx(enum bs_prog_type type, void *ctx, size_t n, size_t pkt_size);

/* Runs packets 1..n-1 of the capture at path through prog with maps, as
 * `bpfstep replay` does (each run sees the maps the one before left; the
 * records ringbuf and perf maps received are cleared after each packet),
 * then returns packet n (1-based) in *data (malloc'd, *size bytes; the
 * caller frees it) without running it. tmpl: the inputs every run takes
 * (ctx_in, env, budget, dispatch; data_in is ignored), NULL for defaults.
 * A packet the run refuses or fails on is skipped as replay skips it; the
 * number of those is in *failed (may be NULL). -1 with err when the file
 * cannot be read up to packet n or has fewer packets. */
BS_MUST_CHECK int bs_pcap_replay_to(const char *path, uint64_t n, const struct bs_prog *prog,
				    struct bs_maps *maps, const struct bs_test_run *tmpl,
				    uint8_t **data, size_t *size, uint64_t *failed,
				    struct bs_error *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
