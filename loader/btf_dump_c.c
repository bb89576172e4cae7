// SPDX-License-Identifier: MIT
/* The C dump: the types of a BTF object as a header that a C compiler
 * accepts and that lays every struct out exactly as the BTF says, like
 * `bpftool btf dump file F format c` (vmlinux.h).
 *
 * Two ideas carry it:
 *  - Before a definition is written, everything it uses is made usable
 *    first ("needs"): a struct or typedef used by value must be complete,
 *    a struct reached through a pointer need only be declared, so pointer
 *    cycles become forward declarations. Types C cannot express (a function
 *    type whose parameter points back to it) are found here, never looped on.
 *  - Declarators are built from the name outwards, as C reads them:
 *    pointer prefixes "*", arrays and parameter lists suffix, parentheses
 *    where a pointer meets an array or function: int (*fn[3])(char).
 * Layout is reproduced with explicit padding (unnamed bitfields such as
 * `long: 64;`) where natural alignment would place a member elsewhere, and
 * with __attribute__((packed)) where the BTF offsets are not aligned; the
 * alignment rules are in loader/btf_dump_layout.c. */
#include "bpfstep/btf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/btf_private.h"
#include "vm/error.h"

#define MAX_DEPTH LDR_BTF_MAX_DEPTH

/* ---- growable text ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static bool sb_reserve(struct sbuf *b, size_t add)
{
	if (b->oom)
		return false;
	if (b->len + add + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + add + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (!sb_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_add(b, tmp);
}

static void sb_prepend(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (!sb_reserve(b, n))
		return;
	memmove(b->s + n, b->s, b->len + 1);
	memcpy(b->s, s, n);
	b->len += n;
}

static void sb_indent(struct sbuf *b, int lvl)
{
	sb_add(b, "\n");
	for (int i = 0; i < lvl; i++)
		sb_add(b, "\t");
}

static const char *sb_str(const struct sbuf *b)
{
	return b->s ? b->s : "";
}

/* ---- the dumper ---- */

enum {
	S_DECLARED = 1 << 0,  /* named struct/union: forward declaration written */
	S_DEFINED = 1 << 1,   /* its definition written */
	S_VISITING = 1 << 2,  /* needs being worked out: meeting it again is a loop */
	S_DONE_DECL = 1 << 3, /* everything it refers to is declared */
	S_DONE_DEF = 1 << 4,  /* ... and complete where used by value */
	S_REFERENCED = 1 << 5,
	S_WRITING = 1 << 6,   /* typedef: being written early, from a declaration */
};

struct cd {
	const struct bs_btf *btf;
	uint32_t n;
	bs_btf_out_fn out;
	void *user;
	struct bs_error *err;
	uint16_t *st;
	struct ldr_btf_layout lay;
	const char **tname;     /* the C name of each named type, made unique */
	const char **vname;     /* enumerator names, from vbase[id] */
	uint32_t *vbase;
	char **owned;           /* the names we formatted */
	size_t nowned;
	int depth;
	uint32_t cont;          /* the definition whose needs are being met */
	uint64_t cont_skips;    /* forward declarations left out inside cont */
	uint64_t decls_left;    /* declarators we are still willing to write */
	uint64_t decl_budget;
	bool failed;
};

static const struct bs_btf_type *ty(const struct cd *d, uint32_t id)
{
	return bs_btf_type_by_id(d->btf, id);
}

static int fail(struct cd *d, uint32_t id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct cd *d, uint32_t id, const char *fmt, ...)
{
	if (d->failed)
		return -1;
	d->failed = true;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const struct bs_btf_type *t = ty(d, id);
	return vm_err(d->err, BS_ERR_PARSE, BS_NO_PC, ".BTF: type %u (%s '%.64s') at offset 0x%x: %s",
		      id, bs_btf_kind_name(t->kind), t->name, t->offset, msg);
}

static bool enter(struct cd *d, uint32_t id)
{
	if (d->failed)
		return false;
	if (++d->depth > MAX_DEPTH) {
		fail(d, id, "types nest more than %d levels deep", MAX_DEPTH);
		return false;
	}
	return true;
}

/* ---- unique names ---- */

/* C has one namespace for struct/union/enum tags and one for typedefs and
 * enumerators; BTF (vmlinux in particular) can repeat a name in either.
 * The second and later owners get "name___2", "name___3", ... as libbpf
 * names them, in type id order. */
struct ntab {
	const char **key;
	uint32_t *cnt;
	size_t mask;
};

static uint32_t ntab_bump(struct ntab *t, const char *k)
{
	uint32_t h = 2166136261u;
	for (const char *p = k; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	size_t i = h & t->mask;
	while (t->key[i] && strcmp(t->key[i], k) != 0)
		i = (i + 1) & t->mask;
	t->key[i] = k;
	return ++t->cnt[i];
}

static const char *unique(struct cd *d, struct ntab *tab, const char *name)
{
	uint32_t c = ntab_bump(tab, name);
	if (c == 1)
		return name;
	size_t len = strlen(name) + 16;
	char *s = malloc(len);
	if (!s)
		return NULL;
	snprintf(s, len, "%s___%u", name, c);
	d->owned[d->nowned++] = s;
	return s;
}

static int make_names(struct cd *d)
{
	size_t nvals = 0;
	for (uint32_t id = 1; id <= d->n; id++) {
		const struct bs_btf_type *t = ty(d, id);
		d->vbase[id] = (uint32_t)nvals;
		if (t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64)
			nvals += t->vlen;
	}
	size_t cap = 16;
	while (cap < 2 * ((size_t)d->n + nvals + 1))
		cap *= 2;
	struct ntab tags = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)), cap - 1};
	struct ntab idents = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)), cap - 1};
	d->vname = calloc(nvals + 1, sizeof(char *));
	d->owned = calloc((size_t)d->n + nvals + 1, sizeof(char *));
	int rc = -1;
	if (!tags.key || !tags.cnt || !idents.key || !idents.cnt || !d->vname || !d->owned)
		goto out;
	for (uint32_t id = 1; id <= d->n; id++) {
		const struct bs_btf_type *t = ty(d, id);
		d->tname[id] = t->name;
		switch (t->kind) {
		case BS_BTF_STRUCT:
		case BS_BTF_UNION:
		case BS_BTF_FWD:
		case BS_BTF_ENUM:
		case BS_BTF_ENUM64:
			if (t->name[0] && !(d->tname[id] = unique(d, &tags, t->name)))
				goto out;
			break;
		case BS_BTF_TYPEDEF:
			if (!(d->tname[id] = unique(d, &idents, t->name)))
				goto out;
			break;
		default:
			break;
		}
		if (t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64)
			for (unsigned i = 0; i < t->vlen; i++)
				if (!(d->vname[d->vbase[id] + i] = unique(d, &idents, t->values[i].name)))
					goto out;
	}
	rc = 0;
out:
	free(tags.key);
	free(tags.cnt);
	free(idents.key);
	free(idents.cnt);
	return rc;
}

/* Anonymous enums nobody refers to define constants only: they are
 * written at top level. */
static void mark_referenced(struct cd *d)
{
	for (uint32_t id = 1; id <= d->n; id++) {
		const struct bs_btf_type *t = ty(d, id);
		switch (t->kind) {
		case BS_BTF_STRUCT:
		case BS_BTF_UNION:
			for (unsigned i = 0; i < t->vlen; i++)
				d->st[t->members[i].type] |= S_REFERENCED;
			break;
		case BS_BTF_FUNC_PROTO:
			d->st[t->type] |= S_REFERENCED;
			for (unsigned i = 0; i < t->vlen; i++)
				d->st[t->params[i].type] |= S_REFERENCED;
			break;
		case BS_BTF_ARRAY:
			d->st[t->array.type] |= S_REFERENCED;
			break;
		case BS_BTF_DATASEC:
			break;
		default:
			d->st[t->type] |= S_REFERENCED;
			break;
		}
	}
}

/* Fills [cur, next) with unnamed bitfields. An unnamed `T: n` starts
 * where the previous field ended if it fits in the current T-aligned unit,
 * and never changes the struct's alignment; so each step fills up to the
 * next boundary of the widest of long/int/short/char that the gap allows:
 * `long: 56;` from bit 8, then whole `long: 64;` units. */
static void pad(struct sbuf *b, int lvl, uint64_t cur, uint64_t next)
{
	static const struct {
		const char *name;
		unsigned bits;
	} types[] = {{"long", 64}, {"int", 32}, {"short", 16}, {"char", 8}};
	while (cur < next) {
		uint64_t gap = next - cur, bits = gap;
		const char *name = "char";
		if (cur % 8 == 0 && gap >= 8 * 128) {
			/* a long gap (a page-aligned member, or a corrupt size) as one
			 * char array, not thousands of lines; it has alignment 1 */
			sb_indent(b, lvl);
			sb_addf(b, "unsigned char __pad_%" PRIu64 "[%" PRIu64 "];", cur / 8, gap / 8);
			cur += gap / 8 * 8;
			continue;
		}
		for (unsigned i = 0; i < 4; i++) {
			uint64_t room = types[i].bits - cur % types[i].bits;
			if (room <= gap) {
				name = types[i].name;
				bits = room;
				break;
			}
		}
		sb_indent(b, lvl);
		sb_addf(b, "%s: %" PRIu64 ";", name, bits);
		cur += bits;
	}
}

/* ---- declarations ---- */

static void decl(struct cd *d, struct sbuf *b, uint32_t id, const char *name, int lvl);

static void struct_body(struct cd *d, struct sbuf *b, uint32_t id, int lvl)
{
	const struct bs_btf_type *t = ty(d, id);
	bool is_struct = t->kind == BS_BTF_STRUCT;
	bool packed = ldr_btf_packed(&d->lay, id);
	bool any = t->vlen > 0;
	uint64_t cur = 0;
	unsigned max_align = 1;
	sb_add(b, is_struct ? "struct" : "union");
	if (t->name[0]) {
		sb_add(b, " ");
		sb_add(b, d->tname[id]);
	}
	sb_add(b, " {");
	for (unsigned i = 0; i < t->vlen; i++) {
		const struct bs_btf_member *m = &t->members[i];
		uint64_t off;
		uint32_t bits = ldr_btf_member_bits(d->btf, m, &off);
		unsigned a = ldr_btf_align(&d->lay, m->type);
		max_align = a > max_align ? a : max_align;
		if (is_struct && off > cur && ldr_btf_natural_offset(&d->lay, packed, m, bits, cur) != off)
			pad(b, lvl + 1, cur, off);
		sb_indent(b, lvl + 1);
		decl(d, b, m->type, m->name, lvl + 1);
		if (bits)
			sb_addf(b, ": %u", bits);
		sb_add(b, ";");
		uint64_t end = off + (bits ? bits : ldr_btf_size(d->btf, m->type) * 8);
		cur = is_struct || end > cur ? end : cur;
	}
	if (is_struct) {
		uint64_t a = packed ? 8 : max_align * 8u;
		uint64_t natural = (cur + a - 1) / a * a;
		if ((uint64_t)t->size * 8 > natural) {
			pad(b, lvl + 1, cur, (uint64_t)t->size * 8);
			any = true;
		}
	}
	if (any)
		sb_indent(b, lvl);
	sb_add(b, "}");
	if (packed)
		sb_add(b, " __attribute__((packed))");
}

static void enum_body(struct cd *d, struct sbuf *b, uint32_t id, int lvl)
{
	const struct bs_btf_type *t = ty(d, id);
	sb_add(b, "enum");
	if (t->name[0]) {
		sb_add(b, " ");
		sb_add(b, d->tname[id]);
	}
	if (!t->vlen)
		return; /* a declaration only: enum foo */
	sb_add(b, " {");
	for (unsigned i = 0; i < t->vlen; i++) {
		const struct bs_btf_enum_value *v = &t->values[i];
		sb_indent(b, lvl + 1);
		sb_add(b, d->vname[d->vbase[id] + i]);
		if (t->kind == BS_BTF_ENUM && t->kflag)
			sb_addf(b, " = %d,", (int32_t)v->value);
		else if (t->kind == BS_BTF_ENUM)
			sb_addf(b, " = %u,", (uint32_t)v->value);
		else if (t->kflag)
			sb_addf(b, " = %" PRId64 "LL,", (int64_t)v->value);
		else
			sb_addf(b, " = %" PRIu64 "ULL,", v->value);
	}
	sb_indent(b, lvl);
	sb_add(b, "}");
	if (t->size < 4)
		sb_add(b, " __attribute__((packed))");
}

static uint32_t skip_quals(const struct cd *d, uint32_t id)
{
	for (;;) {
		const struct bs_btf_type *t = ty(d, id);
		if (t->kind != BS_BTF_CONST && t->kind != BS_BTF_VOLATILE &&
		    t->kind != BS_BTF_RESTRICT && t->kind != BS_BTF_TYPE_TAG)
			return id;
		id = t->type;
	}
}

static void params(struct cd *d, struct sbuf *dcl, const struct bs_btf_type *fp, int lvl)
{
	sb_add(dcl, "(");
	if (!fp->vlen)
		sb_add(dcl, "void");
	for (unsigned i = 0; i < fp->vlen; i++) {
		const struct bs_btf_param *p = &fp->params[i];
		if (i)
			sb_add(dcl, ", ");
		if (i + 1 == fp->vlen && p->type == 0)
			sb_add(dcl, "...");
		else
			decl(d, dcl, p->type, p->name, lvl);
	}
	sb_add(dcl, ")");
}

/* Appends "TYPE DECLARATOR" for type id and name ("" for none). */
static void decl(struct cd *d, struct sbuf *b, uint32_t id, const char *name, int lvl)
{
	enum { Q_CONST = 1, Q_VOLATILE = 2, Q_RESTRICT = 4 };
	struct sbuf dcl = {0};
	unsigned quals = 0;
	const struct bs_btf_type *t;
	sb_add(&dcl, name);
	if (!enter(d, id))
		goto out_nodepth;
	if (d->decls_left-- == 0) {
		/* BTF may share one anonymous struct among many members; written
		 * out at each, a few such levels would make gigabytes of text */
		fail(d, id, "the C text would hold more than %" PRIu64 " declarations: anonymous "
		     "types are shared too deeply to be written inline", d->decl_budget);
		goto out;
	}
	/* chains are finite after parsing and need() refused loops through
	 * prototypes before anything is written; the bound is a backstop */
	for (uint32_t steps = 0;; steps++) {
		if (steps > d->n) {
			fail(d, id, "reference loop while writing a declarator");
			goto out;
		}
		t = ty(d, id);
		switch (t->kind) {
		case BS_BTF_PTR:
			sb_prepend(&dcl, "*");
			id = t->type;
			continue;
		case BS_BTF_CONST:
		case BS_BTF_VOLATILE:
		case BS_BTF_RESTRICT: {
			unsigned q = t->kind == BS_BTF_CONST ? Q_CONST :
				     t->kind == BS_BTF_VOLATILE ? Q_VOLATILE : Q_RESTRICT;
			const char *qn = q == Q_CONST ? "const " : q == Q_VOLATILE ? "volatile " :
				"restrict ";
			/* on a pointer it follows the '*'; otherwise it goes with the
			 * base type (qualifying an array qualifies its elements, and a
			 * function type cannot be qualified, so that is dropped) */
			uint32_t next = skip_quals(d, t->type);
			if (ty(d, next)->kind == BS_BTF_PTR)
				sb_prepend(&dcl, qn);
			else if (ty(d, next)->kind != BS_BTF_FUNC_PROTO)
				quals |= q;
			id = t->type;
			continue;
		}
		case BS_BTF_TYPE_TAG:
			id = t->type;
			continue;
		case BS_BTF_ARRAY:
			if (dcl.len && dcl.s[0] == '*') {
				sb_prepend(&dcl, "(");
				sb_add(&dcl, ")");
			}
			sb_addf(&dcl, "[%u]", t->array.nelems);
			id = t->array.type;
			continue;
		case BS_BTF_FUNC_PROTO:
			if (dcl.len && dcl.s[0] == '*') {
				sb_prepend(&dcl, "(");
				sb_add(&dcl, ")");
			}
			params(d, &dcl, t, lvl);
			id = t->type;
			continue;
		default:
			break;
		}
		break;
	}
	if (quals & Q_CONST)
		sb_add(b, "const ");
	if (quals & Q_VOLATILE)
		sb_add(b, "volatile ");
	if (quals & Q_RESTRICT)
		sb_add(b, "restrict ");
	switch (t->kind) {
	case BS_BTF_INT:
	case BS_BTF_FLOAT:
		sb_add(b, t->name[0] ? t->name : "int");
		break;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		if (t->name[0]) {
			sb_add(b, t->kind == BS_BTF_STRUCT ? "struct " : "union ");
			sb_add(b, d->tname[id]);
		} else {
			struct_body(d, b, id, lvl);
		}
		break;
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
		if (t->name[0]) {
			sb_add(b, "enum ");
			sb_add(b, d->tname[id]);
		} else {
			enum_body(d, b, id, lvl);
		}
		break;
	case BS_BTF_FWD:
		sb_add(b, t->kflag ? "union " : "struct ");
		sb_add(b, d->tname[id]);
		break;
	case BS_BTF_TYPEDEF:
		sb_add(b, d->tname[id]);
		break;
	default:
		sb_add(b, "void");
		break;
	}
	/* a qualifier written before an unnamed pointer leaves a space */
	while (dcl.len && dcl.s[dcl.len - 1] == ' ')
		dcl.s[--dcl.len] = 0;
	if (dcl.len) {
		sb_add(b, " ");
		sb_add(b, dcl.s);
	}
out:
	d->depth--;
out_nodepth:
	if (dcl.oom)
		b->oom = true;
	free(dcl.s);
}

/* ---- writing ---- */

static void flush(struct cd *d, struct sbuf *b)
{
	if (b->oom) {
		if (!d->failed)
			vm_err(d->err, BS_ERR_NOMEM, BS_NO_PC, ".BTF: out of memory writing C");
		d->failed = true;
	} else if (!d->failed) {
		d->out(d->user, sb_str(b));
	}
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static void write_fwd(struct cd *d, uint32_t id)
{
	const struct bs_btf_type *t = ty(d, id);
	bool is_union = t->kind == BS_BTF_UNION || (t->kind == BS_BTF_FWD && t->kflag);
	struct sbuf b = {0};
	sb_add(&b, is_union ? "union " : "struct ");
	sb_add(&b, d->tname[id]);
	sb_add(&b, ";\n\n");
	flush(d, &b);
}

static void write_def(struct cd *d, uint32_t id)
{
	const struct bs_btf_type *t = ty(d, id);
	struct sbuf b = {0};
	if (t->kind == BS_BTF_TYPEDEF) {
		sb_add(&b, "typedef ");
		decl(d, &b, t->type, d->tname[id], 0);
	} else if (t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64) {
		enum_body(d, &b, id, 0);
	} else {
		struct_body(d, &b, id, 0);
	}
	sb_add(&b, ";\n\n");
	if (d->lay.too_deep)
		fail(d, id, "types nest more than %d levels deep", MAX_DEPTH);
	flush(d, &b);
}

static int need(struct cd *d, uint32_t id, bool def);

static void write_typedef(struct cd *d, uint32_t id)
{
	/* the compiler's own type: redefining it is an error */
	if (strcmp(ty(d, id)->name, "__builtin_va_list") != 0)
		write_def(d, id);
	d->st[id] |= S_DEFINED;
}

/* Kinds that are written where they are used: pointers, modifiers,
 * arrays, prototypes and anonymous structs and unions. */
static int need_inline(struct cd *d, uint32_t id, bool def)
{
	const struct bs_btf_type *t = ty(d, id);
	uint16_t done = def ? S_DONE_DEF : S_DONE_DECL;
	if (d->st[id] & done)
		return 0;
	if (d->st[id] & S_VISITING)
		return fail(d, id, "C cannot express this type: it refers back to itself without a "
			    "named struct or union in between");
	d->st[id] |= S_VISITING;
	int rc = 0;
	uint64_t skips = d->cont_skips;
	switch (t->kind) {
	case BS_BTF_PTR:
		rc = need(d, t->type, false);
		break;
	case BS_BTF_ARRAY:
		rc = need(d, t->array.type, true);
		break;
	case BS_BTF_FUNC_PROTO:
		/* parameters of a prototype may be incomplete, but must be declared
		 * outside it, or each would be a new type of prototype scope */
		rc = need(d, t->type, false);
		for (unsigned i = 0; i < t->vlen && !rc; i++)
			rc = need(d, t->params[i].type, false);
		break;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		for (unsigned i = 0; i < t->vlen && !rc; i++)
			rc = need(d, t->members[i].type, true);
		break;
	default: /* modifiers */
		rc = need(d, t->type, def);
		break;
	}
	d->st[id] &= (uint16_t)~S_VISITING;
	/* what was left out for being inside cont must be done again elsewhere */
	if (!rc && skips == d->cont_skips)
		d->st[id] |= done | (def ? S_DONE_DECL : 0);
	return rc;
}

/* Makes type id usable in a declaration: declared (def false) or complete
 * (def true), writing forward declarations and definitions it needs. */
static int need(struct cd *d, uint32_t id, bool def)
{
	if (!enter(d, id))
		return -1;
	const struct bs_btf_type *t = ty(d, id);
	uint16_t *st = &d->st[id];
	int rc = 0;
	switch (t->kind) {
	case BS_BTF_PTR:
	case BS_BTF_CONST:
	case BS_BTF_VOLATILE:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPE_TAG:
	case BS_BTF_ARRAY:
	case BS_BTF_FUNC_PROTO:
		rc = need_inline(d, id, def);
		break;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		if (!t->name[0]) {
			rc = need_inline(d, id, true);
		} else if (!def) {
			/* inside its own definition the tag is already declared */
			if (*st & (S_DECLARED | S_DEFINED))
				break;
			if (id == d->cont) {
				d->cont_skips++;
				break;
			}
			write_fwd(d, id);
			*st |= S_DECLARED;
		} else if (!(*st & S_DEFINED)) {
			if (*st & S_VISITING) {
				rc = fail(d, id, "the struct contains itself");
				break;
			}
			uint32_t cont = d->cont;
			d->cont = id;
			*st |= S_VISITING;
			for (unsigned i = 0; i < t->vlen && !rc; i++)
				rc = need(d, t->members[i].type, true);
			*st &= (uint16_t)~S_VISITING;
			d->cont = cont;
			if (!rc)
				write_def(d, id);
			*st |= S_DEFINED;
		}
		break;
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
		if (t->name[0] && !(*st & S_DEFINED)) {
			write_def(d, id);
			*st |= S_DEFINED;
		}
		break;
	case BS_BTF_FWD:
		if (!(*st & S_DEFINED)) {
			write_fwd(d, id);
			*st |= S_DEFINED;
		}
		break;
	case BS_BTF_TYPEDEF: {
		uint32_t cont = d->cont;
		if (*st & S_DEFINED) {
			if (def && !(*st & S_DONE_DEF)) {
				*st |= S_DONE_DEF;
				d->cont = id;
				rc = need(d, t->type, true);
			}
		} else if (*st & S_VISITING) {
			/* needed again while its target is being completed (a struct
			 * whose member points to the typedef): write it now from a mere
			 * declaration of the target, which is valid C */
			if (*st & S_WRITING) {
				rc = fail(d, id, "C cannot express this typedef: it refers back to itself "
					  "without a named struct or union in between");
				break;
			}
			*st |= S_WRITING;
			d->cont = id;
			rc = need(d, t->type, false);
			*st &= (uint16_t)~S_WRITING;
			if (!rc)
				write_typedef(d, id);
		} else {
			*st |= S_VISITING;
			d->cont = id;
			rc = need(d, t->type, def);
			*st &= (uint16_t)~S_VISITING;
			if (!rc && !(*st & S_DEFINED))
				write_typedef(d, id);
			if (def)
				*st |= S_DONE_DEF;
		}
		d->cont = cont;
		break;
	}
	default: /* void, INT, FLOAT; FUNC, VAR, DATASEC, DECL_TAG are not types */
		break;
	}
	d->depth--;
	return d->failed ? -1 : rc;
}

int bs_btf_dump_c(const struct bs_btf *btf, bs_btf_out_fn out, void *user, struct bs_error *err)
{
	struct cd d = {.btf = btf, .n = bs_btf_type_count(btf), .out = out, .user = user,
		       .err = err};
	int rc = -1;
	bs_error_clear(err);
	d.st = calloc((size_t)d.n + 1, sizeof(*d.st));
	d.tname = calloc((size_t)d.n + 1, sizeof(char *));
	d.vbase = calloc((size_t)d.n + 1, sizeof(uint32_t));
	if (!d.st || !d.tname || !d.vbase || ldr_btf_layout_init(&d.lay, btf) || make_names(&d)) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF: out of memory writing C");
		goto out;
	}
	d.tname[0] = "void";
	mark_referenced(&d);
	/* every member, parameter and typedef written once, and each shared
	 * anonymous type up to a few dozen times */
	uint64_t entries = d.n;
	for (uint32_t id = 1; id <= d.n; id++)
		entries += ty(&d, id)->vlen;
	d.decl_budget = d.decls_left = 32 * entries + 100000;

	out(user, "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
		  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
		  "#pragma clang attribute push (__attribute__((preserve_access_index)), "
		  "apply_to = record)\n#endif\n\n");
	for (uint32_t id = 1; id <= d.n && !d.failed; id++) {
		const struct bs_btf_type *t = ty(&d, id);
		switch (t->kind) {
		case BS_BTF_STRUCT:
		case BS_BTF_UNION:
			if (t->name[0])
				need(&d, id, true);
			break;
		case BS_BTF_ENUM:
		case BS_BTF_ENUM64:
			if (t->name[0])
				need(&d, id, true);
			else if (!(d.st[id] & S_REFERENCED))
				write_def(&d, id);
			break;
		case BS_BTF_FWD:
		case BS_BTF_TYPEDEF:
			need(&d, id, true);
			break;
		default:
			break;
		}
	}
	if (d.failed)
		goto out;
	out(user, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
		  "#endif /* __VMLINUX_H__ */\n");
	rc = 0;
out:
	for (size_t i = 0; i < d.nowned; i++)
		free(d.owned[i]);
	free(d.owned);
	free(d.st);
	ldr_btf_layout_free(&d.lay);
	free(d.tname);
	free(d.vname);
	free(d.vbase);
	return rc;
}
