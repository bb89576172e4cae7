// SPDX-License-Identifier: MIT
/* C expressions over the variables at an instruction, evaluated on typed
 * values (struct bs_dwarf_value) as gdb's print does: members, pointers
 * and their arithmetic, arrays, casts to the object's types, comparisons
 * and assignment. Memory is read and written only through the caller's
 * access callbacks. Messages follow gdb's ("No symbol \"x\" in current
 * context."). */
#include <ctype.h>
#include <stdarg.h>
#include <libdwarf/dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "loader/dwarf_private.h"
#include "vm/error.h"

enum { MAX_NEST = 64 };

struct cx {
	const struct bs_prog *prog;
	size_t pc;
	const struct bs_dwarf *dw;
	const struct bs_dwarf_access *acc;
	const char *s;
	size_t at;
	int nest;
	struct bs_error *err;
};

static int cx_err(struct cx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cx_err(struct cx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_verr(c->err, BS_ERR_ARG, BS_NO_PC, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- values ---- */
static void int_value(struct bs_dwarf_value *v, uint64_t x, unsigned size, bool sgn)
{
	memset(v, 0, sizeof(*v));
	v->where = BS_DWV_VALUE;
	v->size = size;
	v->is_signed = sgn;
	memcpy(v->bytes, &x, 8);
	v->known = size >= 8 ? 0xff : (1ull << size) - 1;
}

static void typed_value(struct bs_dwarf_value *v, const struct bs_dwarf_type *t, uint64_t x)
{
	int_value(v, x, t ? (unsigned)(t->size ? t->size : 8) : 8, dw_is_signed(t));
	v->type = t;
	if (v->size > 8)
		v->size = 8;
}

static const struct bs_dwarf_type *stripped(const struct bs_dwarf_value *v)
{
	return v->type ? bs_dwarf_type_strip(v->type) : NULL;
}

static bool is_ptr(const struct bs_dwarf_value *v)
{
	const struct bs_dwarf_type *t = stripped(v);
	return t && t->kind == BS_DW_POINTER;
}

static bool is_array(const struct bs_dwarf_value *v)
{
	const struct bs_dwarf_type *t = stripped(v);
	return t && t->kind == BS_DW_ARRAY;
}

static bool is_aggregate(const struct bs_dwarf_value *v)
{
	const struct bs_dwarf_type *t = stripped(v);
	return t && (t->kind == BS_DW_STRUCT || t->kind == BS_DW_UNION);
}

static int get_int(struct cx *c, const struct bs_dwarf_value *v, int64_t *out)
{
	return bs_dwarf_value_int(v, c->acc, out, c->err);
}

int bs_dwarf_value_int(const struct bs_dwarf_value *v, const struct bs_dwarf_access *acc,
		       int64_t *out, struct bs_error *err)
{
	const struct bs_dwarf_type *t = v->type ? bs_dwarf_type_strip(v->type) : NULL;
	if (v->where == BS_DWV_OPTIMIZED)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "value has been optimized out");
	if (t && t->kind == BS_DW_ARRAY) {
		/* an array is its address, as in C */
		if (v->where != BS_DWV_MEMORY)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "Attempt to take address of value not located in memory.");
		*out = (int64_t)v->addr;
		return 0;
	}
	if (v->type && !dw_is_int(v->type))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the value is not a number");
	unsigned size = t ? (unsigned)t->size : v->size;
	bool sgn = v->type ? dw_is_signed(v->type) : v->is_signed;
	uint8_t b[16] = {0};
	if (v->bit_size) {
		unsigned sh = v->bit_pos % 8;
		size_t nb = (sh + v->bit_size + 7) / 8;
		if (nb > 9 || dw_value_bytes(v, acc, b, nb))
			goto unreadable;
		unsigned __int128 w = 0;
		for (size_t k = 0; k < nb; k++)
			w |= (unsigned __int128)b[k] << (8 * k);
		uint64_t x = (uint64_t)(w >> sh);
		if (v->bit_size < 64) {
			x &= (1ull << v->bit_size) - 1;
			if (sgn && (x >> (v->bit_size - 1)) & 1)
				x |= ~((1ull << v->bit_size) - 1);
		}
		*out = (int64_t)x;
		return 0;
	}
	if (size == 0 || size > 8)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a value of %u bytes is not a number", size);
	if (dw_value_bytes(v, acc, b, size))
		goto unreadable;
	uint64_t x = 0;
	memcpy(&x, b, 8);
	if (size < 8) {
		x &= (1ull << (size * 8)) - 1;
		if (sgn && (x >> (size * 8 - 1)) & 1)
			x |= ~((1ull << (size * 8)) - 1);
	}
	*out = (int64_t)x;
	return 0;
unreadable:
	if (v->where == BS_DWV_MEMORY)
		return vm_err(err, BS_ERR_MEMORY, BS_NO_PC, "Cannot access memory at address 0x%llx",
			      (unsigned long long)v->addr);
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "value has been optimized out");
}

/* A pointer type to t: the object's own if it has one, else one made once. */
static const struct bs_dwarf_type *pointer_to(const struct bs_dwarf *dw,
					      const struct bs_dwarf_type *t)
{
	for (size_t i = 0; i < dw->ntypes; i++)
		if (dw->types[i]->kind == BS_DW_POINTER && dw->types[i]->target == t)
			return dw->types[i];
	struct bs_dwarf *m = (struct bs_dwarf *)dw;
	struct bs_dwarf_type *p = dw_alloc(m, sizeof(*p));
	struct bs_dwarf_type **all = p ? realloc(m->types, (m->ntypes + 1) * sizeof(*all)) : NULL;
	if (!all)
		return NULL;
	p->kind = BS_DW_POINTER;
	p->name = "";
	p->size = 8;
	p->target = t;
	m->types = all;
	m->types[m->ntypes++] = p;
	return p;
}

/* ---- lexing ---- */
static void skip_ws(struct cx *c)
{
	while (isspace((unsigned char)c->s[c->at]))
		c->at++;
}

static bool eat(struct cx *c, const char *op)
{
	skip_ws(c);
	size_t n = strlen(op);
	if (strncmp(c->s + c->at, op, n) != 0)
		return false;
	/* "<" is not the start of "<<" or "<=", "&" not of "&&" ... */
	char next = c->s[c->at + n];
	if (n == 1 && strchr("<>&|=!", op[0]) && (next == op[0] || next == '=') &&
	    !(op[0] == '!' && next == '!'))
		return false;
	if (n == 1 && op[0] == '-' && (next == '>' || next == '-'))
		return false;
	if (n == 2 && (op[0] == '<' || op[0] == '>') && op[1] == op[0] && next == '=')
		return false;
	c->at += n;
	return true;
}

static bool ident(struct cx *c, char *buf, size_t len)
{
	skip_ws(c);
	size_t i = c->at;
	if (!(isalpha((unsigned char)c->s[i]) || c->s[i] == '_'))
		return false;
	size_t n = 0;
	while (isalnum((unsigned char)c->s[i]) || c->s[i] == '_') {
		if (n + 1 < len)
			buf[n++] = c->s[i];
		i++;
	}
	buf[n] = 0;
	c->at = i;
	return true;
}

static int expr(struct cx *c, struct bs_dwarf_value *v);
static int unary(struct cx *c, struct bs_dwarf_value *v);

/* A type name at the cursor ("struct iphdr *", "unsigned int", "__u32");
 * the cursor does not move when there is none. */
static const struct bs_dwarf_type *type_name(struct cx *c)
{
	size_t save = c->at;
	char words[160] = "", w[64];
	size_t wl = 0;
	const struct bs_dwarf_type *t = NULL;
	while (ident(c, w, sizeof(w))) {
		if (strcmp(w, "const") == 0 || strcmp(w, "volatile") == 0)
			continue;
		if (strlen(words) + strlen(w) + 2 > sizeof(words))
			break;
		if (wl)
			strcat(words, " ");
		strcat(words, w);
		wl++;
		const struct bs_dwarf_type *f = bs_dwarf_find_type(c->dw, words);
		if (f) {
			t = f;
			save = c->at;
			continue;
		}
		/* "struct", "unsigned", "long" need the next word */
		if (strcmp(w, "struct") && strcmp(w, "union") && strcmp(w, "enum") &&
		    strcmp(w, "unsigned") && strcmp(w, "signed") && strcmp(w, "long") &&
		    strcmp(w, "short"))
			break;
	}
	c->at = save;
	if (!t)
		return NULL;
	while (eat(c, "*"))
		t = t ? pointer_to(c->dw, t) : NULL;
	return t;
}

/* ---- primary and postfix ---- */
static int number(struct cx *c, struct bs_dwarf_value *v)
{
	const char *p = c->s + c->at;
	char *end;
	unsigned long long x = strtoull(p, &end, 0);
	bool u = false, l = false;
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L') {
		u |= *end == 'u' || *end == 'U';
		l |= *end == 'l' || *end == 'L';
		end++;
	}
	if (isalnum((unsigned char)*end) || *end == '_')
		return cx_err(c, "Invalid number \"%.*s\".", (int)(end - p + 1), p);
	c->at += (size_t)(end - p);
	bool big = x > (u ? 0xffffffffull : 0x7fffffffull);
	int_value(v, x, l || big ? 8 : 4, !u);
	return 0;
}

/* A member that lies in one memory piece of v becomes a value in memory. */
static bool in_piece(struct bs_dwarf_value *v, uint64_t byte, const struct bs_dwarf_type *mt,
		     uint32_t bit_size, uint64_t bits)
{
	uint64_t size = bit_size ? ((bits % 8) + bit_size + 7) / 8 : mt ? mt->size : 0;
	for (unsigned i = 0; i < v->nmem; i++) {
		const struct bs_dwarf_piece *pc = &v->mem[i];
		if (size && byte >= pc->off && byte + size <= (uint64_t)pc->off + pc->size) {
			uint64_t addr = pc->addr + (byte - pc->off);
			memset(v, 0, sizeof(*v));
			v->where = BS_DWV_MEMORY;
			v->addr = addr;
			return true;
		}
	}
	return false;
}

/* name in t, looking into anonymous structs and unions (C11): the member
 * and its bit position from the start of t. */
static const struct bs_dwarf_member *find_member(const struct bs_dwarf_type *t, const char *name,
						 uint64_t *bits, int depth)
{
	if (!t || depth > 8)
		return NULL;
	for (size_t i = 0; i < t->nmembers; i++)
		if (strcmp(t->members[i].name, name) == 0) {
			*bits = t->members[i].bit_pos;
			return &t->members[i];
		}
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct bs_dwarf_type *mt = bs_dwarf_type_strip(t->members[i].type);
		if (t->members[i].name[0] || !mt || (mt->kind != BS_DW_STRUCT && mt->kind != BS_DW_UNION))
			continue;
		uint64_t inner;
		const struct bs_dwarf_member *m = find_member(mt, name, &inner, depth + 1);
		if (m) {
			*bits = t->members[i].bit_pos + inner;
			return m;
		}
	}
	return NULL;
}

static int member(struct cx *c, struct bs_dwarf_value *v, const char *name)
{
	const struct bs_dwarf_type *t = stripped(v);
	if (!t || (t->kind != BS_DW_STRUCT && t->kind != BS_DW_UNION))
		return cx_err(c, "Attempt to extract a component of a value that is not a structure.");
	uint64_t rel;
	const struct bs_dwarf_member *m = find_member(t, name, &rel, 0);
	if (!m)
		return cx_err(c, "There is no member named %s.", name);
	uint64_t bits = v->bit_pos + rel;
	uint64_t byte = bits / 8;
	const struct bs_dwarf_type *mt = m->type;
	if (v->where == BS_DWV_MEMORY) {
		v->addr += byte;
	} else if (v->where == BS_DWV_VALUE && in_piece(v, byte, mt, m->bit_size, bits)) {
		/* now an lvalue: in memory */
	} else if (v->where != BS_DWV_OPTIMIZED) {
		uint8_t nb[BS_DWARF_VALUE_MAX] = {0};
		uint64_t known = 0;
		for (size_t i = 0; i + byte < BS_DWARF_VALUE_MAX; i++) {
			nb[i] = v->bytes[i + byte];
			known |= ((v->known >> (i + byte)) & 1) << i;
		}
		memcpy(v->bytes, nb, sizeof(nb));
		v->known = known;
		v->where = BS_DWV_VALUE;
		v->nmem = 0;
	}
	v->type = mt;
	v->size = mt ? (uint32_t)mt->size : 0;
	v->bit_pos = m->bit_size ? (uint32_t)(bits % 8) : 0;
	v->bit_size = m->bit_size;
	return 0;
}

static int deref(struct cx *c, struct bs_dwarf_value *v)
{
	const struct bs_dwarf_type *t = stripped(v);
	if (t && t->kind == BS_DW_ARRAY) {
		if (v->where != BS_DWV_MEMORY)
			return cx_err(c, "Attempt to take address of value not located in memory.");
		v->type = t->target;
		v->size = t->target ? (uint32_t)t->target->size : 0;
		return 0;
	}
	if (!t || t->kind != BS_DW_POINTER)
		return cx_err(c, "Attempt to take contents of a non-pointer value.");
	if (!t->target)
		return cx_err(c, "Attempt to take contents of a non-pointer value.");
	int64_t addr;
	if (get_int(c, v, &addr))
		return -1;
	memset(v, 0, sizeof(*v));
	v->type = t->target;
	v->size = (uint32_t)t->target->size;
	v->where = BS_DWV_MEMORY;
	v->addr = (uint64_t)addr;
	return 0;
}

static int index_into(struct cx *c, struct bs_dwarf_value *v, int64_t i)
{
	const struct bs_dwarf_type *t = stripped(v);
	if (t && t->kind == BS_DW_ARRAY && v->where != BS_DWV_MEMORY) {
		const struct bs_dwarf_type *el = t->target;
		uint64_t es = el ? el->size : 0;
		if (v->where == BS_DWV_OPTIMIZED)
			return 0;
		if (i < 0 || (uint64_t)i >= t->count || es * (uint64_t)(i + 1) > BS_DWARF_VALUE_MAX)
			return cx_err(c, "no such vector element");
		struct bs_dwarf_value r = {.type = el, .where = BS_DWV_VALUE, .size = (uint32_t)es};
		for (uint64_t k = 0; k < es; k++) {
			r.bytes[k] = v->bytes[(uint64_t)i * es + k];
			r.known |= ((v->known >> ((uint64_t)i * es + k)) & 1) << k;
		}
		*v = r;
		return 0;
	}
	if (!t || (t->kind != BS_DW_ARRAY && t->kind != BS_DW_POINTER))
		return cx_err(c, "cannot subscript something of type that is not an array or pointer");
	if (deref(c, v))
		return -1;
	uint64_t es = v->type ? bs_dwarf_type_strip(v->type) ? v->type->size : 0 : 0;
	v->addr += (uint64_t)i * es;
	return 0;
}

static int postfix(struct cx *c, struct bs_dwarf_value *v)
{
	char name[128];
	for (;;) {
		if (eat(c, "->")) {
			if (!ident(c, name, sizeof(name)))
				return cx_err(c, "a member name must follow ->");
			if (deref(c, v) || member(c, v, name))
				return -1;
		} else if (eat(c, ".")) {
			if (!ident(c, name, sizeof(name)))
				return cx_err(c, "a member name must follow .");
			if (member(c, v, name))
				return -1;
		} else if (eat(c, "[")) {
			struct bs_dwarf_value iv;
			int64_t i;
			if (expr(c, &iv) || get_int(c, &iv, &i))
				return -1;
			if (!eat(c, "]"))
				return cx_err(c, "missing ]");
			if (index_into(c, v, i))
				return -1;
		} else {
			return 0;
		}
	}
}

static int primary(struct cx *c, struct bs_dwarf_value *v)
{
	skip_ws(c);
	char ch = c->s[c->at];
	char name[128];
	if (isdigit((unsigned char)ch))
		return number(c, v);
	if (ch == '\'') {
		const char *p = c->s + c->at + 1;
		unsigned x;
		size_t used;
		if (p[0] == '\\') {
			const char *esc = "n\nt\tr\r0\0\\\\''";
			const char *f = p[1] ? strchr(esc, p[1]) : NULL;
			if (!f || (f - esc) % 2)
				return cx_err(c, "unsupported character escape");
			x = (unsigned char)f[1];
			used = 2;
		} else {
			x = (unsigned char)p[0];
			used = 1;
		}
		if (p[used] != '\'')
			return cx_err(c, "Unmatched single quote.");
		c->at += used + 2;
		int_value(v, x, 4, true);
		return 0;
	}
	if (ch == '$') {
		c->at++;
		if (!ident(c, name, sizeof(name)))
			return cx_err(c, "a register name must follow $");
		int r = -1;
		if ((name[0] == 'r') && isdigit((unsigned char)name[1]))
			r = atoi(name + 1);
		else if (strcmp(name, "fp") == 0)
			r = 10;
		if (r < 0 || r > 10 || !c->acc->regs)
			return cx_err(c, "no register $%s (there are $r0..$r10, $fp)", name);
		int_value(v, c->acc->regs[r], 8, false);
		v->where = BS_DWV_REG;
		v->reg = r;
		return postfix(c, v);
	}
	if (eat(c, "(")) {
		if (expr(c, v))
			return -1;
		if (!eat(c, ")"))
			return cx_err(c, "missing )");
		return postfix(c, v);
	}
	if (!ident(c, name, sizeof(name))) {
		if (!c->s[c->at])
			return cx_err(c, "an expression is needed");
		return cx_err(c, "A syntax error in expression, near `%s'.", c->s + c->at);
	}
	if (strcmp(name, "sizeof") == 0) {
		size_t save = c->at;
		const struct bs_dwarf_type *t = NULL;
		if (eat(c, "(")) {
			t = type_name(c);
			if (t && !eat(c, ")"))
				t = NULL;
		}
		uint64_t size;
		if (t) {
			size = t->size;
		} else {
			c->at = save;
			struct bs_dwarf_value x;
			if (unary(c, &x))
				return -1;
			const struct bs_dwarf_type *xt = x.type;
			size = xt ? xt->size : x.size;
		}
		int_value(v, size, 8, false);
		return 0;
	}
	const struct bs_dwarf_var *var = bs_dwarf_lookup(c->prog, c->pc, name);
	if (!var) {
		/* an enumerator of any enum */
		for (size_t i = 0; i < c->dw->ntypes; i++) {
			const struct bs_dwarf_type *t = c->dw->types[i];
			for (size_t k = 0; t->kind == BS_DW_ENUM && k < t->nenums; k++)
				if (strcmp(t->enums[k].name, name) == 0) {
					typed_value(v, t, (uint64_t)t->enums[k].value);
					return postfix(c, v);
				}
		}
		return cx_err(c, "No symbol \"%s\" in current context.", name);
	}
	if (bs_dwarf_var_value(c->prog, c->pc, var, c->acc, v, c->err))
		return -1;
	return postfix(c, v);
}

/* ---- operators ---- */
static int arith(struct cx *c, struct bs_dwarf_value *l, const char *op, struct bs_dwarf_value *r);

static int unary(struct cx *c, struct bs_dwarf_value *v)
{
	if (++c->nest > MAX_NEST)
		return cx_err(c, "the expression nests too deep");
	int rc;
	int64_t x;
	size_t save;
	if (eat(c, "*")) {
		rc = unary(c, v) || deref(c, v) ? -1 : 0;
	} else if (eat(c, "&")) {
		rc = unary(c, v);
		if (!rc && (v->where != BS_DWV_MEMORY || v->bit_size))
			rc = cx_err(c, "Attempt to take address of value not located in memory.");
		if (!rc) {
			const struct bs_dwarf_type *p = v->type ? pointer_to(c->dw, v->type) : NULL;
			uint64_t a = v->addr;
			if (!p)
				int_value(v, a, 8, false);
			else
				typed_value(v, p, a);
		}
	} else if (eat(c, "-") || eat(c, "~") || eat(c, "!") || eat(c, "+")) {
		char op = c->s[c->at - 1];
		rc = unary(c, v) || get_int(c, v, &x) ? -1 : 0;
		if (!rc) {
			unsigned size = v->type ? (unsigned)(stripped(v)->size) : v->size;
			bool sgn = v->type ? dw_is_signed(v->type) : v->is_signed;
			if (size < 4)
				size = 4, sgn = true;
			uint64_t y = op == '-' ? (uint64_t)-x : op == '~' ? ~(uint64_t)x :
				     op == '!' ? !x : (uint64_t)x;
			if (op == '!')
				int_value(v, y, 4, true);
			else
				int_value(v, y, size, sgn);
		}
	} else if ((save = c->at, eat(c, "("))) {
		const struct bs_dwarf_type *t = type_name(c);
		if (t && eat(c, ")")) {
			/* a cast: scalars convert, pointers reinterpret */
			rc = unary(c, v) || get_int(c, v, &x) ? -1 : 0;
			if (!rc) {
				if (!dw_is_int(t))
					rc = cx_err(c, "Invalid cast.");
				else
					typed_value(v, t, (uint64_t)x);
			}
		} else {
			c->at = save;
			rc = primary(c, v);
		}
	} else {
		rc = primary(c, v);
	}
	c->nest--;
	return rc;
}

static const struct {
	const char *op;
	int prec;
} binops[] = {
	{"||", 1}, {"&&", 2}, {"|", 3}, {"^", 4}, {"&", 5}, {"==", 6}, {"!=", 6},
	{"<=", 7}, {">=", 7}, {"<<", 8}, {">>", 8}, {"<", 7}, {">", 7},
	{"+", 9}, {"-", 9}, {"*", 10}, {"/", 10}, {"%", 10},
};

static int arith(struct cx *c, struct bs_dwarf_value *l, const char *op, struct bs_dwarf_value *r)
{
	int64_t a, b;
	bool lp = is_ptr(l) || is_array(l), rp = is_ptr(r) || is_array(r);
	if (is_aggregate(l) || is_aggregate(r))
		return cx_err(c, "Argument to arithmetic operation not a number or boolean.");
	if (get_int(c, l, &a) || get_int(c, r, &b))
		return -1;
	/* pointer arithmetic scales by the pointee */
	if ((lp || rp) && (strcmp(op, "+") == 0 || strcmp(op, "-") == 0)) {
		const struct bs_dwarf_type *pt = lp ? stripped(l) : stripped(r);
		const struct bs_dwarf_type *to = pt->target;
		uint64_t es = to ? (bs_dwarf_type_strip(to) ? to->size : 1) : 1;
		if (!es)
			es = 1;
		if (lp && rp && op[0] == '-') {
			int_value(l, (uint64_t)((a - b) / (int64_t)es), 8, true);
			return 0;
		}
		if (lp && rp)
			return cx_err(c, "Argument to arithmetic operation not a number or boolean.");
		const struct bs_dwarf_type *res = pt->kind == BS_DW_ARRAY ? pointer_to(c->dw, to) : pt;
		uint64_t v = lp ? (uint64_t)a + (op[0] == '-' ? -(uint64_t)b * es : (uint64_t)b * es)
				: (uint64_t)b + (uint64_t)a * es;
		typed_value(l, res, v);
		return 0;
	}
	unsigned ls = l->type ? (unsigned)stripped(l)->size : l->size;
	unsigned rs = r->type ? (unsigned)stripped(r)->size : r->size;
	bool lsg = l->type ? dw_is_signed(l->type) : l->is_signed;
	bool rsg = r->type ? dw_is_signed(r->type) : r->is_signed;
	if (lp)
		lsg = false;
	if (rp)
		rsg = false;
	/* the usual arithmetic conversions, for sizes 4 and 8 */
	if (ls < 4)
		ls = 4, lsg = true;
	if (rs < 4)
		rs = 4, rsg = true;
	unsigned size = ls > rs ? ls : rs;
	bool sgn = (lsg || ls < size) && (rsg || rs < size);
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b, res = 0;
	if (size == 4 && !sgn)
		ua &= 0xffffffffu, ub &= 0xffffffffu;
	bool cmp = false;
	switch (op[0]) {
	case '+': res = ua + ub; break;
	case '-': res = ua - ub; break;
	case '*': res = ua * ub; break;
	case '/':
	case '%':
		if (!ub)
			return cx_err(c, "Division by zero");
		if (sgn && a == INT64_MIN && b == -1)
			res = op[0] == '/' ? ua : 0;
		else if (op[0] == '/')
			res = sgn ? (uint64_t)(a / b) : ua / ub;
		else
			res = sgn ? (uint64_t)(a % b) : ua % ub;
		break;
	case '^': res = ua ^ ub; break;
	case '|':
		if (op[1] == '|')
			cmp = true, res = a || b;
		else
			res = ua | ub;
		break;
	case '&':
		if (op[1] == '&')
			cmp = true, res = a && b;
		else
			res = ua & ub;
		break;
	case '=': cmp = true, res = ua == ub; break;
	case '!': cmp = true, res = ua != ub; break;
	case '<':
		if (op[1] == '<') {
			res = ub >= size * 8 ? 0 : ua << ub;
		} else {
			cmp = true;
			bool lt = sgn ? a < b : ua < ub, eq = ua == ub;
			res = op[1] == '=' ? lt || eq : lt;
		}
		break;
	case '>':
		if (op[1] == '>') {
			res = ub >= size * 8 ? (sgn && a < 0 ? ~0ull : 0) :
			      sgn ? (uint64_t)((size == 4 ? (int64_t)(int32_t)a : a) >> ub) : ua >> ub;
		} else {
			cmp = true;
			bool gt = sgn ? a > b : ua > ub, eq = ua == ub;
			res = op[1] == '=' ? gt || eq : gt;
		}
		break;
	}
	if (cmp)
		int_value(l, res, 4, true);
	else
		int_value(l, res, size, sgn);
	return 0;
}

static int binary(struct cx *c, struct bs_dwarf_value *v, int min_prec)
{
	if (unary(c, v))
		return -1;
	for (;;) {
		int k = -1;
		size_t save = c->at;
		for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++) {
			if (binops[i].prec < min_prec)
				continue;
			if (eat(c, binops[i].op)) {
				k = (int)i;
				break;
			}
		}
		if (k < 0) {
			c->at = save;
			return 0;
		}
		struct bs_dwarf_value r;
		if (binary(c, &r, binops[k].prec + 1) || arith(c, v, binops[k].op, &r))
			return -1;
	}
}

static int assign_to(struct cx *c, struct bs_dwarf_value *lhs, const struct bs_dwarf_value *rhs)
{
	int64_t x;
	if (get_int(c, rhs, &x))
		return -1;
	if (is_aggregate(lhs) || is_array(lhs))
		return cx_err(c, "only numbers and pointers can be assigned here");
	unsigned size = lhs->type ? (unsigned)stripped(lhs)->size : lhs->size;
	if (lhs->where == BS_DWV_REG) {
		if (!c->acc->set_reg || c->acc->set_reg(c->acc->user, lhs->reg,
							size >= 8 ? (uint64_t)x :
							(uint64_t)x & ((1ull << (size * 8)) - 1)))
			return cx_err(c, "register r%d cannot be changed here", lhs->reg);
	} else if (lhs->where == BS_DWV_MEMORY) {
		if (!c->acc->write)
			return cx_err(c, "memory cannot be changed here");
		if (lhs->bit_size) {
			unsigned sh = lhs->bit_pos % 8;
			size_t nb = (sh + lhs->bit_size + 7) / 8;
			uint8_t b[16] = {0};
			if (nb > 8 || c->acc->read(c->acc->user, lhs->addr, b, nb))
				return cx_err(c, "Cannot access memory at address 0x%llx",
					      (unsigned long long)lhs->addr);
			uint64_t w, mask = (lhs->bit_size >= 64 ? ~0ull : (1ull << lhs->bit_size) - 1) << sh;
			memcpy(&w, b, 8);
			w = (w & ~mask) | (((uint64_t)x << sh) & mask);
			memcpy(b, &w, 8);
			if (c->acc->write(c->acc->user, lhs->addr, b, nb))
				return cx_err(c, "Cannot access memory at address 0x%llx",
					      (unsigned long long)lhs->addr);
		} else if (size == 0 || size > 8 ||
			   c->acc->write(c->acc->user, lhs->addr, &x, size)) {
			return cx_err(c, "Cannot access memory at address 0x%llx",
				      (unsigned long long)lhs->addr);
		}
	} else {
		return cx_err(c, "Left operand of assignment is not an lvalue.");
	}
	/* the result is the variable as it is now */
	if (lhs->where == BS_DWV_REG) {
		uint64_t nv = (uint64_t)x;
		memset(lhs->bytes, 0, sizeof(lhs->bytes));
		memcpy(lhs->bytes, &nv, 8);
	}
	return 0;
}

static int cond_expr(struct cx *c, struct bs_dwarf_value *v)
{
	if (binary(c, v, 1))
		return -1;
	if (!eat(c, "?"))
		return 0;
	int64_t t;
	if (get_int(c, v, &t))
		return -1;
	struct bs_dwarf_value a, b;
	if (expr(c, &a))
		return -1;
	if (!eat(c, ":"))
		return cx_err(c, "missing : in ?:");
	if (cond_expr(c, &b))
		return -1;
	*v = t ? a : b;
	return 0;
}

static int expr(struct cx *c, struct bs_dwarf_value *v)
{
	if (++c->nest > MAX_NEST)
		return cx_err(c, "the expression nests too deep");
	int rc = cond_expr(c, v);
	if (!rc && eat(c, "=")) {
		struct bs_dwarf_value r;
		rc = expr(c, &r) || assign_to(c, v, &r) ? -1 : 0;
	}
	c->nest--;
	return rc;
}

int bs_dwarf_eval(const struct bs_prog *prog, size_t pc, const char *text,
		  const struct bs_dwarf_access *acc, struct bs_dwarf_value *out, struct bs_error *err)
{
	bs_error_clear(err);
	memset(out, 0, sizeof(*out));
	const struct bs_dwarf *dw = dw_of(prog);
	if (!dw)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program has no DWARF (build it with -g)");
	struct cx c = {.prog = prog, .pc = pc, .dw = dw, .acc = acc, .s = text, .err = err};
	if (expr(&c, out))
		return -1;
	skip_ws(&c);
	if (c.s[c.at])
		return cx_err(&c, "A syntax error in expression, near `%s'.", c.s + c.at);
	return 0;
}
