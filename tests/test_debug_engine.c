// SPDX-License-Identifier: MIT
/* The step engine (include/bpfstep/debug.h): stepping, breakpoints of every
 * kind, watchpoints, and reverse execution, whose re-runs must restore
 * registers, stack, packet and map contents byte for byte, across helper
 * calls, bpf_loop callbacks and map updates. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfstep/debug.h"
#include "tests/testutil.h"

/* ---- a session on an example object ---- */

struct session {
	struct bs_object *obj;
	const struct bs_prog *prog;
	struct bs_prog *raw;
	uint8_t *pkt;
	size_t pkt_len;
	struct bs_dbg *d;
	const char *map_update;  /* map name whose key 0 gets value_byte, or NULL */
	uint8_t value_byte;
};

static int make_maps(void *user, struct bs_maps **out, struct bs_error *err)
{
	struct session *s = user;
	if (bs_object_create_maps(s->obj, 1, out, err))
		return -1;
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void open_session(struct session *s, const char *obj, const char *prog, const char *pkt)
{
	char path[512];
	struct bs_error err;
	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s", BS_EXAMPLES_OBJ_DIR, obj);
	assert_int_equal(bs_object_open(path, &s->obj, &err), 0);
	assert_int_equal(bs_object_find_prog(s->obj, prog, &s->prog, &err), 0);
	snprintf(path, sizeof(path), "%s/examples/%s", BS_SOURCE_DIR, pkt);
	s->pkt = read_file(path, &s->pkt_len);
	struct bs_dbg_config cfg = {
		.prog = s->prog, .make_maps = make_maps, .user = s,
		.data_in = s->pkt, .data_size_in = s->pkt_len,
	};
	assert_int_equal(bs_dbg_new(&cfg, &s->d, &err), 0);
}

/* A raw xdp program from assembly, over a 64-byte packet. */
static void open_raw(struct session *s, const char *text, uint64_t budget)
{
	struct bs_error err;
	size_t n;
	memset(s, 0, sizeof(*s));
	struct bs_insn *insns = tu_asm(text, &n);
	assert_int_equal(bs_prog_new_raw(insns, n, BS_PROG_XDP, "t", &s->raw, &err), 0);
	free(insns);
	s->prog = s->raw;
	s->pkt_len = 64;
	s->pkt = calloc(1, 64);
	for (int i = 0; i < 64; i++)
		s->pkt[i] = (uint8_t)i;
	struct bs_dbg_config cfg = {.prog = s->prog, .data_in = s->pkt,
				    .data_size_in = s->pkt_len, .budget = budget};
	assert_int_equal(bs_dbg_new(&cfg, &s->d, &err), 0);
}

static void close_session(struct session *s)
{
	bs_dbg_free(s->d);
	bs_prog_free(s->raw);
	bs_object_close(s->obj);
	free(s->pkt);
}

/* ---- the whole state at a stop, to compare byte for byte ---- */

struct snap {
	uint64_t count;
	size_t pc;
	unsigned depth;
	uint64_t regs[11];
	uint8_t stack[BS_MAX_FRAMES * BS_STACK_SIZE];
	uint8_t pkt[4096];
	uint8_t maps[8192];
	size_t maps_len;
	size_t ntrace;
};

static void region_bytes(struct bs_vm *vm, uint64_t addr, uint8_t *out, size_t max)
{
	const char *name;
	uint64_t off, avail;
	uint8_t *p = bs_vm_region_of(vm, addr, &name, &off, &avail);
	assert_non_null(p);
	uint64_t total = off + avail;
	memcpy(out, p - off, total < max ? total : max);
}

static void take(struct session *s, struct snap *sn)
{
	struct bs_vm *vm = bs_dbg_vm(s->d);
	assert_non_null(vm);
	memset(sn, 0, sizeof(*sn));
	sn->count = bs_vm_executed(vm);
	sn->pc = bs_vm_pc(vm, NULL);
	sn->depth = bs_vm_depth(vm);
	memcpy(sn->regs, bs_vm_regs(vm), sizeof(sn->regs));
	region_bytes(vm, sn->regs[10] - 1, sn->stack, sizeof(sn->stack));
	uint64_t data, end;
	if (bs_dbg_packet(s->d, &data, &end) == 0)
		region_bytes(vm, data, sn->pkt, sizeof(sn->pkt));
	struct bs_maps *maps = bs_dbg_maps(s->d);
	for (size_t i = 0; maps && i < bs_maps_count(maps); i++) {
		struct bs_map *m = bs_maps_at(maps, i);
		const struct bs_map_def *def = bs_map_def(m);
		uint8_t key[64], next[64], val[512];
		if (def->key_size > sizeof(key) || def->value_size > sizeof(val))
			continue;
		const void *k = NULL;
		while (bs_map_next_key(m, k, next) == 0) {
			memcpy(key, next, def->key_size);
			k = key;
			if (bs_map_lookup(m, key, val) == 0 &&
			    sn->maps_len + def->key_size + def->value_size <= sizeof(sn->maps)) {
				memcpy(sn->maps + sn->maps_len, key, def->key_size);
				memcpy(sn->maps + sn->maps_len + def->key_size, val, def->value_size);
				sn->maps_len += def->key_size + def->value_size;
			}
		}
	}
	sn->ntrace = bs_dbg_trace_count(s->d);
}

static void same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->pc, b->pc);
	assert_int_equal(a->depth, b->depth);
	assert_memory_equal(a->regs, b->regs, sizeof(a->regs));
	assert_memory_equal(a->stack, b->stack, sizeof(a->stack));
	assert_memory_equal(a->pkt, b->pkt, sizeof(a->pkt));
	assert_int_equal(a->maps_len, b->maps_len);
	assert_memory_equal(a->maps, b->maps, sizeof(a->maps));
	assert_int_equal(a->ntrace, b->ntrace);
}

/* Steps through the whole run keeping every state, then goes back one
 * instruction at a time and compares; then jumps to scattered positions. */
static void roundtrip(const char *obj, const char *prog, const char *pkt, const char *watch)
{
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_session(&s, obj, prog, pkt);
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_START);
	size_t cap = 4096, n = 0;
	struct snap *snaps = malloc(cap * sizeof(*snaps));
	while (bs_dbg_state(s.d) == BS_DBG_STOPPED) {
		assert_true(n < cap);
		take(&s, &snaps[n]);
		assert_int_equal(snaps[n].count, n);
		n++;
		assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &err), 0);
	}
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(st.count, n);
	uint64_t retval = st.retval;
	struct snap now;
	/* back from the end, one by one */
	for (size_t i = n; i-- > 0;) {
		assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
		assert_int_equal(st.count, i);
		take(&s, &now);
		same(&now, &snaps[i]);
	}
	assert_int_equal(st.reason, BS_DBG_HISTORY);
	/* scattered jumps, forwards and backwards */
	for (size_t k = 0; k < 40; k++) {
		size_t i = (k * 7919) % n;
		assert_int_equal(bs_dbg_goto(s.d, i, &st, &err), 0);
		take(&s, &now);
		same(&now, &snaps[i]);
		if (i + 3 < n) {
			assert_int_equal(bs_dbg_stepi(s.d, 3, &st, &err), 0);
			take(&s, &now);
			same(&now, &snaps[i + 3]);
		}
	}
	/* and the end is the same end */
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(st.retval, retval);
	(void)watch;
	free(snaps);
	close_session(&s);
}

/* map update with an atomic add, a helper call */
static void test_roundtrip_pkt_counter(void **state)
{
	(void)state;
	roundtrip("pkt_counter.bpf.o", "pkt_counter", "pkt_counter_tcp.pkt", NULL);
}

/* bpf_loop callbacks (stops inside them) and a map value written in place */
static void test_roundtrip_callbacks(void **state)
{
	(void)state;
	roundtrip("dispatch.bpf.o", "handle_tcp", "dispatch_tcp.pkt", NULL);
}

/* bpf_for_each_map_elem, bpf_map_update_elem */
static void test_roundtrip_map_update(void **state)
{
	(void)state;
	roundtrip("dispatch.bpf.o", "handle_udp", "dispatch_udp.pkt", NULL);
}

/* bpf-to-bpf calls, global data, bpf_trace_printk */
static void test_roundtrip_calls_trace(void **state)
{
	(void)state;
	roundtrip("subprogs.bpf.o", "xdp_sum", "subprogs_syn.pkt", NULL);
	roundtrip("globals.bpf.o", NULL, "globals_small.pkt", NULL);
}

/* ---- breakpoints ---- */

static size_t func_start(const struct bs_prog *p, const char *name)
{
	for (size_t i = 0; i < bs_prog_func_count(p); i++)
		if (strcmp(bs_prog_func(p, i)->name, name) == 0)
			return bs_prog_func(p, i)->start;
	fail_msg("no function %s", name);
	return 0;
}

static void test_breakpoints(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	int id, id2;
	open_session(&s, "subprogs.bpf.o", "xdp_sum", "subprogs_syn.pkt");
	size_t fold = func_start(s.prog, "fold");
	/* by function name: fold runs twice */
	assert_int_equal(bs_dbg_break(s.d, "fold", false, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	assert_int_equal(st.id, id);
	assert_int_equal(st.pc, fold);
	assert_true(st.depth >= 1);
	uint64_t first = st.count;
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	uint64_t second = st.count;
	assert_true(second > first);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	/* ignore count: the first hit is skipped */
	assert_int_equal(bs_dbg_ignore(s.d, id, 1, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.count, second);
	/* condition on a register: fold's argument is the sum; pick the
	 * second call's by its value */
	uint64_t r1 = bs_vm_regs(bs_dbg_vm(s.d))[1];
	char cond[64];
	snprintf(cond, sizeof(cond), "$w1 == %llu", (unsigned long long)(uint32_t)r1);
	assert_int_equal(bs_dbg_condition(s.d, id, cond, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.count, second);
	assert_int_equal(bs_dbg_condition(s.d, id, NULL, &err), 0);
	/* disabled, it stops nothing; deleted, it is gone */
	assert_int_equal(bs_dbg_enable(s.d, id, false, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(bs_dbg_enable(s.d, id, true, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.count, first);
	assert_int_equal(bs_dbg_delete(s.d, id, &err), 0);
	assert_int_equal(bs_dbg_delete(s.d, id, &err), -1);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	/* by instruction, temporary: one stop, then deleted */
	char loc[32];
	snprintf(loc, sizeof(loc), "*%zu", fold);
	assert_int_equal(bs_dbg_break(s.d, loc, true, NULL, &id2, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	assert_true(st.temporary);
	assert_int_equal(bs_dbg_bp_count(s.d), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	/* by file:line: the line of `return sum % 4;` in xdp_sum */
	size_t nl = bs_prog_line_count(s.prog);
	const struct bs_line *ret = NULL;
	for (size_t i = 0; i < nl; i++)
		if (strstr(bs_prog_line(s.prog, i)->src, "return sum % 4"))
			ret = bs_prog_line(s.prog, i);
	assert_non_null(ret);
	snprintf(loc, sizeof(loc), "subprogs.bpf.c:%u", ret->line);
	assert_int_equal(bs_dbg_break(s.d, loc, false, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	assert_int_equal(bs_dbg_line_at(s.d, st.pc)->line, ret->line);
	/* bad locations are errors, not breakpoints */
	assert_int_equal(bs_dbg_break(s.d, "nosuch", false, NULL, &id, &err), -1);
	assert_int_equal(bs_dbg_break(s.d, "nofile.c:3", false, NULL, &id, &err), -1);
	assert_int_equal(bs_dbg_break(s.d, "*99999", false, NULL, &id, &err), -1);
	assert_int_equal(bs_dbg_break(s.d, "fold if $r1 ==", false, "$r1 ==", &id, &err), -1);
	close_session(&s);
}

/* ---- watchpoints ---- */

static void test_watchpoints(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	int id;
	open_session(&s, "pkt_counter.bpf.o", "pkt_counter", "pkt_counter_tcp.pkt");
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	/* the counter of slot 6 (TCP): written by the atomic add */
	struct bs_map *counts = bs_maps_find(bs_dbg_maps(s.d), "counts");
	assert_non_null(counts);
	char expr[64];
	snprintf(expr, sizeof(expr), "*(u64 *)0x%llx",
		 (unsigned long long)bs_map_value_addr(counts, 6));
	assert_int_equal(bs_dbg_watch(s.d, expr, BS_REGION_WRITE, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_WATCH);
	assert_int_equal(st.id, id);
	assert_int_equal(st.access, BS_REGION_WRITE);
	assert_int_equal(st.old_value, 0);
	assert_int_equal(st.new_value, 1);
	uint64_t hit = st.count;
	/* the watch survives a restart and a reverse step lands before it */
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	/* each run has maps of its own */
	counts = bs_maps_find(bs_dbg_maps(s.d), "counts");
	uint64_t v = 99;
	assert_int_equal(bs_dbg_read(s.d, bs_map_value_addr(counts, 6), &v, 8, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_WATCH);
	assert_int_equal(st.count, hit);
	assert_int_equal(bs_dbg_delete(s.d, id, &err), 0);

	/* rwatch on the EtherType the program reads */
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_watch(s.d, "*(u16 *)($pkt + 12)", BS_REGION_READ, NULL, &id, &err),
			 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_WATCH);
	assert_int_equal(st.access, BS_REGION_READ);
	struct bs_dbg_value val;
	assert_int_equal(bs_dbg_eval(s.d, "$pkt + 12", &val, &err), 0);
	assert_true(st.addr == val.value || st.addr == val.value + 1);
	assert_int_equal(bs_dbg_delete(s.d, id, &err), 0);

	/* a register: stops where r0 changes */
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_watch(s.d, "$r0", BS_REGION_WRITE, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_watch(s.d, "$r0", BS_REGION_READ, NULL, &id, &err), -1);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_WATCH);
	assert_int_equal(st.new_value, bs_vm_regs(bs_dbg_vm(s.d))[0]);
	assert_true(st.old_value != st.new_value);
	close_session(&s);
}

/* ---- stepping by lines and frames ---- */

static void test_step_next_finish(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_session(&s, "subprogs.bpf.o", "xdp_sum", "subprogs_syn.pkt");
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	/* next never stops in a callee and always at a new line's start */
	const struct bs_line *prev = bs_dbg_line_at(s.d, st.pc);
	int steps = 0;
	while (bs_dbg_state(s.d) == BS_DBG_STOPPED) {
		assert_int_equal(bs_dbg_next(s.d, 1, &st, &err), 0);
		if (st.reason == BS_DBG_EXIT)
			break;
		assert_int_equal(st.depth, 0);
		const struct bs_line *l = bs_dbg_line_at(s.d, st.pc);
		assert_non_null(l);
		assert_true(l != prev);
		prev = l;
		steps++;
	}
	assert_true(steps >= 3);
	/* step goes into csum_words; finish comes back out with its r0 */
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	size_t csum = func_start(s.prog, "csum_words");
	while (st.depth == 0 && st.reason != BS_DBG_EXIT)
		assert_int_equal(bs_dbg_step(s.d, 1, &st, &err), 0);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.pc, csum);
	uint64_t in_callee = st.count;
	assert_int_equal(bs_dbg_finish(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_FINISH);
	assert_int_equal(st.depth, 0);
	assert_int_equal(st.retval, bs_vm_regs(bs_dbg_vm(s.d))[0]);
	/* reverse-finish: back to the call instruction */
	assert_int_equal(bs_dbg_goto(s.d, in_callee + 2, &st, &err), 0);
	assert_int_equal(bs_dbg_reverse_finish(s.d, &st, &err), 0);
	assert_int_equal(st.count, in_callee - 1);
	assert_int_equal(st.depth, 0);
	size_t ninsns;
	const struct bs_insn *insns = bs_prog_insns(s.prog, &ninsns);
	assert_int_equal(insns[st.pc].code, 0x85);
	assert_int_equal(bs_dbg_finish(s.d, &st, &err), -1);  /* outermost frame */
	/* nexti over the call: one stop after it, at depth 0 */
	assert_int_equal(bs_dbg_nexti(s.d, 1, &st, &err), 0);
	assert_int_equal(st.depth, 0);
	assert_true(st.count > in_callee + 5);
	assert_int_equal(st.pc, (size_t)(insns + st.pc - insns));
	/* reverse-nexti comes back over it to the call */
	assert_int_equal(bs_dbg_reverse_nexti(s.d, 1, &st, &err), 0);
	assert_int_equal(st.count, in_callee - 1);
	/* next, then reverse-next: the same position again */
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_next(s.d, 2, &st, &err), 0);
	uint64_t a = st.count;
	assert_int_equal(bs_dbg_next(s.d, 1, &st, &err), 0);
	assert_int_equal(bs_dbg_reverse_next(s.d, 1, &st, &err), 0);
	assert_int_equal(st.count, a);
	/* reverse-step from the callee's first line goes to the caller */
	assert_int_equal(bs_dbg_goto(s.d, in_callee, &st, &err), 0);
	assert_int_equal(bs_dbg_reverse_step(s.d, 1, &st, &err), 0);
	assert_int_equal(st.depth, 0);
	assert_true(st.count < in_callee);
	close_session(&s);
}

/* next over bpf_loop does not stop in the callback; step does. */
static void test_next_over_callback(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_session(&s, "dispatch.bpf.o", "handle_tcp", "dispatch_tcp.pkt");
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	bool deeper = false;
	while (bs_dbg_state(s.d) == BS_DBG_STOPPED && st.reason != BS_DBG_EXIT) {
		assert_int_equal(bs_dbg_next(s.d, 1, &st, &err), 0);
		if (st.reason != BS_DBG_EXIT && st.depth > 0)
			deeper = true;
	}
	assert_false(deeper);
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	while (bs_dbg_state(s.d) == BS_DBG_STOPPED && st.reason != BS_DBG_EXIT && !deeper) {
		assert_int_equal(bs_dbg_step(s.d, 1, &st, &err), 0);
		if (st.reason != BS_DBG_EXIT && st.depth > 0)
			deeper = true;
	}
	assert_true(deeper);
	/* a stop inside the callback: finish runs the remaining iterations */
	assert_int_equal(bs_dbg_finish(s.d, &st, &err), 0);
	assert_int_equal(st.depth, 0);
	close_session(&s);
}

/* ---- reverse-continue ---- */

static void test_reverse_continue(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	int id;
	open_session(&s, "subprogs.bpf.o", "xdp_sum", "subprogs_syn.pkt");
	assert_int_equal(bs_dbg_break(s.d, "fold", false, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	uint64_t first = st.count;
	struct snap a, b, now;
	take(&s, &a);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	uint64_t second = st.count;
	take(&s, &b);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(bs_dbg_reverse_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	assert_int_equal(st.id, id);
	assert_int_equal(st.count, second);
	take(&s, &now);
	same(&now, &b);
	assert_int_equal(bs_dbg_reverse_continue(s.d, &st, &err), 0);
	assert_int_equal(st.count, first);
	take(&s, &now);
	same(&now, &a);
	assert_int_equal(bs_dbg_reverse_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_HISTORY);
	assert_int_equal(st.count, 0);
	/* forwards again from the start: the same hits */
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.count, first);
	close_session(&s);
}

/* ---- changes made at a stop are replayed by re-runs ---- */

static void test_edits_replayed(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	struct bs_dbg_value v;
	open_session(&s, "pkt_counter.bpf.o", "pkt_counter", "pkt_counter_tcp.pkt");
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	/* the EtherType becomes ARP: the packet lands in slot 0, not 6 */
	assert_int_equal(bs_dbg_eval(s.d, "*(u16 *)($pkt + 12) = 0x0608", &v, &err), 0);
	assert_int_equal(bs_dbg_stepi(s.d, 4, &st, &err), 0);
	struct snap fwd, now;
	take(&s, &fwd);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	struct bs_map *counts = bs_maps_find(bs_dbg_maps(s.d), "counts");
	uint64_t c[2];
	uint32_t key = 0;
	assert_int_equal(bs_map_lookup(counts, &key, c), 0);
	assert_int_equal(c[0], 1);
	/* a re-run to position 4 repeats the change */
	assert_int_equal(bs_dbg_goto(s.d, 4, &st, &err), 0);
	take(&s, &now);
	same(&now, &fwd);
	/* a new run forgets it */
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	key = 6;
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 1);
	/* a register write, replayed the same way */
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_stepi(s.d, 2, &st, &err), 0);
	assert_int_equal(bs_dbg_set_reg(s.d, 7, 0x1234, &err), 0);
	assert_int_equal(bs_dbg_set_reg(s.d, 10, 0, &err), -1);
	assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &err), 0);
	take(&s, &fwd);
	assert_int_equal(bs_dbg_stepi(s.d, 5, &st, &err), 0);
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 5, &st, &err), 0);
	take(&s, &now);
	same(&now, &fwd);
	close_session(&s);
}

/* map update / delete at a stop: repeated by re-runs that pass the stop,
 * forgotten by those that go back before it */
static void test_map_edits_replayed(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	uint64_t c[2], init[2] = {100, 1000};
	uint32_t key = 6;
	open_session(&s, "pkt_counter.bpf.o", "pkt_counter", "pkt_counter_tcp.pkt");
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_stepi(s.d, 2, &st, &err), 0);
	assert_int_equal(bs_dbg_map_update(s.d, "counts", &key, init, sizeof(init), BS_ANY, &err), 0);
	assert_int_equal(bs_dbg_map_update(s.d, "nosuch", &key, init, sizeof(init), BS_ANY, &err), -1);
	/* the array refuses a delete as the kernel's does */
	assert_int_equal(bs_dbg_map_delete(s.d, "counts", &key, &err), -1);
	assert_non_null(strstr(err.message, "errno 22"));
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 101);
	/* back from the exit: the re-run repeats the update */
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 101);
	assert_int_equal(c[1], 1000 + s.pkt_len);
	/* at the position it was made at it still holds */
	assert_int_equal(bs_dbg_goto(s.d, 2, &st, &err), 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 100);
	/* before it: gone, and forgotten for good */
	assert_int_equal(bs_dbg_goto(s.d, 1, &st, &err), 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "counts"), &key, c), 0);
	assert_int_equal(c[0], 1);
	close_session(&s);

	/* a hash map: the update makes the firewall drop, the delete undoes it */
	open_session(&s, "xdp_firewall.bpf.o", "xdp_firewall", "xdp_firewall_blocked.pkt");
	uint8_t ip[4] = {192, 0, 2, 66};
	uint64_t zero = 0, drops = 0;
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_map_update(s.d, "blocked", ip, &zero, 8, BS_NOEXIST, &err), 0);
	assert_int_equal(bs_dbg_map_update(s.d, "blocked", ip, &zero, 8, BS_NOEXIST, &err), -1);
	assert_int_equal(bs_dbg_stepi(s.d, 3, &st, &err), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.retval, 1);  /* XDP_DROP */
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 100, &st, &err), 0);
	assert_int_equal(st.count, 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "blocked"), ip, &drops), 0);
	assert_int_equal(bs_dbg_stepi(s.d, 3, &st, &err), 0);
	assert_int_equal(bs_dbg_map_delete(s.d, "blocked", ip, &err), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.retval, 2);  /* XDP_PASS */
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	assert_int_equal(bs_map_lookup(bs_maps_find(bs_dbg_maps(s.d), "blocked"), ip, &drops), -2);
	close_session(&s);
}

/* ---- packet accounting ---- */

static void test_packet_marks(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	uint8_t marks[128];
	int id;
	open_session(&s, "xdp_firewall.bpf.o", "xdp_firewall", "xdp_firewall_blocked.pkt");
	assert_int_equal(bs_dbg_break(s.d, "xdp_firewall.bpf.c:42", false, NULL, &id, &err), 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_BREAK);
	struct bs_dbg_stop before = st;
	/* not counted until asked */
	assert_int_equal(bs_dbg_packet_marks(s.d, marks, s.pkt_len), -1);
	assert_int_equal(bs_dbg_packet_track(s.d, true, &err), 0);
	/* the re-run that counted leaves the stop as it was */
	assert_int_equal(bs_dbg_last_stop(s.d)->reason, BS_DBG_BREAK);
	assert_int_equal(bs_dbg_last_stop(s.d)->count, before.count);
	assert_int_equal(bs_dbg_last_stop(s.d)->id, id);
	assert_int_equal(bs_dbg_packet_marks(s.d, marks, s.pkt_len), 0);
	/* the EtherType (12..13) and the IPv4 source (26..29), read only */
	for (size_t i = 0; i < s.pkt_len; i++) {
		bool want = i == 12 || i == 13 || (i >= 26 && i <= 29);
		assert_int_equal(marks[i], want ? BS_REGION_READ : 0);
	}
	/* back before the loads: nothing read yet */
	assert_int_equal(bs_dbg_goto(s.d, 2, &st, &err), 0);
	assert_int_equal(bs_dbg_packet_marks(s.d, marks, s.pkt_len), 0);
	for (size_t i = 0; i < s.pkt_len; i++)
		assert_int_equal(marks[i], 0);
	/* a watchpoint on packet bytes still stops while the packet is counted */
	int w;
	assert_int_equal(bs_dbg_watch(s.d, "*(u32 *)($pkt + 26)", BS_REGION_READ, NULL, &w, &err), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_WATCH);
	assert_int_equal(st.id, w);
	assert_int_equal(st.access, BS_REGION_READ);
	/* a program that writes the packet */
	close_session(&s);
	open_raw(&s, "r2 = *(u32 *)(r1 + 0)\n"
		     "r3 = *(u32 *)(r1 + 4)\n"
		     "r4 = r2\n"
		     "r4 += 8\n"
		     "if r4 > r3 goto +3\n"
		     "r5 = *(u16 *)(r2 + 2)\n"
		     "*(u16 *)(r2 + 4) = r5\n"
		     "*(u8 *)(r2 + 3) = 7\n"
		     "r0 = 2\n"
		     "exit\n", 0);
	assert_int_equal(bs_dbg_packet_track(s.d, true, &err), 0);
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	assert_int_equal(bs_dbg_stepi(s.d, 8, &st, &err), 0);
	assert_int_equal(bs_dbg_packet_marks(s.d, marks, s.pkt_len), 0);
	assert_int_equal(marks[2], BS_REGION_READ);
	assert_int_equal(marks[3], BS_REGION_READ | BS_REGION_WRITE);
	assert_int_equal(marks[4], BS_REGION_WRITE);
	assert_int_equal(marks[5], BS_REGION_WRITE);
	assert_int_equal(marks[6], 0);
	assert_int_equal(marks[1], 0);
	close_session(&s);
}

/* ---- expressions ---- */

static void test_expressions(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	struct bs_dbg_value v;
	open_session(&s, "pkt_counter.bpf.o", "pkt_counter", "pkt_counter_tcp.pkt");
	/* numbers work without a run */
	assert_int_equal(bs_dbg_eval(s.d, "1 + 2 * 3", &v, &err), 0);
	assert_int_equal(v.value, 7);
	assert_int_equal(bs_dbg_eval(s.d, "$r1", &v, &err), -1);
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	static const struct {
		const char *expr;
		uint64_t want;
	} cases[] = {
		{"(1 << 4) | 3", 19}, {"-1 < 0", 1}, {"(u32)-1 == 0xffffffff", 1},
		{"(u8)0x1ff", 0xff}, {"(s8)0xff", (uint64_t)-1}, {"7 / 2", 3}, {"-7 % 3", (uint64_t)-1},
		{"1 && 0 || 2", 1}, {"!5", 0}, {"~0 == -1", 1}, {"(u64)1 << 63 >> 63", 1},
		{"3 > 2 ? 10 : 20", 10}, {"$r1 == $ctx", 1}, {"$fp == $r10", 1},
		{"*(u16 *)($pkt + 12)", 0x0008}, {"{u8}($pkt + 23)", 6}, {"$pkt_end - $pkt", 74},
		{"((u16 *)$pkt + 6) - (u16 *)$pkt", 6}, {"$count", 0}, {"$w1 == ($r1 & 0xffffffff)", 1},
		{"'A'", 65},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = bs_dbg_eval(s.d, cases[i].expr, &v, &err);
		if (rc)
			fail_msg("%s: %s", cases[i].expr, err.message);
		if (v.value != cases[i].want)
			fail_msg("%s = 0x%llx, want 0x%llx", cases[i].expr,
				 (unsigned long long)v.value, (unsigned long long)cases[i].want);
	}
	static const char *const bad[] = {
		"1 +", "$r11", "$nope", "(1", "1 / 0", "*$r1", "*(u32 *)0", "foo", "5 = 3", "1 2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bs_dbg_eval(s.d, bad[i], &v, &err) == 0)
			fail_msg("'%s' should be refused", bad[i]);
	/* kinds */
	char kind[64];
	bs_dbg_kind(s.d, bs_vm_regs(bs_dbg_vm(s.d))[1], kind, sizeof(kind));
	assert_string_equal(kind, "ctx");
	bs_dbg_kind(s.d, bs_vm_regs(bs_dbg_vm(s.d))[10] - 16, kind, sizeof(kind));
	assert_string_equal(kind, "fp-16");
	assert_int_equal(bs_dbg_eval(s.d, "$pkt + 14", &v, &err), 0);
	bs_dbg_kind(s.d, v.value, kind, sizeof(kind));
	assert_string_equal(kind, "pkt+14");
	assert_int_equal(bs_dbg_eval(s.d, "$pkt_end", &v, &err), 0);
	bs_dbg_kind(s.d, v.value, kind, sizeof(kind));
	assert_string_equal(kind, "pkt_end");
	struct bs_map *counts = bs_maps_find(bs_dbg_maps(s.d), "counts");
	bs_dbg_kind(s.d, bs_map_value_addr(counts, 6) + 8, kind, sizeof(kind));
	assert_string_equal(kind, "map[counts][6]+8");
	bs_dbg_kind(s.d, 42, kind, sizeof(kind));
	assert_string_equal(kind, "");
	close_session(&s);
}

/* ---- faults, budget, interrupts, the cost of going back ---- */

static void test_fault_stops_before(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_raw(&s, "r2 = *(u32 *)(r1 +0)\n"
		     "r3 = *(u32 *)(r1 +4)\n"
		     "r2 += 100\n"
		     "r0 = *(u8 *)(r2 +0)\n"    /* past the packet's page */
		     "exit\n", 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_FAULT);
	assert_int_equal(st.pc, 3);
	assert_int_equal(st.count, 3);
	assert_int_equal(st.error.kind, BS_ERR_MEMORY);
	assert_int_equal(bs_dbg_state(s.d), BS_DBG_STOPPED);
	/* the state before the faulting instruction is there to look at */
	struct bs_dbg_value v;
	assert_int_equal(bs_dbg_eval(s.d, "$r2 - $pkt", &v, &err), 0);
	/* stepping faults again, at the same place */
	assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_FAULT);
	assert_int_equal(st.pc, 3);
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	assert_int_equal(st.pc, 2);
	close_session(&s);
}

static const char spin[] =
	"r0 = 0\n"
	"loop:\n"
	"r0 += 1\n"
	"if r0 != 0 goto loop\n"
	"exit\n";

static void *interrupter(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	bs_dbg_interrupt(arg);
	return NULL;
}

static void test_interrupt(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_raw(&s, spin, UINT64_MAX);
	assert_int_equal(bs_dbg_start(s.d, &st, &err), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, interrupter, s.d), 0);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), 0);
	pthread_join(t, NULL);
	assert_int_equal(st.reason, BS_DBG_INTERRUPT);
	assert_true(st.count > 0);
	/* the budget still ends a run */
	close_session(&s);
	open_raw(&s, spin, 1000);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_FAULT);
	assert_int_equal(st.error.kind, BS_ERR_BUDGET);
	close_session(&s);
}

/* reverse-stepi at the end of a 10,000-instruction run: one re-run */
static void test_reverse_cost(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_raw(&s, "r0 = 0\n"
		     "r1 = 4999\n"
		     "loop:\n"
		     "r0 += r1\n"
		     "r1 -= 1\n"
		     "if r1 != 0 goto loop\n"
		     "exit\n", 0);
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	uint64_t end = st.count;
	assert_true(end >= 10000);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(st.count, end - 10);
	unsigned runs;
	uint64_t insns;
	bs_dbg_cost(s.d, &runs, &insns);
	assert_int_equal(runs, 1);
	double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
		    10;
	printf("reverse-stepi after %llu instructions: %.3f ms (1 re-run)\n",
	       (unsigned long long)end, ms);
	/* reverse-continue with nothing to find: a recording pass and a re-run */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(bs_dbg_reverse_continue(s.d, &st, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(st.reason, BS_DBG_HISTORY);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("reverse-continue over %llu instructions: %.3f ms\n", (unsigned long long)end, ms);
	close_session(&s);
}

/* Commands that need a running program say so. */
static void test_not_running(void **state)
{
	(void)state;
	struct session s;
	struct bs_dbg_stop st;
	struct bs_error err;
	open_raw(&s, "r0 = 2\nexit\n", 0);
	assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &err), -1);
	assert_int_equal(bs_dbg_continue(s.d, &st, &err), -1);
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), -1);
	assert_null(bs_dbg_vm(s.d));
	assert_int_equal(bs_dbg_run(s.d, &st, &err), 0);
	assert_int_equal(st.reason, BS_DBG_EXIT);
	assert_int_equal(st.retval, 2);
	assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &err), -1);
	/* from the end, back to the last instruction */
	assert_int_equal(bs_dbg_reverse_stepi(s.d, 1, &st, &err), 0);
	assert_int_equal(st.pc, 1);
	assert_int_equal(bs_vm_regs(bs_dbg_vm(s.d))[0], 2);
	close_session(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_pkt_counter),
		cmocka_unit_test(test_roundtrip_callbacks),
		cmocka_unit_test(test_roundtrip_map_update),
		cmocka_unit_test(test_roundtrip_calls_trace),
		cmocka_unit_test(test_breakpoints),
		cmocka_unit_test(test_watchpoints),
		cmocka_unit_test(test_step_next_finish),
		cmocka_unit_test(test_next_over_callback),
		cmocka_unit_test(test_reverse_continue),
		cmocka_unit_test(test_edits_replayed),
		cmocka_unit_test(test_map_edits_replayed),
		cmocka_unit_test(test_packet_marks),
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_fault_stops_before),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_reverse_cost),
		cmocka_unit_test(test_not_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
