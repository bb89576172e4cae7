// SPDX-License-Identifier: MIT
/* The benchmark harness: each program of progs.bpf.o under bpfstep's
 * interpreter, its JIT (checked and unchecked), the running kernel's JIT
 * (BPF_PROG_TEST_RUN with repeat, where bpf() is permitted), the same C
 * compiled for the host with clang -O2, and DPDK's librte_bpf (interpreter
 * and JIT, where the build found it). Prints ns per run and the ratios.
 *
 *   bench PROGS.bpf.o [--repeat N]
 *
 * The variants the build compiles beside PROGS.bpf.o are read from its
 * directory: progs_lf.bpf.o (every loop unrolled, bpfstep's interpreter
 * again), progs_rte.bpf.o and progs_rte_lf.bpf.o (librte_bpf's ABI, as
 * written and loop-free: librte gets the first one its validator takes;
 * bpfstep's interpreter runs that one too, the interp-rte column).
 *
 * Not a test: the numbers depend on the machine (docs/performance.md). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfstep/bpfstep.h"
#ifdef BENCH_HAVE_RTE
#include "rte.h"
#include "rte_code.h"
#endif

/* the host build of progs.h (progs_native.c, compiled by clang -O2) */
#define BENCH_PKT_LEN 1500
#define BENCH_MAP_ENTRIES 256
struct bench_ctx {
	void *data, *data_end;
};
int compute_loop(struct bench_ctx *ctx);
int pkt_parser(struct bench_ctx *ctx);
int checksum(struct bench_ctx *ctx);
int map_lookups(struct bench_ctx *ctx);
int byte_copy(struct bench_ctx *ctx);
int crc32(struct bench_ctx *ctx);
extern uint64_t bench_map[BENCH_MAP_ENTRIES];

static const struct {
	const char *name;
	int (*native)(struct bench_ctx *);
} progs[] = {
	{"compute_loop", compute_loop}, {"pkt_parser", pkt_parser}, {"checksum", checksum},
	{"map_lookups", map_lookups},   {"byte_copy", byte_copy},   {"crc32", crc32},
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

/* Ethernet, IPv4 (20 bytes), TCP to port 80, then a pattern: 1500 bytes */
static void make_packet(uint8_t *p)
{
	memset(p, 0, BENCH_PKT_LEN);
	static const uint8_t hdr[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0x05, 0xce, 0, 0, 0x40, 0, 0x40, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
	memcpy(p, hdr, sizeof(hdr));
	for (size_t i = sizeof(hdr); i < BENCH_PKT_LEN; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* name in the directory of path (freed by the caller) */
static char *sibling(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	int dir = slash ? (int)(slash - path + 1) : 0;
	char *out = malloc((size_t)dir + strlen(name) + 1);
	if (out)
		sprintf(out, "%.*s%s", dir, path, name);
	return out;
}

/* ns per run under one engine; *insns: instructions per run */
static double run_bpfstep(struct bs_object *obj, const char *name, enum bs_engine eng,
			  const uint8_t *pkt, uint32_t repeat, double *insns, uint32_t *retval)
{
	struct bs_error err;
	const struct bs_prog *prog;
	struct bs_maps *maps;
	if (bs_object_find_prog(obj, name, &prog, &err) || bs_object_create_maps(obj, 1, &maps, &err)) {
		fprintf(stderr, "%s: %s\n", name, err.message);
		return -1;
	}
	struct bs_test_run tr = {.data_in = pkt, .data_size_in = BENCH_PKT_LEN, .repeat = repeat,
				 .engine = eng, .budget = 0};
	double ns = -1;
	if (bs_test_run(prog, maps, &tr, &err) == 0) {
		ns = (double)tr.duration_ns;
		*insns = (double)tr.insns_executed / repeat;
		*retval = (uint32_t)tr.retval;
	} else {
		fprintf(stderr, "%s: %s\n", name, err.message);
	}
	free(tr.data_out);
	free(tr.ctx_out);
	bs_maps_free(maps);
	return ns;
}

static double run_kernel(struct bpf_object *o, const char *name, const uint8_t *pkt,
			 uint32_t repeat, uint32_t *retval)
{
	if (!o)
		return -1;
	struct bpf_program *p = bpf_object__find_program_by_name(o, name);
	if (!p)
		return -1;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = BENCH_PKT_LEN,
		    .repeat = (int)repeat);
	if (bpf_prog_test_run_opts(bpf_program__fd(p), &opts))
		return -1;
	*retval = opts.retval;
	return (double)opts.duration;
}

static double run_native(int (*fn)(struct bench_ctx *), uint8_t *pkt, uint32_t repeat,
			 uint32_t *retval)
{
	struct bench_ctx c = {pkt, pkt + BENCH_PKT_LEN};
	volatile int sink = 0;
	double t0 = now_ns();
	for (uint32_t i = 0; i < repeat; i++) {
		/* the pointer laundering keeps the compiler from hoisting the work */
		struct bench_ctx *volatile cp = &c;
		sink = fn(cp);
	}
	double t1 = now_ns();
	*retval = (uint32_t)sink;
	return (t1 - t0) / repeat;
}

static void cell(double v)
{
	if (v < 0)
		printf(" %10s", "-");
	else
		printf(" %10.1f", v);
}

static void ratio(double a, double b)
{
	if (a < 0 || b <= 0)
		printf(" %8s", "-");
	else
		printf(" %8.2f", a / b);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s PROGS.bpf.o [--repeat N]\n", argv[0]);
		return 2;
	}
	uint32_t repeat = 20000;
	if (argc > 3 && strcmp(argv[2], "--repeat") == 0)
		repeat = (uint32_t)strtoul(argv[3], NULL, 0);
	static uint8_t pkt[BENCH_PKT_LEN];
	make_packet(pkt);
	struct bs_error err;
	struct bs_object *obj;
	if (bs_object_open(argv[1], &obj, &err)) {
		fprintf(stderr, "%s: %s\n", argv[1], err.message);
		return 1;
	}
	libbpf_set_print(NULL);
	struct bpf_object *ko = bpf_object__open_file(argv[1], NULL);
	if (ko && bpf_object__load(ko)) {
		bpf_object__close(ko);
		ko = NULL;
	}
	if (!ko)
		printf("(the kernel column is empty: bpf() is not permitted here)\n");
	char *lf_path = sibling(argv[1], "progs_lf.bpf.o");
	struct bs_object *lf = NULL;
	if (!lf_path || bs_object_open(lf_path, &lf, &err)) {
		printf("(the interp-lf column is empty: %s)\n", lf_path ? err.message : "out of memory");
		lf = NULL;
	}
	free(lf_path);
#ifdef BENCH_HAVE_RTE
	char *rte_path[2] = {sibling(argv[1], "progs_rte.bpf.o"), sibling(argv[1], "progs_rte_lf.bpf.o")};
	char rte_note[NPROGS][2][200];
	memset(rte_note, 0, sizeof(rte_note));
	int have_rte = 1;
	for (int v = 0; v < 2; v++) {
		if (!rte_path[v] || access(rte_path[v], R_OK)) {
			printf("(the librte columns are empty: %s: %s)\n", rte_path[v] ? rte_path[v] : "progs_rte",
			       strerror(rte_path[v] ? errno : ENOMEM));
			have_rte = 0;
			break;
		}
	}
#else
	printf("(the librte columns are empty: built without DPDK's librte_bpf)\n");
#endif
#ifdef BENCH_EMULATED
	printf("EMULATED: a cross build run under an emulator; the times below are the "
	       "emulator's, not the machine's (the insns column is exact)\n");
#endif
	printf("ns per run, %u runs each (the interpreters: %u); ratios against the kernel's JIT "
	       "(ns/insn: interp's per executed instruction), and against librte_bpf's interpreter\n",
	       repeat, repeat / 10 + 1);
	printf("%-13s %10s %10s %10s %10s %10s %8s %8s %8s %8s %8s %10s %10s %10s %8s %8s %8s "
	       "%10s %8s %8s\n",
	       "program", "interp", "jit", "jit-unchk", "kernel", "native", "insns", "jit/k", "unchk/k",
	       "native/k", "ns/insn", "rte-interp", "rte-jit", "interp-lf", "lf-insns", "i/rte-i",
	       "lf/rte-i", "interp-rte", "rte-insns", "ir/rte-i");
	int bad = 0;
	for (size_t i = 0; i < NPROGS; i++) {
		double insns = 0, ins2 = 0, ins_lf = 0;
		uint32_t r_i = 0, r_j = 0, r_u = 0, r_k = 0, r_n = 0, r_lf = 0, r_ri = 0, r_rj = 0;
		uint8_t copy[BENCH_PKT_LEN];
		uint32_t slow = repeat / 10 + 1; /* the interpreters' runs */
		double ti = run_bpfstep(obj, progs[i].name, BS_ENGINE_INTERP, pkt, slow, &insns, &r_i);
		double tj = run_bpfstep(obj, progs[i].name, BS_ENGINE_JIT, pkt, repeat, &ins2, &r_j);
		double tu = run_bpfstep(obj, progs[i].name, BS_ENGINE_JIT_UNCHECKED, pkt, repeat, &ins2, &r_u);
		double tk = run_kernel(ko, progs[i].name, pkt, repeat, &r_k);
		memcpy(copy, pkt, sizeof(copy));
		memset(bench_map, 0, sizeof(bench_map));
		double tn = run_native(progs[i].native, copy, repeat, &r_n);
		double tlf = lf ? run_bpfstep(lf, progs[i].name, BS_ENGINE_INTERP, pkt, slow, &ins_lf, &r_lf) : -1;
		double tri = -1, trj = -1, tir = -1, ins_rte = 0;
		uint32_t r_ir = 0;
#ifdef BENCH_HAVE_RTE
		/* as written, else loop-free: the first librte_bpf takes */
		for (int v = 0; v < 2 && have_rte && tri < 0; v++) {
			struct bench_rte *r;
			if (bench_rte_load(rte_path[v], progs[i].name, &r, rte_note[i][v],
					   sizeof(rte_note[i][v])))
				continue;
			tri = bench_rte_run(r, 0, pkt, BENCH_PKT_LEN, slow, &r_ri);
			trj = bench_rte_run(r, 1, pkt, BENCH_PKT_LEN, repeat, &r_rj);
			bench_rte_free(r);
			tir = bench_rte_code_run(rte_path[v], progs[i].name, pkt, slow, &ins_rte, &r_ir);
		}
#endif
		printf("%-13s", progs[i].name);
		cell(ti);
		cell(tj);
		cell(tu);
		cell(tk);
		cell(tn);
		printf(" %8.0f", insns);
		ratio(tj, tk);
		ratio(tu, tk);
		ratio(tn, tk);
		printf(" %8.2f", insns > 0 ? ti / insns : 0.0);
		cell(tri);
		cell(trj);
		cell(tlf);
		if (tlf < 0)
			printf(" %8s", "-");
		else
			printf(" %8.0f", ins_lf);
		ratio(ti, tri);
		ratio(tlf, tri);
		cell(tir);
		if (tir < 0)
			printf(" %8s", "-");
		else
			printf(" %8.0f", ins_rte);
		ratio(tir, tri);
		printf("\n");
		/* the engines must agree on the answer (the map program's answer
		 * depends on how many runs there were: only equal run counts compare) */
		if ((r_i != r_j && i != 3) || r_j != r_u || (tk >= 0 && r_k != r_j && i != 3) ||
		    (tlf >= 0 && r_lf != r_i) || (tri >= 0 && r_ri != r_i) || (trj >= 0 && r_rj != r_j) ||
		    (tri >= 0 && (tir < 0 || r_ir != r_ri))) {
			printf("  results differ: interp %u jit %u unchecked %u kernel %u native %u "
			       "interp-lf %u rte-interp %u rte-jit %u interp-rte %u\n", r_i, r_j, r_u, r_k,
			       r_n, r_lf, r_ri, r_rj, r_ir);
			bad = 1;
		}
	}
#ifdef BENCH_HAVE_RTE
	/* what librte_bpf refused, in its words */
	for (size_t i = 0; i < NPROGS; i++) {
		if (!rte_note[i][0][0])
			continue;
		printf("librte_bpf refuses %s as written (%s)", progs[i].name, rte_note[i][0]);
		if (rte_note[i][1][0])
			printf(" and loop-free (%s): no librte columns\n", rte_note[i][1]);
		else
			printf(": its columns are the loop-free variant's\n");
	}
	free(rte_path[0]);
	free(rte_path[1]);
#endif
	if (lf)
		bs_object_close(lf);
	if (ko)
		bpf_object__close(ko);
	bs_object_close(obj);
	return bad;
}
