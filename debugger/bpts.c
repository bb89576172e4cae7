// SPDX-License-Identifier: MIT
/* Breakpoints and watchpoints: where they are, when a hit counts, and
 * putting them into each run's VM (traps and watched ranges). They belong
 * to the session, so they survive restarts and re-runs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/dwarf_engine.h"
#include "debugger/engine.h"
#include "vm/error.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool file_matches(const char *file, const char *want)
{
	size_t fl = strlen(file), wl = strlen(want);
	if (strcmp(file, want) == 0 || strcmp(base_name(file), want) == 0)
		return true;
	/* "examples/x.c" against "/abs/examples/x.c" */
	return wl < fl && file[fl - wl - 1] == '/' && strcmp(file + fl - wl, want) == 0;
}

/* The first instruction of the first line at or after `line` in file
 * (NULL: any file). */
static int resolve_line(struct bs_dbg *d, const char *file, unsigned long line, size_t *pc,
			struct bs_error *err)
{
	const struct bs_prog *p = d->cfg.prog;
	size_t nl = bs_prog_line_count(p);
	const struct bs_line *best = NULL;
	bool file_seen = false;
	for (size_t i = 0; i < nl; i++) {
		const struct bs_line *l = bs_prog_line(p, i);
		if (file && !file_matches(l->file, file))
			continue;
		file_seen = true;
		if (l->line < line || l->insn >= d->ninsns || !d->line_start[l->insn])
			continue;
		if (!best || l->line < best->line || (l->line == best->line && l->insn < best->insn))
			best = l;
	}
	if (!nl)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the program has no line info: give an instruction as *N");
	if (file && !file_seen)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no source file named %s", file);
	if (!best)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "line %lu is past the program's code", line);
	*pc = best->insn;
	return 0;
}

static int check_pc(struct bs_dbg *d, size_t pc, struct bs_error *err)
{
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(d->cfg.prog, &n);
	if (pc >= n)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no instruction %zu (the program has %zu)", pc,
			      n);
	if (pc > 0 && insns[pc - 1].code == 0x18)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "instruction %zu is the second half of the lddw at %zu", pc, pc - 1);
	return 0;
}

int bs_dbg_resolve(struct bs_dbg *d, const char *loc, size_t *pc, struct bs_error *err)
{
	bs_error_clear(err);
	while (isspace((unsigned char)*loc))
		loc++;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", loc);
	for (size_t n = strlen(buf); n && isspace((unsigned char)buf[n - 1]); n--)
		buf[n - 1] = 0;
	if (!buf[0])
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a location is needed");
	char *end;
	if (buf[0] == '*') {
		unsigned long v = strtoul(buf + 1, &end, 0);
		if (end == buf + 1 || *end)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC, "'%s' is not an instruction number", buf);
		*pc = v;
		return check_pc(d, *pc, err);
	}
	if (all_digits(buf)) {
		unsigned long v = strtoul(buf, NULL, 10);
		if (!bs_prog_line_count(d->cfg.prog)) {
			*pc = v;
			return check_pc(d, *pc, err);
		}
		/* a line of the file the program stops in now, or starts in */
		const struct bs_line *cur = NULL;
		if (d->state == BS_DBG_STOPPED && d->stop.prog == 0)
			cur = bs_dbg_line_at(d, d->stop.pc);
		if (!cur)
			cur = bs_dbg_line_at(d, 0);
		return resolve_line(d, cur ? cur->file : NULL, v, pc, err);
	}
	char *colon = strrchr(buf, ':');
	if (colon && all_digits(colon + 1)) {
		*colon = 0;
		return resolve_line(d, buf, strtoul(colon + 1, NULL, 10), pc, err);
	}
	for (size_t i = 0; i < bs_prog_func_count(d->cfg.prog); i++) {
		const struct bs_func *f = bs_prog_func(d->cfg.prog, i);
		if (strcmp(f->name, buf) == 0) {
			*pc = f->start;
			return 0;
		}
	}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "function \"%s\" not defined", buf);
}

/* ---- the table ---- */

/* A trap the VM refuses (a location of no run) simply never stops. */
static void set_trap(struct bs_vm *vm, uint32_t prog, size_t pc, bool on)
{
	struct bs_error err;
	int rc = bs_vm_set_break(vm, prog, pc, on, &err);
	(void)rc;
}

static struct dbg_bp *add_bp(struct bs_dbg *d, struct bs_error *err)
{
	struct dbg_bp *more = realloc(d->bps, (d->nbps + 1) * sizeof(*more));
	if (!more) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		return NULL;
	}
	d->bps = more;
	struct dbg_bp *b = &d->bps[d->nbps];
	memset(b, 0, sizeof(*b));
	b->vm_watch = -1;
	b->pub.enabled = true;
	return b;
}

static void bp_release(struct dbg_bp *b)
{
	free(b->what);
	free(b->cond_text);
	dbg_expr_free(b->cond);
}

void dbg_bps_free(struct bs_dbg *d)
{
	for (size_t i = 0; i < d->nbps; i++)
		bp_release(&d->bps[i]);
	free(d->bps);
	d->bps = NULL;
	d->nbps = 0;
}

struct dbg_bp *dbg_bp_find(struct bs_dbg *d, int id)
{
	for (size_t i = 0; i < d->nbps; i++)
		if (d->bps[i].pub.id == id)
			return &d->bps[i];
	return NULL;
}

struct dbg_bp *dbg_bp_at(struct bs_dbg *d, uint32_t prog, size_t pc)
{
	for (size_t i = 0; i < d->nbps; i++) {
		struct dbg_bp *b = &d->bps[i];
		if (b->pub.kind == BS_DBG_BP_BREAK && b->pub.enabled && b->pub.prog == prog &&
		    b->pub.pc == pc)
			return b;
	}
	return NULL;
}

struct dbg_bp *dbg_bp_by_vm_watch(struct bs_dbg *d, int vm_watch)
{
	if (vm_watch < 0)
		return NULL;
	for (size_t i = 0; i < d->nbps; i++)
		if (d->bps[i].pub.kind == BS_DBG_BP_WATCH && d->bps[i].vm_watch == vm_watch)
			return &d->bps[i];
	return NULL;
}

struct dbg_bp *dbg_watch_covering(struct bs_dbg *d, uint64_t addr, uint64_t size, unsigned kind)
{
	for (size_t i = 0; i < d->nbps; i++) {
		struct dbg_bp *b = &d->bps[i];
		if (b->pub.kind == BS_DBG_BP_WATCH && b->pub.enabled && b->vm_watch >= 0 &&
		    (b->pub.access & kind) && addr < b->pub.addr + b->pub.len &&
		    b->pub.addr < addr + size)
			return b;
	}
	return NULL;
}

bool dbg_has_regwatch(const struct bs_dbg *d)
{
	for (size_t i = 0; i < d->nbps; i++)
		if (d->bps[i].pub.kind == BS_DBG_BP_REGWATCH && d->bps[i].pub.enabled)
			return true;
	return false;
}

uint64_t dbg_watch_value(struct bs_dbg *d, const struct dbg_bp *b)
{
	uint64_t v = 0;
	uint64_t avail = 0;
	if (!d->vm)
		return 0;
	const uint8_t *p = bs_vm_region_of(d->vm, b->pub.addr, NULL, NULL, &avail);
	if (p)
		memcpy(&v, p, b->pub.len < avail ? b->pub.len : avail);
	return v;
}

bool dbg_bp_hit(struct bs_dbg *d, struct dbg_bp *b, bool dry)
{
	if (b->cond) {
		struct bs_dbg_value v;
		struct bs_error err;
		/* a condition that cannot be evaluated stops, as gdb does */
		if (!dbg_expr_eval(d, b->cond, &v, &err) && v.value == 0)
			return false;
	} else if (b->cond_text && dbg_c_cond_false(d, b->cond_text)) {
		return false;
	}
	if (dry)
		return true;
	if (b->pub.ignore) {
		b->pub.ignore--;
		b->pub.hits++;
		return false;
	}
	b->pub.hits++;
	return true;
}

static void install_one(struct dbg_bp *b, struct bs_vm *vm, struct bs_dbg *d)
{
	struct bs_error err;
	if (b->pub.kind == BS_DBG_BP_BREAK) {
		set_trap(vm, b->pub.prog, b->pub.pc, dbg_bp_at(d, b->pub.prog, b->pub.pc) != NULL);
	} else if (b->pub.kind == BS_DBG_BP_WATCH) {
		if (b->vm_watch >= 0)
			bs_vm_unwatch(vm, b->vm_watch);
		b->vm_watch = -1;
		if (b->pub.enabled &&
		    bs_vm_watch(vm, b->pub.addr, b->pub.len, b->pub.access, &b->vm_watch, &err))
			b->vm_watch = -1;
		struct bs_vm *keep = d->vm;
		d->vm = vm;
		b->last = dbg_watch_value(d, b);
		d->vm = keep;
	}
}

void dbg_bps_install(struct bs_dbg *d, struct bs_vm *vm)
{
	for (size_t i = 0; i < d->nbps; i++) {
		d->bps[i].vm_watch = -1;
		install_one(&d->bps[i], vm, d);
	}
}

static int set_cond(struct bs_dbg *d, struct dbg_bp *b, const char *cond, struct bs_error *err)
{
	struct dbg_expr *e = NULL;
	char *text = NULL;
	if (cond && *cond) {
		/* a condition over C variables is kept as text for DWARF (cond NULL) */
		if (dbg_expr_parse(cond, &e, err) && !dbg_c_cond_usable(d, cond, err))
			return -1;
		text = strdup(cond);
		if (!text) {
			dbg_expr_free(e);
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		}
	}
	dbg_expr_free(b->cond);
	free(b->cond_text);
	b->cond = e;
	b->cond_text = text;
	b->pub.cond = text;
	return 0;
}

static int finish_add(struct bs_dbg *d, struct dbg_bp *b, const char *what, const char *cond,
		      int *id, struct bs_error *err)
{
	b->what = strdup(what);
	if (!b->what || set_cond(d, b, cond, err)) {
		bp_release(b);
		if (!b->what)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		return -1;
	}
	b->pub.what = b->what;
	b->pub.id = d->next_id++;
	d->nbps++;
	if (d->state == BS_DBG_STOPPED && d->vm)
		install_one(b, d->vm, d);
	if (id)
		*id = b->pub.id;
	return 0;
}

int bs_dbg_break(struct bs_dbg *d, const char *location, bool temporary, const char *cond,
		 int *id, struct bs_error *err)
{
	bs_error_clear(err);
	size_t pc;
	if (bs_dbg_resolve(d, location, &pc, err))
		return -1;
	struct dbg_bp *b = add_bp(d, err);
	if (!b)
		return -1;
	b->pub.kind = BS_DBG_BP_BREAK;
	b->pub.temporary = temporary;
	b->pub.pc = pc;
	return finish_add(d, b, location, cond, id, err);
}

int bs_dbg_watch(struct bs_dbg *d, const char *expr, unsigned access, const char *cond, int *id,
		 struct bs_error *err)
{
	bs_error_clear(err);
	struct dbg_expr *e;
	if (!(access & BS_REGION_RW))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a watchpoint watches reads, writes or both");
	if (dbg_expr_parse(expr, &e, err))
		return -1;
	struct dbg_place place;
	int rc = dbg_expr_place(d, e, &place, err);
	dbg_expr_free(e);
	if (rc)
		return -1;
	if (place.is_reg && access != BS_REGION_WRITE)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "a register can only be watched for changes (watch, not rwatch or "
			      "awatch)");
	if (!place.is_reg) {
		uint64_t avail = 0;
		if (!d->vm || !bs_vm_region_of(d->vm, place.addr, NULL, NULL, &avail) ||
		    avail < place.size)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "cannot watch 0x%llx: not memory of the program",
				      (unsigned long long)place.addr);
	}
	struct dbg_bp *b = add_bp(d, err);
	if (!b)
		return -1;
	if (place.is_reg) {
		b->pub.kind = BS_DBG_BP_REGWATCH;
		b->pub.reg = place.reg;
		b->last = d->vm ? bs_vm_regs(d->vm)[place.reg] : 0;
	} else {
		b->pub.kind = BS_DBG_BP_WATCH;
		b->pub.addr = place.addr;
		b->pub.len = place.size;
		b->pub.access = access & BS_REGION_RW;
	}
	return finish_add(d, b, expr, cond, id, err);
}

static struct dbg_bp *need_bp(struct bs_dbg *d, int id, struct bs_error *err)
{
	struct dbg_bp *b = dbg_bp_find(d, id);
	if (!b)
		vm_err(err, BS_ERR_ARG, BS_NO_PC, "no breakpoint number %d", id);
	return b;
}

int bs_dbg_delete(struct bs_dbg *d, int id, struct bs_error *err)
{
	bs_error_clear(err);
	struct dbg_bp *b = need_bp(d, id, err);
	if (!b)
		return -1;
	if (d->state == BS_DBG_STOPPED && d->vm) {
		b->pub.enabled = false;
		if (b->pub.kind == BS_DBG_BP_BREAK && !dbg_bp_at(d, b->pub.prog, b->pub.pc))
			set_trap(d->vm, b->pub.prog, b->pub.pc, false);
		else if (b->pub.kind == BS_DBG_BP_WATCH && b->vm_watch >= 0)
			bs_vm_unwatch(d->vm, b->vm_watch);
	}
	bp_release(b);
	size_t i = (size_t)(b - d->bps);
	memmove(b, b + 1, (d->nbps - i - 1) * sizeof(*b));
	d->nbps--;
	bs_error_clear(err);
	return 0;
}

int bs_dbg_enable(struct bs_dbg *d, int id, bool on, struct bs_error *err)
{
	bs_error_clear(err);
	struct dbg_bp *b = need_bp(d, id, err);
	if (!b)
		return -1;
	if (b->pub.enabled == on)
		return 0;
	b->pub.enabled = on;
	if (d->state == BS_DBG_STOPPED && d->vm) {
		if (b->pub.kind == BS_DBG_BP_BREAK) {
			/* another enabled breakpoint at the same place keeps the trap */
			bool keep = dbg_bp_at(d, b->pub.prog, b->pub.pc) != NULL;
			set_trap(d->vm, b->pub.prog, b->pub.pc, keep);
		} else if (b->pub.kind == BS_DBG_BP_WATCH) {
			install_one(b, d->vm, d);
		} else {
			b->last = bs_vm_regs(d->vm)[b->pub.reg];
		}
	}
	bs_error_clear(err);
	return 0;
}

int bs_dbg_condition(struct bs_dbg *d, int id, const char *cond, struct bs_error *err)
{
	bs_error_clear(err);
	struct dbg_bp *b = need_bp(d, id, err);
	return b ? set_cond(d, b, cond, err) : -1;
}

int bs_dbg_ignore(struct bs_dbg *d, int id, unsigned count, struct bs_error *err)
{
	bs_error_clear(err);
	struct dbg_bp *b = need_bp(d, id, err);
	if (!b)
		return -1;
	b->pub.ignore = count;
	return 0;
}

size_t bs_dbg_bp_count(const struct bs_dbg *d)
{
	return d->nbps;
}

bool bs_dbg_bp_get(const struct bs_dbg *d, size_t i, struct bs_dbg_bp *out)
{
	if (i >= d->nbps)
		return false;
	*out = d->bps[i].pub;
	return true;
}
