// SPDX-License-Identifier: MIT
/* The assembler. Every row of the instruction table (vm/isa.def) can be
 * written in two dialects: the conformance vectors' "add32 %r0, 1" and the
 * kernel verifier's "w0 += 1" (plus llvm-objdump's and bpftool's variants).
 * Each dialect has a template per operand form; a line is tried against the
 * templates of every row in table order and the first that consumes the
 * whole line gives the encoding. When none does, the attempt that got
 * furthest says what was wrong. Labels are resolved in a second pass. */
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

/* Template letters; everything else is literal, blanks allow whitespace.
 *   N the row's mnemonic          Y the row's SYM
 *   D register into dst           S register into src
 *   E dst's register again        F src's register again
 *   R r0 (cmpxchg, packet loads)  K DVAL in decimal (byte swap width)
 *   Z u32/u64 by access size      W optional "64"
 *   V llvm's xchg size suffix     O optional +/- offset into off
 *   P optional +/- imm into imm   I imm32
 *   J imm32 not written like lddw Q imm64 written like lddw (hex, "ll")
 *   L imm64 into imm and hi       H imm32 into hi (map value offset)
 *   T jump target into off        U jump target into imm
 *   A, B upper, lower 16 bits of imm (address spaces)
 *   C helper: a name or name#id */
static const char *const conf_tpl[F__COUNT] = {
	[F_ALU_K] = "N D, I", [F_ALU_X] = "N D, S", [F_NEG] = "N D", [F_MOVSX] = "N D, S",
	[F_END] = "N D", [F_LDX] = "N D, [S O]", [F_ST] = "N [D O], I", [F_STX] = "N [D O], S",
	[F_ATOMIC] = "N [D O], S", [F_ATOMIC_FETCH] = "N [D O], S", [F_XCHG] = "N [D O], S",
	[F_CMPXCHG] = "N [D O], S", [F_LOAD_ACQ] = "N D, [S O]", [F_STORE_REL] = "N [D O], S",
	[F_LDDW] = "N D, Y L", [F_LD_ABS] = "N I", [F_LD_IND] = "N S, I",
	[F_JMP_K] = "N D, I, T", [F_JMP_X] = "N D, S, T", [F_JA] = "N T", [F_GOTOL] = "N U",
	[F_MAY_GOTO] = "N T", [F_CALL] = "N I", [F_CALL_LOCAL] = "N U", [F_CALL_KFUNC] = "N I",
	[F_EXIT] = "N", [F_ADDR_SPACE_CAST] = "N D, S, A, B",
};

/* The disassembler's (vm/disasm.c) syntax; '|' separates llvm's spellings. */
static const char *const cl_tpl[F__COUNT] = {
	[F_ALU_K] = "D Y I", [F_ALU_X] = "D Y S", [F_NEG] = "D = -E", [F_MOVSX] = "D = YS",
	[F_END] = "D = YK E", [F_LDX] = "D = *(Y *)(S O)", [F_ST] = "*(Y *)(D O) = I",
	[F_STX] = "*(Y *)(D O) = S", [F_ATOMIC] = "lock *(Z *)(D O) Y S",
	[F_ATOMIC_FETCH] = "S = atomicW_fetch_Y((Z *)(D O), F)",
	[F_XCHG] = "S = atomicW_xchg((Z *)(D O), F)|S = xchgV(D O, F)",
	[F_CMPXCHG] = "R = atomicW_cmpxchg((Z *)(D O), R, S)|R = cmpxchgV(D O, R, S)",
	[F_LOAD_ACQ] = "D = load_acquire((Y *)(S O))", [F_STORE_REL] = "store_release((Y *)(D O), S)",
	[F_LD_ABS] = "R = *(Y *)skb[I]", [F_LD_IND] = "R = *(Y *)skb[S P]",
	[F_JMP_K] = "if D Y I goto T", [F_JMP_X] = "if D Y S goto T", [F_JA] = "goto T",
	[F_GOTOL] = "gotol U", [F_MAY_GOTO] = "may_goto T", [F_CALL] = "call C",
	[F_CALL_LOCAL] = "call U", [F_CALL_KFUNC] = "call kernel-function#I", [F_EXIT] = "exit",
	[F_ADDR_SPACE_CAST] = "D = addr_space_cast(S, A, B)",
};

/* lddw by pseudo source (enum bs_pseudo), as bpftool prints them; BTF ids
 * and plain map indexes print as numbers, so those read back as plain lddw. */
static const char *const cl_lddw_tpl[] = {
	"D = Q", "D = map[id:I]", "D = map[id:I][0]+H", NULL,
	"D = subprog[U]", "D = map[idx:I]", "D = map[idx:I]+H|D = map[idx:I][0]+H",
};

/* Text is referred to in place, as pointer and length, never copied. */
struct vm_name {
	const char *s;
	size_t len;
};

/* A label use patches the field of its slot with target - (slot + 1). */
enum vm_ref_field { REF_OFF, REF_IMM };

/* A label definition or use. */
struct vm_mark {
	struct vm_name name;
	size_t slot;
	int line;
	enum vm_ref_field field; /* uses only */
};

struct vm_marks {
	struct vm_mark *v;
	size_t n, cap;
};

struct vm_asm {
	struct bs_insn *prog;
	size_t n, cap;
	struct vm_marks labels, refs;
	size_t first_exit; /* the conformance label "exit" when none is defined */
	int line;
	int hint;          /* opcode byte a listing printed before the text, or -1 */
	struct bs_error *err;
	const char *file;
};

enum vm_miss { MISS_EXPECT, MISS_LITERAL, MISS_RANGE, MISS_END, MISS_SAME, MISS_R0 };

/* Why and where one attempt stopped; formatted only for the furthest. */
struct vm_fail {
	const char *at;
	enum vm_miss kind;
	const char *what; /* EXPECT: description; LITERAL: text; RANGE: "offset", ... */
	const char *num;  /* RANGE, or EXPECT past the text: the text, up to at */
	size_t len;       /* LITERAL: length of what */
	unsigned bits;    /* RANGE */
	int reg;          /* SAME, R0 */
	char letter;      /* SAME */
};

/* One attempt to read a line as one row through one template. */
struct vm_try {
	const struct vm_opinfo *row;
	const char *p;
	struct bs_insn f;
	int32_t hi;
	bool conf;
	int hint;
	char dst_letter;
	uint8_t not_r0;   /* a register other than r0 where R stands, or 0 */
	struct vm_name ref;
	enum vm_ref_field ref_field;
	struct vm_fail fail;
};

/* ---- characters ---- */

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

static int name_prec(size_t len)
{
	return len > 64 ? 64 : (int)len;
}

/* The offending token, quoted and cut short, for "got ..." messages. */
static const char *quote(const char *p, char *buf, size_t len)
{
	p = skip_ws(p);
	if (!*p)
		return "end of line";
	size_t k = 0;
	while (p[k] && !is_space(p[k]) && (!strchr(",)]", p[k]) || k == 0) && k < 32)
		k++;
	bool more = k == 32 && p[k] && !is_space(p[k]);
	snprintf(buf, len, "'%.*s%s'", (int)k, p, more ? "..." : "");
	return buf;
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

/* ---- lexing ---- */

/* A decimal or 0x number with optional sign ("+ -7" too, as "skb[r1 + %d]"
 * prints). 0: ok; -1: no number here; -2: more than 64 bits. */
static int scan_num(const char **pp, uint64_t *mag, bool *neg)
{
	const char *p = *pp;
	*neg = false;
	if (*p == '+')
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

/* Two's complement range of `bits`; unsigned_ok also takes the unsigned
 * spelling of the same bits (0xffffffff for -1), as llvm does. */
static bool fits(uint64_t mag, bool neg, unsigned bits, bool unsigned_ok)
{
	uint64_t half = 1ull << (bits - 1);
	if (neg)
		return mag <= half;
	return mag < half || (unsigned_ok && mag <= 2 * half - 1);
}

/* "%r1", "r1" or "w1" */
static bool scan_reg(const char **pp, uint8_t *reg, char *letter)
{
	const char *p = *pp;
	if (*p == '%')
		p++;
	*letter = *p;
	if ((*p != 'r' && *p != 'w') || !is_digit(p[1]))
		return false;
	unsigned v = 0;
	for (p++; is_digit(*p) && v < BS_MAX_REG; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (v >= BS_MAX_REG || is_ident(*p))
		return false;
	*reg = (uint8_t)v;
	*pp = p;
	return true;
}

/* The kernel prints lddw's value in hex and mov's in decimal, llvm marks
 * lddw with "ll", and a listing's opcode byte settles it outright. */
static bool looks_like_lddw(int hint, const char *p)
{
	if (hint >= 0)
		return hint == vm_ops[VM_OP_LDDW].code;
	const char *q = p;
	uint64_t m;
	bool neg;
	int r = scan_num(&q, &m, &neg);
	if (r)
		return r == -2;
	q = skip_ws(q);
	if (q[0] == 'l' && q[1] == 'l' && !is_ident(q[2]))
		return true;
	const char *s = p + (*p == '-' || *p == '+');
	s = skip_ws(s);
	return (s[0] == '0' && (s[1] | 0x20) == 'x') || !fits(m, neg, 32, false);
}

/* ---- template placeholders ---- */

static bool miss(struct vm_try *t, const char *at, enum vm_miss kind, const char *what)
{
	t->fail = (struct vm_fail){.at = at, .kind = kind, .what = what};
	return false;
}

/* I imm32, H lddw's upper half, L imm64, J and Q the same written like a mov
 * or like an lddw, O and P optional "+4" / "- 8" into off or imm, A and B
 * the halves of imm, T and U numeric jump offsets. */
static bool ph_number(struct vm_try *t, char c)
{
	const char *start = t->p;
	if ((c == 'O' || c == 'P') && *start != '+' && *start != '-')
		return true;
	if ((c == 'J' || c == 'Q') && looks_like_lddw(t->hint, start) != (c == 'Q'))
		return miss(t, start, MISS_EXPECT, c == 'J' ? "a 32-bit immediate" : "a 64-bit immediate");
	c = c == 'J' ? 'I' : c == 'Q' ? 'L' : c;
	unsigned bits = c == 'L' ? 64 : strchr("OABT", c) ? 16 : 32;
	bool strict = c == 'O' || c == 'T' || c == 'U';
	uint64_t m;
	bool neg;
	int r = scan_num(&t->p, &m, &neg);
	if (r == -1)
		return miss(t, start, MISS_EXPECT,
			    c == 'L' ? "a 64-bit immediate" : "a number like 5, -3 or 0x1f");
	if (r == -2 || !fits(m, neg, bits, !strict)) {
		miss(t, t->p, MISS_RANGE, c == 'O' || c == 'H' ? "offset" : c == 'T' || c == 'U' ? "jump offset"
					  : c == 'A' || c == 'B' ? "address space" : "immediate");
		t->fail.num = start;
		t->fail.bits = bits;
		return false;
	}
	uint64_t v = neg ? 0 - m : m;
	uint32_t u = (uint32_t)v, imm = (uint32_t)t->f.imm;
	switch (c) {
	case 'O': case 'T': t->f.off = (int16_t)u; break;
	case 'H': t->hi = (int32_t)u; break;
	case 'L':
		t->hi = (int32_t)(uint32_t)(v >> 32);
		t->f.imm = (int32_t)u;
		t->p = skip_ws(t->p);
		t->p += t->p[0] == 'l' && t->p[1] == 'l' ? 2 : 0; /* llvm's lddw suffix */
		break;
	case 'A': t->f.imm = (int32_t)((imm & 0xffff) | (u & 0xffff) << 16); break;
	case 'B': t->f.imm = (int32_t)((imm & 0xffff0000) | (u & 0xffff)); break;
	default: t->f.imm = (int32_t)u; break;
	}
	return true;
}

/* In C-like text, w and r registers tell 32- from 64-bit ALU and jump rows
 * (lddw takes r only); other rows take either. */
static char row_letter(const struct vm_opinfo *r)
{
	switch (r->form) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_JMP_K: case F_JMP_X:
	case F_LDDW:
		return (r->code & 7) == 4 || (r->code & 7) == 6 ? 'w' : 'r';
	default:
		return 0;
	}
}

/* D and S: a register into dst or src, of the row's width in C-like text;
 * E and F: dst's or src's register again; R: r0. */
static bool ph_register(struct vm_try *t, char c)
{
	const char *start = t->p;
	char want = t->conf ? 0 : row_letter(t->row), l;
	uint8_t reg = 0;
	if (!scan_reg(&t->p, &reg, &l) && c != 'E' && c != 'F')
		return miss(t, start, MISS_EXPECT, c == 'R' ? "r0" : "a register like %r1 or r1");
	if (c == 'E' || c == 'F') {
		int same = c == 'E' ? t->f.dst_reg : t->f.src_reg;
		if (t->p != start && reg == same)
			return true;
		miss(t, start, MISS_SAME, NULL);
		t->fail.reg = same;
		t->fail.letter = c == 'E' ? t->dst_letter : 'r';
		return false;
	}
	if (c == 'R') {
		t->not_r0 = t->not_r0 ? t->not_r0 : reg; /* reported once the rest matched */
		return true;
	}
	if (want && l != want) {
		/* past the register, so it beats "expected a number" at the same place */
		miss(t, t->p, MISS_EXPECT, want == 'w' ? "a w register (32-bit operation)"
						      : "an r register (64-bit operation)");
		t->fail.num = start;
		return false;
	}
	if (c == 'D')
		t->f.dst_reg = reg, t->dst_letter = l;
	else
		t->f.src_reg = reg;
	return true;
}

/* "+3", "-2", "pc+3", "3" or a label; then llvm-objdump's "<LBB0_2>" note. */
static bool ph_target(struct vm_try *t, enum vm_ref_field field)
{
	const char *p = t->p;
	size_t k = ident_len(p);
	if (p[0] == 'p' && p[1] == 'c' && (p[2] == '+' || p[2] == '-'))
		p += 2, k = 0;
	if (k) {
		t->ref = (struct vm_name){p, k};
		t->ref_field = field;
		t->p = p + k;
	} else {
		t->p = p;
		if (!ph_number(t, field == REF_OFF ? 'T' : 'U')) {
			if (t->fail.kind == MISS_EXPECT)
				t->fail.what = "a jump target like +3, pc-2 or a label";
			return false;
		}
	}
	const char *q = skip_ws(t->p), *note = *q == '<' ? strchr(q, '>') : NULL;
	t->p = note ? note + 1 : t->p;
	return true;
}

/* "bpf_map_lookup_elem", or "name#id" where the id counts ("unknown#999"). */
static bool ph_helper(struct vm_try *t)
{
	const char *p = t->p;
	size_t k = ident_len(p);
	char name[64];
	int32_t id = -1;
	if (k && p[k] == '#') {
		t->p = p + k + 1;
		return ph_number(t, 'I');
	}
	if (k && k < sizeof(name)) {
		memcpy(name, p, k);
		name[k] = 0;
		id = hlp_id_by_name(name);
	}
	if (id < 0)
		return miss(t, p, MISS_EXPECT, "a helper like bpf_map_lookup_elem or name#id");
	t->f.imm = id;
	t->p = p + k;
	return true;
}

/* The conformance mnemonic, with the aliases swap16 = bswap16 and add64 = add. */
static bool ph_mnem(struct vm_try *t)
{
	const char *m = t->row->mnem, *p = t->p;
	if (m[0] == 'b' && strncmp(p, "swap", 4) == 0)
		m++;
	for (; *m; m++) {
		if (*m == ' ' && is_space(*p))
			p = skip_ws(p);
		else if (*p++ != *m)
			return miss(t, t->p, MISS_EXPECT, "a mnemonic");
	}
	if (p[0] == '6' && p[1] == '4' && row_letter(t->row) == 'r')
		p += 2;
	if (is_ident(*p))
		return miss(t, t->p, MISS_EXPECT, "a mnemonic");
	t->p = p;
	return true;
}

static const char *sym_desc(const struct vm_opinfo *r)
{
	switch (r->form) {
	case F_ALU_K: case F_ALU_X: case F_ATOMIC: return "an operator like += or s>>=";
	case F_JMP_K: case F_JMP_X: return "a comparison like == or s<";
	case F_ATOMIC_FETCH: return "an operation like add or xor";
	case F_MOVSX: return "a conversion like (s8)";
	case F_END: return "be, le or bswap";
	case F_LDDW: return "a 64-bit immediate or a source like map_fd";
	default: return "a size like u32";
	}
}

/* Literal text; a word must end where the template puts a blank. */
static bool ph_lit(struct vm_try *t, const char *s, size_t n, char next, const char *desc)
{
	if (strncmp(t->p, s, n) != 0 ||
	    (n && is_ident(s[n - 1]) && (next == ' ' || next == '|' || !next) && is_ident(t->p[n]))) {
		miss(t, t->p, desc ? MISS_EXPECT : MISS_LITERAL, desc ? desc : s);
		t->fail.len = n;
		return false;
	}
	t->p += n;
	return true;
}

static bool placeholder(struct vm_try *t, char c, char next)
{
	unsigned size = vm_size_bytes(t->row->code);
	char width[12];
	switch (c) {
	case 'N': return ph_mnem(t);
	case 'Y': return ph_lit(t, t->row->sym, strlen(t->row->sym), next, sym_desc(t->row));
	case 'D': case 'S': case 'E': case 'F': case 'R': return ph_register(t, c);
	case 'K':
		snprintf(width, sizeof(width), "%d", t->row->dval);
		return ph_lit(t, width, strlen(width), next, "16, 32 or 64");
	case 'Z': return ph_lit(t, size == 8 ? "u64" : "u32", 3, next, "u32 or u64");
	case 'W': t->p += strncmp(t->p, "64", 2) == 0 ? 2 : 0; return true;
	case 'V': return ph_lit(t, size == 8 ? "_64" : "32_32", size == 8 ? 3 : 5, next, NULL);
	case 'O': case 'P': case 'I': case 'J': case 'L': case 'Q': case 'H': case 'A': case 'B':
		return ph_number(t, c);
	case 'T': return ph_target(t, REF_OFF);
	case 'U': return ph_target(t, REF_IMM);
	case 'C': return ph_helper(t);
	default: return miss(t, t->p, MISS_EXPECT, "something else");
	}
}

/* Matches one '|'-separated alternative of a template against the whole
 * line; *tpl moves to the next alternative. */
static bool match(struct vm_try *t, const char **tpl)
{
	const char *c = *tpl;
	bool ok = true;
	while (ok && *c && *c != '|') {
		if (*c == ' ') {
			c++;
			continue;
		}
		t->p = skip_ws(t->p);
		if (*c >= 'A' && *c <= 'Z') {
			ok = placeholder(t, c[0], c[1]);
			c++;
			continue;
		}
		size_t n = 1; /* a run of lower-case letters, digits and '_' is one word */
		while (is_ident(c[0]) && is_ident(c[n]) && !(c[n] >= 'A' && c[n] <= 'Z'))
			n++;
		ok = ph_lit(t, c, n, c[n], NULL);
		c += n;
	}
	while (*c && *c != '|')
		c++;
	*tpl = *c ? c + 1 : c;
	if (!ok)
		return false;
	t->p = skip_ws(t->p);
	if (*t->p)
		return miss(t, t->p, MISS_END, NULL);
	if (t->not_r0) {
		miss(t, t->p, MISS_R0, NULL);
		t->fail.reg = t->not_r0;
		return false;
	}
	return true;
}

/* ---- emission ---- */

static void *grow(void *buf, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return buf;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = c < SIZE_MAX / elem ? realloc(buf, c * elem) : NULL;
	if (p)
		*cap = c;
	return p;
}

static int push(struct vm_asm *a, struct bs_insn insn)
{
	struct bs_insn *p = grow(a->prog, &a->cap, a->n, sizeof(*p));
	if (!p)
		return vm_err(a->err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for the program");
	a->prog = p;
	a->prog[a->n++] = insn;
	return 0;
}

static int add_mark(struct vm_asm *a, struct vm_marks *m, struct vm_name name,
		    enum vm_ref_field field)
{
	struct vm_mark *p = grow(m->v, &m->cap, m->n, sizeof(*p));
	if (!p)
		return vm_err(a->err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for labels");
	m->v = p;
	m->v[m->n++] = (struct vm_mark){name, a->n, a->line, field};
	return 0;
}

/* The row's code and discriminator, plus the operand fields its form uses
 * (the others stay zero, as the verifier demands). */
static int emit(struct vm_asm *a, enum vm_op op, const struct vm_try *t)
{
	const struct vm_opinfo *r = &vm_ops[op];
	uint8_t use = vm_form_fields[r->form];
	struct bs_insn i = {.code = r->code};
	if (use & U_DST)
		i.dst_reg = t->f.dst_reg;
	if (use & U_SRC)
		i.src_reg = t->f.src_reg;
	if (use & U_OFF)
		i.off = t->f.off;
	if (use & U_IMM)
		i.imm = t->f.imm;
	if (r->disc == D_OFF)
		i.off = (int16_t)r->dval;
	else if (r->disc == D_IMM)
		i.imm = r->dval;
	else if (r->disc == D_SRC)
		i.src_reg = (uint8_t)r->dval;
	if (r->form == F_EXIT && a->first_exit == SIZE_MAX)
		a->first_exit = a->n;
	if (t->ref.s && add_mark(a, &a->refs, t->ref, t->ref_field))
		return -1;
	if (push(a, i))
		return -1;
	return r->form == F_LDDW ? push(a, (struct bs_insn){.imm = t->hi}) : 0;
}

/* callx is no kernel instruction, so it has no row; the conformance suite
 * encodes it as call with the BPF_X source bit and the register in dst. */
static int emit_callx(struct vm_asm *a, const char *p)
{
	uint8_t reg;
	char l;
	p = skip_ws(p);
	if (!scan_reg(&p, &reg, &l) || *skip_ws(p))
		return fail(a, "expected callx's register alone, like call %%r2");
	return push(a, (struct bs_insn){.code = (uint8_t)(vm_ops[VM_OP_CALL].code | 0x08),
					.dst_reg = reg});
}

/* ---- one instruction ---- */

/* Nothing matched beyond the first word: name what that word is not. */
static int fail_start(struct vm_asm *a, const char *p)
{
	char q[48];
	size_t k = ident_len(p);
	const char *end = p + k;
	if (!k || ((*p == 'r' || *p == 'w') && is_digit(p[1])))
		return fail(a, "expected %s, got %s", k ? "a register like %r1 or r1" : "an instruction",
			    quote(p, q, sizeof(q)));
	/* quote "lock fetch addd", not just "lock" */
	for (int i = 0; i < 2 && word_is(p, k, "lock") && ident_len(skip_ws(end)); i++)
		end = skip_ws(end) + ident_len(skip_ws(end));
	return fail(a, "unknown mnemonic '%.*s'", name_prec((size_t)(end - p)), p);
}

static int report(struct vm_asm *a, const char *p, const struct vm_fail *f)
{
	char q[48];
	const char *got = quote(f->at, q, sizeof(q));
	if (f->at == p)
		return fail_start(a, p);
	if (f->num && f->kind == MISS_EXPECT) /* the text is behind f->at */
		got = (snprintf(q, sizeof(q), "'%.*s'", (int)(f->at - f->num), f->num), q);
	switch (f->kind) {
	case MISS_EXPECT: return fail(a, "expected %s, got %s", f->what, got);
	case MISS_LITERAL: return fail(a, "expected '%.*s', got %s", (int)f->len, f->what, got);
	case MISS_END: return fail(a, "unexpected %s after the instruction", got);
	case MISS_RANGE:
		return fail(a, "%s %.*s does not fit in %u bits", f->what,
			    name_prec((size_t)(f->at - f->num)), f->num, f->bits);
	case MISS_SAME:
		return fail(a, "expected %c%d again (the operation works in place), got %s", f->letter,
			    f->reg, got);
	case MISS_R0:
		break;
	}
	return fail(a, "this instruction works on r0 only, not r%d", f->reg);
}

/* A cheap look at the template's first token, to skip most rows at once. */
static bool may_match(const char *tpl, const char *p, const struct vm_opinfo *r)
{
	switch (tpl[0]) {
	case 'N': return *p == r->mnem[0] || (*p == 's' && r->mnem[0] == 'b');
	case 'D': case 'S': case 'R': return *p == 'r' || *p == 'w' || *p == '%';
	default: return *p == tpl[0];
	}
}

/* The conformance template, then the C-like one. */
static void row_templates(const struct vm_opinfo *r, const char *tpls[2])
{
	bool lddw = r->form == F_LDDW;
	tpls[0] = lddw && r->dval == BS_PSEUDO_FUNC ? "N D, Y U" : conf_tpl[r->form];
	tpls[1] = !lddw ? cl_tpl[r->form] : r->dval >= 0 && r->dval < 7 ? cl_lddw_tpl[r->dval] : NULL;
	/* mov64 of a constant the kernel would print as lddw's is not mov64 */
	if (r->form == F_ALU_K && strcmp(r->sym, "=") == 0 && row_letter(r) == 'r')
		tpls[1] = "D = J";
}

static int asm_insn(struct vm_asm *a, const char *p)
{
	size_t k = ident_len(p);
	const char *q = skip_ws(p + k);
	uint8_t reg;
	char l;
	if ((word_is(p, k, "call") || word_is(p, k, "callx")) && scan_reg(&q, &reg, &l))
		return emit_callx(a, p + k);
	/* "lock addd" is a misspelt mnemonic, not C-like "lock *(u32 *)..." */
	bool conf_only = word_is(p, k, "lock") && *skip_ws(p + k) != '*';
	struct vm_fail best = {.at = p};
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		const char *tpls[2];
		row_templates(r, tpls);
		for (int d = 0; d < 2; d++)
			for (const char *tpl = tpls[d]; tpl && *tpl;) {
				if (!may_match(tpl, p, r)) {
					tpl = strchr(tpl, '|') ? strchr(tpl, '|') + 1 : "";
					continue;
				}
				struct vm_try t = {.row = r, .p = p, .conf = d == 0, .hint = a->hint};
				if (match(&t, &tpl))
					return emit(a, (enum vm_op)op, &t);
				if (t.fail.at > best.at && (d == 0 || !conf_only))
					best = t.fail;
			}
	}
	return report(a, p, &best);
}

/* ---- lines and labels ---- */

/* bpftool's "  12: (b7) " and llvm-objdump's "  12: b7 01 00 00 ..." prefixes,
 * and bpftool's line of raw bytes on its own. The opcode byte is kept. */
static const char *skip_listing(const char *p, int *hint)
{
	const char *q = skip_ws(p), *d = q, *b;
	int first = -1, count = 0;
	*hint = -1;
	while (is_digit(*d))
		d++;
	bool indexed = d > q && *d == ':';
	q = indexed ? skip_ws(d + 1) : q;
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

/* '#', ';' and "//" start comments, except a '#' between a name and a
 * number: that is a helper id ("call bpf_ktime_get_ns#5"). */
static void cut_comments(char *line)
{
	for (char *p = line; *p; p++)
		if (*p == ';' || (p[0] == '/' && p[1] == '/') ||
		    (*p == '#' && !(p > line && is_ident(p[-1]) && (is_digit(p[1]) || p[1] == '-')))) {
			*p = 0;
			return;
		}
}

static int asm_line(struct vm_asm *a, char *line)
{
	cut_comments(line);
	const char *p = skip_ws(skip_listing(line, &a->hint));
	for (size_t k; (k = ident_len(p)) && *skip_ws(p + k) == ':';) {
		if (add_mark(a, &a->labels, (struct vm_name){p, k}, REF_OFF))
			return -1;
		p = skip_ws(skip_ws(p + k) + 1);
	}
	return *p ? asm_insn(a, p) : 0;
}

/* ---- second pass ---- */

static int name_cmp(const struct vm_name *x, const struct vm_name *y)
{
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int mark_cmp(const void *x, const void *y)
{
	return name_cmp(&((const struct vm_mark *)x)->name, &((const struct vm_mark *)y)->name);
}

static int resolve_ref(struct vm_asm *a, const struct vm_mark *r)
{
	const struct vm_marks *ls = &a->labels;
	const struct vm_mark *l = ls->n ? bsearch(r, ls->v, ls->n, sizeof(*ls->v), mark_cmp) : NULL;
	size_t target = l ? l->slot : a->first_exit;
	int prec = name_prec(r->name.len);
	a->line = r->line;
	if (!l && !(word_is(r->name.s, r->name.len, "exit") && target != SIZE_MAX))
		return fail(a, "undefined label '%.*s'", prec, r->name.s);
	int64_t delta = (int64_t)target - (int64_t)(r->slot + 1);
	unsigned bits = r->field == REF_OFF ? 16 : 32;
	if (delta < -(1ll << (bits - 1)) || delta >= 1ll << (bits - 1)) {
		fail(a, "jump offset %lld to '%.*s' does not fit in %u bits", (long long)delta, prec,
		     r->name.s, bits);
		vm_err_hint(a->err, "ja32 (gotol) takes a 32-bit offset");
		return -1;
	}
	if (r->field == REF_OFF)
		a->prog[r->slot].off = (int16_t)delta;
	else
		a->prog[r->slot].imm = (int32_t)delta;
	return 0;
}

static int resolve(struct vm_asm *a)
{
	if (a->labels.n)
		qsort(a->labels.v, a->labels.n, sizeof(*a->labels.v), mark_cmp);
	for (size_t i = 1; i < a->labels.n; i++) {
		const struct vm_mark *l = &a->labels.v[i], *m = l - 1;
		if (mark_cmp(l, m) == 0) {
			a->line = l->line > m->line ? l->line : m->line;
			return fail(a, "label '%.*s' is already defined on line %d",
				    name_prec(l->name.len), l->name.s, l->line < m->line ? l->line : m->line);
		}
	}
	for (size_t i = 0; i < a->refs.n; i++)
		if (resolve_ref(a, &a->refs.v[i]))
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
	if (!rc && !a.prog && !(a.prog = grow(NULL, &a.cap, 0, sizeof(*a.prog))))
		rc = vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	free(copy);
	free(a.refs.v);
	free(a.labels.v);
	if (rc) {
		free(a.prog);
		return -1;
	}
	*out = a.prog;
	*n = a.n;
	return 0;
}
