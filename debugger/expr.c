// SPDX-License-Identifier: MIT
/* Expressions of print, condition, x, set and watch: C integer arithmetic
 * over registers ($r0..$r10, $w0..$w10), $pc, $fp, $ctx, $pkt, $pkt_end,
 * $count, numbers, casts to the kernel's integer types and pointers to
 * them, *ptr, {type} addr and assignment. Parsed once into a tree, so a
 * breakpoint condition costs no parsing at each hit. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/engine.h"
#include "vm/error.h"

struct type {
	unsigned size;      /* 1, 2, 4, 8 */
	bool sign;
	unsigned ptr;       /* pointer to ptr bytes; 0: an integer */
	bool ptr_sign;
};

enum node_kind {
	N_NUM, N_REG, N_WREG, N_PC, N_FP, N_CTX, N_PKT, N_PKT_END, N_COUNT,
	N_NEG, N_NOT, N_BNOT, N_DEREF, N_CAST, N_BRACE, N_ADDR,
	N_BIN, N_AND, N_OR, N_ASSIGN, N_COND,
};

struct dbg_expr {
	enum node_kind kind;
	int op;                 /* N_BIN: the operator ('+', 'L' for <<, ...) */
	uint64_t num;
	struct type type;       /* N_NUM, N_CAST, N_BRACE */
	int reg;
	struct dbg_expr *a, *b, *c;
};

void dbg_expr_free(struct dbg_expr *e)
{
	if (!e)
		return;
	dbg_expr_free(e->a);
	dbg_expr_free(e->b);
	dbg_expr_free(e->c);
	free(e);
}

/* ---- parsing ---- */

struct parser {
	const char *s;
	const char *text;
	struct bs_error *err;
	bool failed;
	unsigned depth;     /* parse_expr / parse_unary nesting */
	size_t nodes;
};

/* Bounds on what one expression may be: parsing, evaluating and freeing
 * recurse, so "((((...", "- - - -..." or "1+1+1..." thousands deep would
 * overflow the stack; no real expression comes near these. */
#define MAX_DEPTH 100
#define MAX_NODES 1000

static void skip_ws(struct parser *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
}

static bool accept(struct parser *p, const char *tok)
{
	skip_ws(p);
	size_t n = strlen(tok);
	if (strncmp(p->s, tok, n) != 0)
		return false;
	/* "<" must not take the start of "<<" or "<=" and so on */
	if (n == 1 && strchr("<>=!&|", tok[0]) && (p->s[1] == '=' || p->s[1] == tok[0]) &&
	    tok[0] != '!')
		return false;
	if (n == 1 && tok[0] == '!' && p->s[1] == '=')
		return false;
	p->s += n;
	return true;
}

static struct dbg_expr *fail(struct parser *p, const char *what)
{
	if (!p->failed) {
		skip_ws(p);
		if (*p->s)
			vm_err(p->err, BS_ERR_PARSE, BS_NO_PC, "%s in '%s' at '%s'", what, p->text, p->s);
		else
			vm_err(p->err, BS_ERR_PARSE, BS_NO_PC, "%s at the end of '%s'", what, p->text);
	}
	p->failed = true;
	return NULL;
}

static struct dbg_expr *node(struct parser *p, enum node_kind kind)
{
	if (++p->nodes > MAX_NODES)
		return fail(p, "expression too long (more than 1000 terms)");
	struct dbg_expr *e = calloc(1, sizeof(*e));
	if (!e)
		fail(p, "out of memory");
	else
		e->kind = kind;
	return e;
}

static const struct {
	const char *name;
	unsigned size;
	bool sign;
} type_names[] = {
	{"u8", 1, false}, {"u16", 2, false}, {"u32", 4, false}, {"u64", 8, false},
	{"s8", 1, true}, {"s16", 2, true}, {"s32", 4, true}, {"s64", 8, true},
	{"__u8", 1, false}, {"__u16", 2, false}, {"__u32", 4, false}, {"__u64", 8, false},
	{"__s8", 1, true}, {"__s16", 2, true}, {"__s32", 4, true}, {"__s64", 8, true},
	{"__be16", 2, false}, {"__be32", 4, false}, {"__le16", 2, false}, {"__le32", 4, false},
	{"uint8_t", 1, false}, {"uint16_t", 2, false}, {"uint32_t", 4, false},
	{"uint64_t", 8, false}, {"int8_t", 1, true}, {"int16_t", 2, true}, {"int32_t", 4, true},
	{"int64_t", 8, true}, {"char", 1, true}, {"short", 2, true}, {"int", 4, true},
	{"long", 8, true}, {"void", 1, false},
};

static size_t ident_len(const char *s)
{
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* A type name at p->s ("u32", "unsigned int", "long long", with '*'), or
 * false without consuming anything. */
static bool parse_type(struct parser *p, struct type *t)
{
	skip_ws(p);
	const char *save = p->s;
	bool is_unsigned = false, is_signed = false, found = false;
	*t = (struct type){4, true, 0, false};
	for (;;) {
		skip_ws(p);
		size_t n = ident_len(p->s);
		if (!n)
			break;
		if (n == 8 && strncmp(p->s, "unsigned", 8) == 0) {
			is_unsigned = found = true;
			t->size = 4;
		} else if (n == 6 && strncmp(p->s, "signed", 6) == 0) {
			is_signed = found = true;
		} else {
			bool known = false;
			for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
				if (strlen(type_names[i].name) == n &&
				    strncmp(p->s, type_names[i].name, n) == 0) {
					/* "long long", "long int", "short int" */
					if (found && n == 3 && strncmp(p->s, "int", 3) == 0) {
						known = true;
						break;
					}
					t->size = type_names[i].size;
					t->sign = type_names[i].sign;
					known = true;
					break;
				}
			if (!known)
				break;
			found = true;
		}
		p->s += n;
	}
	if (!found) {
		p->s = save;
		return false;
	}
	if (is_unsigned)
		t->sign = false;
	if (is_signed)
		t->sign = true;
	skip_ws(p);
	if (*p->s == '*') {
		p->s++;
		t->ptr = t->size;
		t->ptr_sign = t->sign;
		t->size = 8;
		t->sign = false;
	}
	return true;
}

static struct dbg_expr *parse_expr(struct parser *p);
static struct dbg_expr *parse_unary(struct parser *p);

static struct dbg_expr *parse_number(struct parser *p)
{
	char *end;
	uint64_t v = strtoull(p->s, &end, 0);
	bool hex = p->s[0] == '0' && (p->s[1] == 'x' || p->s[1] == 'X');
	if (isalnum((unsigned char)*end) || *end == '_')
		return fail(p, "a malformed number");
	p->s = end;
	struct dbg_expr *e = node(p, N_NUM);
	if (!e)
		return NULL;
	e->num = v;
	/* C's rules for the type of an integer literal */
	if (v <= INT32_MAX)
		e->type = (struct type){4, true, 0, false};
	else if (hex && v <= UINT32_MAX)
		e->type = (struct type){4, false, 0, false};
	else if (v <= INT64_MAX)
		e->type = (struct type){8, true, 0, false};
	else
		e->type = (struct type){8, false, 0, false};
	return e;
}

static struct dbg_expr *parse_dollar(struct parser *p)
{
	p->s++;
	size_t n = ident_len(p->s);
	char name[32];
	if (!n || n >= sizeof(name))
		return fail(p, "a register or $name expected");
	memcpy(name, p->s, n);
	name[n] = 0;
	p->s += n;
	struct dbg_expr *e;
	if ((name[0] == 'r' || name[0] == 'w') && isdigit((unsigned char)name[1])) {
		char *end;
		long r = strtol(name + 1, &end, 10);
		if (*end || r < 0 || r > 10)
			return fail(p, "no such register");
		e = node(p, name[0] == 'r' ? N_REG : N_WREG);
		if (e)
			e->reg = (int)r;
		return e;
	}
	static const struct {
		const char *name;
		enum node_kind kind;
	} specials[] = {
		{"pc", N_PC}, {"fp", N_FP}, {"ctx", N_CTX}, {"pkt", N_PKT}, {"pkt_end", N_PKT_END},
		{"count", N_COUNT},
	};
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (strcmp(name, specials[i].name) == 0)
			return node(p, specials[i].kind);
	p->s -= n;
	return fail(p, "unknown $ name (registers $r0..$r10, $w0..$w10, $pc, $fp, $ctx, $pkt, "
		    "$pkt_end, $count)");
}

static struct dbg_expr *parse_primary(struct parser *p)
{
	skip_ws(p);
	if (isdigit((unsigned char)*p->s))
		return parse_number(p);
	if (*p->s == '$')
		return parse_dollar(p);
	if (*p->s == '\'' && p->s[1] && p->s[2] == '\'') {
		struct dbg_expr *e = node(p, N_NUM);
		if (e) {
			e->num = (unsigned char)p->s[1];
			e->type = (struct type){4, true, 0, false};
		}
		p->s += 3;
		return e;
	}
	if (accept(p, "(")) {
		struct dbg_expr *e = parse_expr(p);
		if (!e)
			return NULL;
		if (!accept(p, ")")) {
			dbg_expr_free(e);
			return fail(p, "')' expected");
		}
		return e;
	}
	if (*p->s && isalpha((unsigned char)*p->s)) {
		/* bare register names, as gdb users type them after `info registers` */
		size_t n = ident_len(p->s);
		if ((p->s[0] == 'r' || p->s[0] == 'w') && n >= 2 && n <= 3 &&
		    isdigit((unsigned char)p->s[1])) {
			long r = strtol(p->s + 1, NULL, 10);
			if (r <= 10 && (n == 2 || isdigit((unsigned char)p->s[2]))) {
				struct dbg_expr *e = node(p, p->s[0] == 'r' ? N_REG : N_WREG);
				if (e)
					e->reg = (int)r;
				p->s += n;
				return e;
			}
		}
		return fail(p, "no symbol here (expressions use $r1, $pkt, numbers ...)");
	}
	return fail(p, "an expression expected");
}

static struct dbg_expr *unary_node(struct parser *p, enum node_kind kind, struct dbg_expr *a)
{
	if (!a)
		return NULL;
	struct dbg_expr *e = node(p, kind);
	if (!e) {
		dbg_expr_free(a);
		return NULL;
	}
	e->a = a;
	return e;
}

static struct dbg_expr *parse_unary_(struct parser *p);

static struct dbg_expr *parse_unary(struct parser *p)
{
	if (p->depth >= MAX_DEPTH)
		return fail(p, "expression nested too deeply");
	p->depth++;
	struct dbg_expr *e = parse_unary_(p);
	p->depth--;
	return e;
}

static struct dbg_expr *parse_unary_(struct parser *p)
{
	skip_ws(p);
	if (accept(p, "-"))
		return unary_node(p, N_NEG, parse_unary(p));
	if (accept(p, "+"))
		return parse_unary(p);
	if (accept(p, "!"))
		return unary_node(p, N_NOT, parse_unary(p));
	if (accept(p, "~"))
		return unary_node(p, N_BNOT, parse_unary(p));
	if (accept(p, "*"))
		return unary_node(p, N_DEREF, parse_unary(p));
	if (*p->s == '{') {
		p->s++;
		struct type t;
		if (!parse_type(p, &t))
			return fail(p, "a type expected after '{'");
		if (!accept(p, "}"))
			return fail(p, "'}' expected");
		struct dbg_expr *e = unary_node(p, N_BRACE, parse_unary(p));
		if (e)
			e->type = t;
		return e;
	}
	if (*p->s == '(') {
		const char *save = p->s;
		p->s++;
		struct type t;
		if (parse_type(p, &t) && accept(p, ")")) {
			struct dbg_expr *e = unary_node(p, N_CAST, parse_unary(p));
			if (e)
				e->type = t;
			return e;
		}
		p->s = save;
	}
	return parse_primary(p);
}

/* Binary operators by precedence, lowest first. */
static const char *const levels[][6] = {
	{"|", NULL}, {"^", NULL}, {"&", NULL}, {"==", "!=", NULL},
	{"<=", ">=", "<", ">", NULL}, {"<<", ">>", NULL}, {"+", "-", NULL}, {"*", "/", "%", NULL},
};
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

static int op_code(const char *tok)
{
	if (!tok[1])
		return tok[0];
	static const char *const two[] = {"==", "!=", "<=", ">=", "<<", ">>"};
	static const char codes[] = {'E', 'N', 'l', 'g', 'L', 'R'};
	for (int i = 0; i < 6; i++)
		if (strcmp(tok, two[i]) == 0)
			return codes[i];
	return 0;
}

static struct dbg_expr *parse_level(struct parser *p, size_t level)
{
	if (level == NLEVELS)
		return parse_unary(p);
	struct dbg_expr *a = parse_level(p, level + 1);
	while (a) {
		const char *hit = NULL;
		for (int i = 0; levels[level][i]; i++)
			if (accept(p, levels[level][i])) {
				hit = levels[level][i];
				break;
			}
		if (!hit)
			break;
		struct dbg_expr *b = parse_level(p, level + 1);
		if (!b) {
			dbg_expr_free(a);
			return NULL;
		}
		struct dbg_expr *e = node(p, N_BIN);
		if (!e) {
			dbg_expr_free(a);
			dbg_expr_free(b);
			return NULL;
		}
		e->op = op_code(hit);
		e->a = a;
		e->b = b;
		a = e;
	}
	return a;
}

static struct dbg_expr *parse_logic(struct parser *p, bool is_or)
{
	struct dbg_expr *a = is_or ? parse_logic(p, false) : parse_level(p, 0);
	while (a && accept(p, is_or ? "||" : "&&")) {
		struct dbg_expr *b = is_or ? parse_logic(p, false) : parse_level(p, 0);
		if (!b) {
			dbg_expr_free(a);
			return NULL;
		}
		struct dbg_expr *e = node(p, is_or ? N_OR : N_AND);
		if (!e) {
			dbg_expr_free(a);
			dbg_expr_free(b);
			return NULL;
		}
		e->a = a;
		e->b = b;
		a = e;
	}
	return a;
}

static struct dbg_expr *parse_expr_(struct parser *p);

static struct dbg_expr *parse_expr(struct parser *p)
{
	if (p->depth >= MAX_DEPTH)
		return fail(p, "expression nested too deeply");
	p->depth++;
	struct dbg_expr *e = parse_expr_(p);
	p->depth--;
	return e;
}

static struct dbg_expr *parse_expr_(struct parser *p)
{
	struct dbg_expr *a = parse_logic(p, true);
	if (a && accept(p, "?")) {
		struct dbg_expr *e = node(p, N_COND);
		if (!e) {
			dbg_expr_free(a);
			return NULL;
		}
		e->a = a;
		e->b = parse_expr(p);
		if (e->b && accept(p, ":"))
			e->c = parse_expr(p);
		if (!e->c) {
			dbg_expr_free(e);
			return fail(p, "':' expected");
		}
		return e;
	}
	if (a && accept(p, "=")) {
		struct dbg_expr *e = node(p, N_ASSIGN);
		if (!e) {
			dbg_expr_free(a);
			return NULL;
		}
		e->a = a;
		e->b = parse_expr(p);
		if (!e->b) {
			dbg_expr_free(e);
			return NULL;
		}
		return e;
	}
	return a;
}

int dbg_expr_parse(const char *text, struct dbg_expr **out, struct bs_error *err)
{
	bs_error_clear(err);
	struct parser p = {.s = text, .text = text, .err = err};
	struct dbg_expr *e = parse_expr(&p);
	skip_ws(&p);
	if (e && *p.s) {
		dbg_expr_free(e);
		e = fail(&p, "unexpected text");
	}
	if (!e) {
		if (!p.failed)
			fail(&p, "an expression expected");
		return -1;
	}
	*out = e;
	return 0;
}

/* ---- evaluation ---- */

struct val {
	uint64_t v;
	struct type t;
};

static uint64_t truncate(uint64_t v, unsigned size, bool sign)
{
	if (size >= 8)
		return v;
	uint64_t mask = (1ULL << (size * 8)) - 1;
	v &= mask;
	if (sign && (v >> (size * 8 - 1)) & 1)
		v |= ~mask;
	return v;
}

static struct val mk(uint64_t v, unsigned size, bool sign)
{
	return (struct val){truncate(v, size, sign), {size, sign, 0, false}};
}

static struct val promote(struct val a)
{
	if (!a.t.ptr && a.t.size < 4)
		return mk(a.v, 4, true);
	return a;
}

static int read_mem(struct bs_dbg *d, uint64_t addr, unsigned size, bool sign, uint64_t *out,
		    struct bs_error *err)
{
	uint64_t avail = 0;
	const uint8_t *p = d->vm ? bs_vm_region_of(d->vm, addr, NULL, NULL, &avail) : NULL;
	if (!p || avail < size)
		return vm_err(err, BS_ERR_MEMORY, BS_NO_PC, "cannot access memory at address 0x%llx",
			      (unsigned long long)addr);
	uint64_t v = 0;
	memcpy(&v, p, size);
	*out = truncate(v, size, sign);
	return 0;
}

static int eval(struct bs_dbg *d, const struct dbg_expr *e, struct val *out, struct bs_error *err);

static int place(struct bs_dbg *d, const struct dbg_expr *e, struct dbg_place *pl,
		 struct type *t, struct bs_error *err)
{
	struct val a;
	switch (e->kind) {
	case N_REG:
	case N_WREG:
		*pl = (struct dbg_place){.is_reg = true, .reg = e->reg, .size = 8};
		*t = (struct type){e->kind == N_REG ? 8 : 4, false, 0, false};
		return 0;
	case N_DEREF:
		if (eval(d, e->a, &a, err))
			return -1;
		if (!a.t.ptr)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "attempt to take contents of a non-pointer value (cast it: "
				      "*(u32 *)(ADDR))");
		*pl = (struct dbg_place){.addr = a.v, .size = a.t.ptr};
		*t = (struct type){a.t.ptr, a.t.ptr_sign, 0, false};
		return 0;
	case N_BRACE:
		if (eval(d, e->a, &a, err))
			return -1;
		*pl = (struct dbg_place){.addr = a.v, .size = e->type.ptr ? 8 : e->type.size};
		*t = e->type;
		return 0;
	default:
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "left operand of assignment is not an lvalue (a register, *ptr or "
			      "{type} addr)");
	}
}

int dbg_expr_place(struct bs_dbg *d, const struct dbg_expr *e, struct dbg_place *p,
		   struct bs_error *err)
{
	struct type t;
	return place(d, e, p, &t, err);
}

static int binary(int op, struct val a, struct val b, struct val *out, struct bs_error *err)
{
	/* pointer arithmetic scales by the pointee's size */
	if ((op == '+' || op == '-') && a.t.ptr && !b.t.ptr) {
		*out = a;
		out->v = op == '+' ? a.v + b.v * a.t.ptr : a.v - b.v * a.t.ptr;
		return 0;
	}
	if (op == '+' && b.t.ptr && !a.t.ptr) {
		*out = b;
		out->v = b.v + a.v * b.t.ptr;
		return 0;
	}
	if (op == '-' && a.t.ptr && b.t.ptr) {
		*out = mk((uint64_t)((int64_t)(a.v - b.v) / (int64_t)a.t.ptr), 8, true);
		return 0;
	}
	a = promote(a);
	b = promote(b);
	unsigned size = a.t.size > b.t.size ? a.t.size : b.t.size;
	bool sign = a.t.size == b.t.size ? a.t.sign && b.t.sign
					 : (a.t.size > b.t.size ? a.t.sign : b.t.sign);
	if (a.t.ptr || b.t.ptr)
		sign = false;
	uint64_t x = truncate(a.v, size, sign), y = truncate(b.v, size, sign);
	int64_t sx = (int64_t)x, sy = (int64_t)y;
	uint64_t r;
	switch (op) {
	case '+': r = x + y; break;
	case '-': r = x - y; break;
	case '*': r = x * y; break;
	case '/':
	case '%':
		if (y == 0)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC, "Division by zero");
		if (sign && sy == -1)
			r = op == '/' ? (uint64_t)0 - x : 0;
		else if (sign)
			r = op == '/' ? (uint64_t)(sx / sy) : (uint64_t)(sx % sy);
		else
			r = op == '/' ? x / y : x % y;
		break;
	case '&': r = x & y; break;
	case '|': r = x | y; break;
	case '^': r = x ^ y; break;
	case 'L': r = y >= size * 8 ? 0 : x << y; break;
	case 'R':
		if (y >= size * 8)
			r = sign && sx < 0 ? UINT64_MAX : 0;
		else
			r = sign ? (uint64_t)(sx >> y) : x >> y;
		break;
	default: {
		bool c;
		switch (op) {
		case 'E': c = x == y; break;
		case 'N': c = x != y; break;
		case '<': c = sign ? sx < sy : x < y; break;
		case '>': c = sign ? sx > sy : x > y; break;
		case 'l': c = sign ? sx <= sy : x <= y; break;
		default: c = sign ? sx >= sy : x >= y; break;
		}
		*out = mk(c, 4, true);
		return 0;
	}
	}
	*out = mk(r, size, sign);
	return 0;
}

static int eval(struct bs_dbg *d, const struct dbg_expr *e, struct val *out, struct bs_error *err)
{
	struct val a, b;
	if (!d->vm && e->kind != N_NUM && e->kind != N_BIN && e->kind != N_NEG &&
	    e->kind != N_NOT && e->kind != N_BNOT && e->kind != N_CAST && e->kind != N_AND &&
	    e->kind != N_OR && e->kind != N_COND)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the program is not being run: no registers or memory to read");
	const uint64_t *regs = d->vm ? bs_vm_regs(d->vm) : NULL;
	switch (e->kind) {
	case N_NUM:
		*out = (struct val){e->num, e->type};
		return 0;
	case N_REG:
		*out = mk(regs[e->reg], 8, false);
		return 0;
	case N_WREG:
		*out = mk(regs[e->reg], 4, false);
		return 0;
	case N_PC:
		*out = mk(bs_vm_pc(d->vm, NULL), 8, false);
		return 0;
	case N_COUNT:
		*out = mk(bs_vm_executed(d->vm), 8, false);
		return 0;
	case N_FP:
	case N_CTX:
	case N_PKT:
	case N_PKT_END: {
		uint64_t v = e->kind == N_FP ? regs[10] : d->ctx_addr, end = 0;
		if (e->kind == N_PKT || e->kind == N_PKT_END) {
			if (bs_dbg_packet(d, &v, &end))
				return vm_err(err, BS_ERR_ARG, BS_NO_PC, "this program has no packet");
			if (e->kind == N_PKT_END)
				v = end;
		}
		*out = (struct val){v, {8, false, 1, false}};
		return 0;
	}
	case N_NEG:
	case N_BNOT:
	case N_NOT:
		if (eval(d, e->a, &a, err))
			return -1;
		a = promote(a);
		if (e->kind == N_NOT)
			*out = mk(a.v == 0, 4, true);
		else
			*out = mk(e->kind == N_NEG ? (uint64_t)0 - a.v : ~a.v, a.t.size, a.t.sign);
		return 0;
	case N_CAST:
		if (eval(d, e->a, &a, err))
			return -1;
		*out = (struct val){truncate(a.v, e->type.size, e->type.sign), e->type};
		return 0;
	case N_DEREF:
	case N_BRACE: {
		struct dbg_place pl;
		struct type t;
		if (place(d, e, &pl, &t, err))
			return -1;
		uint64_t v = 0;
		if (read_mem(d, pl.addr, pl.size, t.sign && !t.ptr, &v, err))
			return -1;
		*out = (struct val){v, t};
		return 0;
	}
	case N_AND:
	case N_OR:
		if (eval(d, e->a, &a, err))
			return -1;
		if ((a.v != 0) == (e->kind == N_OR)) {
			*out = mk(e->kind == N_OR, 4, true);
			return 0;
		}
		if (eval(d, e->b, &b, err))
			return -1;
		*out = mk(b.v != 0, 4, true);
		return 0;
	case N_COND:
		if (eval(d, e->a, &a, err))
			return -1;
		return eval(d, a.v ? e->b : e->c, out, err);
	case N_BIN:
		if (eval(d, e->a, &a, err) || eval(d, e->b, &b, err))
			return -1;
		return binary(e->op, a, b, out, err);
	case N_ASSIGN: {
		struct dbg_place pl;
		struct type t;
		if (place(d, e->a, &pl, &t, err) || eval(d, e->b, &b, err))
			return -1;
		uint64_t v = truncate(b.v, t.ptr ? 8 : t.size, t.sign);
		if (e->a->kind == N_WREG)
			v = (uint32_t)b.v;  /* a 32-bit write zero-extends, as ALU32 does */
		if (dbg_store(d, &pl, v, err))
			return -1;
		*out = (struct val){v, t};
		return 0;
	}
	case N_ADDR:
		break;
	}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "cannot evaluate this expression");
}

int dbg_expr_eval(struct bs_dbg *d, const struct dbg_expr *e, struct bs_dbg_value *out,
		  struct bs_error *err)
{
	struct val v;
	if (eval(d, e, &v, err))
		return -1;
	*out = (struct bs_dbg_value){.value = v.v, .size = v.t.size, .is_signed = v.t.sign,
				     .is_pointer = v.t.ptr != 0, .pointee_size = v.t.ptr};
	return 0;
}
