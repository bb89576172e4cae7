// SPDX-License-Identifier: MIT
/* maps3_kernel: differential test of ringbuf, perf_event_array, prog_array,
 * array_of_maps and hash_of_maps against the Linux kernel.
 *
 * 1. Creation: definitions at the edges of BPF_MAP_CREATE's checks and
 *    random ones, with inner templates for the maps of maps (the kernel gets
 *    a template map's fd, or -1 where bpfstep has none or the template
 *    cannot be created): the same errno.
 * 2. Syscall operations on prog_array and the maps of maps: the same random
 *    sequence of update (any flags, good, incompatible and bad values),
 *    lookup, delete and next_key on both sides; a value is a program or map
 *    fd in the kernel and an index in bpfstep, and lookups give back a prog
 *    or map id there and the index here: each side is translated to the
 *    other's. Plus the fixed errnos of ringbuf and perf_event_array.
 * 3. Programs (BPF_PROG_TEST_RUN, pinned to CPU 0): random ringbuf
 *    reserve+submit/discard, output and query programs; return values, then
 *    every so often the records a consumer reads (the kernel's through
 *    mmap) and both consumers advance. bpf_perf_event_output with every
 *    kind of index and flags into a perf_event_array whose slots hold
 *    per-CPU BPF_OUTPUT events (what libbpf's perf_buffer opens): return
 *    values and the records read from the perf ring. Map-in-map lookups
 *    (outer, then inner element) while the syscall side swaps inner maps.
 *
 * Exit: 0 all agree, 1 a mismatch, 77 bpf() is not usable here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/vm.h"

#define PAGE 4096u

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int k_create(const struct bs_map_def *d, int inner_fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = d->type;
	a.key_size = d->key_size;
	a.value_size = d->value_size;
	a.max_entries = d->max_entries;
	a.map_flags = d->flags;
	a.inner_map_fd = (uint32_t)inner_fd;
	int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : fd;
}

static int k_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	if (cmd == BPF_MAP_GET_NEXT_KEY)
		a.next_key = (uint64_t)(uintptr_t)value;
	else
		a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a) < 0 ? -errno : 0;
}

/* the id of a map or program fd */
static uint32_t k_id(int fd, bool prog)
{
	union bpf_attr a;
	struct bpf_map_info mi;
	struct bpf_prog_info pi;
	memset(&a, 0, sizeof(a));
	memset(&mi, 0, sizeof(mi));
	memset(&pi, 0, sizeof(pi));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = prog ? sizeof(pi) : sizeof(mi);
	a.info.info = prog ? (uint64_t)(uintptr_t)&pi : (uint64_t)(uintptr_t)&mi;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		return 0;
	return prog ? pi.id : mi.id;
}

static uint64_t rng = 0x6d61707333ULL;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static uint32_t pick(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static uint32_t ncpus;
static bool verbose;
static uint64_t compared, mismatches;

#define MISMATCH(...)                                                    \
	do {                                                             \
		if (mismatches++ < 30) {                                 \
			printf("maps3_kernel: MISMATCH: ");              \
			printf(__VA_ARGS__);                             \
			printf("\n");                                    \
		}                                                        \
	} while (0)

#define CHECK(what, k, o)                                                          \
	do {                                                                       \
		compared++;                                                        \
		if ((k) != (o))                                                    \
			MISMATCH("%s: kernel %lld, bpfstep %lld", what, (long long)(k), \
				 (long long)(o));                                  \
	} while (0)

static uint32_t possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[256] = "";
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	uint32_t n = 0;
	for (char *p = buf; *p;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (b + 1 > n)
			n = (uint32_t)(b + 1);
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* ---------------------------------------------------------------- creation */

static const struct bs_map_def templates[] = {
	{"t", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0},
	{"t", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_INNER_MAP},
	{"t", BPF_MAP_TYPE_HASH, 4, 4, 8, 0},
	{"t", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0},
	{"t", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE, 0},
	{"t", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0},
	{"t", BPF_MAP_TYPE_QUEUE, 0, 4, 4, 0},
	{"t", BPF_MAP_TYPE_ARRAY, 8, 8, 4, 0},  /* cannot be created */
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static void compare_create(const struct bs_map_def *d, int tmpl)
{
	/* the kernel's inner map: a template of the same definition */
	struct bs_map_def outer_tmpl = {"t", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0};
	const struct bs_map_def *t = tmpl < 0 ? NULL
				     : tmpl == (int)NTEMPLATES ? &outer_tmpl : &templates[tmpl];
	struct bs_maps *maps;
	struct bs_error err;
	if (bs_maps_new(&maps, ncpus, &err)) {
		MISMATCH("bs_maps_new: %s", err.message);
		return;
	}
	int o = bs_maps_create_with_inner(maps, d, t, NULL, &err);
	bs_maps_free(maps);
	if (o == -EOPNOTSUPP || (o == -ENOMEM && err.kind == BS_ERR_UNSUPPORTED))
		return;
	int inner = -1, inner2 = -1;
	if (t == &outer_tmpl) {
		inner2 = k_create(&templates[0], -1);
		inner = k_create(t, inner2);
	} else if (t) {
		inner = k_create(t, -1);
	}
	int k = k_create(d, inner < 0 ? -1 : inner);
	if (k >= 0) {
		close(k);
		k = 0;
	}
	if (inner >= 0)
		close(inner);
	if (inner2 >= 0)
		close(inner2);
	char what[200];
	snprintf(what, sizeof(what), "create %s key=%u value=%u max=%u flags=0x%x template %d",
		 bs_map_type_name(d->type), d->key_size, d->value_size, d->max_entries, d->flags,
		 tmpl);
	if (verbose)
		printf("%s: kernel %d, bpfstep %d\n", what, k, o);
	CHECK(what, k, o);
}

static void creation(uint64_t count)
{
	static const struct bs_map_def edges[] = {
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, 2 * PAGE, BPF_F_NUMA_NODE},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * PAGE, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE / 2, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 4, 0, PAGE, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 8, PAGE, 0},
		{"m", BPF_MAP_TYPE_RINGBUF, 0, 0, 0x80000000u, 0},
		{"m", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0, 0},
		{"m", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1, BPF_F_PRESERVE_ELEMS},
		{"m", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, BPF_F_PRESERVE_ELEMS},
		{"m", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0xffffffffu, 0},
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		compare_create(&edges[i], -1);
	static const uint32_t types[] = {3, 4, 12, 13, 27};
	static const uint32_t sizes[] = {0, 1, 4, 4, 4, 8};
	static const uint32_t maxes[] = {0, 1, 2, 4, 64, PAGE, 2 * PAGE, 5 * PAGE};
	for (uint64_t i = 0; i < count; i++) {
		struct bs_map_def d = {"r", types[pick(5)], sizes[pick(6)], sizes[pick(6)],
				       maxes[pick(8)], 0};
		if (d.type == 27 && pick(2))
			d.key_size = d.value_size = 0;
		for (uint32_t b = pick(3); b > 0; b--)
			d.flags |= 1u << pick(13);
		int tmpl = (d.type == 12 || d.type == 13) ? (int)pick(NTEMPLATES + 2) - 1 : -1;
		compare_create(&d, tmpl);
	}
}

/* ---------------------------------------------------------------- syscall ops */

/* a trivial socket filter: r0 = n */
static int k_prog(int n)
{
	struct bpf_insn insns[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = n}, {.code = 0x95},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

#define NCAND 5

/* One fd map on both sides; candidate values 0..NCAND-1 are program or map
 * fds in the kernel, and program indexes or map indexes in bpfstep. */
struct fdpair {
	int fd;
	struct bs_map *m;
	bool prog;
	int kval[NCAND];        /* kernel fd of each candidate */
	uint32_t oval[NCAND];   /* bpfstep value of each */
	uint32_t kid[NCAND];    /* the id the kernel's lookup gives */
};

/* candidate of a value the kernel's lookup gave, or 99 */
static uint32_t from_kernel(const struct fdpair *p, uint32_t id)
{
	for (uint32_t i = 0; i < NCAND; i++)
		if (p->kid[i] == id)
			return i;
	return 99;
}

static uint32_t from_ours(const struct fdpair *p, uint32_t v)
{
	for (uint32_t i = 0; i < NCAND; i++)
		if (p->oval[i] == v)
			return i;
	return 99;
}

static void fd_ops(struct fdpair *p, uint32_t max, uint64_t nops, const char *name)
{
	static const uint64_t flag_choices[] = {0, 0, 0, 0, 1, 2, 3, 4};
	for (uint64_t op = 0; op < nops; op++) {
		uint32_t key = pick(max + 2), kv = 0, ov = 0;
		char what[96];
		uint32_t kind = pick(8);
		int kr, orc;
		if (kind < 4) {
			/* NCAND: a bad fd / index; bpfstep takes any program index */
			uint32_t c = pick(p->prog ? NCAND : NCAND + 1);
			uint64_t f = flag_choices[pick(8)];
			kv = c < NCAND ? (uint32_t)p->kval[c] : 999;
			ov = c < NCAND ? p->oval[c] : 999;
			kr = k_elem(BPF_MAP_UPDATE_ELEM, p->fd, &key, &kv, f);
			orc = bs_map_update(p->m, &key, &ov, f);
			snprintf(what, sizeof(what), "%s op %" PRIu64 " update [%u] = #%u flags %" PRIu64,
				 name, op, key, c, f);
		} else if (kind < 6) {
			kr = k_elem(BPF_MAP_LOOKUP_ELEM, p->fd, &key, &kv, 0);
			orc = bs_map_lookup(p->m, &key, &ov);
			snprintf(what, sizeof(what), "%s op %" PRIu64 " lookup [%u]", name, op, key);
			if (kr == 0 && orc == 0)
				CHECK(what, from_kernel(p, kv), from_ours(p, ov));
		} else if (kind < 7) {
			kr = k_elem(BPF_MAP_DELETE_ELEM, p->fd, &key, NULL, 0);
			orc = bs_map_delete(p->m, &key);
			snprintf(what, sizeof(what), "%s op %" PRIu64 " delete [%u]", name, op, key);
		} else {
			uint32_t kn = 77, on = 77;
			kr = k_elem(BPF_MAP_GET_NEXT_KEY, p->fd, &key, &kn, 0);
			orc = bs_map_next_key(p->m, &key, &on);
			snprintf(what, sizeof(what), "%s op %" PRIu64 " next_key [%u]", name, op, key);
			/* hash_of_maps iterates in another order (insertion, not
			 * bucket): from a present key the next one or the end */
			uint32_t tmp;
			if (bs_map_def(p->m)->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
				if (bs_map_lookup(p->m, &key, &tmp) == 0)
					continue;
			} else if (kr == 0 && orc == 0) {
				CHECK(what, kn, on);
			}
		}
		CHECK(what, kr, orc);
	}
}

static void syscall_ops(uint64_t nops)
{
	struct bs_error err;
	/* prog_array: programs 0..NCAND-1 */
	{
		struct bs_maps *maps;
		if (bs_maps_new(&maps, ncpus, &err))
			return;
		struct fdpair p = {.prog = true};
		struct bs_map_def d = {"pa", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0};
		p.fd = k_create(&d, -1);
		if (p.fd < 0 || bs_maps_create(maps, &d, &p.m, &err)) {
			MISMATCH("prog_array creation: %d", p.fd);
			bs_maps_free(maps);
			return;
		}
		for (int i = 0; i < NCAND; i++) {
			p.kval[i] = k_prog(i);
			p.kid[i] = k_id(p.kval[i], true);
			p.oval[i] = (uint32_t)i;
		}
		/* bpfstep takes any program index: only valid ones are compared */
		p.kval[NCAND - 1] = p.kval[0];
		p.kid[NCAND - 1] = p.kid[0];
		p.oval[NCAND - 1] = 0;
		fd_ops(&p, 4, nops, "prog_array");
		for (int i = 0; i < NCAND - 1; i++)
			close(p.kval[i]);
		close(p.fd);
		bs_maps_free(maps);
	}
	/* maps of maps: inner candidates of every kind of compatibility */
	static const struct bs_map_def cands[NCAND] = {
		{"c", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0},
		{"c", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0},
		{"c", BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0},
		{"c", BPF_MAP_TYPE_HASH, 4, 8, 4, 0},
		{"c", BPF_MAP_TYPE_HASH, 4, 8, 9, 0},
	};
	static const struct bs_map_def tmpls[] = {
		{"t", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0},
		{"t", BPF_MAP_TYPE_HASH, 4, 8, 1, 0},
	};
	for (int outer = 12; outer <= 13; outer++)
		for (int t = 0; t < 2; t++) {
			struct bs_maps *maps;
			if (bs_maps_new(&maps, ncpus, &err))
				return;
			struct fdpair p = {0};
			struct bs_map_def d = {"o", (uint32_t)outer, 4, 4, 3, 0};
			int tfd = k_create(&tmpls[t], -1);
			p.fd = k_create(&d, tfd);
			close(tfd);
			if (p.fd < 0 || bs_maps_create_with_inner(maps, &d, &tmpls[t], &p.m, &err)) {
				MISMATCH("outer map creation: %d %s", p.fd, err.message);
				bs_maps_free(maps);
				return;
			}
			for (int i = 0; i < NCAND; i++) {
				p.kval[i] = k_create(&cands[i], -1);
				p.kid[i] = k_id(p.kval[i], false);
				p.oval[i] = (uint32_t)bs_maps_count(maps);
				if (bs_maps_create(maps, &cands[i], NULL, &err))
					MISMATCH("candidate %d: %s", i, err.message);
			}
			char name[48];
			snprintf(name, sizeof(name), "%s of %s", bs_map_type_name(d.type),
				 bs_map_type_name(tmpls[t].type));
			fd_ops(&p, 3, nops, name);
			for (int i = 0; i < NCAND; i++)
				close(p.kval[i]);
			close(p.fd);
			bs_maps_free(maps);
		}
	/* the fixed answers of ringbuf and perf_event_array */
	struct bs_maps *maps;
	if (bs_maps_new(&maps, ncpus, &err))
		return;
	struct bs_map_def rd = {"rb", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE, 0};
	struct bs_map_def pd = {"pe", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0};
	struct bs_map *rm, *pm;
	int rfd = k_create(&rd, -1), pfd = k_create(&pd, -1);
	if (rfd < 0 || pfd < 0 || bs_maps_create(maps, &rd, &rm, &err) ||
	    bs_maps_create(maps, &pd, &pm, &err)) {
		MISMATCH("ringbuf/perf creation");
		bs_maps_free(maps);
		return;
	}
	uint32_t k0 = 0, k5 = 5, v = 0, bad = 999;
	CHECK("ringbuf lookup", k_elem(BPF_MAP_LOOKUP_ELEM, rfd, NULL, &v, 0),
	      bs_map_lookup(rm, NULL, &v));
	CHECK("ringbuf lookup key", k_elem(BPF_MAP_LOOKUP_ELEM, rfd, &k0, &v, 0),
	      bs_map_lookup(rm, &k0, &v));
	CHECK("ringbuf update", k_elem(BPF_MAP_UPDATE_ELEM, rfd, NULL, &v, 0),
	      bs_map_update(rm, NULL, &v, 0));
	CHECK("ringbuf delete", k_elem(BPF_MAP_DELETE_ELEM, rfd, NULL, NULL, 0),
	      bs_map_delete(rm, NULL));
	CHECK("ringbuf next_key", k_elem(BPF_MAP_GET_NEXT_KEY, rfd, NULL, &v, 0),
	      bs_map_next_key(rm, NULL, &v));
	CHECK("ringbuf lookup_and_delete", k_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, rfd, NULL, &v, 0),
	      bs_map_lookup_and_delete(rm, NULL, &v, 0));
	CHECK("perf lookup", k_elem(BPF_MAP_LOOKUP_ELEM, pfd, &k0, &v, 0),
	      bs_map_lookup(pm, &k0, &v));
	CHECK("perf lookup out of range", k_elem(BPF_MAP_LOOKUP_ELEM, pfd, &k5, &v, 0),
	      bs_map_lookup(pm, &k5, &v));
	CHECK("perf update bad", k_elem(BPF_MAP_UPDATE_ELEM, pfd, &k0, &bad, 0),
	      bs_map_update(pm, &k0, &bad, 0));
	CHECK("perf update flags", k_elem(BPF_MAP_UPDATE_ELEM, pfd, &k0, &bad, 1),
	      bs_map_update(pm, &k0, &bad, 1));
	CHECK("perf update out of range", k_elem(BPF_MAP_UPDATE_ELEM, pfd, &k5, &bad, 0),
	      bs_map_update(pm, &k5, &bad, 0));
	CHECK("perf delete out of range", k_elem(BPF_MAP_DELETE_ELEM, pfd, &k5, NULL, 0),
	      bs_map_delete(pm, &k5));
	/* bpfstep's slots start open (a perf buffer on each CPU): close 0 */
	CHECK("perf delete open slot", 0, bs_map_delete(pm, &k0));
	CHECK("perf delete empty", k_elem(BPF_MAP_DELETE_ELEM, pfd, &k0, NULL, 0),
	      bs_map_delete(pm, &k0));
	uint32_t kn = 9, on = 9;
	CHECK("perf next_key", k_elem(BPF_MAP_GET_NEXT_KEY, pfd, &k0, &kn, 0),
	      bs_map_next_key(pm, &k0, &on));
	CHECK("perf next_key value", kn, on);
	close(rfd);
	close(pfd);
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- programs */

#define INSN(c, d, s_, o, i) \
	((struct bs_insn){.code = (c), .dst_reg = (d), .src_reg = (s_), .off = (o), .imm = (i)})

struct prog {
	struct bs_insn i[1200];
	size_t n;
	size_t ref[8];     /* lddw instructions naming a map */
	uint32_t refmap[8];/* which map of the test: index into the fds / set */
	size_t nrefs;
};

static void emit(struct prog *p, struct bs_insn insn)
{
	p->i[p->n++] = insn;
}

static void ld_map(struct prog *p, uint8_t reg, uint32_t which)
{
	p->ref[p->nrefs] = p->n;
	p->refmap[p->nrefs++] = which;
	emit(p, INSN(0x18, reg, BS_PSEUDO_MAP_FD, 0, 0));
	emit(p, INSN(0, 0, 0, 0, 0));
}

static void mov_imm64(struct prog *p, uint8_t reg, uint64_t v)
{
	emit(p, INSN(0x18, reg, 0, 0, (int32_t)(uint32_t)v));
	emit(p, INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

static char vlog[65536];

static int k_run(struct prog *p, const int *fds, uint32_t *ret)
{
	for (size_t r = 0; r < p->nrefs; r++)
		p->i[p->ref[r]].imm = fds[p->refmap[r]];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p->i;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_buf = (uint64_t)(uintptr_t)vlog;
	a.log_size = sizeof(vlog);
	a.log_level = 1;
	vlog[0] = 0;
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 5; tries++) {
		fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
		if (fd < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	if (fd < 0)
		return -errno;
	uint8_t packet[64] = {0};
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)packet;
	a.test.data_size_in = sizeof(packet);
	a.test.repeat = 1;
	int rc = sys_bpf(BPF_PROG_TEST_RUN, &a) < 0 ? -errno : 0;
	*ret = a.test.retval;
	close(fd);
	return rc;
}

static int o_run(struct prog *p, struct bs_maps *maps, const uint32_t *idx, uint32_t *ret,
		 struct bs_error *err)
{
	for (size_t r = 0; r < p->nrefs; r++)
		p->i[p->ref[r]].imm = (int32_t)idx[p->refmap[r]];
	struct bs_vm *vm;
	struct bs_env env;
	struct bs_run_result res = {0};
	bs_env_default(&env);
	if (bs_vm_new(&vm, err))
		return -1;
	int rc = bs_helpers_register_env(vm, &env, err) || bs_maps_attach(maps, vm, err) ||
			 bs_vm_load(vm, p->i, p->n, err) || bs_vm_run(vm, NULL, &res, err)
		 ? -1
		 : 0;
	*ret = (uint32_t)res.retval;
	bs_vm_free(vm);
	return rc;
}

/* runs p on both sides; false when either failed to run (reported) */
static bool both(struct prog *p, const int *fds, struct bs_maps *maps, const uint32_t *idx,
		 const char *what, uint32_t *kret, uint32_t *oret)
{
	struct bs_error err;
	int kr = k_run(p, fds, kret);
	if (kr) {
		MISMATCH("%s: the kernel refused the program (%d): %.300s", what, kr, vlog);
		return false;
	}
	if (o_run(p, maps, idx, oret, &err)) {
		MISMATCH("%s: bpfstep failed: %s", what, err.message);
		return false;
	}
	return true;
}

/* The kernel ring as a consumer sees it. */
struct kring {
	int fd;
	uint64_t size;
	volatile uint64_t *cons;
	const volatile uint64_t *prod;
	const uint8_t *data;
	void *cons_map, *prod_map;
};

static int kring_open(struct kring *r, int fd, uint64_t size)
{
	r->fd = fd;
	r->size = size;
	r->cons_map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r->prod_map = mmap(NULL, PAGE + 2 * size, PROT_READ, MAP_SHARED, fd, PAGE);
	if (r->cons_map == MAP_FAILED || r->prod_map == MAP_FAILED)
		return -1;
	r->cons = r->cons_map;
	r->prod = r->prod_map;
	r->data = (const uint8_t *)r->prod_map + PAGE;
	return 0;
}

static void kring_close(struct kring *r)
{
	munmap(r->cons_map, PAGE);
	munmap(r->prod_map, PAGE + 2 * r->size);
}

/* reads every committed record, compares with bpfstep's, consumes both */
static void consume(struct kring *r, struct bs_map *m, uint64_t at)
{
	uint64_t pos = *r->cons, prod = *r->prod;
	size_t i = 0, n = bs_map_record_count(m);
	while (pos < prod) {
		uint32_t len;
		memcpy(&len, r->data + (pos & (r->size - 1)), 4);
		if (len & (1u << 31))
			break;
		uint32_t sz = len & ~(3u << 30);
		if (!(len & (1u << 30))) {
			struct bs_map_record rec;
			compared++;
			if (bs_map_record_get(m, i++, &rec))
				MISMATCH("run %" PRIu64 ": kernel record %zu (%u bytes) is missing in "
					 "bpfstep", at, i - 1, sz);
			else if (rec.size != sz ||
				 memcmp(rec.data, r->data + (pos & (r->size - 1)) + 8, sz))
				MISMATCH("run %" PRIu64 ": record %zu differs (kernel %u bytes, bpfstep "
					 "%zu)", at, i - 1, sz, rec.size);
		}
		pos += ((uint64_t)sz + 8 + 7) & ~7ULL;
	}
	CHECK("record count", i, n);
	*r->cons = pos;
	bs_map_records_clear(m);
}

static void ringbuf_progs(uint64_t nprogs)
{
	struct bs_error err;
	struct bs_maps *maps;
	if (bs_maps_new(&maps, ncpus, &err))
		return;
	struct bs_map_def d = {"rb", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE, 0};
	struct bs_map *m;
	int fd = k_create(&d, -1);
	struct kring kr;
	if (fd < 0 || bs_maps_create(maps, &d, &m, &err) || kring_open(&kr, fd, PAGE)) {
		MISMATCH("ringbuf setup: %d", fd);
		bs_maps_free(maps);
		return;
	}
	static const uint32_t sizes[] = {0, 1, 7, 8, 9, 16, 100, 255, 1000, 2040, 4000, 4088};
	uint32_t idx[1] = {0};
	uint64_t before = compared;
	for (uint64_t n = 0; n < nprogs; n++) {
		struct prog p = {.n = 0};
		uint32_t size = sizes[pick(12)], kind = pick(4);
		uint8_t byte = (uint8_t)rnd();
		char what[96];
		if (kind < 2) {
			/* reserve, write up to 16 bytes, submit or discard */
			int32_t rflags = pick(8) == 0 ? 1 : 0;
			ld_map(&p, 1, 0);
			emit(&p, INSN(0xb7, 2, 0, 0, (int32_t)size));
			emit(&p, INSN(0xb7, 3, 0, 0, rflags));
			emit(&p, INSN(0x85, 0, 0, 0, 131));
			emit(&p, INSN(0x55, 0, 0, 2, 0));           /* if r0 != 0 goto +2 */
			emit(&p, INSN(0xb7, 0, 0, 0, 0));
			emit(&p, INSN(0x95, 0, 0, 0, 0));
			for (uint32_t b = 0; b < size && b < 16; b++)
				emit(&p, INSN(0x72, 0, 0, (int16_t)b, (int8_t)(byte + b)));
			emit(&p, INSN(0xbf, 1, 0, 0, 0));
			emit(&p, INSN(0xb7, 2, 0, 0, (int32_t)pick(4)));
			emit(&p, INSN(0x85, 0, 0, 0, kind == 0 ? 132 : 133));
			emit(&p, INSN(0xb7, 0, 0, 0, 1));
			emit(&p, INSN(0x95, 0, 0, 0, 0));
			snprintf(what, sizeof(what), "run %" PRIu64 " reserve %u flags %d, %s", n, size,
				 rflags, kind == 0 ? "submit" : "discard");
		} else if (kind == 2) {
			size = size > 256 ? size % 257 : size;
			for (uint32_t b = 0; b < size; b++)
				emit(&p, INSN(0x72, 10, 0, (int16_t)(-256 + (int)b), (int8_t)(byte ^ b)));
			uint64_t flags = pick(6) == 0 ? 4 : pick(4);
			ld_map(&p, 1, 0);
			emit(&p, INSN(0xbf, 2, 10, 0, 0));
			emit(&p, INSN(0x07, 2, 0, 0, -256));
			emit(&p, INSN(0xb7, 3, 0, 0, (int32_t)size));
			emit(&p, INSN(0xb7, 4, 0, 0, (int32_t)flags));
			emit(&p, INSN(0x85, 0, 0, 0, 130));
			emit(&p, INSN(0x95, 0, 0, 0, 0));
			snprintf(what, sizeof(what), "run %" PRIu64 " output %u flags %" PRIu64, n, size,
				 flags);
		} else {
			uint32_t q = pick(5);
			ld_map(&p, 1, 0);
			emit(&p, INSN(0xb7, 2, 0, 0, (int32_t)q));
			emit(&p, INSN(0x85, 0, 0, 0, 134));
			emit(&p, INSN(0x95, 0, 0, 0, 0));
			snprintf(what, sizeof(what), "run %" PRIu64 " query %u", n, q);
		}
		uint32_t kret, oret;
		if (!both(&p, &fd, maps, idx, what, &kret, &oret))
			break;
		if (verbose)
			printf("%s: kernel %u, bpfstep %u\n", what, kret, oret);
		CHECK(what, kret, oret);
		if (pick(12) == 0 || n + 1 == nprogs)
			consume(&kr, m, n);
	}
	printf("maps3_kernel: ringbuf: %" PRIu64 " programs, %" PRIu64 " checks\n", nprogs,
	       compared - before);
	kring_close(&kr);
	close(fd);
	bs_maps_free(maps);
}

/* ---- perf_event_array */

struct kperf {
	int fd;
	void *base;
	size_t size;  /* data pages */
	uint64_t tail;
};

static int kperf_open(struct kperf *e, int cpu)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_BPF_OUTPUT;
	a.sample_type = PERF_SAMPLE_RAW;
	a.sample_period = 1;
	a.wakeup_events = 1;
	e->fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, 0);
	if (e->fd < 0)
		return -1;
	e->size = 16 * PAGE;
	e->base = mmap(NULL, PAGE + e->size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	if (e->base == MAP_FAILED) {
		close(e->fd);
		return -1;
	}
	e->tail = 0;
	return 0;
}

static void kperf_close(struct kperf *e)
{
	munmap(e->base, PAGE + e->size);
	close(e->fd);
}

/* compares the kernel's new samples of event e with bpfstep's records for
 * index from record *next on */
static void perf_compare(struct kperf *e, struct bs_map *m, uint32_t index, size_t *next,
			 uint64_t at)
{
	struct perf_event_mmap_page *h = e->base;
	uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	const uint8_t *data = (const uint8_t *)e->base + PAGE;
	while (e->tail < head) {
		struct perf_event_header hdr;
		uint8_t rec[1024];
		for (size_t b = 0; b < sizeof(hdr); b++)
			((uint8_t *)&hdr)[b] = data[(e->tail + b) % e->size];
		for (size_t b = 0; b < hdr.size && b < sizeof(rec); b++)
			rec[b] = data[(e->tail + b) % e->size];
		e->tail += hdr.size;
		if (hdr.type != PERF_RECORD_SAMPLE)
			continue;
		uint32_t raw;
		memcpy(&raw, rec + sizeof(hdr), 4);
		struct bs_map_record r;
		bool found = false;
		while (*next < bs_map_record_count(m) && !found) {
			if (bs_map_record_get(m, (*next)++, &r) == 0 && r.cpu == index)
				found = true;
		}
		compared++;
		/* the kernel pads raw data so that size + data are a multiple of 8 */
		if (!found)
			MISMATCH("run %" PRIu64 ": perf sample of %u bytes on index %u missing in "
				 "bpfstep", at, raw, index);
		else if (((r.size + 4 + 7) & ~7ULL) - 4 != raw ||
			 memcmp(r.data, rec + sizeof(hdr) + 4, r.size))
			MISMATCH("run %" PRIu64 ": perf sample differs (kernel %u bytes, bpfstep %zu)",
				 at, raw, r.size);
	}
	__atomic_store_n(&h->data_tail, e->tail, __ATOMIC_RELEASE);
}

static void perf_progs(uint64_t nprogs)
{
	struct bs_error err;
	struct bs_maps *maps;
	if (bs_maps_new(&maps, ncpus, &err))
		return;
	uint32_t max = ncpus + 2;
	struct bs_map_def d = {"pe", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, max, 0};
	struct bs_map *m;
	int fd = k_create(&d, -1);
	if (fd < 0 || bs_maps_create(maps, &d, &m, &err)) {
		MISMATCH("perf_event_array setup: %d", fd);
		bs_maps_free(maps);
		return;
	}
	uint32_t nev = ncpus < 4 ? ncpus : 4;
	struct kperf ev[4];
	for (uint32_t c = 0; c < nev; c++) {
		if (kperf_open(&ev[c], (int)c)) {
			printf("maps3_kernel: perf_event_open on CPU %u: %s: perf programs skipped\n", c,
			       strerror(errno));
			for (uint32_t k = 0; k < c; k++)
				kperf_close(&ev[k]);
			close(fd);
			bs_maps_free(maps);
			return;
		}
		if (k_elem(BPF_MAP_UPDATE_ELEM, fd, &c, &ev[c].fd, 0))
			MISMATCH("perf slot %u: %s", c, strerror(errno));
	}
	/* bpfstep: only the slots the kernel has */
	for (uint32_t c = nev; c < max; c++)
		(void)bs_map_delete(m, &c);
	uint32_t idx[1] = {0};
	size_t next = 0;
	uint64_t before = compared;
	for (uint64_t n = 0; n < nprogs; n++) {
		struct prog p = {.n = 0};
		uint32_t size = pick(5) == 0 ? 0 : 1 + pick(40);
		uint64_t flags;
		switch (pick(6)) {
		case 0: flags = BPF_F_CURRENT_CPU; break;
		case 1: flags = 1ULL << (52 + pick(12)); break;   /* not index, not ctx length */
		default: flags = pick(max + 2); break;
		}
		for (uint32_t b = 0; b < size; b++)
			emit(&p, INSN(0x72, 10, 0, (int16_t)(-64 + (int)b), (int8_t)(n + b)));
		ld_map(&p, 2, 0);
		mov_imm64(&p, 3, flags);
		emit(&p, INSN(0xbf, 4, 10, 0, 0));
		emit(&p, INSN(0x07, 4, 0, 0, -64));
		emit(&p, INSN(0xb7, 5, 0, 0, (int32_t)size));
		emit(&p, INSN(0x85, 0, 0, 0, 25));
		emit(&p, INSN(0x95, 0, 0, 0, 0));
		char what[96];
		snprintf(what, sizeof(what), "run %" PRIu64 " perf_event_output flags 0x%" PRIx64
			 " size %u", n, flags, size);
		uint32_t kret, oret;
		if (!both(&p, &fd, maps, idx, what, &kret, &oret))
			break;
		CHECK(what, kret, oret);
		/* the process runs on CPU 0: only index 0 gets records */
		perf_compare(&ev[0], m, 0, &next, n);
	}
	CHECK("perf records left", next, bs_map_record_count(m));
	printf("maps3_kernel: perf_event_array: %" PRIu64 " programs, %" PRIu64 " checks\n",
	       nprogs, compared - before);
	for (uint32_t c = 0; c < nev; c++)
		kperf_close(&ev[c]);
	close(fd);
	bs_maps_free(maps);
}

/* ---- maps of maps */

static void map_in_map_progs(uint64_t nprogs)
{
	struct bs_error err;
	struct bs_maps *maps;
	if (bs_maps_new(&maps, ncpus, &err))
		return;
	static const struct bs_map_def inner = {"in", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0};
	struct bs_map_def aod = {"aom", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 3, 0};
	struct bs_map_def hod = {"hom", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 3, 0};
	int fds[5];
	uint32_t idx[5] = {0, 1, 2, 3, 4};
	struct bs_map *ms[5];
	int tfd = k_create(&inner, -1);
	fds[0] = k_create(&aod, tfd);
	fds[1] = k_create(&hod, tfd);
	close(tfd);
	bool ok = fds[0] >= 0 && fds[1] >= 0 &&
		  !bs_maps_create_with_inner(maps, &aod, &inner, &ms[0], &err) &&
		  !bs_maps_create_with_inner(maps, &hod, &inner, &ms[1], &err);
	for (int i = 2; i < 5 && ok; i++) {
		fds[i] = k_create(&inner, -1);
		ok = fds[i] >= 0 && !bs_maps_create(maps, &inner, &ms[i], &err);
		for (uint32_t k = 0; k < 4 && ok; k++) {
			uint64_t v = (uint64_t)i * 100 + k;
			ok = !k_elem(BPF_MAP_UPDATE_ELEM, fds[i], &k, &v, 0) &&
			     !bs_map_update(ms[i], &k, &v, 0);
		}
	}
	if (!ok) {
		MISMATCH("map-in-map setup");
		bs_maps_free(maps);
		return;
	}
	uint64_t before = compared;
	for (uint64_t n = 0; n < nprogs; n++) {
		/* the syscall side changes an outer slot */
		uint32_t outer = pick(2), key = pick(4);
		if (pick(3) == 0) {
			CHECK("outer delete", k_elem(BPF_MAP_DELETE_ELEM, fds[outer], &key, NULL, 0),
			      bs_map_delete(ms[outer], &key));
		} else {
			uint32_t in = 2 + pick(3);
			uint32_t kv = (uint32_t)fds[in], ov = in;
			CHECK("outer update", k_elem(BPF_MAP_UPDATE_ELEM, fds[outer], &key, &kv, 0),
			      bs_map_update(ms[outer], &key, &ov, 0));
		}
		/* r0 = outer[k1] ? (inner[k2] ? *inner[k2] : 1) : 0, and bump it */
		struct prog p = {.n = 0};
		uint32_t k1 = pick(4), k2 = pick(5);
		emit(&p, INSN(0x62, 10, 0, -4, (int32_t)k1));
		ld_map(&p, 1, pick(2));
		emit(&p, INSN(0xbf, 2, 10, 0, 0));
		emit(&p, INSN(0x07, 2, 0, 0, -4));
		emit(&p, INSN(0x85, 0, 0, 0, 1));
		emit(&p, INSN(0x55, 0, 0, 1, 0));
		emit(&p, INSN(0x95, 0, 0, 0, 0));
		emit(&p, INSN(0x62, 10, 0, -8, (int32_t)k2));
		emit(&p, INSN(0xbf, 1, 0, 0, 0));
		emit(&p, INSN(0xbf, 2, 10, 0, 0));
		emit(&p, INSN(0x07, 2, 0, 0, -8));
		emit(&p, INSN(0x85, 0, 0, 0, 1));
		emit(&p, INSN(0x55, 0, 0, 2, 0));
		emit(&p, INSN(0xb7, 0, 0, 0, 1));
		emit(&p, INSN(0x95, 0, 0, 0, 0));
		emit(&p, INSN(0x79, 1, 0, 0, 0));
		emit(&p, INSN(0x07, 1, 0, 0, 1000));
		emit(&p, INSN(0x7b, 0, 1, 0, 0));
		emit(&p, INSN(0xbf, 0, 1, 0, 0));
		emit(&p, INSN(0x95, 0, 0, 0, 0));
		char what[64];
		snprintf(what, sizeof(what), "run %" PRIu64 " map-in-map [%u][%u]", n, k1, k2);
		uint32_t kret, oret;
		if (!both(&p, fds, maps, idx, what, &kret, &oret))
			break;
		CHECK(what, kret, oret);
	}
	printf("maps3_kernel: maps of maps: %" PRIu64 " programs, %" PRIu64 " checks\n", nprogs,
	       compared - before);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	bs_maps_free(maps);
}

int main(int argc, char **argv)
{
	uint64_t count = 400, nops = 1500, nprogs = 300;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			nops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--progs") && i + 1 < argc)
			nprogs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: maps3_kernel [--seed N] [--count N] [--ops N] "
					"[--progs N] [--verbose]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("maps3_kernel: skipped: not root\n");
		return 77;
	}
	struct bs_map_def probe = {"probe", BPF_MAP_TYPE_RINGBUF, 0, 0, PAGE, 0};
	int fd = k_create(&probe, -1);
	if (fd < 0) {
		printf("maps3_kernel: skipped: bpf(BPF_MAP_CREATE): %s\n", strerror(-fd));
		return 77;
	}
	close(fd);
	ncpus = possible_cpus();
	if (ncpus == 0 || ncpus > 8192) {
		printf("maps3_kernel: skipped: cannot read /sys/devices/system/cpu/possible\n");
		return 77;
	}
	uint64_t seed = rng;
	printf("maps3_kernel: %u possible CPUs, seed %" PRIu64 "\n", ncpus, seed);
	creation(count);
	uint64_t after_create = compared;
	syscall_ops(nops);
	uint64_t after_ops = compared;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		printf("maps3_kernel: cannot pin to CPU 0 (%s): programs skipped\n", strerror(errno));
	} else {
		ringbuf_progs(nprogs);
		perf_progs(nprogs);
		map_in_map_progs(nprogs);
	}
	printf("maps3_kernel: %" PRIu64 " creations, %" PRIu64 " syscall operations, %" PRIu64
	       " program checks compared, %" PRIu64 " mismatches\n", after_create,
	       after_ops - after_create, compared - after_ops, mismatches);
	return mismatches ? 1 : 0;
}
