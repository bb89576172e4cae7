// SPDX-License-Identifier: MIT
/* The assembler. Each line is read in whichever dialect it is written in
 * (conformance "add32 %r0, 1" or kernel/LLVM "w0 += 1"), its row is found in
 * the instruction table (vm/isa.def) by mnemonic or by form and operator, and
 * the row's code and discriminator are emitted with the operands. Labels are
 * resolved in a second pass, once every slot has its index. */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/isa.h"
#include "helpers/helper_names.h"
#include "vm/error.h"
#include "vm/isa.h"

/* Text is referred to in place: a name is a pointer into the line copy and a
 * length, so no name is ever copied into a fixed buffer. */
struct vm_name {
	const char *s;
	size_t len;
};

/* A label use: the field of slot that gets target - (slot + 1). */
enum vm_ref_field { REF_OFF, REF_IMM };

struct vm_ref {
	struct vm_name name;
	size_t slot;
	int line;
	enum vm_ref_field field;
};

struct vm_label {
	struct vm_name name;
	size_t slot;
	int line;
};

struct vm_asm {
	struct bs_insn *prog;
	size_t n, cap;
	struct vm_ref *refs;
	size_t nrefs, caprefs;
	struct vm_label *labels;
	size_t nlabels, caplabels;
	size_t first_exit; /* the conformance label "exit" when none is defined */
	int line;
	int hint;          /* opcode byte a listing printed before the text, or -1 */
	struct bs_error *err;
	const char *file;
};

/* ---- characters and errors ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
	if (is_digit(c))
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static bool is_ident_start(char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '.';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static const char *skip_ws(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static size_t ident_len(const char *p)
{
	size_t k = 0;
	if (is_ident_start(*p))
		while (is_ident(p[k]))
			k++;
	return k;
}

static bool word_is(const char *p, size_t k, const char *w)
{
	return k == strlen(w) && memcmp(p, w, k) == 0;
}

/* The offending token, quoted and cut short, for "got ..." messages. */
static const char *quote(const char *p, char *buf, size_t len)
{
	p = skip_ws(p);
	if (!*p)
		return "end of line";
	size_t k = 0;
	while (p[k] && !is_space(p[k]) && (p[k] != ',' || k == 0) && k < 32)
		k++;
	bool more = k == 32 && p[k] && !is_space(p[k]);
	snprintf(buf, len, "'%.*s%s'", (int)k, p, more ? "..." : "");
	return buf;
}

static int name_prec(size_t len)
{
	return len > 64 ? 64 : (int)len;
}

__attribute__((format(printf, 2, 3))) static int fail(struct vm_asm *a, const char *fmt, ...)
{
	char msg[sizeof(a->err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_err(a->err, BS_ERR_PARSE, BS_NO_PC, "%s", msg);
	if (a->err) {
		snprintf(a->err->file, sizeof(a->err->file), "%s", a->file);
		a->err->line = a->line;
	}
	return -1;
}

static int fail_expected(struct vm_asm *a, const char *what, const char *p)
{
	char q[48];
	return fail(a, "expected %s, got %s", what, quote(p, q, sizeof(q)));
}

static bool eat(const char **pp, char c)
{
	const char *p = skip_ws(*pp);
	if (*p != c)
		return false;
	*pp = p + 1;
	return true;
}

static bool eat_word(const char **pp, const char *w)
{
	const char *p = skip_ws(*pp);
	size_t k = ident_len(p);
	if (!word_is(p, k, w))
		return false;
	*pp = p + k;
	return true;
}

static bool eat_lit(const char **pp, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*pp, lit, n) != 0)
		return false;
	*pp += n;
	return true;
}

static int expect(struct vm_asm *a, const char **pp, char c)
{
	if (eat(pp, c))
		return 0;
	char what[8];
	snprintf(what, sizeof(what), "'%c'", c);
	return fail_expected(a, what, *pp);
}

static int expect_end(struct vm_asm *a, const char *p)
{
	char q[48];
	p = skip_ws(p);
	return *p ? fail(a, "unexpected %s after the instruction", quote(p, q, sizeof(q))) : 0;
}

/* ---- numbers, registers, operands ---- */

/* A decimal or 0x number with optional sign, as magnitude and sign.
 * 0: ok; -1: no number here; -2: more than 64 bits (*pp still advances). */
static int scan_num(const char **pp, uint64_t *mag, bool *neg)
{
	const char *p = skip_ws(*pp);
	*neg = false;
	if (*p == '+') /* also "+ -7", the way "skb[r1 + %d]" prints */
		p = skip_ws(p + 1);
	if (*p == '-') {
		*neg = true;
		p = skip_ws(p + 1);
	}
	unsigned base = 10;
	if (p[0] == '0' && (p[1] | 0x20) == 'x' && hex_val(p[2]) >= 0) {
		base = 16;
		p += 2;
	}
	if (!is_digit(*p) && base == 10)
		return -1;
	uint64_t v = 0;
	bool over = false;
	for (int d; (d = hex_val(*p)) >= 0 && (unsigned)d < base; p++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			over = true;
		v = v * base + (unsigned)d;
	}
	if (is_ident(*p))
		return -1;
	*pp = p;
	*mag = v;
	return over ? -2 : 0;
}

/* Range of a two's complement field of `bits`; `unsigned_ok` also takes the
 * unsigned spelling of the same bits (0xffffffff for -1), as llvm does. */
static bool fits(uint64_t mag, bool neg, unsigned bits, bool unsigned_ok)
{
	uint64_t half = 1ull << (bits - 1);
	if (neg)
		return mag <= half;
	return mag < half || (unsigned_ok && mag <= 2 * half - 1);
}

static int get_num(struct vm_asm *a, const char **pp, unsigned bits, bool unsigned_ok,
		   const char *what, int64_t *out)
{
	const char *start = skip_ws(*pp);
	uint64_t m;
	bool neg;
	int r = scan_num(pp, &m, &neg);
	if (r == -1)
		return fail_expected(a, bits == 64 ? "a 64-bit immediate" : "a number like 5, -3 or 0x1f",
				     start);
	if (r == -2 || (bits < 64 && !fits(m, neg, bits, unsigned_ok)) ||
	    (bits == 64 && neg && m > (1ull << 63)))
		return fail(a, "%s %.*s does not fit in %u bits", what, name_prec((size_t)(*pp - start)),
			    start, bits);
	uint64_t v = neg ? 0 - m : m;
	if (bits < 64)
		v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	*out = (int64_t)v;
	return 0;
}

static int get_imm32(struct vm_asm *a, const char **pp, int32_t *out)
{
	int64_t v;
	if (get_num(a, pp, 32, true, "immediate", &v))
		return -1;
	*out = (int32_t)v;
	return 0;
}

static int get_off16(struct vm_asm *a, const char **pp, const char *what, int16_t *out)
{
	int64_t v;
	if (get_num(a, pp, 16, false, what, &v))
		return -1;
	*out = (int16_t)v;
	return 0;
}

static bool is_reg_next(const char *p)
{
	p = skip_ws(p);
	if (*p == '%')
		p++;
	return (*p == 'r' || *p == 'w') && is_digit(p[1]);
}

/* "%r1", "r1" or "w1"; width gets 'r' or 'w' when asked for. */
static int get_reg(struct vm_asm *a, const char **pp, uint8_t *reg, char *width)
{
	const char *p = skip_ws(*pp), *start = p;
	if (*p == '%')
		p++;
	char w = *p;
	if ((w == 'r' || w == 'w') && is_digit(p[1])) {
		unsigned v = 0;
		for (p++; is_digit(*p) && v <= BS_MAX_REG; p++)
			v = v * 10 + (unsigned)(*p - '0');
		if (v < BS_MAX_REG && !is_ident(*p)) {
			*reg = (uint8_t)v;
			if (width)
				*width = w;
			*pp = p;
			return 0;
		}
	}
	return fail_expected(a, "a register like %r1 or r1", start);
}

/* "[%r1+4]" (conformance) or "(r1 +4)" (C-like): register and offset. */
static int get_mem(struct vm_asm *a, const char **pp, char open, uint8_t *reg, int16_t *off)
{
	char close = open == '[' ? ']' : ')';
	if (!eat(pp, open))
		return fail_expected(a, open == '[' ? "a memory operand like [%r1+8]"
						     : "a memory operand like (r1 +8)", *pp);
	*off = 0;
	if (get_reg(a, pp, reg, NULL))
		return -1;
	const char *p = skip_ws(*pp);
	if ((*p == '+' || *p == '-') && get_off16(a, pp, "offset", off))
		return -1;
	return expect(a, pp, close);
}

/* "(u32 *)": the C type that names a load or store size. */
static int get_type(struct vm_asm *a, const char **pp, char ty[4])
{
	const char *p = skip_ws(*pp);
	if (*p == '(') {
		const char *t = skip_ws(p + 1);
		size_t k = ident_len(t);
		if (k >= 2 && k <= 3 && (t[0] == 'u' || t[0] == 's')) {
			memcpy(ty, t, k);
			ty[k] = 0;
			*pp = t + k;
			if (eat(pp, '*') && eat(pp, ')'))
				return 0;
		}
	}
	return fail_expected(a, "a size like (u32 *)", p);
}

static unsigned type_bytes(const char *ty)
{
	int bits = atoi(ty + 1);
	return bits == 8 ? 1 : bits == 16 ? 2 : bits == 32 ? 4 : bits == 64 ? 8 : 0;
}

static int add_ref(struct vm_asm *a, const char *s, size_t len, enum vm_ref_field field)
{
	if (a->nrefs == a->caprefs) {
		size_t cap = a->caprefs ? a->caprefs * 2 : 16;
		void *p = cap < SIZE_MAX / sizeof(*a->refs) ? realloc(a->refs, cap * sizeof(*a->refs)) : NULL;
		if (!p)
			return vm_err(a->err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for label references");
		a->refs = p;
		a->caprefs = cap;
	}
	a->refs[a->nrefs++] = (struct vm_ref){{s, len}, a->n, a->line, field};
	return 0;
}

/* "+3", "-2", "pc+3", "3" or a label; then llvm-objdump's "<LBB0_2>" note. */
static int get_target(struct vm_asm *a, const char **pp, enum vm_ref_field field, int32_t *out)
{
	const char *p = skip_ws(*pp);
	size_t k = ident_len(p);
	*out = 0;
	if (p[0] == 'p' && p[1] == 'c' && (p[2] == '+' || p[2] == '-'))
		p += 2, k = 0;
	if (k) {
		if (add_ref(a, p, k, field))
			return -1;
		p += k;
	} else if (*p == '+' || *p == '-' || is_digit(*p)) {
		int64_t v;
		if (get_num(a, &p, field == REF_OFF ? 16 : 32, false, "jump offset", &v))
			return -1;
		*out = (int32_t)v;
	} else {
		return fail_expected(a, "a jump target like +3, pc-2 or a label", p);
	}
	p = skip_ws(p);
	const char *note = *p == '<' ? strchr(p, '>') : NULL;
	*pp = note ? note + 1 : p;
	return 0;
}

/* ---- table lookup and emission ---- */

struct vm_key {
	uint8_t form;
	const char *sym; /* NULL: any */
	unsigned bits;   /* ALU and jump rows: 32 or 64; 0: any */
	unsigned size;   /* memory rows: access bytes; 0: any */
};

static enum vm_op vm_find(struct vm_key k)
{
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		unsigned bits = vm_op_is_alu32(op) || vm_op_is_jmp32(op) ? 32 : 64;
		if (r->form == k.form && (!k.sym || strcmp(r->sym, k.sym) == 0) &&
		    (!k.bits || bits == k.bits) && (!k.size || vm_size_bytes(r->code) == k.size))
			return (enum vm_op)op;
	}
	return VM_OP_INVALID;
}

static enum vm_op mnem_find(const char *mnem, int form)
{
	for (int op = 0; op < VM_OP__COUNT; op++)
		if (strcmp(vm_ops[op].mnem, mnem) == 0 && (form < 0 || vm_ops[op].form == form))
			return (enum vm_op)op;
	return VM_OP_INVALID;
}

static int push(struct vm_asm *a, struct bs_insn insn)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *p = cap < SIZE_MAX / sizeof(*a->prog) ? realloc(a->prog, cap * sizeof(*a->prog)) : NULL;
		if (!p)
			return vm_err(a->err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for the program");
		a->prog = p;
		a->cap = cap;
	}
	a->prog[a->n++] = insn;
	return 0;
}

/* The row's code and discriminator, plus the operand fields its form uses
 * (the others stay zero, as the verifier demands). hi: lddw's upper half. */
static int emit(struct vm_asm *a, enum vm_op op, struct bs_insn f, int32_t hi)
{
	const struct vm_opinfo *r = &vm_ops[op];
	uint8_t use = vm_form_fields[r->form];
	struct bs_insn i = {.code = r->code};
	if (use & U_DST)
		i.dst_reg = f.dst_reg;
	if (use & U_SRC)
		i.src_reg = f.src_reg;
	if (use & U_OFF)
		i.off = f.off;
	if (use & U_IMM)
		i.imm = f.imm;
	if (r->disc == D_OFF)
		i.off = (int16_t)r->dval;
	else if (r->disc == D_IMM)
		i.imm = r->dval;
	else if (r->disc == D_SRC)
		i.src_reg = (uint8_t)r->dval;
	if (r->form == F_EXIT && a->first_exit == SIZE_MAX)
		a->first_exit = a->n;
	if (push(a, i))
		return -1;
	return r->form == F_LDDW ? push(a, (struct bs_insn){.imm = hi}) : 0;
}

/* ---- conformance dialect ---- */

/* Operands per form, one letter each: D/S register into dst/src, M/N
 * "[reg+off]" into dst/src, I imm32, T jump target into off, U into imm,
 * P lddw's value (with an optional pseudo source name), ',' a comma. */
static const char *const conf_shape[F__COUNT] = {
	[F_ALU_K] = "D,I", [F_ALU_X] = "D,S", [F_NEG] = "D", [F_MOVSX] = "D,S",
	[F_END] = "D", [F_LDX] = "D,N", [F_ST] = "M,I", [F_STX] = "M,S",
	[F_ATOMIC] = "M,S", [F_ATOMIC_FETCH] = "M,S", [F_XCHG] = "M,S", [F_CMPXCHG] = "M,S",
	[F_LOAD_ACQ] = "D,N", [F_STORE_REL] = "M,S", [F_LDDW] = "D,P", [F_LD_ABS] = "I",
	[F_LD_IND] = "S,I", [F_JMP_K] = "D,I,T", [F_JMP_X] = "D,S,T", [F_JA] = "T",
	[F_GOTOL] = "U", [F_MAY_GOTO] = "T", [F_CALL] = "I", [F_CALL_LOCAL] = "U",
	[F_CALL_KFUNC] = "I", [F_EXIT] = "",
};

/* "lddw %r1, 0x1122334455667788", or with a pseudo source named by the
 * table: "lddw %r1, map_fd 3", "lddw %r1, func L". */
static int conf_lddw(struct vm_asm *a, const char **pp, enum vm_op *op, struct bs_insn *f,
		     int32_t *hi)
{
	const char *p = skip_ws(*pp);
	size_t k = ident_len(p);
	if (k) {
		char sym[24];
		snprintf(sym, sizeof(sym), "%.*s", name_prec(k), p);
		*op = k < sizeof(sym) ? vm_find((struct vm_key){.form = F_LDDW, .sym = sym}) : VM_OP_INVALID;
		if (*op == VM_OP_INVALID || !*sym)
			return fail(a, "unknown lddw source '%.*s'", name_prec(k), p);
		*pp = p + k;
		if (vm_ops[*op].dval == BS_PSEUDO_FUNC)
			return get_target(a, pp, REF_IMM, &f->imm);
	}
	int64_t v;
	if (get_num(a, pp, 64, true, "immediate", &v))
		return -1;
	f->imm = (int32_t)(uint32_t)(uint64_t)v;
	*hi = (int32_t)(uint32_t)((uint64_t)v >> 32);
	return 0;
}

static int conf_operand(struct vm_asm *a, const char **pp, char kind, enum vm_op *op,
			struct bs_insn *f, int32_t *hi)
{
	uint8_t reg = 0;
	int32_t t;
	int rc = 0;
	switch (kind) {
	case ',': return expect(a, pp, ',');
	case 'D': case 'S': rc = get_reg(a, pp, &reg, NULL); break;
	case 'M': case 'N': rc = get_mem(a, pp, '[', &reg, &f->off); break;
	case 'I': return get_imm32(a, pp, &f->imm);
	case 'T': rc = get_target(a, pp, REF_OFF, &t), f->off = (int16_t)t; return rc;
	case 'U': return get_target(a, pp, REF_IMM, &f->imm);
	case 'P': return conf_lddw(a, pp, op, f, hi);
	default: return 0;
	}
	if (kind == 'D' || kind == 'M')
		f->dst_reg = reg;
	else
		f->src_reg = reg;
	return rc;
}

static int conf_operands(struct vm_asm *a, enum vm_op op, const char *p)
{
	struct bs_insn f = {.code = 0};
	int32_t hi = 0;
	const char *shape = conf_shape[vm_ops[op].form];
	for (; shape && *shape; shape++)
		if (conf_operand(a, &p, *shape, &op, &f, &hi))
			return -1;
	return expect_end(a, p) ? -1 : emit(a, op, f, hi);
}

static enum vm_op mnem_row(const char *m)
{
	enum vm_op op = mnem_find(m, -1);
	char alt[48];
	size_t n = strlen(m);
	if (op == VM_OP_INVALID && strncmp(m, "swap", 4) == 0) {
		snprintf(alt, sizeof(alt), "b%s", m); /* swap16 is bswap16 */
		op = mnem_find(alt, -1);
	}
	if (op == VM_OP_INVALID && n > 2 && strcmp(m + n - 2, "64") == 0) {
		snprintf(alt, sizeof(alt), "%.*s", (int)(n - 2), m); /* add64 is add */
		op = mnem_find(alt, -1);
	}
	return op;
}

/* Mnemonics have up to three words ("lock fetch add32"); the longest known
 * one wins, so "call local f" is not read as "call" with operand "local". */
static enum vm_op conf_mnemonic(const char **pp)
{
	const char *p = *pp, *ends[3];
	char joined[40];
	size_t lens[3], len = 0;
	int k = 0;
	for (; k < 3; k++) {
		const char *w = k ? skip_ws(p) : p;
		size_t n = ident_len(w);
		if (!n || len + n + 2 > sizeof(joined))
			break;
		if (k)
			joined[len++] = ' ';
		memcpy(joined + len, w, n);
		len += n;
		lens[k] = len;
		p = ends[k] = w + n;
	}
	for (int i = k - 1; i >= 0; i--) {
		joined[lens[i]] = 0;
		enum vm_op op = mnem_row(joined);
		if (op != VM_OP_INVALID) {
			*pp = ends[i];
			return op;
		}
	}
	return VM_OP_INVALID;
}

/* ALU and jump mnemonics name two rows; a register source picks the X one. */
static enum vm_op conf_pick(enum vm_op op, const char *p)
{
	uint8_t f = vm_ops[op].form;
	bool jmp = f == F_JMP_K || f == F_JMP_X;
	if (!jmp && f != F_ALU_K && f != F_ALU_X)
		return op;
	const char *comma = strchr(p, ',');
	bool x = comma && is_reg_next(comma + 1);
	enum vm_op alt = mnem_find(vm_ops[op].mnem,
				   jmp ? (x ? F_JMP_X : F_JMP_K) : (x ? F_ALU_X : F_ALU_K));
	return alt == VM_OP_INVALID ? op : alt;
}

static int conf_line(struct vm_asm *a, const char *p)
{
	const char *rest = p;
	enum vm_op op = conf_mnemonic(&rest);
	if (op != VM_OP_INVALID)
		return conf_operands(a, conf_pick(op, rest), rest);
	/* quote "lock addd", not just "lock" */
	const char *end = p + ident_len(p);
	for (int i = 0; i < 2 && word_is(p, ident_len(p), "lock") && ident_len(skip_ws(end)); i++)
		end = skip_ws(end) + ident_len(skip_ws(end));
	if (end == p)
		return fail_expected(a, "an instruction", p);
	return fail(a, "unknown mnemonic '%.*s'", name_prec((size_t)(end - p)), p);
}

/* ---- calls (both dialects) ---- */

static int call_named(struct vm_asm *a, const char **pp, enum vm_op *op, int32_t *imm)
{
	const char *p = skip_ws(*pp);
	size_t k = ident_len(p);
	if (p[k] == '#') { /* "bpf_map_lookup_elem#1": the number is the id */
		*pp = p + k + 1;
		return get_imm32(a, pp, imm);
	}
	char name[64];
	int32_t id = -1;
	if (k < sizeof(name)) {
		memcpy(name, p, k);
		name[k] = 0;
		id = hlp_id_by_name(name);
	}
	if (id >= 0) {
		*imm = id;
		*pp = p + k;
		return 0;
	}
	*op = vm_find((struct vm_key){.form = F_CALL_LOCAL}); /* a subprogram label */
	return get_target(a, pp, REF_IMM, imm);
}

/* callx is no kernel instruction, so it has no row; the conformance suite
 * encodes it as call with the BPF_X source bit and the register in dst. */
static int call_reg(struct vm_asm *a, const char *p)
{
	uint8_t reg;
	if (get_reg(a, &p, &reg, NULL) || expect_end(a, p))
		return -1;
	return push(a, (struct bs_insn){.code = (uint8_t)(vm_ops[VM_OP_CALL].code | 0x08),
					.dst_reg = reg});
}

static int call_line(struct vm_asm *a, const char *p)
{
	struct bs_insn f = {.code = 0};
	enum vm_op op = vm_find((struct vm_key){.form = F_CALL});
	const char *q = skip_ws(p);
	int rc;
	if (is_reg_next(q))
		return call_reg(a, q);
	if (eat_word(&q, "local") || (q[0] == 'p' && q[1] == 'c' && (q[2] == '+' || q[2] == '-'))) {
		op = vm_find((struct vm_key){.form = F_CALL_LOCAL});
		rc = get_target(a, &q, REF_IMM, &f.imm);
	} else if (eat_word(&q, "kfunc") || eat_lit(&q, "kernel-function#")) {
		op = vm_find((struct vm_key){.form = F_CALL_KFUNC});
		rc = get_imm32(a, &q, &f.imm);
	} else if (ident_len(q)) {
		rc = call_named(a, &q, &op, &f.imm);
	} else {
		rc = get_imm32(a, &q, &f.imm);
	}
	if (rc || expect_end(a, q))
		return -1;
	return emit(a, op, f, 0);
}

/* ---- kernel / LLVM C-like dialect ---- */

static size_t read_op(const char **pp, const char *set, char *buf, size_t cap)
{
	const char *p = skip_ws(*pp);
	size_t k = 0;
	if (*p == 's' && p[1] && strchr(set, p[1]))
		buf[k++] = *p++;
	while (*p && strchr(set, *p) && k + 2 < cap)
		buf[k++] = *p++;
	buf[k] = 0;
	*pp = p;
	return k;
}

/* "=", "+=", "s>>=": the operator of an assignment. */
static int get_assign(struct vm_asm *a, const char **pp, char op[6])
{
	const char *start = *pp;
	size_t k = read_op(pp, "+-*/%|&^<>", op, 6);
	if (**pp != '=')
		return fail_expected(a, "an assignment like '=' or '+='", start);
	op[k] = '=';
	op[k + 1] = 0;
	(*pp)++;
	return 0;
}

static unsigned width_bits(char w)
{
	return w == 'w' ? 32 : 64;
}

static int row_missing(struct vm_asm *a, const char *what, const char *which)
{
	return fail(a, "no %s instruction with '%s'", what, which);
}

static int cl_if(struct vm_asm *a, const char *p)
{
	struct bs_insn f = {.code = 0};
	uint8_t d, s = 0;
	char w, sym[5];
	int32_t t;
	if (get_reg(a, &p, &d, &w))
		return -1;
	read_op(&p, "=!<>&", sym, sizeof(sym));
	bool x = is_reg_next(p);
	enum vm_op op = vm_find((struct vm_key){.form = x ? F_JMP_X : F_JMP_K, .sym = sym,
						.bits = width_bits(w)});
	if (op == VM_OP_INVALID)
		return *sym ? fail(a, "unknown comparison '%s'", sym)
			    : fail_expected(a, "a comparison like == or s<", p);
	if (x ? get_reg(a, &p, &s, NULL) : get_imm32(a, &p, &f.imm))
		return -1;
	if (!eat_word(&p, "goto"))
		return fail_expected(a, "'goto'", p);
	if (get_target(a, &p, REF_OFF, &t) || expect_end(a, p))
		return -1;
	f.dst_reg = d, f.src_reg = s, f.off = (int16_t)t;
	return emit(a, op, f, 0);
}

/* "rD op= src" and "rD = src" with a register or an imm32 source. */
static int cl_alu(struct vm_asm *a, const char *p, uint8_t d, char w, const char *sym)
{
	struct bs_insn f = {.dst_reg = d};
	uint8_t s = 0;
	bool x = is_reg_next(p);
	enum vm_op op = vm_find((struct vm_key){.form = x ? F_ALU_X : F_ALU_K, .sym = sym,
						.bits = width_bits(w)});
	if (op == VM_OP_INVALID)
		return fail(a, "unknown operator '%s'", sym);
	if (x ? get_reg(a, &p, &s, NULL) : get_imm32(a, &p, &f.imm))
		return -1;
	f.src_reg = x ? s : 0;
	return expect_end(a, p) ? -1 : emit(a, op, f, 0);
}

/* The kernel prints lddw's value in hex and mov's in decimal, llvm marks
 * lddw with "ll", and a listing's opcode byte settles it outright. */
static bool wants_lddw(struct vm_asm *a, const char *p)
{
	if (a->hint >= 0)
		return a->hint == vm_ops[VM_OP_LDDW].code;
	const char *q = p;
	uint64_t m;
	bool neg;
	int r = scan_num(&q, &m, &neg);
	if (r)
		return r == -2;
	if (eat_word(&q, "ll"))
		return true;
	const char *s = skip_ws(p);
	if (*s == '-' || *s == '+')
		s = skip_ws(s + 1);
	return (s[0] == '0' && (s[1] | 0x20) == 'x') || !fits(m, neg, 32, false);
}

static int cl_lddw_imm(struct vm_asm *a, const char *p, uint8_t d)
{
	struct bs_insn f = {.dst_reg = d};
	int64_t v;
	if (get_num(a, &p, 64, true, "immediate", &v))
		return -1;
	eat_word(&p, "ll");
	f.imm = (int32_t)(uint32_t)(uint64_t)v;
	return expect_end(a, p) ? -1 : emit(a, VM_OP_LDDW, f, (int32_t)(uint32_t)((uint64_t)v >> 32));
}

static int cl_neg(struct vm_asm *a, const char *p, uint8_t d, char w)
{
	uint8_t s;
	if (get_reg(a, &p, &s, NULL) || expect_end(a, p))
		return -1;
	if (s != d)
		return fail(a, "negation works in place: write %c%d = -%c%d", w, d, w, d);
	return emit(a, vm_find((struct vm_key){.form = F_NEG, .bits = width_bits(w)}),
		    (struct bs_insn){.dst_reg = d}, 0);
}

/* "r0 = (s8)r1" */
static int cl_movsx(struct vm_asm *a, const char *p, uint8_t d, char w)
{
	char cast[8];
	const char *close = p;
	while (*close && *close != ')' && close - p < 6)
		close++;
	if (*close != ')')
		return fail_expected(a, "a conversion like (s8)", p);
	snprintf(cast, sizeof(cast), "%.*s", (int)(close - p + 1), p);
	enum vm_op op = vm_find((struct vm_key){.form = F_MOVSX, .sym = cast, .bits = width_bits(w)});
	if (op == VM_OP_INVALID)
		return fail(a, "unknown conversion '%s'", cast);
	uint8_t s;
	p = close + 1;
	if (get_reg(a, &p, &s, NULL) || expect_end(a, p))
		return -1;
	return emit(a, op, (struct bs_insn){.dst_reg = d, .src_reg = s}, 0);
}

/* "r0 = *(u16 *)skb[12]" and "r0 = *(u8 *)skb[r1 + 2]" */
static int cl_skb(struct vm_asm *a, const char *p, uint8_t d, const char *ty)
{
	struct bs_insn f = {.code = 0};
	uint8_t s = 0;
	if (expect(a, &p, '['))
		return -1;
	bool ind = is_reg_next(p);
	if (ind && get_reg(a, &p, &s, NULL))
		return -1;
	const char *q = skip_ws(p);
	if ((!ind || *q == '+' || *q == '-') && get_imm32(a, &p, &f.imm))
		return -1;
	if (expect(a, &p, ']') || expect_end(a, p))
		return -1;
	if (d != 0)
		return fail(a, "legacy packet loads always write r0, not r%d", d);
	enum vm_op op = vm_find((struct vm_key){.form = ind ? F_LD_IND : F_LD_ABS, .sym = ty});
	if (op == VM_OP_INVALID)
		return row_missing(a, "packet load", ty);
	f.src_reg = s;
	return emit(a, op, f, 0);
}

static int cl_load(struct vm_asm *a, const char *p, uint8_t d)
{
	char ty[4];
	struct bs_insn f = {.dst_reg = d};
	uint8_t s;
	if (get_type(a, &p, ty))
		return -1;
	if (eat_word(&p, "skb"))
		return cl_skb(a, p, d, ty);
	if (get_mem(a, &p, '(', &s, &f.off) || expect_end(a, p))
		return -1;
	enum vm_op op = vm_find((struct vm_key){.form = F_LDX, .sym = ty});
	if (op == VM_OP_INVALID)
		return row_missing(a, "load", ty);
	f.src_reg = s;
	return emit(a, op, f, 0);
}

/* "*(u32 *)(r1 +4) = r2" and "= 5" */
static int cl_store(struct vm_asm *a, const char *p)
{
	char ty[4];
	struct bs_insn f = {.code = 0};
	uint8_t d, s = 0;
	if (get_type(a, &p, ty) || get_mem(a, &p, '(', &d, &f.off) || expect(a, &p, '='))
		return -1;
	bool x = is_reg_next(p);
	if (x ? get_reg(a, &p, &s, NULL) : get_imm32(a, &p, &f.imm))
		return -1;
	enum vm_op op = vm_find((struct vm_key){.form = x ? F_STX : F_ST, .sym = ty});
	if (op == VM_OP_INVALID)
		return row_missing(a, "store", ty);
	f.dst_reg = d, f.src_reg = s;
	return expect_end(a, p) ? -1 : emit(a, op, f, 0);
}

/* "lock *(u32 *)(r1 +0) += r2" */
static int cl_lock(struct vm_asm *a, const char *p)
{
	char ty[4], sym[6];
	struct bs_insn f = {.code = 0};
	uint8_t d, s;
	if (expect(a, &p, '*') || get_type(a, &p, ty) || get_mem(a, &p, '(', &d, &f.off) ||
	    get_assign(a, &p, sym) || get_reg(a, &p, &s, NULL) || expect_end(a, p))
		return -1;
	enum vm_op op = vm_find((struct vm_key){.form = F_ATOMIC, .sym = sym, .size = type_bytes(ty)});
	if (op == VM_OP_INVALID)
		return fail(a, "no atomic '%s' on %s", sym, ty);
	f.dst_reg = d, f.src_reg = s;
	return emit(a, op, f, 0);
}

/* "store_release((u8 *)(r1 +0), r2)" */
static int cl_store_release(struct vm_asm *a, const char *p)
{
	char ty[4];
	struct bs_insn f = {.code = 0};
	uint8_t d, s;
	if (expect(a, &p, '(') || get_type(a, &p, ty) || get_mem(a, &p, '(', &d, &f.off) ||
	    expect(a, &p, ',') || get_reg(a, &p, &s, NULL) || expect(a, &p, ')') || expect_end(a, p))
		return -1;
	enum vm_op op = vm_find((struct vm_key){.form = F_STORE_REL, .sym = ty});
	if (op == VM_OP_INVALID)
		return row_missing(a, "store_release", ty);
	f.dst_reg = d, f.src_reg = s;
	return emit(a, op, f, 0);
}

/* "r0 = load_acquire((u64 *)(r1 +0))" */
static int cl_load_acquire(struct vm_asm *a, const char *p, uint8_t d)
{
	char ty[4];
	struct bs_insn f = {.dst_reg = d};
	uint8_t s;
	if (expect(a, &p, '(') || get_type(a, &p, ty) || get_mem(a, &p, '(', &s, &f.off) ||
	    expect(a, &p, ')') || expect_end(a, p))
		return -1;
	enum vm_op op = vm_find((struct vm_key){.form = F_LOAD_ACQ, .sym = ty});
	if (op == VM_OP_INVALID)
		return row_missing(a, "load_acquire", ty);
	f.src_reg = s;
	return emit(a, op, f, 0);
}

/* The row an atomic function name means: the kernel's "atomic64_fetch_add",
 * "atomic_xchg", "atomic_cmpxchg" or llvm's "xchg_64", "cmpxchg32_32". For
 * llvm's names *size comes from the name. */
static enum vm_op atomic_row(const char *name, size_t k, unsigned *size, bool *bare)
{
	char buf[32], spell[40];
	if (k >= sizeof(buf))
		return VM_OP_INVALID;
	memcpy(buf, name, k);
	buf[k] = 0;
	char *base = buf;
	*bare = strncmp(buf, "atomic", 6) != 0;
	if (!*bare) {
		base += 6 + (strncmp(buf + 6, "64", 2) == 0 ? 2 : 0);
		if (*base++ != '_')
			return VM_OP_INVALID;
	} else {
		char *us = strrchr(buf, '_');
		*size = us && strcmp(us, "_64") == 0 ? 8 : us && strcmp(us, "_32") == 0 ? 4 : 0;
		if (!*size)
			return VM_OP_INVALID;
		*us = 0;
		if (us - buf > 2 && strcmp(us - 2, "32") == 0)
			us[-2] = 0;
	}
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		if (r->form != F_ATOMIC_FETCH && r->form != F_XCHG && r->form != F_CMPXCHG)
			continue;
		snprintf(spell, sizeof(spell), "%s%s", r->form == F_ATOMIC_FETCH ? "fetch_" : "", r->sym);
		if (strcmp(spell, base) == 0 && (!*size || vm_size_bytes(r->code) == *size))
			return (enum vm_op)op;
	}
	return VM_OP_INVALID;
}

/* "rS = atomic64_fetch_add((u64 *)(rD -8), rS)", "r0 = atomic_cmpxchg((u32 *)
 * (rD +0), r0, rS)", llvm's "r0 = xchg_64(r1 + 0, r0)" */
static int cl_atomic(struct vm_asm *a, const char *p, size_t k, uint8_t lhs)
{
	unsigned size = 0;
	bool bare;
	enum vm_op op = atomic_row(p, k, &size, &bare);
	struct bs_insn f = {.code = 0};
	uint8_t d, s, r0 = 0;
	char ty[4] = "";
	if (op == VM_OP_INVALID)
		return fail(a, "unknown expression '%.*s'", name_prec(k), p);
	p += k;
	if (expect(a, &p, '('))
		return -1;
	if (bare ? get_reg(a, &p, &d, NULL) : get_type(a, &p, ty) || get_mem(a, &p, '(', &d, &f.off))
		return -1;
	if (bare && (*skip_ws(p) == '+' || *skip_ws(p) == '-') && get_off16(a, &p, "offset", &f.off))
		return -1;
	bool cmpxchg = vm_ops[op].form == F_CMPXCHG;
	if (expect(a, &p, ',') || (cmpxchg && (get_reg(a, &p, &r0, NULL) || expect(a, &p, ','))) ||
	    get_reg(a, &p, &s, NULL) || expect(a, &p, ')') || expect_end(a, p))
		return -1;
	if (!bare)
		op = vm_find((struct vm_key){.form = vm_ops[op].form, .sym = vm_ops[op].sym,
					     .size = type_bytes(ty)});
	if (op == VM_OP_INVALID)
		return fail(a, "no atomic operation on %s", ty);
	if (cmpxchg && (lhs != 0 || r0 != 0))
		return fail(a, "cmpxchg compares with r0 and returns into r0");
	if (!cmpxchg && lhs != s)
		return fail(a, "the old value returns into the source register r%d", s);
	f.dst_reg = d, f.src_reg = s;
	return emit(a, op, f, 0);
}

/* Disassembler spellings of the lddw pseudo sources that name maps. */
static const struct {
	const char *key, *sym, *sym_value;
} map_spellings[] = {
	{"id", "map_fd", "map_value"},
	{"idx", "map_idx", "map_idx_value"},
};

/* "r1 = map[id:3]", "r1 = map[idx:2][0]+4" */
static int cl_map(struct vm_asm *a, const char *p, uint8_t d)
{
	struct bs_insn f = {.dst_reg = d};
	int32_t hi = 0, zero = 0;
	size_t i = 0, k;
	if (expect(a, &p, '['))
		return -1;
	p = skip_ws(p);
	k = ident_len(p);
	while (i < 2 && !word_is(p, k, map_spellings[i].key))
		i++;
	if (i == 2)
		return fail_expected(a, "map[id:N] or map[idx:N]", p);
	p += k;
	if (expect(a, &p, ':') || get_imm32(a, &p, &f.imm) || expect(a, &p, ']'))
		return -1;
	bool value = eat(&p, '[');
	if (value && (get_imm32(a, &p, &zero) || expect(a, &p, ']') || expect(a, &p, '+') ||
		      get_imm32(a, &p, &hi)))
		return -1;
	if (zero != 0)
		return fail(a, "a map value is addressed as [0]+offset");
	if (expect_end(a, p))
		return -1;
	const char *sym = value ? map_spellings[i].sym_value : map_spellings[i].sym;
	return emit(a, vm_find((struct vm_key){.form = F_LDDW, .sym = sym}), f, hi);
}

/* "r1 = subprog[+5]" or "subprog[label]" */
static int cl_subprog(struct vm_asm *a, const char *p, uint8_t d)
{
	struct bs_insn f = {.dst_reg = d};
	if (expect(a, &p, '[') || get_target(a, &p, REF_IMM, &f.imm) || expect(a, &p, ']') ||
	    expect_end(a, p))
		return -1;
	return emit(a, vm_find((struct vm_key){.form = F_LDDW, .sym = "func"}), f, 0);
}

/* "r1 = be16 r1": table sym plus the width held in DVAL. */
static int cl_end(struct vm_asm *a, const char *p, size_t k, enum vm_op op, uint8_t d)
{
	uint8_t s;
	p += k;
	if (get_reg(a, &p, &s, NULL) || expect_end(a, p))
		return -1;
	if (s != d)
		return fail(a, "byte swaps work in place: write r%d = %s r%d", d, vm_ops[op].mnem, d);
	return emit(a, op, (struct bs_insn){.dst_reg = d}, 0);
}

static enum vm_op end_row(const char *p, size_t k)
{
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		size_t n = strlen(r->sym);
		if (r->form != F_END || k <= n || k > n + 2 || memcmp(p, r->sym, n) != 0)
			continue;
		if (is_digit(p[n]) && is_digit(p[k - 1]) && atoi(p + n) == r->dval)
			return (enum vm_op)op;
	}
	return VM_OP_INVALID;
}

static int cl_named(struct vm_asm *a, const char *p, size_t k, uint8_t d)
{
	enum vm_op end = end_row(p, k);
	if (end != VM_OP_INVALID)
		return cl_end(a, p, k, end, d);
	if (word_is(p, k, "load_acquire"))
		return cl_load_acquire(a, p + k, d);
	if (word_is(p, k, "map"))
		return cl_map(a, p + k, d);
	if (word_is(p, k, "subprog"))
		return cl_subprog(a, p + k, d);
	return cl_atomic(a, p, k, d);
}

static int cl_assign(struct vm_asm *a, const char *p)
{
	uint8_t d;
	char w, op[6];
	if (get_reg(a, &p, &d, &w) || get_assign(a, &p, op))
		return -1;
	if (strcmp(op, "=") != 0)
		return cl_alu(a, p, d, w, op);
	p = skip_ws(p);
	size_t k = ident_len(p);
	if (*p == '-' && is_reg_next(p + 1))
		return cl_neg(a, p + 1, d, w);
	if (*p == '(')
		return cl_movsx(a, p, d, w);
	if (*p == '*')
		return cl_load(a, p + 1, d);
	if (!is_reg_next(p) && k)
		return cl_named(a, p, k, d);
	if (!is_reg_next(p) && w == 'r' && wants_lddw(a, p))
		return cl_lddw_imm(a, p, d);
	return cl_alu(a, p, d, w, "=");
}

/* Rows whose C-like spelling is one keyword: goto, gotol, may_goto, exit. */
static enum vm_op keyword_row(const char *p, size_t k)
{
	for (int op = 0; op < VM_OP__COUNT; op++) {
		uint8_t f = vm_ops[op].form;
		if ((f == F_JA || f == F_GOTOL || f == F_MAY_GOTO || f == F_EXIT) &&
		    word_is(p, k, vm_ops[op].sym))
			return (enum vm_op)op;
	}
	return VM_OP_INVALID;
}

static int asm_insn(struct vm_asm *a, const char *p)
{
	size_t k = ident_len(p);
	if (word_is(p, k, "if"))
		return cl_if(a, p + k);
	if (word_is(p, k, "call") || word_is(p, k, "callx"))
		return call_line(a, p + k);
	if (word_is(p, k, "lock") && *skip_ws(p + k) == '*')
		return cl_lock(a, p + k);
	if (word_is(p, k, "store_release"))
		return cl_store_release(a, p + k);
	enum vm_op op = keyword_row(p, k);
	if (op != VM_OP_INVALID)
		return conf_operands(a, op, p + k);
	if (*p == '*')
		return cl_store(a, p + 1);
	if ((*p == 'r' || *p == 'w') && is_digit(p[1]))
		return cl_assign(a, p);
	return conf_line(a, p);
}

/* ---- lines and labels ---- */

/* bpftool's "  12: (b7) " and llvm-objdump's "  12: b7 01 00 00 ..." prefixes,
 * and bpftool's line of raw bytes on its own. The opcode byte is kept. */
static const char *skip_listing(const char *p, int *hint)
{
	const char *q = skip_ws(p), *b;
	bool indexed = false;
	int first = -1, count = 0;
	*hint = -1;
	if (is_digit(*q)) {
		const char *d = q;
		while (is_digit(*d))
			d++;
		if (*d == ':')
			q = skip_ws(d + 1), indexed = true;
	}
	if (q[0] == '(' && hex_val(q[1]) >= 0 && hex_val(q[2]) >= 0 && q[3] == ')') {
		*hint = hex_val(q[1]) * 16 + hex_val(q[2]);
		return q + 4;
	}
	for (b = q; hex_val(b[0]) >= 0 && hex_val(b[1]) >= 0 && (!b[2] || is_space(b[2])); count++) {
		first = count ? first : hex_val(b[0]) * 16 + hex_val(b[1]);
		b = skip_ws(b + 2);
	}
	if (count && (indexed || !*b)) {
		*hint = first;
		return b;
	}
	return q;
}

static int add_label(struct vm_asm *a, const char *s, size_t len)
{
	if (a->nlabels == a->caplabels) {
		size_t cap = a->caplabels ? a->caplabels * 2 : 16;
		void *p = cap < SIZE_MAX / sizeof(*a->labels) ? realloc(a->labels, cap * sizeof(*a->labels))
							   : NULL;
		if (!p)
			return vm_err(a->err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for labels");
		a->labels = p;
		a->caplabels = cap;
	}
	a->labels[a->nlabels++] = (struct vm_label){{s, len}, a->n, a->line};
	return 0;
}

/* '#' is a comment except right after "call name" ("call bpf_ktime_get_ns#5"). */
static void cut_hash(char *p)
{
	bool call = word_is(p, ident_len(p), "call");
	for (bool seen = false; *p; p++) {
		if (*p != '#')
			continue;
		if (call && !seen && !is_space(p[-1])) {
			seen = true;
			continue;
		}
		*p = 0;
		return;
	}
}

static int asm_line(struct vm_asm *a, char *line)
{
	for (char *c = line; *c; c++)
		if (*c == ';' || (c[0] == '/' && c[1] == '/')) {
			*c = 0;
			break;
		}
	char *p = (char *)skip_ws(skip_listing(line, &a->hint));
	for (size_t k; (k = ident_len(p)) && *skip_ws(p + k) == ':';) {
		if (add_label(a, p, k))
			return -1;
		p = (char *)skip_ws(skip_ws(p + k) + 1);
	}
	cut_hash(p);
	return *p ? asm_insn(a, p) : 0;
}

/* ---- second pass ---- */

static int name_cmp(const struct vm_name *x, const struct vm_name *y)
{
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int label_cmp(const void *x, const void *y)
{
	const struct vm_label *l = x, *m = y;
	int c = name_cmp(&l->name, &m->name);
	return c ? c : (l->line > m->line) - (l->line < m->line);
}

static int label_key_cmp(const void *key, const void *elem)
{
	return name_cmp(key, &((const struct vm_label *)elem)->name);
}

static int resolve_ref(struct vm_asm *a, const struct vm_ref *r)
{
	const struct vm_label *l = a->nlabels ? bsearch(&r->name, a->labels, a->nlabels,
						      sizeof(*a->labels), label_key_cmp) : NULL;
	size_t target = l ? l->slot : a->first_exit;
	a->line = r->line;
	if (!l && !(word_is(r->name.s, r->name.len, "exit") && target != SIZE_MAX))
		return fail(a, "undefined label '%.*s'", name_prec(r->name.len), r->name.s);
	int64_t delta = (int64_t)target - (int64_t)(r->slot + 1);
	if (r->field == REF_OFF) {
		if (delta < INT16_MIN || delta > INT16_MAX) {
			fail(a, "jump offset %lld to '%.*s' does not fit in 16 bits", (long long)delta,
			     name_prec(r->name.len), r->name.s);
			vm_err_hint(a->err, "ja32 (gotol) jumps take a 32-bit offset");
			return -1;
		}
		a->prog[r->slot].off = (int16_t)delta;
	} else {
		if (delta < INT32_MIN || delta > INT32_MAX)
			return fail(a, "offset %lld to '%.*s' does not fit in 32 bits", (long long)delta,
				    name_prec(r->name.len), r->name.s);
		a->prog[r->slot].imm = (int32_t)delta;
	}
	return 0;
}

static int resolve(struct vm_asm *a)
{
	if (a->nlabels)
		qsort(a->labels, a->nlabels, sizeof(*a->labels), label_cmp);
	for (size_t i = 1; i < a->nlabels; i++) {
		const struct vm_label *l = &a->labels[i];
		if (name_cmp(&l->name, &l[-1].name) == 0) {
			a->line = l->line;
			return fail(a, "label '%.*s' is already defined on line %d",
				    name_prec(l->name.len), l->name.s, l[-1].line);
		}
	}
	for (size_t i = 0; i < a->nrefs; i++)
		if (resolve_ref(a, &a->refs[i]))
			return -1;
	return 0;
}

static int asm_text(struct vm_asm *a, char *text)
{
	for (char *line = text; line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (a->line == INT_MAX)
			return fail(a, "too many lines");
		a->line++;
		if (asm_line(a, line))
			return -1;
		line = nl ? nl + 1 : NULL;
	}
	return resolve(a);
}

int bs_asm(const char *text, const char *filename, struct bs_insn **out, size_t *n,
	   struct bs_error *err)
{
	bs_error_clear(err);
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!text || !out || !n)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "bs_asm needs text, out and n");
	struct vm_asm a = {.first_exit = SIZE_MAX, .err = err, .file = filename ? filename : ""};
	char *copy = strdup(text);
	int rc = copy ? asm_text(&a, copy)
		      : vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory copying the text");
	/* an empty program is still a valid, freeable buffer */
	if (!rc && !a.prog) {
		a.prog = malloc(sizeof(*a.prog));
		rc = a.prog ? 0 : vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	free(copy);
	free(a.refs);
	free(a.labels);
	if (rc) {
		free(a.prog);
		return -1;
	}
	*out = a.prog;
	*n = a.n;
	return 0;
}
