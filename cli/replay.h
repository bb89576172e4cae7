/* SPDX-License-Identifier: MIT */
/* The parts of `bpfstep replay`: one packet's result, the reports, the
 * expectations, coverage and a SHA-256 of packets. Every part works one
 * packet at a time, so a capture of any size replays in constant memory. */
#ifndef BS_CLI_REPLAY_H
#define BS_CLI_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfstep/pcap.h"
#include "cli/run.h"

/* ---- SHA-256 (replay_sha256.c) ---- */

void rp_sha256(const void *data, size_t len, uint8_t out[32]);
/* 64 lower-case hex digits and a NUL */
void rp_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- one packet ---- */

struct rp_packet {
	uint64_t index;
	const uint8_t *data_in;   /* what the program was given */
	size_t len;
	uint32_t wire_len;
	int rc;                   /* 0: the program ran to exit */
	uint64_t retval, insns;
	/* not 0: packets with the same id have the same verdict (the summary
	 * counts them without comparing the text); 0: unknown */
	uint64_t verdict_id;
	const uint8_t *data_out;  /* NULL after an error */
	size_t out_len;
	struct cli_trace trace;
	const struct bs_test_run *tr;
	struct bs_maps *maps;     /* its ringbuf / perf records */
	/* the expectation's verdict on it */
	bool checked, mismatch;
	char *diff;               /* malloc'd, readable; NULL when it matched */
	/* the text and the error last: a packet starts as zeros up to the
	 * text, the text fields as empty strings, and the error (most of a
	 * kilobyte) is filled only by a run that fails, and only then read */
	char verdict[40];         /* XDP_DROP, TC_ACT_OK, KEEP:64, or the number */
	char redirect[128];       /* "" or e.g. "ifindex:5", "map:tx_port:3" */
	char sha256[65];          /* of data_out ("" after an error) */
	struct bs_error err;
};

/* The verdict of a return value for the program type, in buf. */
void rp_verdict(enum bs_prog_type type, uint64_t retval, char *buf, size_t len);
/* calls fn for each ringbuf / perf record the packet left in the maps */
void rp_each_record(struct bs_maps *maps,
		    void (*fn)(void *u, const char *map, bool perf, const struct bs_map_record *r),
		    void *u);

/* ---- the reports (replay_report.c) ---- */

enum rp_format { RP_TEXT, RP_JSON, RP_JUNIT };

struct rp_summary {
	uint64_t packets, errors, checked, mismatches;
	/* verdict counts, in order of first appearance */
	struct { char verdict[40]; uint64_t n; } *counts;
	size_t ncounts;
	uint64_t insns;
	double seconds;
	/* where recent verdict ids were counted, by the id's low bits */
	struct rp_counted { uint64_t id; size_t at; } recent[8];
};
void rp_summary_add(struct rp_summary *s, const struct rp_packet *p);
void rp_summary_free(struct rp_summary *s);

struct rp_report;
struct rp_report_info {
	const char *file;      /* the object */
	const char *program;
	const char *prog_type;
	const char *engine;
	const char *pcap;
};
/* path NULL or "-": stdout */
int rp_report_open(struct rp_report **out, enum rp_format fmt, const char *path,
		   const struct rp_report_info *info, struct bs_error *err);
void rp_report_packet(struct rp_report *r, const struct rp_packet *p);
/* the end: summary, the maps after the replay, a file error if there was one,
 * the expectations about maps that failed (text, NULL if none) */
int rp_report_close(struct rp_report *r, const struct rp_summary *s, const json_t *maps,
		    const struct bs_error *file_err, const char *map_diff, struct bs_error *err);

/* ---- expectations (replay_expect.c) ---- */

struct rp_expect;
/* Reads the expectations in path as packets come (lines in packet order). */
int rp_expect_open(struct rp_expect **out, const char *path, struct bs_error *err);
/* Checks packet p against its line, if it has one: sets p->checked,
 * p->mismatch and p->diff. -1 with err for a malformed file. */
int rp_expect_packet(struct rp_expect *e, struct rp_packet *p, struct bs_error *err);
/* After the last packet: lines about packets the capture did not have, and
 * the map lines checked against maps (cli_maps_json without the object).
 * Appends what differs to *diff (malloc'd text) and returns how many
 * expectations failed, or -1 with err. */
long rp_expect_finish(struct rp_expect *e, uint64_t npackets, const json_t *maps, char **diff,
		      uint64_t *checked, struct bs_error *err);
void rp_expect_close(struct rp_expect *e);

/* --write-expect */
struct rp_expect_writer;
int rp_expect_writer_open(struct rp_expect_writer **out, const char *path, const char *header,
			  struct bs_error *err);
void rp_expect_write_packet(struct rp_expect_writer *w, const struct rp_packet *p);
/* the final map contents, then closes */
int rp_expect_writer_close(struct rp_expect_writer *w, const json_t *maps, struct bs_error *err);

/* ---- coverage (replay_coverage.c) ---- */

struct rp_coverage;
int rp_coverage_new(struct rp_coverage **out, const struct bs_prog *prog, struct bs_error *err);
/* for bs_test_run's on_vm: counts every instruction of the run */
void rp_coverage_on_vm(struct bs_vm *vm, void *user);
/* FILE.info (lcov) and FILE.info.insns (per-instruction counts) */
int rp_coverage_write(const struct rp_coverage *c, const char *path, struct bs_error *err);
void rp_coverage_free(struct rp_coverage *c);

#endif
