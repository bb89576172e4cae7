/* SPDX-License-Identifier: MIT */
/* The step engine's state, shared by its parts: the run thread and stop
 * hook (engine.c), reverse execution (reverse.c), breakpoints (bpts.c),
 * expressions (expr.c) and the state views (state.c). */
#ifndef BS_DEBUGGER_ENGINE_H
#define BS_DEBUGGER_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "bpfstep/debug.h"
#include "bpfstep/run.h"
#include "vm/isa.h"

/* ---- expressions (expr.c) ---- */
struct dbg_expr;
BS_HIDDEN int dbg_expr_parse(const char *text, struct dbg_expr **out, struct bs_error *err);
BS_HIDDEN void dbg_expr_free(struct dbg_expr *e);
/* An lvalue's place: a register, or memory [addr, addr + size). */
struct dbg_place {
	bool is_reg;
	int reg;
	uint64_t addr;
	unsigned size;
};
BS_HIDDEN int dbg_expr_eval(struct bs_dbg *d, const struct dbg_expr *e,
			    struct bs_dbg_value *out, struct bs_error *err);
/* Writes value to the place at the stop, as a change re-runs repeat. */
BS_HIDDEN int dbg_store(struct bs_dbg *d, const struct dbg_place *pl, uint64_t value,
			struct bs_error *err);
BS_HIDDEN int dbg_expr_place(struct bs_dbg *d, const struct dbg_expr *e, struct dbg_place *p,
			     struct bs_error *err);

/* ---- breakpoints (bpts.c) ---- */
struct dbg_bp {
	struct bs_dbg_bp pub;
	char *what, *cond_text;
	struct dbg_expr *cond;
	int vm_watch;           /* the VM's watch id in the current run, or -1 */
	uint64_t last;          /* the watched value at the last look */
};

/* What a step command waits for; the stop hook decides on the run thread. */
enum dbg_mode {
	DBG_M_COUNT,     /* stop at count target */
	DBG_M_CONTINUE,  /* breakpoints and watchpoints only */
	DBG_M_LINE,      /* step / next / until */
	DBG_M_NEXTI,     /* one instruction at this depth or above */
	DBG_M_FINISH,    /* the current function returned */
	DBG_M_RECORD,    /* re-run that notes every position up to target */
};

struct dbg_cmd {
	enum dbg_mode mode;
	uint64_t target;        /* COUNT, RECORD: the position; others: UINT64_MAX */
	bool silent;            /* breakpoints and watchpoints do not stop */
	uint64_t start_count;
	unsigned start_depth;
	size_t start_pc;
	const struct bs_line *start_line;
	bool over;              /* LINE: next (do not stop deeper) */
	bool forward;           /* LINE: until (only lines after start_pc) */
	bool has_advance;       /* CONTINUE: also stop at advance_pc or a return */
	size_t advance_pc;
	/* COUNT on a re-run: how to report the stop at target */
	enum bs_dbg_reason reason;
	int id;
};

/* One position of a recording pass: before instruction count + 1. */
struct dbg_pos {
	uint32_t pc;
	uint32_t prog;
	uint16_t depth;
};

struct dbg_hit {
	uint64_t count;
	int id;
	enum bs_dbg_reason reason;
};

/* A change the user made at a stop, repeated when a re-run gets there. */
enum dbg_edit_kind { DBG_E_MEM, DBG_E_REG, DBG_E_MAP_UPDATE, DBG_E_MAP_DELETE };
struct dbg_edit {
	uint64_t count;
	bool is_reg;            /* kind == DBG_E_REG */
	enum dbg_edit_kind kind;
	int reg;
	uint64_t addr;
	size_t len;
	uint8_t bytes[8];       /* registers: the value; memory: up to 8 bytes ... */
	uint8_t *more;          /* ... or these (len > 8); maps: the key, then the value */
	size_t map;             /* maps: the index in the run's set (the same every run) */
	size_t key_len;
	uint64_t flags;         /* map update flags */
};

struct dbg_pkt_access {
	uint64_t addr;
	uint32_t size;
	unsigned kind;          /* BS_REGION_READ / _WRITE */
};

struct dbg_trace_line {
	uint64_t count;
	char *text;
};

enum dbg_wstate { DBG_W_NONE, DBG_W_RUNNING, DBG_W_STOPPED, DBG_W_DONE };

struct bs_dbg {
	struct bs_dbg_config cfg;
	struct bs_env env0;

	/* lines and functions of program 0, by instruction */
	size_t ninsns;
	const struct bs_line **line_of;   /* the record in effect at pc, or NULL */
	bool *line_start;                 /* a record with a line starts at pc */

	/* the run thread */
	pthread_t thread;
	bool thread_live;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum dbg_wstate wstate;
	bool kill;
	atomic_int interrupt;

	/* the current run (valid between start and the end of the run) */
	struct bs_maps *maps;
	struct bs_env env;
	struct bs_test_run tr;
	struct bs_vm *vm;       /* while the run thread is stopped in the hook */
	int run_rc;
	struct bs_error run_err;
	uint64_t ctx_addr;      /* r1 at the first instruction */
	bool have_ctx;

	enum bs_dbg_state state;
	struct dbg_cmd cmd;
	struct bs_dbg_stop stop;
	uint64_t last_stop_count;  /* no second stop at the same position */
	bool stopped_once;
	uint64_t bp_checked;       /* 1 + the position whose breakpoint was looked at */
	uint64_t end_count;        /* after exit or fault: instructions of the run */
	uint64_t prev_regs[BS_MAX_REG];
	uint64_t stop_regs[BS_MAX_REG];
	bool clobbered;

	/* recording pass */
	struct dbg_pos *rec;
	size_t nrec, caprec;
	struct dbg_hit *hits;
	size_t nhits, caphits;

	struct dbg_bp *bps;
	size_t nbps;
	int next_id;

	struct dbg_edit *edits;
	size_t nedits;
	size_t next_edit;          /* the next edit a re-run applies */

	struct dbg_trace_line *trace;
	size_t ntrace;

	/* packet accounting (bs_dbg_packet_track): the accesses of this run */
	bool pkt_track;
	int pkt_watch;             /* the VM's watch over the packet, or -1 */
	struct dbg_pkt_access *pkt_acc;
	size_t npkt_acc, cappkt_acc;

	unsigned cost_runs;
	uint64_t cost_insns;
};

/* bpts.c */
BS_HIDDEN void dbg_bps_free(struct bs_dbg *d);
/* Installs breakpoints and watches into a new run's VM. */
BS_HIDDEN void dbg_bps_install(struct bs_dbg *d, struct bs_vm *vm);
/* The enabled breakpoint at (prog, pc), or NULL. */
BS_HIDDEN struct dbg_bp *dbg_bp_at(struct bs_dbg *d, uint32_t prog, size_t pc);
BS_HIDDEN struct dbg_bp *dbg_bp_find(struct bs_dbg *d, int id);
BS_HIDDEN struct dbg_bp *dbg_bp_by_vm_watch(struct bs_dbg *d, int vm_watch);
/* Whether a hit counts (condition true, ignore count spent); counts it
 * unless dry. */
BS_HIDDEN bool dbg_bp_hit(struct bs_dbg *d, struct dbg_bp *b, bool dry);
BS_HIDDEN uint64_t dbg_watch_value(struct bs_dbg *d, const struct dbg_bp *b);
BS_HIDDEN bool dbg_has_regwatch(const struct bs_dbg *d);
/* The enabled memory watchpoint that an access [addr, addr + size) of kind
 * touches, or NULL (for accesses another VM watch reported). */
BS_HIDDEN struct dbg_bp *dbg_watch_covering(struct bs_dbg *d, uint64_t addr, uint64_t size,
					    unsigned kind);

/* packet.c: the packet watch of a new run, and one access it saw */
BS_HIDDEN void dbg_pkt_install(struct bs_dbg *d, struct bs_vm *vm);
BS_HIDDEN void dbg_pkt_note(struct bs_dbg *d, struct bs_vm *vm, uint64_t addr, unsigned kind);

/* engine.c: starts a run with cmd and waits for its first stop or end. */
BS_HIDDEN int dbg_launch(struct bs_dbg *d, const struct dbg_cmd *cmd, struct bs_dbg_stop *stop,
			 struct bs_error *err);
BS_HIDDEN void dbg_copy_stop(const struct bs_dbg *d, struct bs_dbg_stop *stop);
/* Where the run is now: count, pc, depth (stopped) or the run's end. */
BS_HIDDEN uint64_t dbg_position(const struct bs_dbg *d);
BS_HIDDEN int dbg_need_run(const struct bs_dbg *d, struct bs_error *err);

#endif
