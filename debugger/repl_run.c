// SPDX-License-Identifier: MIT
/* REPL commands that move the program: run, continue, the step commands,
 * their reverse forms, until/advance, kill and quit. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/repl_cmds.h"

/* A count argument ("step 3"); 1 when absent, -1 (printed) when bad. */
static long long count_arg(struct repl *r, const char *args)
{
	args = repl_skip(args);
	if (!*args)
		return 1;
	struct bs_dbg_value v;
	if (repl_eval(r, args, &v))
		return -1;
	if ((int64_t)v.value < 1) {
		repl_error(r, "the count must be at least 1");
		return -1;
	}
	return (long long)v.value;
}

/* Prints what a run command did; the error when it could not run. */
static int after(struct repl *r, int rc, const struct bs_dbg_stop *st, const struct bs_error *err)
{
	if (rc) {
		repl_bs_error(r, err);
		return -1;
	}
	repl_show_stop(r, st);
	return 0;
}

int cmd_run(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_run(r->d, &st, &err), &st, &err);
}

int cmd_start(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_start(r->d, &st, &err), &st, &err);
}

int cmd_continue(struct repl *r, const char *args)
{
	struct bs_dbg_stop st;
	struct bs_error err;
	/* continue N: ignore the breakpoint stopped at N - 1 more times */
	long long n = count_arg(r, args);
	if (n < 0)
		return -1;
	const struct bs_dbg_stop *last = bs_dbg_last_stop(r->d);
	if (n > 1 && last->reason == BS_DBG_BREAK) {
		if (bs_dbg_ignore(r->d, last->id, (unsigned)(n - 1), &err) == 0)
			fprintf(r->out, "Will ignore next %lld crossings of breakpoint %d.  Continuing.\n",
				n - 1, last->id);
	}
	return after(r, bs_dbg_continue(r->d, &st, &err), &st, &err);
}

typedef int (*step_fn)(struct bs_dbg *, uint64_t, struct bs_dbg_stop *, struct bs_error *);

static int stepper(struct repl *r, const char *args, step_fn fn)
{
	long long n = count_arg(r, args);
	if (n < 0)
		return -1;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, fn(r->d, (uint64_t)n, &st, &err), &st, &err);
}

int cmd_step(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_step); }
int cmd_next(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_next); }
int cmd_stepi(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_stepi); }
int cmd_nexti(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_nexti); }
int cmd_rstepi(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_reverse_stepi); }
int cmd_rnexti(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_reverse_nexti); }
int cmd_rstep(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_reverse_step); }
int cmd_rnext(struct repl *r, const char *args) { return stepper(r, args, bs_dbg_reverse_next); }

int cmd_finish(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_stop st;
	struct bs_error err;
	if (r->frame > 0) {
		/* finish out of a selected outer frame: its callees first */
		int rc = 0;
		for (int i = 0; i < r->frame && !rc; i++)
			rc = bs_dbg_finish(r->d, &st, &err);
		return after(r, rc, &st, &err);
	}
	return after(r, bs_dbg_finish(r->d, &st, &err), &st, &err);
}

int cmd_rfinish(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_reverse_finish(r->d, &st, &err), &st, &err);
}

int cmd_rcontinue(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_reverse_continue(r->d, &st, &err), &st, &err);
}

int cmd_until(struct repl *r, const char *args)
{
	struct bs_dbg_stop st;
	struct bs_error err;
	if (*repl_skip(args))
		return after(r, bs_dbg_advance(r->d, args, &st, &err), &st, &err);
	return after(r, bs_dbg_until(r->d, &st, &err), &st, &err);
}

int cmd_advance(struct repl *r, const char *args)
{
	if (!*repl_skip(args)) {
		repl_error(r, "Argument required (a location).");
		return -1;
	}
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_advance(r->d, args, &st, &err), &st, &err);
}

int cmd_goto(struct repl *r, const char *args)
{
	struct bs_dbg_value v;
	if (!*repl_skip(args)) {
		repl_error(r, "Argument required (an instruction count).");
		return -1;
	}
	if (repl_eval(r, args, &v))
		return -1;
	struct bs_dbg_stop st;
	struct bs_error err;
	return after(r, bs_dbg_goto(r->d, v.value, &st, &err), &st, &err);
}

int cmd_kill(struct repl *r, const char *args)
{
	(void)args;
	bs_dbg_kill(r->d);
	fprintf(r->out, "[program killed]\n");
	return 0;
}

int cmd_quit(struct repl *r, const char *args)
{
	(void)args;
	r->quit = true;
	return 0;
}
