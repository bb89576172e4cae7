// SPDX-License-Identifier: MIT
/* Evaluating DWARF location descriptions at a stop: the subset of the
 * DWARF stack machine compilers emit for BPF. BPF's DWARF register n is
 * rN, and the frame base is r10 (clang's DW_AT_frame_base is DW_OP_reg10;
 * the evaluator reads r10 for DW_OP_fbreg and DW_OP_call_frame_cfa). */
#include <libdwarf/dwarf.h>
#include <string.h>

#include "loader/dwarf_private.h"
#include "vm/error.h"

enum { STACK = 64 };

struct ev {
	const struct bs_dwarf *dw;
	uint64_t stack;  /* DWARF's r10 is the real r10 - stack */
	const struct bs_dwarf_access *acc;
	uint64_t st[STACK];
	int sp;
	struct bs_error *err;
};

static int push(struct ev *e, uint64_t v)
{
	if (e->sp == STACK)
		return vm_err(e->err, BS_ERR_UNSUPPORTED, BS_NO_PC,
			      "DWARF location expression overflows its stack");
	e->st[e->sp++] = v;
	return 0;
}

static int need(struct ev *e, int n)
{
	if (e->sp < n)
		return vm_err(e->err, BS_ERR_PARSE, BS_NO_PC,
			      "DWARF location expression pops an empty stack");
	return 0;
}

static uint64_t reg(const struct ev *e, uint64_t n)
{
	return n <= 10 && e->acc->regs ? e->acc->regs[n] : 0;
}

/* A register as an address base (breg, fbreg): r10 is the frame's bottom. */
static uint64_t base(const struct ev *e, uint64_t n)
{
	return reg(e, n) - (n == 10 ? e->stack : 0);
}

static int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - bytes * 8;
	return bytes >= 8 ? (int64_t)v : (int64_t)(v << sh) >> sh;
}

/* A global's address in the run: section + offset through the map that
 * holds the section. */
static int global_addr(struct ev *e, uint64_t a, uint64_t *out)
{
	size_t scn = DW_ADDR_SCN(a);
	int map = scn && scn < e->dw->nscn ? e->dw->scn_map[scn] : -1;
	if (map < 0 || !e->acc->global_addr ||
	    e->acc->global_addr(e->acc->user, (size_t)map, a & 0xffffffffu, out))
		return vm_err(e->err, BS_ERR_ARG, BS_NO_PC,
			      "the variable's address is in no global-data map of this run");
	return 0;
}

/* One piece (or the whole) of a location: ops [from, to). kind: 0 memory
 * (address on the stack), 1 register *regno, 2 value on the stack, 3 empty. */
static int run_ops(struct ev *e, const struct dw_op *ops, size_t from, size_t to, int *kind,
		   uint64_t *regno)
{
	*kind = 3;
	for (size_t i = from; i < to; i++) {
		const struct dw_op *o = &ops[i];
		uint8_t a = o->atom;
		uint64_t x, y;
		if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
			if (push(e, a - DW_OP_lit0))
				return -1;
		} else if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
			*kind = 1;
			*regno = a - DW_OP_reg0;
			continue;
		} else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
			if (push(e, base(e, a - DW_OP_breg0) + o->a))
				return -1;
		} else {
			switch (a) {
			case DW_OP_regx:
				*kind = 1;
				*regno = o->a;
				continue;
			case DW_OP_bregx:
				if (push(e, base(e, o->a) + o->b))
					return -1;
				break;
			case DW_OP_fbreg:
				if (push(e, base(e, 10) + o->a))
					return -1;
				break;
			case DW_OP_call_frame_cfa:
				if (push(e, reg(e, 10)))
					return -1;
				break;
			case DW_OP_addr:
			case DW_OP_addrx:
				if (global_addr(e, a == DW_OP_addr ? o->a : o->b, &x) || push(e, x))
					return -1;
				break;
			case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u:
			case DW_OP_const8u: case DW_OP_constu:
				if (push(e, o->a))
					return -1;
				break;
			case DW_OP_const1s:
				if (push(e, (uint64_t)sext(o->a, 1)))
					return -1;
				break;
			case DW_OP_const2s:
				if (push(e, (uint64_t)sext(o->a, 2)))
					return -1;
				break;
			case DW_OP_const4s:
				if (push(e, (uint64_t)sext(o->a, 4)))
					return -1;
				break;
			case DW_OP_constx:
				if (push(e, o->b))
					return -1;
				break;
			case DW_OP_const8s: case DW_OP_consts:
				if (push(e, o->a))
					return -1;
				break;
			case DW_OP_dup:
				if (e->sp < 1 || e->sp == STACK)
					return need(e, 1) ? -1 : push(e, 0);
				e->st[e->sp] = e->st[e->sp - 1];
				e->sp++;
				break;
			case DW_OP_drop:
				if (need(e, 1))
					return -1;
				e->sp--;
				break;
			case DW_OP_over:
				if (e->sp < 2 || e->sp == STACK)
					return need(e, 2) ? -1 : push(e, 0);
				e->st[e->sp] = e->st[e->sp - 2];
				e->sp++;
				break;
			case DW_OP_swap:
				if (need(e, 2))
					return -1;
				x = e->st[e->sp - 1];
				e->st[e->sp - 1] = e->st[e->sp - 2];
				e->st[e->sp - 2] = x;
				break;
			case DW_OP_deref:
			case DW_OP_deref_size: {
				unsigned n = a == DW_OP_deref ? 8 : (unsigned)o->a;
				if (need(e, 1))
					return -1;
				if (n == 0 || n > 8)
					return vm_err(e->err, BS_ERR_PARSE, BS_NO_PC,
						      "DW_OP_deref_size of %u bytes", n);
				x = 0;
				if (!e->acc->read || e->acc->read(e->acc->user, e->st[e->sp - 1], &x, n))
					return vm_err(e->err, BS_ERR_MEMORY, BS_NO_PC,
						      "the location reads memory at 0x%llx, which is "
						      "not accessible",
						      (unsigned long long)e->st[e->sp - 1]);
				e->st[e->sp - 1] = x;
				break;
			}
			case DW_OP_plus_uconst:
				if (need(e, 1))
					return -1;
				e->st[e->sp - 1] += o->a;
				break;
			case DW_OP_neg:
			case DW_OP_not:
				if (need(e, 1))
					return -1;
				x = e->st[e->sp - 1];
				e->st[e->sp - 1] = a == DW_OP_neg ? (uint64_t)-(int64_t)x : ~x;
				break;
			case DW_OP_plus: case DW_OP_minus: case DW_OP_mul: case DW_OP_and:
			case DW_OP_or: case DW_OP_xor: case DW_OP_shl: case DW_OP_shr:
			case DW_OP_shra: case DW_OP_div: case DW_OP_mod:
				if (need(e, 2))
					return -1;
				y = e->st[--e->sp];
				x = e->st[e->sp - 1];
				switch (a) {
				case DW_OP_plus: x += y; break;
				case DW_OP_minus: x -= y; break;
				case DW_OP_mul: x *= y; break;
				case DW_OP_and: x &= y; break;
				case DW_OP_or: x |= y; break;
				case DW_OP_xor: x ^= y; break;
				case DW_OP_shl: x = y < 64 ? x << y : 0; break;
				case DW_OP_shr: x = y < 64 ? x >> y : 0; break;
				case DW_OP_shra: x = (uint64_t)((int64_t)x >> (y < 64 ? y : 63)); break;
				case DW_OP_div: x = y ? (uint64_t)((int64_t)x / (int64_t)y) : 0; break;
				case DW_OP_mod: x = y ? x % y : 0; break;
				}
				e->st[e->sp - 1] = x;
				break;
			case DW_OP_stack_value:
				if (need(e, 1))
					return -1;
				*kind = 2;
				return 0;
			case DW_OP_nop:
				break;
			default:
				return vm_err(e->err, BS_ERR_UNSUPPORTED, BS_NO_PC,
					      "the location uses DWARF operation 0x%02x, which bpfstep "
					      "does not evaluate", a);
			}
		}
		*kind = 0;
	}
	if (*kind == 0 && need(e, 1))
		return -1;
	return 0;
}

static void put(struct bs_dwarf_value *v, size_t at, const void *src, size_t n)
{
	for (size_t i = 0; i < n && at + i < BS_DWARF_VALUE_MAX; i++) {
		v->bytes[at + i] = ((const uint8_t *)src)[i];
		v->known |= 1ull << (at + i);
	}
}

static int eval_expr(struct ev *e, const struct dw_expr *x, struct bs_dwarf_value *v)
{
	size_t start = 0;
	bool pieces = false;
	size_t at = 0;
	int kind;
	uint64_t regno = 0;
	for (size_t i = 0; i <= x->n; i++) {
		if (i < x->n && x->ops[i].atom != DW_OP_piece)
			continue;
		if (i == x->n && pieces) {
			if (start != i)
				return vm_err(e->err, BS_ERR_PARSE, BS_NO_PC,
					      "a location ends with operations after its last piece");
			break;
		}
		e->sp = 0;
		if (run_ops(e, x->ops, start, i, &kind, &regno))
			return -1;
		if (i == x->n) {
			/* no pieces: the whole value */
			if (kind == 1) {
				if (regno > 10)
					return vm_err(e->err, BS_ERR_PARSE, BS_NO_PC,
						      "the location names register %llu",
						      (unsigned long long)regno);
				uint64_t r = reg(e, regno);
				v->where = BS_DWV_REG;
				v->reg = (int)regno;
				put(v, 0, &r, v->size < 8 ? v->size : 8);
			} else if (kind == 2) {
				uint64_t r = e->st[e->sp - 1];
				v->where = BS_DWV_VALUE;
				put(v, 0, &r, v->size < 8 ? v->size : 8);
			} else if (kind == 0) {
				v->where = BS_DWV_MEMORY;
				v->addr = e->st[e->sp - 1];
			}
			return 0;
		}
		pieces = true;
		uint64_t n = x->ops[i].a;
		if (kind == 1 || kind == 2) {
			uint64_t r = kind == 1 ? reg(e, regno) : e->st[e->sp - 1];
			put(v, at, &r, n < 8 ? n : 8);
		} else if (kind == 0) {
			uint8_t buf[BS_DWARF_VALUE_MAX];
			size_t m = n < sizeof(buf) ? n : sizeof(buf);
			if (e->acc->read && !e->acc->read(e->acc->user, e->st[e->sp - 1], buf, m))
				put(v, at, buf, m);
			if (v->nmem < sizeof(v->mem) / sizeof(v->mem[0]))
				v->mem[v->nmem++] = (struct bs_dwarf_piece){(uint32_t)at, (uint32_t)n,
									    e->st[e->sp - 1]};
		}
		at += n;
		start = i + 1;
	}
	v->where = BS_DWV_VALUE;
	return 0;
}

int dw_locate(const struct bs_dwarf *dw, const struct bs_dwarf_var *var, uint64_t addr,
	      uint64_t stack, const struct bs_dwarf_access *acc, struct bs_dwarf_value *out, struct bs_error *err)
{
	memset(out, 0, sizeof(*out));
	out->type = var->type;
	const struct bs_dwarf_type *t = var->type;
	out->size = t ? (uint32_t)t->size : 0;
	out->where = BS_DWV_OPTIMIZED;
	const struct bs_dwarf_loc *loc = var->loc;
	if (!loc)
		return 0;
	const struct dw_expr *x = NULL;
	if (!loc->is_list) {
		x = &loc->e;
	} else {
		for (size_t i = 0; i < loc->n && !x; i++)
			if (addr >= loc->ents[i].lo && addr < loc->ents[i].hi)
				x = &loc->ents[i].e;
	}
	if (!x || !x->n)
		return 0;
	struct ev e = {.dw = dw, .stack = stack, .acc = acc, .err = err};
	if (eval_expr(&e, x, out)) {
		out->where = BS_DWV_OPTIMIZED;
		return -1;
	}
	return 0;
}

int bs_dwarf_var_value(const struct bs_prog *prog, size_t pc, const struct bs_dwarf_var *var,
		       const struct bs_dwarf_access *acc, struct bs_dwarf_value *out,
		       struct bs_error *err)
{
	bs_error_clear(err);
	const struct bs_dwarf *dw = dw_of(prog);
	uint64_t addr = 0;
	if (!dw || !var)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program has no DWARF");
	if (!var->is_global && !dw_pc_addr(prog, pc, &addr))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "instruction %zu has no DWARF address", pc);
	return dw_locate(dw, var, addr, var->is_global ? 0 : dw_pc_stack(prog, pc), acc, out, err);
}
