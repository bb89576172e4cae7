// SPDX-License-Identifier: MIT
/* The step engine's run thread: bs_test_run runs on a thread of its own,
 * and the VM's stop hook blocks it whenever the command being carried out
 * wants a stop, so the caller sees a program paused between two
 * instructions (also inside a bpf_loop callback, whose helper frames stay on
 * that thread's stack). Whether a position is a stop is decided on the run
 * thread, so stepping through thousands of instructions costs no thread
 * switches. */
#include <stdlib.h>
#include <string.h>

#include "debugger/engine.h"
#include "vm/error.h"

/* How often a run without stops looks at bs_dbg_interrupt. */
#define DBG_POLL 65536u

/* ---- lines ---- */

static int index_lines(struct bs_dbg *d, struct bs_error *err)
{
	const struct bs_prog *prog = d->cfg.prog;
	bs_prog_insns(prog, &d->ninsns);
	d->line_of = calloc(d->ninsns ? d->ninsns : 1, sizeof(*d->line_of));
	d->line_start = calloc(d->ninsns ? d->ninsns : 1, sizeof(*d->line_start));
	if (!d->line_of || !d->line_start)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	size_t nl = bs_prog_line_count(prog);
	for (size_t i = 0; i < nl; i++) {
		const struct bs_line *l = bs_prog_line(prog, i);
		size_t end = i + 1 < nl ? bs_prog_line(prog, i + 1)->insn : d->ninsns;
		if (l->insn >= d->ninsns)
			continue;
		/* line 0 marks compiler-made code: it belongs to the line before */
		if (l->line == 0 && l->insn > 0) {
			for (size_t pc = l->insn; pc < end && pc < d->ninsns; pc++)
				d->line_of[pc] = d->line_of[l->insn - 1];
			continue;
		}
		d->line_start[l->insn] = l->line != 0;
		for (size_t pc = l->insn; pc < end && pc < d->ninsns; pc++)
			d->line_of[pc] = l->line ? l : NULL;
	}
	return 0;
}

const struct bs_line *bs_dbg_line_at(const struct bs_dbg *d, size_t pc)
{
	return pc < d->ninsns ? d->line_of[pc] : NULL;
}

const struct bs_func *bs_dbg_func_at(const struct bs_dbg *d, size_t pc)
{
	const struct bs_func *best = NULL;
	for (size_t i = 0; i < bs_prog_func_count(d->cfg.prog); i++) {
		const struct bs_func *f = bs_prog_func(d->cfg.prog, i);
		if (f->start <= pc && (!best || f->start > best->start))
			best = f;
	}
	return best;
}

static bool same_line(const struct bs_line *a, const struct bs_line *b)
{
	if (!a || !b)
		return a == b;
	return a->line == b->line && strcmp(a->file, b->file) == 0;
}

/* ---- the session ---- */

int bs_dbg_new(const struct bs_dbg_config *cfg, struct bs_dbg **out, struct bs_error *err)
{
	bs_error_clear(err);
	if (!cfg || !cfg->prog)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the debugger needs a program");
	struct bs_dbg *d = calloc(1, sizeof(*d));
	if (!d)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	d->cfg = *cfg;
	if (cfg->env)
		d->env0 = *cfg->env;
	else
		bs_env_default(&d->env0);
	d->cfg.env = &d->env0;
	d->next_id = 1;
	d->pkt_watch = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	atomic_init(&d->interrupt, 0);
	if (index_lines(d, err)) {
		bs_dbg_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

static void trace_clear(struct bs_dbg *d)
{
	for (size_t i = 0; i < d->ntrace; i++)
		free(d->trace[i].text);
	free(d->trace);
	d->trace = NULL;
	d->ntrace = 0;
}

static void edits_free(struct bs_dbg *d)
{
	for (size_t i = 0; i < d->nedits; i++)
		free(d->edits[i].more);
	free(d->edits);
	d->edits = NULL;
	d->nedits = 0;
}

static void run_outputs_free(struct bs_dbg *d)
{
	free(d->tr.data_out);
	free(d->tr.ctx_out);
	for (size_t i = 0; i < d->tr.nclones; i++)
		free(d->tr.clones[i].data);
	free(d->tr.clones);
	memset(&d->tr, 0, sizeof(d->tr));
}

void bs_dbg_free(struct bs_dbg *d)
{
	if (!d)
		return;
	bs_dbg_kill(d);
	bs_maps_free(d->maps);
	dbg_bps_free(d);
	edits_free(d);
	trace_clear(d);
	free(d->rec);
	free(d->hits);
	free(d->pkt_acc);
	free(d->line_of);
	free(d->line_start);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

enum bs_dbg_state bs_dbg_state(const struct bs_dbg *d)
{
	return d->state;
}

const struct bs_dbg_stop *bs_dbg_last_stop(const struct bs_dbg *d)
{
	return &d->stop;
}

const struct bs_prog *bs_dbg_prog(const struct bs_dbg *d)
{
	return d->cfg.prog;
}

struct bs_vm *bs_dbg_vm(struct bs_dbg *d)
{
	return d->state == BS_DBG_STOPPED ? d->vm : NULL;
}

struct bs_maps *bs_dbg_maps(struct bs_dbg *d)
{
	return d->maps;
}

const uint64_t *bs_dbg_prev_regs(const struct bs_dbg *d)
{
	return d->prev_regs;
}

bool bs_dbg_clobbered(const struct bs_dbg *d)
{
	return d->clobbered;
}

size_t bs_dbg_trace_count(const struct bs_dbg *d)
{
	return d->ntrace;
}

const char *bs_dbg_trace_line(const struct bs_dbg *d, size_t i)
{
	return i < d->ntrace ? d->trace[i].text : NULL;
}

void bs_dbg_cost(const struct bs_dbg *d, unsigned *runs, uint64_t *insns)
{
	if (runs)
		*runs = d->cost_runs;
	if (insns)
		*insns = d->cost_insns;
}

void bs_dbg_interrupt(struct bs_dbg *d)
{
	atomic_store(&d->interrupt, 1);
}

/* ---- the run thread ---- */

static void on_trace(void *user, const char *line)
{
	struct bs_dbg *d = user;
	struct dbg_trace_line *more = realloc(d->trace, (d->ntrace + 1) * sizeof(*more));
	char *text = strdup(line);
	if (!more || !text) {
		free(text);
		if (more)
			d->trace = more;
		return;
	}
	d->trace = more;
	d->trace[d->ntrace++] = (struct dbg_trace_line){d->vm ? bs_vm_executed(d->vm) : 0, text};
}

static void apply_edit(struct bs_dbg *d, struct bs_vm *vm, const struct dbg_edit *e)
{
	if (e->kind == DBG_E_MAP_UPDATE || e->kind == DBG_E_MAP_DELETE) {
		struct bs_map *m = d->maps && e->map < bs_maps_count(d->maps)
					   ? bs_maps_at(d->maps, e->map) : NULL;
		const uint8_t *key = e->key_len ? e->more : NULL;
		/* it worked when it was made, and the maps are the same again */
		if (m && e->kind == DBG_E_MAP_UPDATE)
			(void)bs_map_update(m, key, e->more + e->key_len, e->flags);
		else if (m)
			(void)bs_map_delete(m, key);
		return;
	}
	if (e->is_reg) {
		memcpy(&bs_vm_regs(vm)[e->reg], e->bytes, 8);
		return;
	}
	uint64_t avail = 0;
	uint8_t *p = bs_vm_region_of(vm, e->addr, NULL, NULL, &avail);
	if (p && avail >= e->len)
		memcpy(p, e->more ? e->more : e->bytes, e->len);
}

static void apply_edits(struct bs_dbg *d, struct bs_vm *vm, uint64_t count)
{
	while (d->next_edit < d->nedits && d->edits[d->next_edit].count <= count) {
		if (d->edits[d->next_edit].count == count)
			apply_edit(d, vm, &d->edits[d->next_edit]);
		d->next_edit++;
	}
}

static bool per_insn(const struct bs_dbg *d)
{
	switch (d->cmd.mode) {
	case DBG_M_LINE:
	case DBG_M_NEXTI:
	case DBG_M_FINISH:
	case DBG_M_RECORD:
		return true;
	case DBG_M_COUNT:
	case DBG_M_CONTINUE:
		return d->cmd.has_advance || (!d->cmd.silent && dbg_has_regwatch(d));
	}
	return false;
}

/* The next position the hook must see. */
static void arm(struct bs_dbg *d, struct bs_vm *vm, uint64_t count)
{
	uint64_t next = per_insn(d) ? count + 1 : count + DBG_POLL;
	if ((d->cmd.mode == DBG_M_COUNT || d->cmd.mode == DBG_M_RECORD) && d->cmd.target > count &&
	    d->cmd.target < next)
		next = d->cmd.target;
	if (d->next_edit < d->nedits && d->edits[d->next_edit].count < next &&
	    d->edits[d->next_edit].count > count)
		next = d->edits[d->next_edit].count;
	bs_vm_stop_at(vm, next);
}

static bool record_pos(struct bs_dbg *d, uint64_t count, size_t pc, uint32_t prog, unsigned depth)
{
	if (count != d->nrec)
		return true;
	if (d->nrec == d->caprec) {
		size_t cap = d->caprec ? d->caprec * 2 : 4096;
		struct dbg_pos *more = realloc(d->rec, cap * sizeof(*more));
		if (!more)
			return false;
		d->rec = more;
		d->caprec = cap;
	}
	d->rec[d->nrec++] = (struct dbg_pos){(uint32_t)pc, prog, (uint16_t)depth};
	return true;
}

static void record_hit(struct bs_dbg *d, uint64_t count, int id, enum bs_dbg_reason reason)
{
	if (d->nhits == d->caphits) {
		size_t cap = d->caphits ? d->caphits * 2 : 64;
		struct dbg_hit *more = realloc(d->hits, cap * sizeof(*more));
		if (!more)
			return;
		d->hits = more;
		d->caphits = cap;
	}
	d->hits[d->nhits++] = (struct dbg_hit){count, id, reason};
}

/* Whether the stepping command is done at this position. */
static bool step_done(struct bs_dbg *d, struct bs_vm *vm, uint64_t count, size_t pc,
		      uint32_t prog, unsigned depth, enum bs_dbg_reason *reason)
{
	const struct dbg_cmd *c = &d->cmd;
	*reason = BS_DBG_STEP;
	switch (c->mode) {
	case DBG_M_COUNT:
		if (count == c->target) {
			*reason = c->reason != BS_DBG_NONE ? c->reason : BS_DBG_STEP;
			return true;
		}
		return false;
	case DBG_M_RECORD:
		return count == c->target;
	case DBG_M_CONTINUE:
		if (!c->has_advance || count == c->start_count)
			return false;
		return depth < c->start_depth ||
		       (prog == 0 && pc == c->advance_pc && depth <= c->start_depth);
	case DBG_M_NEXTI:
		return count > c->start_count && depth <= c->start_depth;
	case DBG_M_FINISH:
		if (depth < c->start_depth) {
			*reason = BS_DBG_FINISH;
			return true;
		}
		return false;
	case DBG_M_LINE: {
		if (count == c->start_count)
			return false;
		if (prog != 0 || !c->start_line)
			return !c->over || depth <= c->start_depth;  /* no line info here */
		if (depth < c->start_depth)
			return true;  /* returned into the caller */
		if (depth > c->start_depth)
			return !c->over && d->line_start[pc];
		if (!d->line_start[pc])
			return false;
		const struct bs_line *l = d->line_of[pc];
		if (c->forward)
			return pc > c->start_pc && !same_line(l, c->start_line);
		return !same_line(l, c->start_line) || pc <= c->start_pc;
	}
	}
	(void)vm;
	return false;
}

/* The stop hook, on the run thread. */
static int hook(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *user)
{
	struct bs_dbg *d = user;
	uint64_t count = bs_vm_executed(vm);
	uint32_t prog;
	size_t pc = bs_vm_pc(vm, &prog);
	unsigned depth = bs_vm_depth(vm);
	const uint64_t *regs = bs_vm_regs(vm);
	d->vm = vm;
	if (count == 0 && !d->have_ctx) {
		d->ctx_addr = regs[1];
		d->have_ctx = true;
		dbg_pkt_install(d, vm);
		for (size_t i = 0; i < d->nbps; i++)
			if (d->bps[i].pub.kind == BS_DBG_BP_REGWATCH)
				d->bps[i].last = regs[d->bps[i].pub.reg];
	}
	apply_edits(d, vm, count);
	if (d->kill)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the debugger ended the run");

	struct bs_dbg_stop st = {.reason = BS_DBG_NONE};
	bool recording = d->cmd.mode == DBG_M_RECORD;
	bool quiet = d->cmd.silent || recording;
	bool again = d->stopped_once && count == d->last_stop_count;
	if (recording && count < d->cmd.target && !record_pos(d, count, pc, prog, depth))
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory recording the run");

	/* watchpoints: memory ones from the VM, register ones by comparing */
	unsigned kind = 0;
	uint64_t addr = 0, old = 0;
	struct dbg_bp *wb = NULL;
	if (why == BS_STOP_WATCH) {
		int wid = bs_vm_watch_hit(vm, &kind, &addr);
		struct dbg_bp *b = dbg_bp_by_vm_watch(d, wid);
		if (d->pkt_watch >= 0) {
			uint64_t data, end;
			/* the VM reports one watch per access: the packet's may
			 * hide a watchpoint on packet bytes, and the reverse */
			if (wid == d->pkt_watch || (bs_dbg_packet(d, &data, &end) == 0 &&
						    addr >= data && addr < end))
				dbg_pkt_note(d, vm, addr, kind);
			if (wid == d->pkt_watch)
				b = dbg_watch_covering(d, addr, d->pkt_acc && d->npkt_acc ?
							   d->pkt_acc[d->npkt_acc - 1].size : 1, kind);
		}
		wb = b;
		if (b) {
			old = b->last;
			b->last = dbg_watch_value(d, b);
			if (recording && count < d->cmd.target && dbg_bp_hit(d, b, true))
				record_hit(d, count, b->pub.id, BS_DBG_WATCH);
			else if (!quiet && !again && dbg_bp_hit(d, b, false))
				st = (struct bs_dbg_stop){.reason = BS_DBG_WATCH, .id = b->pub.id,
							  .access = kind, .addr = addr,
							  .old_value = old, .new_value = b->last};
		}
	}
	for (size_t i = 0; i < d->nbps && st.reason == BS_DBG_NONE && !again; i++) {
		struct dbg_bp *b = &d->bps[i];
		if (b->pub.kind != BS_DBG_BP_REGWATCH || !b->pub.enabled)
			continue;
		uint64_t now = regs[b->pub.reg];
		if (now == b->last)
			continue;
		uint64_t old = b->last;
		b->last = now;
		if (recording && count < d->cmd.target) {
			if (dbg_bp_hit(d, b, true))
				record_hit(d, count, b->pub.id, BS_DBG_WATCH);
		} else if (!quiet && dbg_bp_hit(d, b, false)) {
			st = (struct bs_dbg_stop){.reason = BS_DBG_WATCH, .id = b->pub.id,
						  .old_value = old, .new_value = now};
		}
	}
	/* a breakpoint is hit on arrival, once per position (the VM calls for a
	 * step and for the trap at the same position) */
	struct dbg_bp *b = dbg_bp_at(d, prog, pc);
	if (b && st.reason == BS_DBG_NONE && !again && d->bp_checked != count + 1) {
		d->bp_checked = count + 1;
		if (recording && count < d->cmd.target) {
			if (dbg_bp_hit(d, b, true))
				record_hit(d, count, b->pub.id, BS_DBG_BREAK);
		} else if (!quiet && dbg_bp_hit(d, b, false)) {
			st = (struct bs_dbg_stop){.reason = BS_DBG_BREAK, .id = b->pub.id,
						  .temporary = b->pub.temporary};
		}
	}
	enum bs_dbg_reason sreason;
	if (st.reason == BS_DBG_NONE && !again && step_done(d, vm, count, pc, prog, depth, &sreason)) {
		st.reason = sreason;
		if (d->cmd.mode == DBG_M_COUNT)
			st.id = d->cmd.id;
		/* a re-run to a watchpoint hit tells what the hit was */
		if (sreason == BS_DBG_WATCH && wb && wb->pub.id == st.id) {
			st.access = kind;
			st.addr = addr;
			st.old_value = old;
			st.new_value = wb->last;
		}
	}
	if (st.reason == BS_DBG_NONE && !again && atomic_exchange(&d->interrupt, 0))
		st.reason = BS_DBG_INTERRUPT;
	if (st.reason == BS_DBG_NONE) {
		arm(d, vm, count);
		return 0;
	}

	st.count = count;
	st.pc = pc;
	st.prog = prog;
	st.depth = depth;
	if (st.reason == BS_DBG_FINISH)
		st.retval = regs[0];
	pthread_mutex_lock(&d->mu);
	d->stop = st;
	d->stopped_once = true;
	d->last_stop_count = count;
	d->wstate = DBG_W_STOPPED;
	pthread_cond_broadcast(&d->cv);
	while (d->wstate == DBG_W_STOPPED && !d->kill)
		pthread_cond_wait(&d->cv, &d->mu);
	bool kill = d->kill;
	pthread_mutex_unlock(&d->mu);
	if (kill)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the debugger ended the run");
	d->bp_checked = count + 1;
	arm(d, vm, count);
	return 0;
}

static void on_vm(struct bs_vm *vm, void *user)
{
	struct bs_dbg *d = user;
	d->vm = vm;
	dbg_bps_install(d, vm);
	bs_vm_set_stop_hook(vm, hook, d);
	/* the first position is always seen: it tells where the context is */
	bs_vm_stop_at(vm, 0);
}

static void *run_thread(void *arg)
{
	struct bs_dbg *d = arg;
	int rc = bs_test_run(d->cfg.prog, d->maps, &d->tr, &d->run_err);
	pthread_mutex_lock(&d->mu);
	d->run_rc = rc;
	d->vm = NULL;
	d->wstate = DBG_W_DONE;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static void wait_worker(struct bs_dbg *d)
{
	pthread_mutex_lock(&d->mu);
	while (d->wstate == DBG_W_RUNNING)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

void bs_dbg_kill(struct bs_dbg *d)
{
	if (d->thread_live) {
		pthread_mutex_lock(&d->mu);
		d->kill = true;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->thread, NULL);
		d->thread_live = false;
		d->kill = false;
	}
	d->cost_insns += d->tr.insns_executed;
	run_outputs_free(d);
	d->vm = NULL;
	d->wstate = DBG_W_NONE;
	if (d->state == BS_DBG_STOPPED)
		d->state = BS_DBG_IDLE;
}

void dbg_copy_stop(const struct bs_dbg *d, struct bs_dbg_stop *stop)
{
	if (stop)
		*stop = d->stop;
}

/* Register snapshots and the clobber mark after a stop. */
static void note_stop(struct bs_dbg *d, uint64_t prev_count, size_t prev_pc, bool had_stop)
{
	memcpy(d->prev_regs, d->stop_regs, sizeof(d->prev_regs));
	d->clobbered = false;
	if (d->state != BS_DBG_STOPPED)
		return;
	memcpy(d->stop_regs, bs_vm_regs(d->vm), sizeof(d->stop_regs));
	if (!had_stop)
		memcpy(d->prev_regs, d->stop_regs, sizeof(d->prev_regs));
	if (had_stop && d->stop.count == prev_count + 1 && d->stop.prog == 0 &&
	    prev_pc < d->ninsns) {
		size_t n;
		const struct bs_insn *in = &bs_prog_insns(d->cfg.prog, &n)[prev_pc];
		d->clobbered = in->code == 0x85 && in->src_reg == BS_CALL_HELPER;
	}
}

/* After the run thread stopped or ended: the state, and for a fault a
 * re-run to the position before the faulting instruction. */
static int settle(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	if (d->wstate == DBG_W_STOPPED) {
		d->state = BS_DBG_STOPPED;
		if (d->stop.reason == BS_DBG_BREAK && d->stop.temporary) {
			struct bs_error e2;
			int rc = bs_dbg_delete(d, d->stop.id, &e2);
			(void)rc;
		}
		dbg_copy_stop(d, stop);
		return 0;
	}
	pthread_join(d->thread, NULL);
	d->thread_live = false;
	d->cost_insns += d->tr.insns_executed;
	uint64_t executed = d->tr.insns_executed;
	if (d->run_rc == 0) {
		d->state = BS_DBG_EXITED;
		d->end_count = executed;
		d->stop = (struct bs_dbg_stop){.reason = BS_DBG_EXIT, .count = executed,
					       .retval = d->tr.retval};
		dbg_copy_stop(d, stop);
		return 0;
	}
	if (!d->stopped_once && executed == 0 && d->cmd.mode != DBG_M_COUNT) {
		/* the run never started: its input was refused */
		d->state = BS_DBG_IDLE;
		*err = d->run_err;
		return -1;
	}
	if (d->cmd.mode == DBG_M_COUNT && d->cmd.reason == BS_DBG_FAULT) {
		/* the re-run to the fault did not get there: report as it is */
		d->state = BS_DBG_IDLE;
		*err = d->run_err;
		return -1;
	}
	struct bs_error fault = d->run_err;
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = executed ? executed - 1 : 0,
			    .silent = true, .reason = BS_DBG_FAULT};
	run_outputs_free(d);
	if (dbg_launch(d, &c, NULL, err))
		return -1;
	d->stop.error = fault;
	d->end_count = executed;
	dbg_copy_stop(d, stop);
	return 0;
}

int dbg_launch(struct bs_dbg *d, const struct dbg_cmd *cmd, struct bs_dbg_stop *stop,
	       struct bs_error *err)
{
	bool had_stop = d->state == BS_DBG_STOPPED;
	uint64_t prev_count = d->stop.count;
	size_t prev_pc = d->stop.pc;
	bs_dbg_kill(d);
	bs_maps_free(d->maps);
	d->maps = NULL;
	if (d->cfg.make_maps && d->cfg.make_maps(d->cfg.user, &d->maps, err)) {
		d->state = BS_DBG_IDLE;
		return -1;
	}
	trace_clear(d);
	d->env = d->env0;
	d->env.trace = on_trace;
	d->env.trace_user = d;
	memset(&d->tr, 0, sizeof(d->tr));
	d->tr.data_in = d->cfg.data_in;
	d->tr.data_size_in = d->cfg.data_size_in;
	d->tr.ctx_in = d->cfg.ctx_in;
	d->tr.ctx_size_in = d->cfg.ctx_size_in;
	d->tr.budget = d->cfg.budget;
	d->tr.dispatch = d->cfg.dispatch;
	d->tr.env = &d->env;
	d->tr.on_vm = on_vm;
	d->tr.on_vm_user = d;
	d->cmd = *cmd;
	d->have_ctx = false;
	d->stopped_once = false;
	d->bp_checked = 0;
	d->next_edit = 0;
	d->stop = (struct bs_dbg_stop){0};
	d->npkt_acc = 0;
	d->pkt_watch = -1;
	d->cost_runs++;
	atomic_store(&d->interrupt, 0);
	d->wstate = DBG_W_RUNNING;
	if (pthread_create(&d->thread, NULL, run_thread, d)) {
		d->wstate = DBG_W_NONE;
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "cannot start the run thread");
	}
	d->thread_live = true;
	wait_worker(d);
	int rc = settle(d, stop, err);
	if (!rc)
		note_stop(d, prev_count, prev_pc, had_stop);
	return rc;
}

int dbg_need_run(const struct bs_dbg *d, struct bs_error *err)
{
	if (d->state == BS_DBG_STOPPED)
		return 0;
	if (d->state == BS_DBG_EXITED)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program is not being run (it exited)");
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program is not being run");
}

uint64_t dbg_position(const struct bs_dbg *d)
{
	return d->state == BS_DBG_STOPPED ? d->stop.count : d->end_count;
}

/* Resumes the stopped run with cmd. */
static int resume(struct bs_dbg *d, struct dbg_cmd cmd, struct bs_dbg_stop *stop,
		  struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	uint64_t prev_count = d->stop.count;
	size_t prev_pc = d->stop.pc;
	cmd.start_count = d->stop.count;
	cmd.start_depth = d->stop.depth;
	cmd.start_pc = d->stop.pc;
	cmd.start_line = d->stop.prog == 0 ? bs_dbg_line_at(d, d->stop.pc) : NULL;
	pthread_mutex_lock(&d->mu);
	d->cmd = cmd;
	d->cost_runs = 0;
	d->cost_insns = 0;
	atomic_store(&d->interrupt, 0);
	d->wstate = DBG_W_RUNNING;
	pthread_cond_broadcast(&d->cv);
	while (d->wstate == DBG_W_RUNNING)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
	/* the new stop, or the end of the run */
	int rc = settle(d, stop, err);
	if (!rc)
		note_stop(d, prev_count, prev_pc, true);
	return rc;
}

int bs_dbg_run(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	bs_error_clear(err);
	bs_dbg_kill(d);
	/* a new run forgets the changes made in the last one */
	edits_free(d);
	d->cost_runs = 0;
	d->cost_insns = 0;
	struct dbg_cmd c = {.mode = DBG_M_CONTINUE, .target = UINT64_MAX};
	/* only past the first position: a breakpoint at 0 still stops */
	c.start_count = UINT64_MAX;
	return dbg_launch(d, &c, stop, err);
}

int bs_dbg_start(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	bs_error_clear(err);
	bs_dbg_kill(d);
	/* a new run forgets the changes made in the last one */
	edits_free(d);
	d->cost_runs = 0;
	d->cost_insns = 0;
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = 0, .reason = BS_DBG_START};
	return dbg_launch(d, &c, stop, err);
}

int bs_dbg_continue(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	return resume(d, (struct dbg_cmd){.mode = DBG_M_CONTINUE, .target = UINT64_MAX}, stop, err);
}

/* Repeats one step command n times; stops early at anything else. */
static int repeat(struct bs_dbg *d, uint64_t n, struct dbg_cmd cmd, struct bs_dbg_stop *stop,
		  struct bs_error *err)
{
	if (n == 0)
		n = 1;
	for (uint64_t i = 0; i < n; i++) {
		if (resume(d, cmd, stop, err))
			return -1;
		if (d->state != BS_DBG_STOPPED || d->stop.reason != BS_DBG_STEP)
			break;
	}
	return 0;
}

int bs_dbg_stepi(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop, struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	if (n == 0)
		n = 1;
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = d->stop.count + n};
	return resume(d, c, stop, err);
}

int bs_dbg_nexti(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop, struct bs_error *err)
{
	return repeat(d, n, (struct dbg_cmd){.mode = DBG_M_NEXTI, .target = UINT64_MAX}, stop, err);
}

int bs_dbg_step(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop, struct bs_error *err)
{
	return repeat(d, n, (struct dbg_cmd){.mode = DBG_M_LINE, .target = UINT64_MAX}, stop, err);
}

int bs_dbg_next(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop, struct bs_error *err)
{
	return repeat(d, n, (struct dbg_cmd){.mode = DBG_M_LINE, .target = UINT64_MAX, .over = true},
		      stop, err);
}

int bs_dbg_until(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	return resume(d, (struct dbg_cmd){.mode = DBG_M_LINE, .target = UINT64_MAX, .over = true,
					  .forward = true}, stop, err);
}

int bs_dbg_finish(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	if (d->stop.depth == 0)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "\"finish\" not meaningful in the outermost frame");
	return resume(d, (struct dbg_cmd){.mode = DBG_M_FINISH, .target = UINT64_MAX}, stop, err);
}

int bs_dbg_advance(struct bs_dbg *d, const char *location, struct bs_dbg_stop *stop,
		   struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	size_t pc;
	if (bs_dbg_resolve(d, location, &pc, err))
		return -1;
	return resume(d, (struct dbg_cmd){.mode = DBG_M_CONTINUE, .target = UINT64_MAX,
					  .has_advance = true, .advance_pc = pc}, stop, err);
}
