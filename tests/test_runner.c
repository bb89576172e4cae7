// SPDX-License-Identifier: MIT
/* bs_test_runner: many runs through one runner give, run for run, what
 * separate bs_test_run calls give (every program type, varied packets and
 * contexts, inputs the kernel refuses in between, helpers that move the
 * packet and leave bytes behind in the buffer), with outputs handed over or
 * lent (bs_test_runner_run_lent), and a runner's memory does not grow with
 * the number of runs. */
#include <linux/bpf.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/isa.h"
#include "bpfstep/maps.h"
#include "bpfstep/run.h"
#include "tests/testutil.h"

/* XDP: counts by the selector byte (the Ethernet type's low byte) in an
 * array map, grows the head into the headroom (showing what is there),
 * writes into it, moves the metadata and the tail, and redirects some. */
static const char xdp_src[] =
	"r6 = r1\n"
	"r2 = *(u32 *)(r6 +0)\n"
	"r3 = *(u32 *)(r6 +4)\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"if r4 > r3 goto short\n"
	"r7 = *(u8 *)(r2 +13)\n"
	"r8 = r7\n"
	"r8 &= 3\n"
	"*(u32 *)(r10 -4) = r8\n"
	"lddw %r1, map_idx 0\n"
	"r2 = r10\n"
	"r2 += -4\n"
	"call 1\n"
	"if r0 == 0 goto nomap\n"
	"r1 = 1\n"
	"lock *(u64 *)(r0 +0) += r1\n"
	"nomap:\n"
	"r1 = r6\n"
	"r2 = r7\n"
	"r2 &= 60\n"
	"r2 = -r2\n"
	"call 44\n"
	"r1 = r6\n"
	"r2 = r7\n"
	"r2 &= 64\n"
	"r2 >>= 3\n"
	"r2 = -r2\n"
	"call 54\n"
	"r2 = *(u32 *)(r6 +0)\n"
	"r3 = *(u32 *)(r6 +4)\n"
	"r4 = r2\n"
	"r4 += 16\n"
	"if r4 > r3 goto tail\n"
	"r9 = *(u64 *)(r2 +0)\n"
	"*(u8 *)(r2 +1) = r7\n"
	"*(u64 *)(r2 +8) = r9\n"
	"tail:\n"
	"r1 = r6\n"
	"r2 = r7\n"
	"r2 &= 28\n"
	"r2 -= 12\n"
	"call 65\n"
	"r0 = r7\n"
	"r0 &= 3\n"
	"r1 = r7\n"
	"r1 &= 128\n"
	"if r1 == 0 goto out\n"
	"r1 = r7\n"
	"r2 = 0\n"
	"call 23\n"
	"out:\n"
	"exit\n"
	"short:\n"
	"r0 = 2\n"
	"exit\n";

/* tc: grows the packet in one of three ways (a VLAN tag, head room, tail
 * room), writes the context's cb and mark, reads the data the helpers
 * left, clones and redirects. */
static const char tc_src[] =
	"r6 = r1\n"
	"r7 = *(u32 *)(r6 +0)\n"
	"r8 = *(u32 *)(r6 +8)\n"
	"*(u32 *)(r6 +48) = r7\n"
	"r9 = r7\n"
	"r9 &= 3\n"
	"if r9 == 0 goto vlan\n"
	"if r9 == 1 goto head\n"
	"if r9 == 2 goto tail\n"
	"r1 = r6\n"
	"r2 = 5\n"
	"r3 = 0\n"
	"call 13\n"
	"goto read\n"
	"vlan:\n"
	"r1 = r6\n"
	"r2 = 0x81\n"
	"r3 = r7\n"
	"call 18\n"
	"goto read\n"
	"head:\n"
	"r1 = r6\n"
	"r2 = 16\n"
	"r3 = 0\n"
	"call 43\n"
	"goto read\n"
	"tail:\n"
	"r1 = r6\n"
	"r2 = r7\n"
	"r2 += 20\n"
	"r3 = 0\n"
	"call 38\n"
	"read:\n"
	"r1 = r6\n"
	"r2 = 0\n"
	"r3 = r10\n"
	"r3 += -16\n"
	"r4 = 16\n"
	"call 26\n"
	"r1 = *(u64 *)(r10 -16)\n"
	"*(u32 *)(r6 +52) = r1\n"
	"r8 += 1\n"
	"*(u32 *)(r6 +8) = r8\n"
	"r1 = r8\n"
	"r1 &= 7\n"
	"r2 = 0\n"
	"call 23\n"
	"r0 = r7\n"
	"r0 &= 1\n"
	"exit\n";

/* socket filter: LD_ABS from the network header on, and the context */
static const char sock_src[] =
	"r6 = r1\n"
	"ldabsb 9\n"
	"r7 = r0\n"
	"ldabsh 2\n"
	"r7 += r0\n"
	"r1 = *(u32 *)(r6 +0)\n"
	"r0 = r7\n"
	"r0 += r1\n"
	"r0 &= 63\n"
	"exit\n";

/* cgroup_skb: the socket's fields and the packet */
static const char cg_src[] =
	"r2 = *(u32 *)(r1 +92)\n"
	"r4 = *(u32 *)(r1 +88)\n"
	"r2 += r4\n"
	"r3 = *(u32 *)(r1 +16)\n"
	"r0 = *(u32 *)(r1 +0)\n"
	"r0 += r2\n"
	"r0 += r3\n"
	"r0 &= 1\n"
	"exit\n";

/* tracing: sums the first context words and the environment's clock and
 * random stream (which a runner without an environment starts afresh) */
static const char trace_src[] =
	"r6 = r1\n"
	"r7 = *(u64 *)(r6 +8)\n"
	"r8 = *(u64 *)(r6 +16)\n"
	"r7 += r8\n"
	"call 5\n"
	"r7 += r0\n"
	"call 7\n"
	"r7 += r0\n"
	"r0 = r7\n"
	"exit\n";

struct result {
	int rc;
	struct bs_error err;
	uint64_t retval, insns;
	uint8_t *data, *ctx;
	size_t data_size, ctx_size;
	struct bs_redirect redirect;
	size_t nclones;
};

/* the clones of a run: a copy, so that they outlive a lent run */
struct clones {
	size_t n;
	struct bs_clone c[8];
};

static void keep_clones(struct clones *out, const struct bs_test_run *tr)
{
	out->n = tr->nclones;
	assert_true(tr->nclones <= 8);
	for (size_t i = 0; i < tr->nclones; i++) {
		out->c[i] = tr->clones[i];
		out->c[i].data = malloc(tr->clones[i].size ? tr->clones[i].size : 1);
		memcpy(out->c[i].data, tr->clones[i].data, tr->clones[i].size);
	}
}

static void same_clones(const struct clones *a, const struct clones *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->c[i].ifindex, b->c[i].ifindex);
		assert_int_equal(a->c[i].flags, b->c[i].flags);
		assert_int_equal(a->c[i].size, b->c[i].size);
		assert_memory_equal(a->c[i].data, b->c[i].data, a->c[i].size);
	}
}

static void free_clones(struct clones *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->c[i].data);
	c->n = 0;
}

static void keep(struct result *res, int rc, const struct bs_error *err, struct bs_test_run *tr)
{
	res->rc = rc;
	res->err = *err;
	res->retval = tr->retval;
	res->insns = tr->insns_executed;
	res->data = tr->data_out;
	res->data_size = tr->data_size_out;
	res->ctx = tr->ctx_out;
	res->ctx_size = tr->ctx_size_out;
	res->redirect = tr->redirect;
	res->nclones = tr->nclones;
	for (size_t i = 0; i < tr->nclones; i++)
		free(tr->clones[i].data);
	free(tr->clones);
}

static void same(const struct result *a, const struct result *b, size_t run, int engine)
{
	if (a->rc != b->rc || a->err.kind != b->err.kind || strcmp(a->err.message, b->err.message))
		fail_msg("engine %d run %zu: rc %d '%s' (separate) against %d '%s' (runner)", engine, run, a->rc,
			 a->err.message, b->rc, b->err.message);
	assert_int_equal(a->retval, b->retval);
	assert_int_equal(a->insns, b->insns);
	assert_int_equal(a->data_size, b->data_size);
	assert_int_equal(a->ctx_size, b->ctx_size);
	if (a->data_size)
		assert_memory_equal(a->data, b->data, a->data_size);
	if (a->ctx_size)
		assert_memory_equal(a->ctx, b->ctx, a->ctx_size);
	assert_int_equal(a->redirect.kind, b->redirect.kind);
	assert_int_equal(a->redirect.ifindex, b->redirect.ifindex);
	assert_int_equal(a->nclones, b->nclones);
}

static struct bs_prog *make_prog(const char *src, enum bs_prog_type type)
{
	struct bs_insn *insns;
	size_t n;
	struct bs_error err;
	if (bs_asm(src, "runner.s", &insns, &n, &err))
		fail_msg("%s", err.message);
	struct bs_prog *prog;
	assert_int_equal(bs_prog_new_raw(insns, n, type, NULL, &prog, &err), 0);
	free(insns);
	return prog;
}

static struct bs_maps *make_maps(void)
{
	struct bs_maps *maps;
	struct bs_error err;
	assert_int_equal(bs_maps_new(&maps, 1, &err), 0);
	struct bs_map_def def = {.name = "counts", .type = BS_MAP_ARRAY, .key_size = 4,
				 .value_size = 8, .max_entries = 4};
	struct bs_map *m;
	assert_true(bs_maps_create(maps, &def, &m, &err) >= 0);
	return maps;
}

/* The i-th input of a sequence: packets of many sizes (some too short for
 * the kernel, some with XDP fragments), their bytes varied, a context on
 * some. */
struct input {
	uint8_t data[9000];
	size_t size;
	uint8_t ctx[256];
	size_t ctx_size;
	bool has_ctx;
	uint32_t repeat;
};

static void make_input(struct input *in, enum bs_prog_type type, size_t i)
{
	static const size_t sizes[] = {60, 14, 1500, 8, 64, 98, 300, 9000, 42, 5000, 3600, 54};
	memset(in, 0, sizeof(*in));
	bool trace = type == BS_PROG_KPROBE || type == BS_PROG_TRACEPOINT ||
		     type == BS_PROG_RAW_TRACEPOINT || type == BS_PROG_PERF_EVENT;
	in->repeat = i % 5 == 4 ? 3 : 0;
	if (trace) {
		/* ctx_in of varied sizes, longer and shorter than the reads */
		in->has_ctx = i % 6 != 5;
		in->ctx_size = in->has_ctx ? 8 + (i * 8) % 64 : 0;
		for (size_t k = 0; k < in->ctx_size; k++)
			in->ctx[k] = (uint8_t)(i * 13 + k);
		if (type == BS_PROG_RAW_TRACEPOINT)
			in->repeat = 0;
		/* refused: tracing programs take no packet */
		if (i % 7 == 3)
			in->size = 20;
		return;
	}
	size_t size = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
	if (type != BS_PROG_XDP && size > 3000)
		size = 1400;
	in->size = size;
	for (size_t k = 0; k < size; k++)
		in->data[k] = (uint8_t)(i * 31 + k * 7);
	/* IPv4 now and then, the selector byte varied */
	if (size > 13) {
		in->data[12] = i % 3 == 0 ? 0x08 : 0x86;
		in->data[13] = (uint8_t)(i % 3 == 0 ? 0x00 : i * 37);
	}
	if (i % 4 == 1) {
		in->has_ctx = true;
		if (type == BS_PROG_XDP) {
			struct xdp_md md = {.data = (uint32_t)(i % 8 == 1 ? 8 : 0),
					    .data_end = (uint32_t)(size > 1000 ? 900 : size)};
			if (i % 16 == 13)
				md.rx_queue_index = 1; /* refused: queue without a device */
			memcpy(in->ctx, &md, sizeof(md));
			in->ctx_size = sizeof(md);
		} else {
			struct __sk_buff sk = {.mark = (uint32_t)i, .priority = 3};
			sk.cb[1] = (uint32_t)(i * 5);
			if (i % 16 == 13)
				sk.len = 1; /* refused: not a field ctx_in sets */
			memcpy(in->ctx, &sk, sizeof(sk));
			in->ctx_size = sizeof(sk);
		}
	}
}

static void set_input(struct bs_test_run *tr, const struct input *in, enum bs_engine engine,
		      struct bs_env *env)
{
	memset(tr, 0, sizeof(*tr));
	tr->data_in = in->size ? in->data : NULL;
	tr->data_size_in = in->size;
	tr->ctx_in = in->has_ctx ? in->ctx : NULL;
	tr->ctx_size_in = in->ctx_size;
	tr->repeat = in->repeat;
	tr->engine = engine;
	tr->env = env;
}

/* One program type: the same sequence through separate runs and through
 * one runner, with and without an environment of the caller's. */
static void compare_type(const char *src, enum bs_prog_type type, enum bs_engine engine,
			 bool own_env)
{
	struct bs_prog *prog = make_prog(src, type);
	struct bs_maps *ma = make_maps(), *mb = make_maps(), *mc = make_maps();
	struct bs_env env_a, env_b, env_c;
	bs_env_default(&env_a);
	bs_env_default(&env_b);
	bs_env_default(&env_c);
	struct bs_env *ea = own_env ? &env_a : NULL, *eb = own_env ? &env_b : NULL;
	struct bs_env *ec = own_env ? &env_c : NULL;
	struct bs_test_run tmpl = {.engine = engine, .env = eb}, tmpl_c = {.engine = engine, .env = ec};
	struct bs_test_runner *runner, *lender;
	struct bs_error err;
	assert_int_equal(bs_test_runner_new(prog, mb, &tmpl, &runner, &err), 0);
	/* a third sequence through a runner that lends its outputs */
	assert_int_equal(bs_test_runner_new(prog, mc, &tmpl_c, &lender, &err), 0);
	static struct input in;
	size_t ok = 0, failed = 0;
	/* the last lent data_out, and a copy of it */
	const uint8_t *lent = NULL;
	static uint8_t lent_copy[9000 + 256];
	size_t lent_size = 0;
	for (size_t i = 0; i < 200; i++) {
		make_input(&in, type, i);
		struct bs_test_run tr;
		struct result a, b, c;
		struct clones ca, cc;
		set_input(&tr, &in, engine, ea);
		int rc = bs_test_run(prog, ma, &tr, &err);
		keep_clones(&ca, &tr);
		keep(&a, rc, &err, &tr);
		set_input(&tr, &in, engine, eb);
		rc = bs_test_runner_run(runner, &tr, &err);
		keep(&b, rc, &err, &tr);
		same(&a, &b, i, (int)engine);
		/* lent outputs hold until the lender's next run, whatever
		 * other runners do meanwhile */
		if (lent)
			assert_memory_equal(lent, lent_copy, lent_size);
		set_input(&tr, &in, engine, ec);
		rc = bs_test_runner_run_lent(lender, &tr, &err);
		c = (struct result){.rc = rc, .err = err, .retval = tr.retval,
				    .insns = tr.insns_executed, .data = tr.data_out,
				    .ctx = tr.ctx_out, .data_size = tr.data_size_out,
				    .ctx_size = tr.ctx_size_out, .redirect = tr.redirect,
				    .nclones = tr.nclones};
		same(&a, &c, i, (int)engine);
		keep_clones(&cc, &tr);
		same_clones(&ca, &cc);
		free_clones(&ca);
		free_clones(&cc);
		lent = rc ? NULL : tr.data_out;
		lent_size = rc ? 0 : tr.data_size_out;
		assert_true(lent_size <= sizeof(lent_copy));
		if (lent)
			memcpy(lent_copy, lent, lent_size);
		if (getenv("RUNNER_DEBUG") && a.rc)
			fprintf(stderr, "%s run %zu: %s\n", bs_prog_type_name(type), i, a.err.message);
		ok += a.rc == 0;
		failed += a.rc != 0;
		free(a.data);
		free(a.ctx);
		free(b.data);
		free(b.ctx);
	}
	/* the sequence exercises both the runs and the refusals */
	assert_true(ok >= 100);
	assert_true(failed >= 1);
	for (size_t i = 0; i < bs_maps_count(ma); i++) {
		const struct bs_map_def *def = bs_map_def(bs_maps_at(ma, i));
		for (uint32_t k = 0; k < def->max_entries; k++) {
			assert_memory_equal(bs_map_array_data(bs_maps_at(ma, i), k),
					    bs_map_array_data(bs_maps_at(mb, i), k), def->value_size);
			assert_memory_equal(bs_map_array_data(bs_maps_at(ma, i), k),
					    bs_map_array_data(bs_maps_at(mc, i), k), def->value_size);
		}
	}
	bs_test_runner_free(runner);
	bs_test_runner_free(lender);
	bs_maps_free(ma);
	bs_maps_free(mb);
	bs_maps_free(mc);
	bs_prog_free(prog);
}

static const struct {
	const char *src;
	enum bs_prog_type type;
} cases[] = {
	{xdp_src, BS_PROG_XDP},
	{tc_src, BS_PROG_SCHED_CLS},
	{tc_src, BS_PROG_SCHED_ACT},
	{sock_src, BS_PROG_SOCKET_FILTER},
	{cg_src, BS_PROG_CGROUP_SKB},
	{trace_src, BS_PROG_KPROBE},
	{trace_src, BS_PROG_TRACEPOINT},
	{trace_src, BS_PROG_RAW_TRACEPOINT},
	{trace_src, BS_PROG_PERF_EVENT},
};

static void test_same_as_separate_runs(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int own_env = 0; own_env < 2; own_env++) {
			compare_type(cases[c].src, cases[c].type, BS_ENGINE_INTERP, own_env);
			if (bs_jit_available())
				compare_type(cases[c].src, cases[c].type, BS_ENGINE_JIT, own_env);
		}
}

/* A run's environment is the runner's: another one is refused, clearly. */
static void test_other_env_refused(void **state)
{
	(void)state;
	struct bs_prog *prog = make_prog(cg_src, BS_PROG_CGROUP_SKB);
	struct bs_env env, other;
	bs_env_default(&env);
	bs_env_default(&other);
	struct bs_test_run tmpl = {.env = &env};
	struct bs_test_runner *runner;
	struct bs_error err;
	assert_int_equal(bs_test_runner_new(prog, NULL, &tmpl, &runner, &err), 0);
	static struct input in;
	make_input(&in, BS_PROG_CGROUP_SKB, 0);
	struct bs_test_run tr;
	set_input(&tr, &in, BS_ENGINE_INTERP, &other);
	assert_int_not_equal(bs_test_runner_run(runner, &tr, &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_non_null(strstr(err.message, "environment"));
	set_input(&tr, &in, BS_ENGINE_INTERP, &env);
	assert_int_equal(bs_test_runner_run(runner, &tr, &err), 0);
	free(tr.data_out);
	free(tr.ctx_out);
	bs_test_runner_free(runner);
	bs_prog_free(prog);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* Memory stays flat over runs: what run 1,000 holds, run 20,000 holds. */
static void test_flat_memory(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct bs_prog *prog = make_prog(cases[c].src, cases[c].type);
		struct bs_maps *maps = make_maps();
		struct bs_env env;
		bs_env_default(&env);
		struct bs_test_run tmpl = {.env = &env};
		struct bs_test_runner *runner;
		struct bs_error err;
		assert_int_equal(bs_test_runner_new(prog, maps, &tmpl, &runner, &err), 0);
		static struct input in;
		size_t at_1000 = 0, ok = 0;
		for (size_t i = 0; i < 20000; i++) {
			make_input(&in, cases[c].type, i % 64);
			struct bs_test_run tr;
			set_input(&tr, &in, BS_ENGINE_INTERP, &env);
			/* lent runs among them: the runner frees what it lent */
			if (i % 3 == 0) {
				ok += bs_test_runner_run_lent(runner, &tr, &err) == 0;
			} else {
				ok += bs_test_runner_run(runner, &tr, &err) == 0;
				free(tr.data_out);
				free(tr.ctx_out);
				for (size_t k = 0; k < tr.nclones; k++)
					free(tr.clones[k].data);
				free(tr.clones);
			}
			if (i == 999)
				at_1000 = heap_in_use();
		}
		size_t at_end = heap_in_use();
		if (ok < 10000)
			fail_msg("%s: %zu of 20,000 runs", bs_prog_type_name(cases[c].type), ok);
		bs_test_runner_free(runner);
		bs_maps_free(maps);
		bs_prog_free(prog);
		if (!at_1000 && !at_end)
			skip(); /* this allocator (a sanitizer's) does not count */
		if (at_end > at_1000 + 4096)
			fail_msg("%s: %zu bytes in use after 1,000 runs, %zu after 20,000",
				 bs_prog_type_name(cases[c].type), at_1000, at_end);
	}
}

/* The packet's window moves and resizes from run to run (its size, the
 * metadata in front of it) while the JIT keeps what its checked accesses
 * learned across runs: a read 60 bytes into the packet, unchecked by the
 * program, succeeds exactly when the packet has those bytes, through runs
 * of one size, shrinking, growing and moving, on every engine. */
static void test_window_moves(void **state)
{
	(void)state;
	static const char src[] =
		"r2 = *(u32 *)(r1 +0)\n"
		"r3 = *(u32 *)(r1 +4)\n"
		"r0 = *(u32 *)(r2 +60)\n"
		"r0 += r3\n"
		"r0 -= r2\n"
		"exit\n";
	static const struct {
		size_t size, meta;
	} runs[] = {{98, 0}, {98, 0}, {50, 0}, {50, 0}, {64, 0}, {63, 0}, {98, 0}, {98, 8},
		    {70, 8}, {72, 8}, {72, 8}, {98, 0}, {14, 0}, {64, 0}, {100, 32}, {96, 32}};
	struct bs_prog *prog = make_prog(src, BS_PROG_XDP);
	for (int engine = 0; engine < 2; engine++) {
		if (engine && !bs_jit_available())
			break;
		enum bs_engine eng = engine ? BS_ENGINE_JIT : BS_ENGINE_INTERP;
		struct bs_test_run tmpl = {.engine = eng};
		struct bs_test_runner *runner;
		struct bs_error err;
		assert_int_equal(bs_test_runner_new(prog, NULL, &tmpl, &runner, &err), 0);
		for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
			uint8_t data[128];
			for (size_t k = 0; k < sizeof(data); k++)
				data[k] = (uint8_t)(i * 17 + k);
			size_t meta = runs[i].meta, size = runs[i].size;
			struct xdp_md md = {.data = (uint32_t)meta, .data_end = (uint32_t)size};
			struct bs_test_run tr = {.data_in = data, .data_size_in = size,
						 .ctx_in = meta ? &md : NULL,
						 .ctx_size_in = meta ? sizeof(md) : 0, .engine = eng};
			int rc = i % 2 ? bs_test_runner_run_lent(runner, &tr, &err)
				       : bs_test_runner_run(runner, &tr, &err);
			if (size - meta >= 64) {
				if (rc)
					fail_msg("engine %d run %zu: %s", engine, i, err.message);
				uint32_t want;
				memcpy(&want, data + meta + 60, 4);
				assert_int_equal(tr.retval, (uint32_t)(want + size - meta));
			} else {
				if (!rc)
					fail_msg("engine %d run %zu: a %zu-byte packet read at 60",
						 engine, i, size - meta);
				assert_int_equal(err.kind, BS_ERR_MEMORY);
			}
			if (!rc && !(i % 2)) {
				free(tr.data_out);
				free(tr.ctx_out);
			}
		}
		bs_test_runner_free(runner);
	}
	bs_prog_free(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_separate_runs),
		cmocka_unit_test(test_other_env_refused),
		cmocka_unit_test(test_flat_memory),
		cmocka_unit_test(test_window_moves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
