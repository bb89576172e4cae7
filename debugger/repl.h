/* SPDX-License-Identifier: MIT */
/* The REPL of `bpfstep debug`: a gdb-like command line over the step engine
 * (include/bpfstep/debug.h). It prints; the engine does not. */
#ifndef BS_DEBUGGER_REPL_H
#define BS_DEBUGGER_REPL_H

#include <stdbool.h>
#include <stdio.h>

#include "bpfstep/debug.h"

struct repl;

/* One row of the command table. */
struct repl_cmd {
	const char *name;
	const char *aliases;    /* space-separated exact aliases ("b br"), or NULL */
	int (*fn)(struct repl *r, const char *args);
	const char *usage;      /* "break LOCATION [if COND]" */
	const char *help;       /* one or more lines */
	bool repeats;           /* Enter repeats it (step commands) */
};

struct repl_display {
	int id;
	char fmt[16];           /* "": print, else x/FMT */
	char *expr;
};

struct repl {
	struct bs_dbg *d;
	const struct bs_object *obj;  /* NULL for raw programs */
	uint32_t ncpus;         /* the copies percpu maps keep (0: 1) */
	FILE *out;
	bool batch;             /* no prompt; errors end the script */
	bool tty;               /* colour for changed registers */
	bool failed;            /* a command failed (batch exit status) */
	bool quit;
	int frame;              /* selected frame: 0 = innermost */
	size_t list_next;       /* list: the next line to show, 0: around the stop */
	const char *list_file;
	struct repl_display *displays;
	size_t ndisplays;
	int next_display;
	int value_count;        /* $1, $2 ... of print */
	/* where sources are (repl_srcpath.c) */
	char **srcdirs;
	size_t nsrcdirs;
	char **subst_from, **subst_to;
	size_t nsubst;
};

extern const struct repl_cmd repl_cmds[];
extern const size_t repl_ncmds;

/* Runs one command line; 0 or -1 (printed already). */
int repl_exec(struct repl *r, const char *line);
/* The interactive loop (readline), or a script from f (NULL: stdin). */
int repl_loop(struct repl *r);
int repl_script(struct repl *r, FILE *f, const char *name);

/* printing (repl_view.c) */
void repl_error(struct repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void repl_bs_error(struct repl *r, const struct bs_error *err);
/* After a run command: what happened, the source line and instruction. */
void repl_show_stop(struct repl *r, const struct bs_dbg_stop *st);
/* "=> 12: (79) r1 = ...   ; source" for pc; mark: "=>" or "  " */
void repl_show_insn(struct repl *r, size_t pc, bool current);
void repl_insn_text(struct repl *r, size_t pc, char *buf, size_t len);
void repl_show_displays(struct repl *r);
/* The selected frame's pc and r10 (frame 0: the stop). */
bool repl_frame_info(struct repl *r, int frame, size_t *pc, uint64_t *fp);
int repl_frame_count(struct repl *r);
void repl_show_frame_line(struct repl *r, int frame);
const char *repl_func_name(struct repl *r, size_t pc);

/* argument helpers */
const char *repl_skip(const char *s);
bool repl_word(const char **s, char *buf, size_t len);
int repl_eval(struct repl *r, const char *expr, struct bs_dbg_value *v);
bool repl_need_stopped(struct repl *r);
void repl_print_value(struct repl *r, const struct bs_dbg_value *v, char fmt);
/* x/FMT ADDR, also for display/FMT */
int repl_x(struct repl *r, const char *fmt, const char *args);
const struct repl_cmd *repl_find(struct repl *r, const char *word);

#endif
