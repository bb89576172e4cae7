// SPDX-License-Identifier: MIT
/* Reverse execution by deterministic re-execution: a position is the
 * number of instructions executed, and the same inputs (fresh maps, the
 * same environment, the user's own changes replayed where they were made)
 * bring the program to the same state at the same position. Going back is
 * a re-run to an earlier position; where that position is depends on the
 * path taken, so a recording pass notes every position's pc and depth (and
 * every breakpoint hit) first. */
#include <stdlib.h>
#include <string.h>

#include "debugger/engine.h"
#include "vm/error.h"

/* The position to go back from: the stop, or the end of an exited run. */
static int current(struct bs_dbg *d, uint64_t *cur, unsigned *depth, struct bs_error *err)
{
	bs_error_clear(err);
	d->cost_runs = 0;
	d->cost_insns = 0;
	if (d->state == BS_DBG_STOPPED) {
		*cur = d->stop.count;
		*depth = d->stop.depth;
		return 0;
	}
	if (d->state == BS_DBG_EXITED) {
		*cur = d->end_count;
		*depth = 0;
		return 0;
	}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program is not being run");
}

/* Forgets the user's changes made after pos: that future is gone. */
static void drop_edits_after(struct bs_dbg *d, uint64_t pos)
{
	while (d->nedits && d->edits[d->nedits - 1].count > pos) {
		free(d->edits[d->nedits - 1].more);
		d->nedits--;
	}
}

int bs_dbg_goto(struct bs_dbg *d, uint64_t count, struct bs_dbg_stop *stop, struct bs_error *err)
{
	bs_error_clear(err);
	d->cost_runs = 0;
	d->cost_insns = 0;
	drop_edits_after(d, count);
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = count, .silent = true,
			    .reason = count == 0 ? BS_DBG_HISTORY : BS_DBG_STEP};
	return dbg_launch(d, &c, stop, err);
}

/* Re-run to position `to` and report it as reason. */
static int go_back(struct bs_dbg *d, uint64_t to, enum bs_dbg_reason reason, int id,
		   struct bs_dbg_stop *stop, struct bs_error *err)
{
	drop_edits_after(d, to);
	if (to == 0 && reason == BS_DBG_STEP)
		reason = BS_DBG_HISTORY;
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = to, .silent = true, .reason = reason,
			    .id = id};
	return dbg_launch(d, &c, stop, err);
}

/* The recording pass: positions 0 .. cur - 1 and the breakpoint hits
 * before cur. Leaves the program stopped at cur again. */
static int record(struct bs_dbg *d, uint64_t cur, struct bs_error *err)
{
	d->nrec = 0;
	d->nhits = 0;
	if (cur == 0)
		return 0;
	/* from an exited run the recording runs to the end */
	struct dbg_cmd c = {.mode = DBG_M_RECORD, .target = cur};
	if (dbg_launch(d, &c, NULL, err))
		return -1;
	if (d->nrec < cur)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the re-run did not get back to instruction %llu (it ended after "
			      "%zu): the run is not deterministic",
			      (unsigned long long)cur, d->nrec);
	return 0;
}

int bs_dbg_reverse_stepi(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			 struct bs_error *err)
{
	uint64_t cur = 0;
	unsigned depth = 0;
	if (current(d, &cur, &depth, err))
		return -1;
	if (n == 0)
		n = 1;
	uint64_t to = cur > n ? cur - n : 0;
	return go_back(d, to, BS_DBG_STEP, 0, stop, err);
}

int bs_dbg_reverse_nexti(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			 struct bs_error *err)
{
	uint64_t cur = 0;
	unsigned depth = 0;
	if (current(d, &cur, &depth, err) || record(d, cur, err))
		return -1;
	uint64_t p = cur;
	for (uint64_t k = 0; k < (n ? n : 1) && p > 0; k++) {
		unsigned dd = k == 0 ? depth : d->rec[p].depth;
		do
			p--;
		while (p > 0 && d->rec[p].depth > dd);
	}
	return go_back(d, p, BS_DBG_STEP, 0, stop, err);
}

static const struct bs_line *line_of(const struct bs_dbg *d, uint64_t p)
{
	return d->rec[p].prog == 0 ? bs_dbg_line_at(d, d->rec[p].pc) : NULL;
}

static bool same_line(const struct bs_line *a, const struct bs_line *b)
{
	if (!a || !b)
		return a == b;
	return a->line == b->line && strcmp(a->file, b->file) == 0;
}

/* One reverse-step (over: reverse-next) from position cur at depth. */
static uint64_t back_one_line(const struct bs_dbg *d, uint64_t cur, unsigned depth, bool over)
{
	const struct bs_line *here = cur < d->nrec ? line_of(d, cur) : NULL;
	if (cur == d->nrec && d->state == BS_DBG_STOPPED)
		here = d->stop.prog == 0 ? bs_dbg_line_at(d, d->stop.pc) : NULL;
	uint64_t p = cur;
	if (p == 0)
		return 0;
	p--;
	/* back over what ran of the current line */
	while (p > 0 && ((d->rec[p].depth == depth && same_line(line_of(d, p), here) && here) ||
			 (over && d->rec[p].depth > depth)))
		p--;
	if (!line_of(d, p))
		return p;  /* no line info there: one instruction */
	unsigned dd = d->rec[p].depth;
	const struct bs_line *prev = line_of(d, p);
	/* to the start of the previous line's run, over calls made in it */
	while (p > 0 && ((d->rec[p - 1].depth == dd && same_line(line_of(d, p - 1), prev)) ||
			 d->rec[p - 1].depth > dd)) {
		if (d->rec[p - 1].depth > dd) {
			/* skip a whole call made from this line */
			uint64_t q = p - 1;
			while (q > 0 && d->rec[q].depth > dd)
				q--;
			if (d->rec[q].depth != dd || !same_line(line_of(d, q), prev))
				break;
			p = q;
			continue;
		}
		p--;
	}
	return p;
}

static int reverse_line(struct bs_dbg *d, uint64_t n, bool over, struct bs_dbg_stop *stop,
			struct bs_error *err)
{
	uint64_t cur = 0;
	unsigned depth = 0;
	if (current(d, &cur, &depth, err))
		return -1;
	if (!bs_prog_line_count(d->cfg.prog))
		return over ? bs_dbg_reverse_nexti(d, n, stop, err)
			    : bs_dbg_reverse_stepi(d, n, stop, err);
	if (record(d, cur, err))
		return -1;
	uint64_t p = cur;
	for (uint64_t k = 0; k < (n ? n : 1) && p > 0; k++) {
		unsigned dd = k == 0 ? depth : d->rec[p].depth;
		p = back_one_line(d, p, dd, over);
	}
	return go_back(d, p, BS_DBG_STEP, 0, stop, err);
}

int bs_dbg_reverse_step(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			struct bs_error *err)
{
	return reverse_line(d, n, false, stop, err);
}

int bs_dbg_reverse_next(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			struct bs_error *err)
{
	return reverse_line(d, n, true, stop, err);
}

int bs_dbg_reverse_finish(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	uint64_t cur = 0;
	unsigned depth = 0;
	if (current(d, &cur, &depth, err))
		return -1;
	if (depth == 0)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "\"finish\" not meaningful in the outermost frame");
	if (record(d, cur, err))
		return -1;
	uint64_t p = cur;
	while (p > 0 && d->rec[p - 1].depth >= depth)
		p--;
	/* p is the first position of this call; the call instruction is before */
	return go_back(d, p ? p - 1 : 0, BS_DBG_STEP, 0, stop, err);
}

int bs_dbg_reverse_continue(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err)
{
	uint64_t cur = 0;
	unsigned depth = 0;
	if (current(d, &cur, &depth, err) || record(d, cur, err))
		return -1;
	for (size_t i = d->nhits; i-- > 0;)
		if (d->hits[i].count < cur)
			return go_back(d, d->hits[i].count, d->hits[i].reason, d->hits[i].id, stop,
				       err);
	return go_back(d, 0, BS_DBG_HISTORY, 0, stop, err);
}
