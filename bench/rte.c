// SPDX-License-Identifier: MIT
/* The librte_bpf columns (bench/rte.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "rte.h"

/* progs.h's BENCH_RTE context: the packet after its length, one buffer,
 * since librte_bpf's validator only knows the argument as a pointer */
#define BENCH_PKT_LEN 1500
#define BENCH_MAP_ENTRIES 256
struct bench_rte_ctx {
	uint64_t len;
	uint8_t data[BENCH_PKT_LEN];
};

static uint64_t rte_map[BENCH_MAP_ENTRIES];

/* What bpf_map_lookup_elem does on an array map, as librte_bpf calls an
 * external function: a plain C call with r1..r5. */
static uint64_t array_lookup(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	uint32_t k = *(const uint32_t *)(uintptr_t)key;
	return k < BENCH_MAP_ENTRIES ? (uint64_t)(uintptr_t)((uint64_t *)(uintptr_t)map + k) : 0;
}

struct bench_rte {
	struct rte_bpf *bpf;
	struct rte_bpf_jit jit;
};

/* librte's reason for refusing, from its log: the first two lines without
 * the handle's address ("validate(0x...) loops detected;") or the last
 * line that only says the load failed */
static void reason(const char *log, char *why, size_t why_len)
{
	size_t used = 0;
	why[0] = 0;
	for (int lines = 0; *log && lines < 2; lines++) {
		size_t n = strcspn(log, "\n");
		if (strncmp(log, "rte_bpf_elf_load(", 17) != 0) {
			for (size_t k = 0; k < n && used + 2 < why_len; k++) {
				if (log[k] == '(' && log[k + 1] == '0' && log[k + 2] == 'x') {
					while (k < n && log[k] != ')')
						k++;
					continue;
				}
				why[used++] = log[k];
			}
			if (used + 1 < why_len)
				why[used++] = ' ';
			why[used] = 0;
		}
		log += n + (log[n] == '\n');
	}
	while (used > 0 && (why[used - 1] == ' ' || why[used - 1] == ';'))
		why[--used] = 0;
}

int bench_rte_load(const char *obj, const char *name, struct bench_rte **out, char *why,
		   size_t why_len)
{
	struct rte_bpf_xsym xsym[2];
	memset(xsym, 0, sizeof(xsym));
	xsym[0].name = "bench_map";
	xsym[0].type = RTE_BPF_XTYPE_VAR;
	xsym[0].var.val = rte_map;
	xsym[0].var.desc.type = RTE_BPF_ARG_PTR;
	xsym[0].var.desc.size = sizeof(rte_map);
	xsym[1].name = "bench_array_lookup";
	xsym[1].type = RTE_BPF_XTYPE_FUNC;
	xsym[1].func.val = array_lookup;
	xsym[1].func.nb_args = 2;
	xsym[1].func.args[0].type = RTE_BPF_ARG_PTR;
	xsym[1].func.args[0].size = sizeof(rte_map);
	xsym[1].func.args[1].type = RTE_BPF_ARG_PTR;
	xsym[1].func.args[1].size = sizeof(uint32_t);
	xsym[1].func.ret.type = RTE_BPF_ARG_PTR;
	xsym[1].func.ret.size = sizeof(uint64_t);
	struct rte_bpf_prm prm = {
		.xsym = xsym,
		.nb_xsym = 2,
		.prog_arg = {.type = RTE_BPF_ARG_PTR, .size = sizeof(struct bench_rte_ctx)},
	};
	char section[64];
	why[0] = 0;
	snprintf(section, sizeof(section), "rte/%s", name);

	/* librte says why it refuses only in its log: keep the errors */
	char *log = NULL;
	size_t log_len = 0;
	FILE *f = open_memstream(&log, &log_len);
	FILE *prev = rte_log_get_stream();
	uint32_t level = rte_log_get_global_level();
	if (f) {
		rte_openlog_stream(f);
		rte_log_set_global_level(RTE_LOG_ERR);
	}
	struct rte_bpf *bpf = rte_bpf_elf_load(&prm, obj, section);
	int code = rte_errno;
	if (f) {
		rte_openlog_stream(prev);
		rte_log_set_global_level(level);
		fclose(f);
	}
	if (!bpf) {
		if (log)
			reason(log, why, why_len);
		if (!why[0])
			snprintf(why, why_len, "rte_bpf_elf_load: %s", strerror(code));
		free(log);
		return -1;
	}
	free(log);
	struct bench_rte *r = calloc(1, sizeof(*r));
	if (!r) {
		rte_bpf_destroy(bpf);
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	r->bpf = bpf;
	if (rte_bpf_get_jit(bpf, &r->jit) != 0)
		r->jit.func = NULL;
	*out = r;
	return 0;
}

void bench_rte_free(struct bench_rte *r)
{
	if (r)
		rte_bpf_destroy(r->bpf);
	free(r);
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

double bench_rte_run(const struct bench_rte *r, int jit, const uint8_t *pkt, size_t len,
		     uint32_t repeat, uint32_t *retval)
{
	static struct bench_rte_ctx ctx;
	if ((jit && !r->jit.func) || len > sizeof(ctx.data) || repeat == 0)
		return -1;
	ctx.len = len;
	memcpy(ctx.data, pkt, len);
	memset(rte_map, 0, sizeof(rte_map));
	uint64_t rc = 0;
	double t0 = now_ns();
	if (jit) {
		uint64_t (*fn)(void *) = r->jit.func;
		for (uint32_t i = 0; i < repeat; i++)
			rc = fn(&ctx);
	} else {
		for (uint32_t i = 0; i < repeat; i++)
			rc = rte_bpf_exec(r->bpf, &ctx);
	}
	double t1 = now_ns();
	*retval = (uint32_t)rc;
	return (t1 - t0) / repeat;
}
