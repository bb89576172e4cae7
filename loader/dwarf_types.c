// SPDX-License-Identifier: MIT
/* DWARF types: lookups by C name, C spellings (whatis) and definitions
 * (ptype), and reading a value's bytes. */
#include <libdwarf/dwarf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader/dwarf_private.h"

enum { DEPTH = 32 };

const struct bs_dwarf_type *bs_dwarf_type_strip(const struct bs_dwarf_type *t)
{
	for (int i = 0; t && i < DEPTH; i++) {
		if (t->kind != BS_DW_TYPEDEF && t->kind != BS_DW_CONST && t->kind != BS_DW_VOLATILE &&
		    t->kind != BS_DW_RESTRICT)
			return t;
		t = t->target;
	}
	return t && (t->kind == BS_DW_TYPEDEF || t->kind == BS_DW_CONST) ? NULL : t;
}

bool dw_is_int(const struct bs_dwarf_type *t)
{
	t = bs_dwarf_type_strip(t);
	return t && (t->kind == BS_DW_BASE || t->kind == BS_DW_ENUM || t->kind == BS_DW_POINTER);
}

bool dw_is_signed(const struct bs_dwarf_type *t)
{
	t = bs_dwarf_type_strip(t);
	if (t && t->kind == BS_DW_ENUM) {
		for (size_t i = 0; i < t->nenums; i++)
			if (t->enums[i].value < 0)
				return true;
		return t->target ? dw_is_signed(t->target) : false;
	}
	return t && t->kind == BS_DW_BASE &&
	       (t->encoding == DW_ATE_signed || t->encoding == DW_ATE_signed_char);
}

static const char *tag_word(enum bs_dwarf_kind k)
{
	return k == BS_DW_STRUCT ? "struct " : k == BS_DW_UNION ? "union " : k == BS_DW_ENUM ? "enum " : "";
}

const struct bs_dwarf_type *bs_dwarf_find_type(const struct bs_dwarf *dw, const char *cname)
{
	if (!dw || !cname)
		return NULL;
	while (*cname == ' ')
		cname++;
	enum bs_dwarf_kind want = BS_DW_VOID;
	const char *name = cname;
	if (strncmp(cname, "struct ", 7) == 0)
		want = BS_DW_STRUCT, name = cname + 7;
	else if (strncmp(cname, "union ", 6) == 0)
		want = BS_DW_UNION, name = cname + 6;
	else if (strncmp(cname, "enum ", 5) == 0)
		want = BS_DW_ENUM, name = cname + 5;
	while (*name == ' ')
		name++;
	size_t len = strlen(name);
	while (len && name[len - 1] == ' ')
		len--;
	const struct bs_dwarf_type *decl = NULL;
	for (size_t i = 0; i < dw->ntypes; i++) {
		const struct bs_dwarf_type *t = dw->types[i];
		if (strlen(t->name) != len || strncmp(t->name, name, len) != 0)
			continue;
		if (want != BS_DW_VOID ? t->kind != want :
		    (t->kind != BS_DW_TYPEDEF && t->kind != BS_DW_BASE))
			continue;
		if (!t->declaration)
			return t;
		decl = decl ? decl : t;
	}
	return decl;
}

/* ---- spelling: C's declarator syntax, inside out ---- */
struct sb {
	char *buf;
	size_t len, at;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->buf + (b->at < b->len ? b->at : b->len), b->at < b->len ? b->len - b->at : 0,
			  fmt, ap);
	va_end(ap);
	b->at += k > 0 ? (size_t)k : 0;
}

/* The base a declaration starts with ("struct ethhdr", "const char",
 * "__u32") and the declarator around name (pointers and arrays). */
static void spell(struct sb *b, const struct bs_dwarf_type *t, const char *inner, int depth)
{
	char decl[256];
	if (depth > DEPTH) {
		sb_add(b, "...");
		return;
	}
	if (!t) {
		sb_add(b, "void%s%s", inner[0] ? " " : "", inner);
		return;
	}
	switch (t->kind) {
	case BS_DW_POINTER: {
		const struct bs_dwarf_type *to = t->target;
		bool paren = to && (to->kind == BS_DW_ARRAY || to->kind == BS_DW_FUNC);
		snprintf(decl, sizeof(decl), paren ? "(*%s)" : "*%s", inner);
		spell(b, to, decl, depth + 1);
		return;
	}
	case BS_DW_ARRAY:
		if (t->count)
			snprintf(decl, sizeof(decl), "%s[%llu]", inner, (unsigned long long)t->count);
		else
			snprintf(decl, sizeof(decl), "%s[]", inner);
		spell(b, t->target, decl, depth + 1);
		return;
	case BS_DW_FUNC:
		snprintf(decl, sizeof(decl), "%s(void)", inner);
		spell(b, t->target, decl, depth + 1);
		return;
	case BS_DW_CONST:
	case BS_DW_VOLATILE:
	case BS_DW_RESTRICT: {
		const char *q = t->kind == BS_DW_CONST ? "const" :
				t->kind == BS_DW_VOLATILE ? "volatile" : "restrict";
		const struct bs_dwarf_type *to = t->target;
		if (to && (to->kind == BS_DW_POINTER)) {
			/* char *const p: the qualifier follows the star */
			snprintf(decl, sizeof(decl), "%s%s%s", q, inner[0] ? " " : "", inner);
			spell(b, to, decl, depth + 1);
			return;
		}
		sb_add(b, "%s ", q);
		spell(b, to, inner, depth + 1);
		return;
	}
	default:
		sb_add(b, "%s%s", tag_word(t->kind), t->name[0] ? t->name : "{...}");
		if (inner[0])
			sb_add(b, " %s", inner);
		return;
	}
}

size_t bs_dwarf_type_name(const struct bs_dwarf_type *t, char *buf, size_t len)
{
	struct sb b = {buf, len, 0};
	if (len)
		buf[0] = 0;
	spell(&b, t, "", 0);
	return b.at;
}

size_t bs_dwarf_type_decl(const struct bs_dwarf_type *t, char *buf, size_t len)
{
	struct sb b = {buf, len, 0};
	if (len)
		buf[0] = 0;
	/* expand the struct, union or enum under pointers and arrays, as ptype does */
	const struct bs_dwarf_type *core = t;
	for (int i = 0; core && i < DEPTH; i++) {
		if (core->kind == BS_DW_STRUCT || core->kind == BS_DW_UNION || core->kind == BS_DW_ENUM)
			break;
		core = core->target;
	}
	if (!core || (core->kind != BS_DW_STRUCT && core->kind != BS_DW_UNION &&
		      core->kind != BS_DW_ENUM)) {
		/* no aggregate: the type, a typedef spelled as what it stands for */
		const struct bs_dwarf_type *u = t;
		for (int i = 0; u && u->kind == BS_DW_TYPEDEF && i < DEPTH; i++)
			u = u->target;
		spell(&b, u, "", 0);
		return b.at;
	}
	sb_add(&b, "%s%s%s{\n", tag_word(core->kind), core->name, core->name[0] ? " " : "");
	if (core->kind == BS_DW_ENUM) {
		for (size_t i = 0; i < core->nenums; i++)
			sb_add(&b, "    %s = %lld%s\n", core->enums[i].name,
			       (long long)core->enums[i].value, i + 1 < core->nenums ? "," : "");
	} else {
		for (size_t i = 0; i < core->nmembers; i++) {
			const struct bs_dwarf_member *m = &core->members[i];
			sb_add(&b, "    ");
			spell(&b, m->type, m->name, 0);
			if (m->bit_size)
				sb_add(&b, " : %u", m->bit_size);
			sb_add(&b, ";\n");
		}
	}
	sb_add(&b, "}");
	/* what surrounds the core: "} *" for a pointer to it */
	char outer[128] = "";
	struct sb o = {outer, sizeof(outer), 0};
	for (const struct bs_dwarf_type *u = t; u && u != core; u = u->target) {
		if (u->kind == BS_DW_POINTER)
			sb_add(&o, "*");
		else if (u->kind == BS_DW_ARRAY)
			sb_add(&o, "[%llu]", (unsigned long long)u->count);
	}
	if (outer[0])
		sb_add(&b, " %s", outer);
	return b.at;
}

/* ---- values ---- */
int dw_value_bytes(const struct bs_dwarf_value *v, const struct bs_dwarf_access *acc, uint8_t *buf,
		   size_t len)
{
	if (v->where == BS_DWV_OPTIMIZED)
		return -1;
	if (v->where == BS_DWV_MEMORY)
		return acc && acc->read ? acc->read(acc->user, v->addr, buf, len) : -1;
	if (len > BS_DWARF_VALUE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!(v->known & (1ull << i)))
			return -1;
	memcpy(buf, v->bytes, len);
	return 0;
}
