// SPDX-License-Identifier: MIT
/* Interpreter against JIT on random programs: every instruction kind, loads,
 * stores and atomics on the stack, a packet, a map value, a read-only region
 * and a context with an access rule and a store hook, helper calls (one that
 * moves the packet's window, one that calls back into the program, one that
 * fails), bpf-to-bpf calls (deep enough to overflow), tail calls, LD_ABS /
 * LD_IND, may_goto, loops that run out of budget, and faults. Each program
 * runs in three VMs set up alike: the interpreter, the JIT, the unchecked
 * JIT, twice (the second run in the state the first left, under another
 * budget); r0, every register, the error (kind, pc, message), the
 * instruction count of each run, the current program and all memory must
 * agree.
 *
 *   jit_diff [--count N] [--seed S] [--start I] [-v]
 *
 * The programs come from tests/jit_gen.c. Exit 0 when every program agrees,
 * 1 on the first difference (printed with the program, so it can be
 * replayed with --start I --count 1), 77 when the host has no JIT. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/bpfstep.h"
#include "tests/array_helper.h"
#include "tests/jit_gen.h"

/* ---- the environment ---- */

#define PKT_BUF 512
#define PKT_AT 128

struct env {
	uint8_t pkt[PKT_BUF], map[64], ro[64], ctx[32];
	uint64_t pkt_guest, pkt_region, map_guest, ro_guest, ctx_guest;
	size_t pkt_start, pkt_len;
	uint32_t prog1;
	int moves;
	/* helper 7: 5 values 12 bytes apart over the map region */
	struct test_array array;
};

static int h_sum(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)err; (void)u;
	*r0 = a[0] + 2 * a[1] + (a[2] ^ a[3]) - a[4];
	return 0;
}

static int h_ptr(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)err;
	struct env *e = u;
	*r0 = a[0] & 1 ? e->map_guest : 0;
	return 0;
}

static int h_mem(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)u;
	struct bs_error e2;
	uint8_t *p = bs_vm_translate(vm, a[0], 8, true, &e2);
	(void)err;
	if (!p) {
		*r0 = (uint64_t)-14;
		return 0;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	v = v * 3 + 1;
	memcpy(p, &v, 8);
	*r0 = v;
	return 0;
}

static int h_fail(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)u;
	if (a[0] == 7)
		return bs_error_set(err, BS_ERR_HELPER, "the helper refused r1 = 7");
	*r0 = a[0] >> 1;
	return 0;
}

static int h_loop(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)u;
	uint64_t i;
	for (i = 0; i < (a[0] & 3); i++) {
		uint64_t args[5] = {i, a[2], a[3], 0, 0}, ret;
		if (bs_vm_call(vm, a[1], args, &ret, err))
			return -1;
		if (ret)
			break;
	}
	*r0 = i;
	return 0;
}

/* like bpf_xdp_adjust_head: the window moves inside the buffer, bytes keep
 * their guest addresses, and r6 may now point outside it */
static int h_move(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	struct env *e = u;
	int64_t d = (int64_t)(a[0] % 33) - 16;
	if ((int64_t)e->pkt_start + d < 0 || (int64_t)e->pkt_len - d < 8 ||
	    e->pkt_start + e->pkt_len > PKT_BUF) {
		*r0 = (uint64_t)-22;
		return 0;
	}
	uint64_t guest = e->pkt_region;
	size_t ns = (size_t)((int64_t)e->pkt_start + d), nl = (size_t)((int64_t)e->pkt_len - d);
	if (bs_vm_region_update(vm, guest, e->pkt + ns, nl, err))
		return -1;
	e->pkt_region = guest + (uint64_t)d;
	e->pkt_start = ns;
	e->pkt_len = nl;
	e->moves++;
	*r0 = 0;
	return 0;
}

static int tail_call(struct bs_vm *vm, uint64_t map, uint64_t index, uint32_t *prog,
		     struct bs_error *err, void *u)
{
	(void)vm; (void)map;
	struct env *e = u;
	if (index == 0) {
		*prog = e->prog1;
		return 1;
	}
	if (index == 1) {
		*prog = 0;
		return 1;
	}
	if (index == 99) {
		bs_error_set(err, BS_ERR_HELPER, "no program array here");
		return -1;
	}
	return 0;
}

/* offsets 0..15 readable, 16..23 read+write, 24..31 write-only (as ctx rules go) */
static bool ctx_rule(void *u, uint64_t off, unsigned size, unsigned need)
{
	(void)u;
	if (need & BS_REGION_WRITE && off + size <= 16)
		return false;
	if (need & BS_REGION_READ && off >= 24)
		return false;
	return true;
}

/* a 4-byte store at 16 keeps only 16 bits, as the kernel does for tc_index */
static bool ctx_hook(void *u, uint64_t off, unsigned size, uint64_t v, void *host)
{
	(void)u;
	if (off == 16 && size == 4) {
		uint32_t low = (uint16_t)v;
		memcpy(host, &low, 4);
		return true;
	}
	return false;
}

/* The second run of a program in the same VM. */
struct again {
	int rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
};

struct result {
	struct again again;
	int rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
	uint32_t cur;
	uint8_t stack[BS_STACK_SIZE * BS_MAX_FRAMES];
	size_t stack_len;
	struct env env;
};

static int setup(struct bs_vm **out, struct env *e, const struct prog *p0, const struct prog *p1,
		 uint64_t seed, struct bs_error *err)
{
	struct bs_vm *vm;
	if (bs_vm_new(&vm, err))
		return -1;
	*out = vm;
	uint64_t save = rng_state;
	rng_state = seed;
	for (size_t i = 0; i < PKT_BUF; i++)
		e->pkt[i] = (uint8_t)rnd();
	for (size_t i = 0; i < 64; i++) {
		e->map[i] = (uint8_t)rnd();
		e->ro[i] = (uint8_t)rnd();
	}
	for (size_t i = 0; i < 32; i++)
		e->ctx[i] = (uint8_t)rnd();
	rng_state = save;
	e->pkt_start = PKT_AT;
	e->pkt_len = 256;
	if (bs_vm_set_helper(vm, 1, "sum", h_sum, e, err) ||
	    bs_vm_set_helper(vm, 2, "ptr", h_ptr, e, err) ||
	    bs_vm_set_helper(vm, 3, "mem", h_mem, e, err) ||
	    bs_vm_set_helper(vm, 4, "fail", h_fail, e, err) ||
	    bs_vm_set_helper(vm, 5, "loop", h_loop, e, err) ||
	    bs_vm_set_helper(vm, 6, "move", h_move, e, err) ||
	    test_array_register(vm, 7, &e->array, err))
		return -1;
	bs_vm_set_tail_call(vm, tail_call, e);
	bs_vm_set_budget(vm, 3000);
	if (bs_vm_load(vm, p0->in, p0->n, err) || bs_vm_add_prog(vm, p1->in, p1->n, &e->prog1, err))
		return -1;
	uint64_t g;
	/* the packet buffer is the region; the window is narrowed to the packet */
	if (bs_vm_add_region(vm, "pkt", e->pkt, PKT_BUF, BS_REGION_RW, &g, err) ||
	    bs_vm_region_update(vm, g, e->pkt + PKT_AT, 256, err))
		return -1;
	e->pkt_region = g + PKT_AT;
	e->pkt_guest = g + PKT_AT;
	/* strides the JIT scales by with a lea, and two it multiplies by */
	static const uint64_t strides[] = {1, 2, 4, 8, 12, 3};
	e->array = (struct test_array){.r1 = LOOKUP_HANDLE, .stride = strides[seed % 6], .n = 5};
	if (bs_vm_add_region(vm, "map", e->map, 64, BS_REGION_RW, &e->map_guest, err) ||
	    bs_vm_add_region(vm, "ro", e->ro, 64, BS_REGION_READ, &e->ro_guest, err) ||
	    bs_vm_add_region(vm, "ctx", e->ctx, 32, BS_REGION_RW, &e->ctx_guest, err) ||
	    bs_vm_region_set_access_rule(vm, e->ctx_guest, ctx_rule, NULL, err) ||
	    bs_vm_region_set_store_hook(vm, e->ctx_guest, ctx_hook, NULL, err))
		return -1;
	e->array.base = e->map_guest;
	bs_vm_set_packet(vm, e->pkt + PKT_AT, 256, 14, 0, 14 + 0);
	return 0;
}

static int run_one(const struct prog *p0, const struct prog *p1, uint64_t seed, enum bs_engine eng,
		   struct result *r)
{
	memset(r, 0, sizeof(*r));
	struct bs_vm *vm = NULL;
	int rc = setup(&vm, &r->env, p0, p1, seed, &r->err);
	if (rc) {
		bs_vm_free(vm);
		r->rc = -2;
		return -1;
	}
	bs_vm_set_engine(vm, eng);
	uint64_t args[5] = {r->env.pkt_guest, r->env.map_guest, r->env.ro_guest, r->env.ctx_guest,
			    seed};
	r->rc = bs_vm_run(vm, args, &r->res, &r->err);
	memcpy(r->regs, bs_vm_regs(vm), sizeof(r->regs));
	r->cur = bs_vm_current_prog(vm);
	/* again in the same VM, as run --repeat and replay do: the JIT's
	 * memos (a loop check's among them) meet what the first run left,
	 * under the same budget or one that may run out anywhere */
	bs_vm_set_budget(vm, seed & 1 ? 3000 : 1 + (seed >> 1) % 3000);
	r->again.rc = bs_vm_run(vm, args, &r->again.res, &r->again.err);
	memcpy(r->again.regs, bs_vm_regs(vm), sizeof(r->again.regs));
	/* the stack from the current frame's bottom up to the top of frame 0 */
	uint64_t fp = r->regs[10];
	struct bs_error e2;
	for (uint64_t lo = fp - BS_STACK_SIZE;; lo += BS_STACK_SIZE) {
		uint8_t *s = bs_vm_translate(vm, lo, BS_STACK_SIZE, false, &e2);
		if (!s)
			break;
		if (r->stack_len + BS_STACK_SIZE > sizeof(r->stack))
			break;
		memcpy(r->stack + r->stack_len, s, BS_STACK_SIZE);
		r->stack_len += BS_STACK_SIZE;
	}
	bs_vm_free(vm);
	return 0;
}

static const char *differ(const struct result *a, const struct result *b)
{
	static char why[1024];
	if (a->rc != b->rc)
		return "rc";
	if (a->rc && (a->err.kind != b->err.kind || a->err.pc != b->err.pc ||
		      strcmp(a->err.message, b->err.message) != 0)) {
		snprintf(why, sizeof(why), "error: %s at %ld '%.320s' vs %s at %ld '%.320s'",
			 bs_err_kind_name(a->err.kind), a->err.pc, a->err.message,
			 bs_err_kind_name(b->err.kind), b->err.pc, b->err.message);
		return why;
	}
	if (a->res.retval != b->res.retval)
		return "r0";
	if (a->res.insns_executed != b->res.insns_executed) {
		snprintf(why, sizeof(why), "insns_executed %" PRIu64 " vs %" PRIu64,
			 a->res.insns_executed, b->res.insns_executed);
		return why;
	}
	for (int i = 0; i < BS_MAX_REG; i++)
		if (a->regs[i] != b->regs[i]) {
			snprintf(why, sizeof(why), "r%d: 0x%" PRIx64 " vs 0x%" PRIx64, i, a->regs[i],
				 b->regs[i]);
			return why;
		}
	if (a->cur != b->cur)
		return "current program";
	const struct again *x = &a->again, *y = &b->again;
	if (x->rc != y->rc || x->err.kind != y->err.kind || x->err.pc != y->err.pc ||
	    strcmp(x->err.message, y->err.message) != 0 || x->res.retval != y->res.retval ||
	    x->res.insns_executed != y->res.insns_executed || memcmp(x->regs, y->regs, sizeof(x->regs))) {
		snprintf(why, sizeof(why), "second run: rc %d/%d r0 0x%" PRIx64 "/0x%" PRIx64
			 " insns %" PRIu64 "/%" PRIu64 " '%.320s' at %ld / '%.320s' at %ld",
			 x->rc, y->rc, x->res.retval, y->res.retval, x->res.insns_executed,
			 y->res.insns_executed, x->err.message, x->err.pc, y->err.message, y->err.pc);
		return why;
	}
	if (a->stack_len != b->stack_len || memcmp(a->stack, b->stack, a->stack_len))
		return "stack";
	if (memcmp(a->env.pkt, b->env.pkt, PKT_BUF) || a->env.pkt_start != b->env.pkt_start ||
	    a->env.pkt_len != b->env.pkt_len)
		return "packet";
	if (memcmp(a->env.map, b->env.map, 64))
		return "map value";
	if (memcmp(a->env.ro, b->env.ro, 64))
		return "read-only region";
	if (memcmp(a->env.ctx, b->env.ctx, 32))
		return "ctx";
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t count = 2000, seed = 0x6a17d1ff, start = 0;
	int verbose = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
			start = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else {
			fprintf(stderr, "usage: %s [--count N] [--seed S] [--start I] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (!bs_jit_available()) {
		printf("jit_diff: no JIT on this host; skipped\n");
		return 77;
	}
	static struct prog p0, p1;
	static struct result ri, rj, ru;
	uint64_t loaded = 0, faults = 0, tails = 0, moved = 0;
	uint64_t kinds[BS_ERR__COUNT] = {0};
	for (uint64_t k = start; k < start + count; k++) {
		rng_state = seed ^ (k * 0x2545f4914f6cdd1dULL);
		gen_prog(&p0, 1);
		gen_prog(&p1, 0);
		uint64_t mseed = rnd();
		if (verbose) {
			/* before it runs: a crash leaves the program on the screen */
			print_prog("program 0", &p0);
			print_prog("program 1", &p1);
		}
		run_one(&p0, &p1, mseed, BS_ENGINE_INTERP, &ri);
		run_one(&p0, &p1, mseed, BS_ENGINE_JIT, &rj);
		run_one(&p0, &p1, mseed, BS_ENGINE_JIT_UNCHECKED, &ru);
		const char *d = differ(&ri, &rj);
		const char *which = "jit";
		if (!d) {
			d = differ(&ri, &ru);
			which = "jit-unchecked";
		}
		if (d) {
			printf("jit_diff: program %" PRIu64 " (seed 0x%" PRIx64 "): interpreter and %s "
			       "differ: %s\n", k, seed, which, d);
			printf("interpreter: rc %d r0 0x%" PRIx64 " insns %" PRIu64 " %s at %ld: %s\n", ri.rc,
			       ri.res.retval, ri.res.insns_executed, bs_err_kind_name(ri.err.kind),
			       ri.err.pc, ri.err.message);
			const struct result *o = which[3] ? &ru : &rj;
			printf("%s: rc %d r0 0x%" PRIx64 " insns %" PRIu64 " %s at %ld: %s\n", which, o->rc,
			       o->res.retval, o->res.insns_executed, bs_err_kind_name(o->err.kind),
			       o->err.pc, o->err.message);
			print_prog("program 0", &p0);
			print_prog("program 1", &p1);
			return 1;
		}
		if (ri.rc != -2)
			loaded++;
		else if (verbose)
			printf("%" PRIu64 ": not loaded: %s at %ld: %s\n", k, bs_err_kind_name(ri.err.kind),
			       ri.err.pc, ri.err.message);
		if (ri.rc == -1) {
			faults++;
			kinds[ri.err.kind]++;
		}
		tails += ri.cur != 0;
		moved += ri.env.moves != 0;
		if (verbose && ri.rc == -1)
			printf("%" PRIu64 ": %s at %ld: %s\n", k, bs_err_kind_name(ri.err.kind), ri.err.pc,
			       ri.err.message);
	}
	printf("jit_diff: %" PRIu64 " programs (seed 0x%" PRIx64 ", from %" PRIu64 "), %" PRIu64
	       " loaded, %" PRIu64 " ended in an error (",
	       count, seed, start, loaded, faults);
	for (int k = 1; k < BS_ERR__COUNT; k++)
		if (kinds[k])
			printf("%s%s %" PRIu64, k > 1 ? " " : "", bs_err_kind_name(k), kinds[k]);
	printf("), %" PRIu64 " ended in a tail-called program, %" PRIu64
	       " moved the packet; 0 differences\n", tails, moved);
	return loaded * 2 < count ? 1 : 0;
}
