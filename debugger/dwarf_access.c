// SPDX-License-Identifier: MIT
/* C-level views of a stop of the step engine: the DWARF layer
 * (include/bpfstep/dwarf.h) reading registers and memory of the live VM,
 * writing through the engine (so re-runs repeat the change), and the text
 * that print, info locals/args, ptype, whatis and watch need. Nothing
 * prints here; the REPL does. */
#include <stdio.h>
#include <string.h>

#include "bpfstep/dwarf.h"
#include "debugger/dwarf_engine.h"
#include "debugger/engine.h"
#include "vm/error.h"

struct dwa {
	struct bs_dbg *d;
	uint64_t regs[BS_MAX_REG];
};

static int a_read(void *user, uint64_t addr, void *buf, size_t len)
{
	struct dwa *a = user;
	uint64_t avail = 0;
	const uint8_t *p = a->d->vm ? bs_vm_region_of(a->d->vm, addr, NULL, NULL, &avail) : NULL;
	if (!p || avail < len)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static int a_write(void *user, uint64_t addr, const void *buf, size_t len)
{
	struct dwa *a = user;
	struct bs_error e;
	return bs_dbg_write(a->d, addr, buf, len, &e);
}

static int a_set_reg(void *user, int reg, uint64_t value)
{
	struct dwa *a = user;
	struct bs_error e;
	if (bs_dbg_set_reg(a->d, reg, value, &e))
		return -1;
	a->regs[reg] = value;
	return 0;
}

static int a_global(void *user, size_t map, uint64_t off, uint64_t *addr)
{
	struct dwa *a = user;
	struct bs_vm *vm = a->d->vm;
	void *ru = NULL;
	bs_lddw_resolver_fn fn = vm ? bs_vm_lddw_resolver(vm, &ru) : NULL;
	if (!fn)
		return -1;
	/* what the program's own `lddw rX, map[value]+off` gives */
	struct bs_insn ld[2] = {{.code = 0x18, .src_reg = BS_PSEUDO_MAP_VALUE, .imm = (int32_t)map},
				{.imm = (int32_t)off}};
	struct bs_error e;
	return fn(vm, a->d->stop.pc, ld, addr, &e, ru) ? -1 : 0;
}

static void a_describe(void *user, uint64_t addr, char *buf, size_t len)
{
	struct dwa *a = user;
	bs_dbg_kind(a->d, addr, buf, len);
}

/* The access of d's current stop, in program 0's function at depth 0 or
 * deeper (registers are the current frame's). */
static int access_of(struct bs_dbg *d, struct dwa *a, struct bs_dwarf_access *acc, size_t *pc,
		     struct bs_error *err)
{
	if (d->state != BS_DBG_STOPPED || !d->vm)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "The program is not being run.");
	if (d->stop.prog != 0)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the program stopped in a tail-called program, which has no variables here");
	if (!bs_object_dwarf(bs_prog_object(d->cfg.prog)))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the object has no DWARF: compile it with clang -g for C variables");
	memset(a, 0, sizeof(*a));
	a->d = d;
	memcpy(a->regs, bs_vm_regs(d->vm), sizeof(a->regs));
	*acc = (struct bs_dwarf_access){
		.regs = a->regs,
		.read = a_read,
		.write = a_write,
		.set_reg = a_set_reg,
		.global_addr = a_global,
		.describe = a_describe,
		.user = a,
	};
	*pc = d->stop.pc;
	return 0;
}

int bs_dbg_c_print(struct bs_dbg *d, const char *expr, unsigned flags, char *buf, size_t len,
		   struct bs_error *err)
{
	struct dwa a;
	struct bs_dwarf_access acc;
	size_t pc;
	struct bs_dwarf_value v;
	bs_error_clear(err);
	if (access_of(d, &a, &acc, &pc, err) || bs_dwarf_eval(d->cfg.prog, pc, expr, &acc, &v, err))
		return -1;
	bs_dwarf_format(&v, &acc, flags | BS_DWF_TOP, buf, len);
	return 0;
}

int bs_dbg_c_cond(struct bs_dbg *d, const char *expr, bool *truth, struct bs_error *err)
{
	struct dwa a;
	struct bs_dwarf_access acc;
	size_t pc;
	struct bs_dwarf_value v;
	int64_t x;
	/* no writes from a condition: it runs inside the run */
	if (access_of(d, &a, &acc, &pc, err))
		return -1;
	acc.write = NULL;
	acc.set_reg = NULL;
	if (bs_dwarf_eval(d->cfg.prog, pc, expr, &acc, &v, err) ||
	    bs_dwarf_value_int(&v, &acc, &x, err))
		return -1;
	*truth = x != 0;
	return 0;
}

size_t bs_dbg_c_vars(struct bs_dbg *d, unsigned which, unsigned flags, char *buf, size_t len)
{
	struct dwa a;
	struct bs_dwarf_access acc;
	size_t pc, at = 0;
	struct bs_error err;
	if (len)
		buf[0] = 0;
	if (access_of(d, &a, &acc, &pc, &err))
		return (size_t)snprintf(buf, len, "%s\n", err.message);
	const struct bs_dwarf_var *vars[128];
	size_t n = bs_dwarf_vars_at(d->cfg.prog, pc, which, vars, 128);
	if (n > 128)
		n = 128;
	if (!n)
		return (size_t)snprintf(buf, len, "%s\n", which == BS_DW_ARGS ? "No arguments." : "No locals.");
	/* gdb lists locals innermost first, and arguments in declaration order */
	for (size_t i = 0; i < n; i++) {
		struct bs_dwarf_value v;
		char val[1024];
		if (bs_dwarf_var_value(d->cfg.prog, pc, vars[i], &acc, &v, &err))
			snprintf(val, sizeof(val), "<error: %s>", err.message);
		else
			bs_dwarf_format(&v, &acc, flags, val, sizeof(val));
		int k = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s = %s\n",
				 vars[i]->name, val);
		at += k > 0 ? (size_t)k : 0;
	}
	return at;
}

int bs_dbg_c_type(struct bs_dbg *d, const char *what, bool expand, char *buf, size_t len,
		  struct bs_error *err)
{
	bs_error_clear(err);
	const struct bs_dwarf *dw = bs_object_dwarf(bs_prog_object(d->cfg.prog));
	if (!dw)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the object has no DWARF: compile it with clang -g for C types");
	char name[256];
	snprintf(name, sizeof(name), "%s", what);
	/* a type name, with any stars */
	size_t stars = 0, n = strlen(name);
	while (n && (name[n - 1] == '*' || name[n - 1] == ' ')) {
		stars += name[n - 1] == '*';
		name[--n] = 0;
	}
	const struct bs_dwarf_type *t = bs_dwarf_find_type(dw, name);
	if (!t) {
		struct dwa a;
		struct bs_dwarf_access acc;
		size_t pc;
		struct bs_dwarf_value v;
		if (access_of(d, &a, &acc, &pc, err)) {
			if (!stars)
				return vm_err(err, BS_ERR_ARG, BS_NO_PC, "No symbol \"%s\" in current context.",
					      what);
			return -1;
		}
		if (bs_dwarf_eval(d->cfg.prog, pc, what, &acc, &v, err))
			return -1;
		t = v.type;
		if (!t) {
			snprintf(buf, len, "%s", v.size == 8 ? (v.is_signed ? "long" : "unsigned long") :
						 (v.is_signed ? "int" : "unsigned int"));
			return 0;
		}
	}
	size_t at = expand ? bs_dwarf_type_decl(t, buf, len) : bs_dwarf_type_name(t, buf, len);
	if (stars && at < len) {
		/* "struct iphdr *": the named type and its stars */
		snprintf(buf + at, len - at, " %.*s", (int)stars, "********************************");
	}
	return 0;
}

int bs_dbg_c_lvalue(struct bs_dbg *d, const char *expr, char *engine_expr, size_t len,
		    struct bs_error *err)
{
	struct dwa a;
	struct bs_dwarf_access acc;
	size_t pc;
	struct bs_dwarf_value v;
	if (access_of(d, &a, &acc, &pc, err) || bs_dwarf_eval(d->cfg.prog, pc, expr, &acc, &v, err))
		return -1;
	unsigned size = v.type ? (unsigned)v.type->size : v.size;
	if (v.where == BS_DWV_REG) {
		snprintf(engine_expr, len, "$r%d", v.reg);
		return 0;
	}
	if (v.where != BS_DWV_MEMORY)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "%s is not in memory or a register here (%s)", expr,
			      v.where == BS_DWV_OPTIMIZED ? "optimized out" : "a computed value");
	if (v.bit_size || (size != 1 && size != 2 && size != 4 && size != 8))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "%s is %u bytes%s; a watch needs 1, 2, 4 or 8 bytes", expr, size,
			      v.bit_size ? " (a bitfield)" : "");
	snprintf(engine_expr, len, "*(u%u *)0x%llx", size * 8, (unsigned long long)v.addr);
	return 0;
}

bool dbg_c_cond_usable(struct bs_dbg *d, const char *cond, struct bs_error *err)
{
	(void)cond;
	if (!bs_object_dwarf(bs_prog_object(d->cfg.prog)))
		return false;  /* err has the engine's own complaint */
	bs_error_clear(err);
	return true;
}

bool dbg_c_cond_false(struct bs_dbg *d, const char *cond)
{
	uint32_t prog = 0;
	if (!d->vm)
		return false;
	size_t pc = bs_vm_pc(d->vm, &prog);
	if (prog != 0)
		return false;
	struct dwa a = {.d = d};
	memcpy(a.regs, bs_vm_regs(d->vm), sizeof(a.regs));
	/* reading only: a condition must not change the run */
	struct bs_dwarf_access acc = {.regs = a.regs, .read = a_read, .global_addr = a_global,
				      .user = &a};
	struct bs_dwarf_value v;
	struct bs_error err;
	int64_t x;
	if (bs_dwarf_eval(d->cfg.prog, pc, cond, &acc, &v, &err) ||
	    bs_dwarf_value_int(&v, &acc, &x, &err))
		return false;
	return x == 0;
}
