// SPDX-License-Identifier: MIT
/* kernel-replay: `bpfstep replay` of the bundled captures through the
 * bundled examples against the kernel, packet by packet.
 *
 * For each case (an object, a program, a capture, a map preload), every
 * packet of the capture (read with bs_pcap_next, so both sides get the same
 * frames, raw IP ones with their synthetic Ethernet header) runs:
 *
 *   kernel:   libbpf loads the object once, the preload goes in with
 *             bpf_map_update_elem, then BPF_PROG_TEST_RUN per packet;
 *   bpfstep:  bs_test_run per packet with one set of maps, as replay does;
 *
 * and the two must agree on whether the packet is refused, the return
 * value, data_out (length and bytes), and, after the last packet, the
 * contents of every hash and array map (state carried over the whole
 * capture). Output: one line per difference, then
 *   kernel-replay: N packets in C cases, M mismatches
 * Every case runs with the interpreter, and again with the JIT where the
 * build has one.
 * Exit: 0 all agree, 1 a difference, 77 bpf() is not usable here.
 *
 * usage: kernel_replay EXAMPLES_OBJDIR TEST_OBJDIR SOURCE_DIR */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "bpfstep/pcap.h"
#include "bpfstep/run.h"

struct replay_case {
	const char *obj;      /* under the examples or the test objects */
	bool test_obj;
	const char *prog;     /* NULL: the first */
	const char *pcap;     /* under the source tree */
	const char *map;      /* a preload: map, 4-byte key, 8-byte value (or NULL) */
	uint32_t key;
	uint64_t value;
};

static const struct replay_case cases[] = {
	{"xdp_firewall.bpf.o", false, NULL, "examples/xdp_firewall.pcap", "blocked", 0x420200c0, 0},
	{"xdp_firewall.bpf.o", false, NULL, "examples/xdp_firewall.pcap", NULL, 0, 0},
	{"xdp_firewall.bpf.o", false, NULL, "tests/data/pcap/raw_ip.pcap", "blocked", 0x420200c0, 5},
	{"xdp_firewall.bpf.o", false, NULL, "tests/data/pcap/sll.pcap", "blocked", 0x420200c0, 0},
	{"xdp_firewall.bpf.o", false, NULL, "tests/data/pcap/snaplen.pcap", "blocked", 0x420200c0, 0},
	{"xdp_firewall.bpf.o", false, NULL, "tests/data/pcap/zero_len.pcap", "blocked", 0x420200c0, 0},
	{"pkt_counter.bpf.o", false, NULL, "examples/pkt_counter.pcap", NULL, 0, 0},
	{"pkt_counter.bpf.o", false, NULL, "examples/xdp_firewall.pcap", NULL, 0, 0},
	{"sock_filter.bpf.o", false, NULL, "examples/sock_filter.pcap", NULL, 0, 0},
	{"sock_filter.bpf.o", false, NULL, "examples/pkt_counter.pcap", NULL, 0, 0},
	{"events.bpf.o", false, NULL, "examples/xdp_firewall.pcap", NULL, 0, 0},
	{"dispatch.bpf.o", false, "dispatch", "examples/pkt_counter.pcap", NULL, 0, 0},
	{"dispatch.bpf.o", false, "dispatch", "tests/data/pcap/xdp_tx.pcap", NULL, 0, 0},
	{"xdp_tx.bpf.o", true, NULL, "tests/data/pcap/xdp_tx.pcap", NULL, 0, 0},
	{"xdp_tx.bpf.o", true, NULL, "examples/xdp_firewall.pcap", NULL, 0, 0},
	{"subprogs.bpf.o", false, "xdp_sum", "examples/pkt_counter.pcap", NULL, 0, 0},
	{"subprogs.bpf.o", false, "tc_len", "examples/sock_filter.pcap", NULL, 0, 0},
	{"globals.bpf.o", false, NULL, "examples/xdp_firewall.pcap", NULL, 0, 0},
};

static long mismatches, packets;
static char libbpf_log[4096];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	size_t o = strlen(libbpf_log);
	if (o + 1 < sizeof(libbpf_log))
		vsnprintf(libbpf_log + o, sizeof(libbpf_log) - o, fmt, ap);
	return 0;
}

static void differs(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void differs(const char *what, const char *fmt, ...)
{
	va_list ap;
	printf("kernel-replay: MISMATCH %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	mismatches++;
}

/* every hash / array map's contents, both sides */
static void compare_maps(const char *what, struct bpf_object *kobj, struct bs_maps *maps)
{
	for (size_t i = 0; i < bs_maps_count(maps); i++) {
		struct bs_map *m = bs_maps_at(maps, i);
		const struct bs_map_def *d = bs_map_def(m);
		if (d->type != BS_MAP_HASH && d->type != BS_MAP_ARRAY)
			continue;
		struct bpf_map *km = bpf_object__find_map_by_name(kobj, d->name);
		if (!km) {
			differs(what, "the kernel's object has no map '%s'", d->name);
			continue;
		}
		int fd = bpf_map__fd(km);
		uint8_t key[64], next[64], kv[4096], bv[4096];
		if (d->key_size > sizeof(key) || d->value_size > sizeof(kv))
			continue;
		size_t n = 0, nk = 0;
		const void *prev = NULL;
		while (bs_map_next_key(m, prev, next) == 0) {
			memcpy(key, next, d->key_size);
			prev = key;
			n++;
			if (bs_map_lookup(m, key, bv) != 0)
				continue;
			if (bpf_map_lookup_elem(fd, key, kv) != 0) {
				differs(what, "map %s: an entry bpfstep has, the kernel has not", d->name);
				break;
			}
			if (memcmp(kv, bv, d->value_size)) {
				differs(what, "map %s entry %zu: value differs", d->name, n);
				break;
			}
		}
		const void *kprev = NULL;
		while (bpf_map_get_next_key(fd, kprev, next) == 0) {
			memcpy(key, next, d->key_size);
			kprev = key;
			nk++;
		}
		if (n != nk)
			differs(what, "map %s: %zu entries in bpfstep, %zu in the kernel", d->name, n, nk);
	}
}

static void run_case(const struct replay_case *c, enum bs_engine engine, const char *exdir,
		     const char *testdir, const char *srcdir)
{
	char path[1024], pcap[1024], what[512];
	snprintf(path, sizeof(path), "%s/%s", c->test_obj ? testdir : exdir, c->obj);
	snprintf(pcap, sizeof(pcap), "%s/%s", srcdir, c->pcap);
	snprintf(what, sizeof(what), "%s%s%s on %s%s (%s)", c->obj, c->prog ? " --prog " : "",
		 c->prog ? c->prog : "", c->pcap, c->map ? " (preloaded)" : "",
		 engine == BS_ENGINE_JIT ? "jit" : "interp");
	struct bs_error err;
	struct bs_object *obj = NULL;
	const struct bs_prog *prog;
	struct bs_maps *maps = NULL;
	struct bs_pcap_reader *r = NULL;
	libbpf_log[0] = 0;
	struct bpf_object *kobj = bpf_object__open_file(path, NULL);
	if (!kobj || bpf_object__load(kobj)) {
		differs(what, "libbpf cannot load it: %s", libbpf_log);
		bpf_object__close(kobj);
		return;
	}
	struct bpf_program *kp = c->prog ? bpf_object__find_program_by_name(kobj, c->prog)
					 : bpf_object__next_program(kobj, NULL);
	if (bs_object_open(path, &obj, &err) || bs_object_find_prog(obj, c->prog, &prog, &err) ||
	    bs_object_create_maps(obj, 1, &maps, &err) || bs_pcap_open(pcap, &r, &err) || !kp) {
		differs(what, "cannot set up: %s", kp ? err.message : "no such kernel program");
		goto out;
	}
	if (c->map) {
		struct bs_map *bm = bs_maps_find(maps, c->map);
		struct bpf_map *km = bpf_object__find_map_by_name(kobj, c->map);
		if (!bm || !km || bs_map_update(bm, &c->key, &c->value, 0) ||
		    bpf_map_update_elem(bpf_map__fd(km), &c->key, &c->value, 0)) {
			differs(what, "cannot preload map %s", c->map);
			goto out;
		}
	}
	int kfd = bpf_program__fd(kp);
	static uint8_t kout[128 * 1024];
	struct bs_pcap_packet p;
	int rc;
	while ((rc = bs_pcap_next(r, &p, &err)) == 1) {
		packets++;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = p.data, .data_size_in = (uint32_t)p.size,
			    .data_out = kout, .data_size_out = sizeof(kout));
		int krc = bpf_prog_test_run_opts(kfd, &t);
		int kerr = krc ? errno : 0;
		struct bs_test_run tr = {.data_in = p.data, .data_size_in = p.size, .engine = engine};
		int brc = bs_test_run(prog, maps, &tr, &err);
		if (!!krc != !!brc)
			differs(what, "packet %llu: the kernel %s (%s), bpfstep %s (%s)",
				(unsigned long long)p.index, krc ? "refuses it" : "runs it",
				krc ? strerror(kerr) : "-", brc ? "refuses it" : "runs it",
				brc ? err.message : "-");
		else if (!krc && t.retval != tr.retval)
			differs(what, "packet %llu: retval %u in the kernel, %llu in bpfstep",
				(unsigned long long)p.index, t.retval, (unsigned long long)tr.retval);
		else if (!krc && (t.data_size_out != tr.data_size_out ||
				  memcmp(kout, tr.data_out, tr.data_size_out))) {
			size_t i = 0;
			while (i < t.data_size_out && i < tr.data_size_out && kout[i] == tr.data_out[i])
				i++;
			differs(what, "packet %llu: data_out %u bytes in the kernel, %zu in bpfstep; "
				"first difference at byte %zu", (unsigned long long)p.index,
				t.data_size_out, tr.data_size_out, i);
		}
		free(tr.data_out);
		free(tr.ctx_out);
		for (size_t i = 0; i < tr.nclones; i++)
			free(tr.clones[i].data);
		free(tr.clones);
		for (size_t i = 0; i < bs_maps_count(maps); i++)
			bs_map_records_clear(bs_maps_at(maps, i));
	}
	if (rc < 0)
		differs(what, "the capture: %s", err.message);
	compare_maps(what, kobj, maps);
out:
	bs_pcap_close(r);
	bs_maps_free(maps);
	bs_object_close(obj);
	bpf_object__close(kobj);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: kernel_replay EXAMPLES_OBJDIR TEST_OBJDIR SOURCE_DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	if (geteuid() != 0) {
		printf("kernel-replay: skipped: not root\n");
		return 77;
	}
	/* bpf() and BPF_PROG_TEST_RUN at all */
	struct bpf_insn ret0[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = 0},  /* r0 = 0 */
		{.code = 0x95},                          /* exit */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		printf("kernel-replay: skipped: bpf(BPF_PROG_LOAD): %s\n", strerror(errno));
		return 77;
	}
	uint8_t pkt[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt));
	int rc = bpf_prog_test_run_opts(fd, &t);
	close(fd);
	if (rc) {
		printf("kernel-replay: skipped: bpf(BPF_PROG_TEST_RUN): %s\n", strerror(errno));
		return 77;
	}
	/* the interpreter, and the JIT where this build has one */
	size_t ncases = sizeof(cases) / sizeof(cases[0]), runs = 0;
	for (int jit = 0; jit <= (int)bs_jit_available(); jit++)
		for (size_t i = 0; i < ncases; i++, runs++)
			run_case(&cases[i], jit ? BS_ENGINE_JIT : BS_ENGINE_INTERP, argv[1], argv[2],
				 argv[3]);
	printf("kernel-replay: %ld packets in %zu cases (%s), %ld mismatches\n", packets, runs,
	       bs_jit_available() ? "interpreter and JIT" : "interpreter", mismatches);
	return mismatches ? 1 : 0;
}
