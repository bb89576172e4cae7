/* SPDX-License-Identifier: MIT */
/* The step engine: runs one program of an object the way bs_test_run does
 * and stops it anywhere, forwards and backwards. Pull style: every command
 * returns when the program stops again, exits or faults. Nothing prints;
 * front ends (the REPL of `bpfstep debug`, a script, a test) read the state
 * through this API. docs/debugger.md describes the behaviour. */
#ifndef BPFSTEP_DEBUG_H
#define BPFSTEP_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "bpfstep/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct bs_dbg;

/* What every run starts from. Reverse execution re-runs the program from
 * the start with the same inputs, so make_maps must give the same contents
 * each time (create the maps, apply preloads; `bpfstep debug --pcap` also
 * replays the packets before the one debugged, which is deterministic). */
struct bs_dbg_config {
	const struct bs_prog *prog;
	/* called before every run, on the caller's thread; the engine frees
	 * the maps when the run is over. NULL: the program has no maps. */
	int (*make_maps)(void *user, struct bs_maps **out, struct bs_error *err);
	void *user;
	const void *data_in;
	size_t data_size_in;
	const void *ctx_in;
	size_t ctx_size_in;
	uint64_t budget;          /* 0: BS_DEFAULT_BUDGET */
	enum bs_dispatch dispatch;
	const struct bs_env *env; /* copied; each run starts from the copy. NULL: default */
};

enum bs_dbg_state {
	BS_DBG_IDLE,      /* not started, or killed */
	BS_DBG_STOPPED,   /* stopped between two instructions: the state is live */
	BS_DBG_EXITED,    /* the program returned (retval in the stop) */
};

enum bs_dbg_reason {
	BS_DBG_NONE,
	BS_DBG_START,     /* before the first instruction */
	BS_DBG_STEP,      /* a step command finished */
	BS_DBG_BREAK,     /* a breakpoint (id) */
	BS_DBG_WATCH,     /* a watchpoint (id) saw an access or a change */
	BS_DBG_FINISH,    /* finish: the function returned (retval: its r0) */
	BS_DBG_INTERRUPT, /* bs_dbg_interrupt */
	BS_DBG_HISTORY,   /* a reverse command reached the start of the run */
	BS_DBG_EXIT,      /* the program exited */
	BS_DBG_FAULT,     /* a runtime error: stopped before the faulting instruction */
};

struct bs_dbg_stop {
	enum bs_dbg_reason reason;
	int id;               /* BREAK, WATCH: the breakpoint's number */
	bool temporary;       /* BREAK: a tbreak, deleted now */
	unsigned access;      /* WATCH: BS_REGION_READ or BS_REGION_WRITE (0: register) */
	uint64_t addr;        /* WATCH: the address accessed */
	uint64_t old_value, new_value;  /* WATCH: the watched value before and now */
	uint64_t count;       /* instructions executed before this stop */
	size_t pc;            /* the next instruction */
	uint32_t prog;        /* its program (0, or a tail-called one) */
	unsigned depth;       /* bpf-to-bpf frames below (bs_vm_depth) */
	uint64_t retval;      /* EXIT: the return value; FINISH: r0 */
	struct bs_error error; /* FAULT: the error the instruction gives */
};

/* ---- the session ---- */
BS_MUST_CHECK int bs_dbg_new(const struct bs_dbg_config *cfg, struct bs_dbg **out,
			     struct bs_error *err);
void bs_dbg_free(struct bs_dbg *d);
enum bs_dbg_state bs_dbg_state(const struct bs_dbg *d);
const struct bs_dbg_stop *bs_dbg_last_stop(const struct bs_dbg *d);
const struct bs_prog *bs_dbg_prog(const struct bs_dbg *d);

/* ---- running: each returns 0 with *stop filled (may be NULL), or -1 with
 * err when the command cannot run (not started, bad argument) ---- */
/* (Re)starts from scratch, runs to the first breakpoint or the end. */
BS_MUST_CHECK int bs_dbg_run(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err);
/* (Re)starts and stops before the first instruction. */
BS_MUST_CHECK int bs_dbg_start(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err);
BS_MUST_CHECK int bs_dbg_continue(struct bs_dbg *d, struct bs_dbg_stop *stop,
				  struct bs_error *err);
/* n instructions; breakpoints and watchpoints stop earlier. */
BS_MUST_CHECK int bs_dbg_stepi(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			       struct bs_error *err);
/* Like stepi, over bpf-to-bpf calls and helper callbacks. */
BS_MUST_CHECK int bs_dbg_nexti(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			       struct bs_error *err);
/* To the start of the next source line (instruction by instruction where
 * there is no line info); next does not stop in called functions. */
BS_MUST_CHECK int bs_dbg_step(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			      struct bs_error *err);
BS_MUST_CHECK int bs_dbg_next(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
			      struct bs_error *err);
/* Until the current function returns (BS_DBG_FINISH, retval = its r0). */
BS_MUST_CHECK int bs_dbg_finish(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err);
/* Like next, but never stops at a line before the current one (a loop runs
 * to its end). */
BS_MUST_CHECK int bs_dbg_until(struct bs_dbg *d, struct bs_dbg_stop *stop, struct bs_error *err);
/* Runs until location (bs_dbg_resolve) is reached or the current function
 * returns. */
BS_MUST_CHECK int bs_dbg_advance(struct bs_dbg *d, const char *location, struct bs_dbg_stop *stop,
				 struct bs_error *err);
/* Ends the run (the next run command starts from scratch). */
void bs_dbg_kill(struct bs_dbg *d);
/* Stops a running command at the next instruction (BS_DBG_INTERRUPT).
 * Safe in a signal handler and from any thread. */
void bs_dbg_interrupt(struct bs_dbg *d);

/* ---- reverse execution: the program is re-run from the start to the
 * position wanted, so registers, memory, maps and the trace are exactly as
 * they were there (register and memory changes made with bs_dbg_write /
 * bs_dbg_set_reg / bs_dbg_eval / bs_dbg_map_update / bs_dbg_map_delete are
 * replayed at the position they were made;
 * changes at later positions are forgotten). From an exited program they
 * go back from its end. ---- */
BS_MUST_CHECK int bs_dbg_reverse_stepi(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
				       struct bs_error *err);
BS_MUST_CHECK int bs_dbg_reverse_nexti(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
				       struct bs_error *err);
/* To the start of the previous source line (reverse-next: in this function). */
BS_MUST_CHECK int bs_dbg_reverse_step(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
				      struct bs_error *err);
BS_MUST_CHECK int bs_dbg_reverse_next(struct bs_dbg *d, uint64_t n, struct bs_dbg_stop *stop,
				      struct bs_error *err);
/* To the call of the current function. */
BS_MUST_CHECK int bs_dbg_reverse_finish(struct bs_dbg *d, struct bs_dbg_stop *stop,
					struct bs_error *err);
/* To the previous breakpoint or watchpoint hit (or the start). */
BS_MUST_CHECK int bs_dbg_reverse_continue(struct bs_dbg *d, struct bs_dbg_stop *stop,
					  struct bs_error *err);
/* To the position after count instructions of this run. */
BS_MUST_CHECK int bs_dbg_goto(struct bs_dbg *d, uint64_t count, struct bs_dbg_stop *stop,
			      struct bs_error *err);

/* ---- breakpoints and watchpoints: numbered from 1, kept across runs ---- */
enum bs_dbg_bp_kind {
	BS_DBG_BP_BREAK,
	BS_DBG_BP_WATCH,     /* memory: access says read / write / both */
	BS_DBG_BP_REGWATCH,  /* a register changed */
};

struct bs_dbg_bp {
	int id;
	enum bs_dbg_bp_kind kind;
	bool enabled, temporary;
	uint32_t prog;        /* BREAK */
	size_t pc;
	uint64_t addr, len;   /* WATCH */
	unsigned access;      /* WATCH: BS_REGION_READ / _WRITE / both */
	int reg;              /* REGWATCH */
	const char *what;     /* the location or expression as given */
	const char *cond;     /* NULL: none */
	unsigned ignore;      /* hits still to ignore */
	unsigned hits;
};

/* Locations: "*N" or "N" with no line info: instruction N; "FUNC": the
 * function's first instruction; "FILE:LINE" or "LINE": the first
 * instruction of that line (with line info); "prog:N" forms are not needed
 * since every location is in the program being debugged. */
BS_MUST_CHECK int bs_dbg_resolve(struct bs_dbg *d, const char *location, size_t *pc,
				 struct bs_error *err);
/* cond: an expression (bs_dbg_eval's), the stop happens when it is non-zero. */
BS_MUST_CHECK int bs_dbg_break(struct bs_dbg *d, const char *location, bool temporary,
			       const char *cond, int *id, struct bs_error *err);
/* expr: an lvalue: `*(u32 *)($fp - 8)`, `{u16}($pkt + 12)` (memory), or a
 * register `$r3`. access: BS_REGION_WRITE (watch), _READ (rwatch), both
 * (awatch); registers only for writes. */
BS_MUST_CHECK int bs_dbg_watch(struct bs_dbg *d, const char *expr, unsigned access,
			       const char *cond, int *id, struct bs_error *err);
BS_MUST_CHECK int bs_dbg_delete(struct bs_dbg *d, int id, struct bs_error *err);
BS_MUST_CHECK int bs_dbg_enable(struct bs_dbg *d, int id, bool on, struct bs_error *err);
BS_MUST_CHECK int bs_dbg_condition(struct bs_dbg *d, int id, const char *cond,
				   struct bs_error *err);
BS_MUST_CHECK int bs_dbg_ignore(struct bs_dbg *d, int id, unsigned count, struct bs_error *err);
size_t bs_dbg_bp_count(const struct bs_dbg *d);
/* The i-th breakpoint, in number order; false past the last. */
bool bs_dbg_bp_get(const struct bs_dbg *d, size_t i, struct bs_dbg_bp *out);

/* ---- the state at a stop ---- */
/* The VM, stopped (NULL unless BS_DBG_STOPPED): registers, pc, frames. */
struct bs_vm *bs_dbg_vm(struct bs_dbg *d);
/* The maps of the current run (also after exit; NULL before a run). */
struct bs_maps *bs_dbg_maps(struct bs_dbg *d);
/* The registers at the stop before this one (for "changed" marks) and
 * whether r1..r5 were clobbered by a call the last step executed. */
const uint64_t *bs_dbg_prev_regs(const struct bs_dbg *d);
bool bs_dbg_clobbered(const struct bs_dbg *d);

/* Expressions: $r0..$r10, $w0..$w10, $pc, $fp, $ctx, $pkt, $pkt_end,
 * $count, numbers, C operators, casts to u8..u64 / s8..s64 (and pointers
 * to them), *ptr, {type} addr, and assignment to registers and memory
 * (recorded as bs_dbg_write does). size: the result's size in bytes. */
struct bs_dbg_value {
	uint64_t value;
	unsigned size;        /* bytes: 1, 2, 4 or 8 */
	bool is_signed;
	bool is_pointer;      /* value is an address (pointee: pointee_size bytes) */
	unsigned pointee_size;
};
BS_MUST_CHECK int bs_dbg_eval(struct bs_dbg *d, const char *expr, struct bs_dbg_value *out,
			      struct bs_error *err);
BS_MUST_CHECK int bs_dbg_read(struct bs_dbg *d, uint64_t addr, void *buf, size_t len,
			      struct bs_error *err);
/* Writes program memory at the stop; remembered so re-runs repeat it. */
BS_MUST_CHECK int bs_dbg_write(struct bs_dbg *d, uint64_t addr, const void *buf, size_t len,
			       struct bs_error *err);
BS_MUST_CHECK int bs_dbg_set_reg(struct bs_dbg *d, int reg, uint64_t value, struct bs_error *err);
/* Map changes as `bpftool map update / delete` makes them (flags: BS_ANY,
 * BS_NOEXIST, BS_EXIST; key NULL for queues and stacks; value_len bytes of
 * value, ncpus values for percpu maps as bs_map_update takes them). At a
 * stop they are remembered like bs_dbg_write, so re-runs (reverse commands)
 * repeat them at this position; after the exit they change this run's maps
 * only. -1 with err naming the errno when the map refuses. */
BS_MUST_CHECK int bs_dbg_map_update(struct bs_dbg *d, const char *map, const void *key,
				    const void *value, size_t value_len, uint64_t flags,
				    struct bs_error *err);
BS_MUST_CHECK int bs_dbg_map_delete(struct bs_dbg *d, const char *map, const void *key,
				    struct bs_error *err);
/* What value points to, as text: "ctx", "ctx+4", "pkt+14", "pkt_end",
 * "fp-16", "map[counts]+8", "map_ptr[counts]", "func#12"; "" for a
 * scalar. */
void bs_dbg_kind(struct bs_dbg *d, uint64_t value, char *buf, size_t len);
/* The packet as the program sees it now: [*data, *data_end). -1 if none. */
int bs_dbg_packet(struct bs_dbg *d, uint64_t *data, uint64_t *data_end);

/* Which bytes of the packet the program read and wrote (loads, stores,
 * helpers). Off by default: it makes every packet access a stop of the
 * interpreter. Turned on at a stop, it re-runs the program to the stop to
 * count the accesses already made; then every run counts them. */
BS_MUST_CHECK int bs_dbg_packet_track(struct bs_dbg *d, bool on, struct bs_error *err);
/* marks[i]: BS_REGION_READ / BS_REGION_WRITE bits for byte i of the packet
 * as it is now (data + i), accesses since the start of the run. -1 (marks
 * zeroed) when not tracking, not stopped or without a packet. A helper's
 * access marks its first byte. */
int bs_dbg_packet_marks(struct bs_dbg *d, uint8_t *marks, size_t n);

/* Source lines: the line record in effect at pc (NULL without line info). */
const struct bs_line *bs_dbg_line_at(const struct bs_dbg *d, size_t pc);
/* The function that contains pc (NULL without function info). */
const struct bs_func *bs_dbg_func_at(const struct bs_dbg *d, size_t pc);

/* bpf_trace_printk lines the run printed so far (re-runs rebuild them). */
size_t bs_dbg_trace_count(const struct bs_dbg *d);
const char *bs_dbg_trace_line(const struct bs_dbg *d, size_t i);

/* The cost of the last command: runs started (re-executions included) and
 * instructions executed by them. */
void bs_dbg_cost(const struct bs_dbg *d, unsigned *runs, uint64_t *insns);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
