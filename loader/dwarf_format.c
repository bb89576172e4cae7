// SPDX-License-Identifier: MIT
/* Printing a typed value as gdb does: {h_dest = "\377\377\377\377\377\377",
 * h_source = "...", h_proto = 8}, characters as 65 'A', pointers as
 * addresses (at the top level with their type), runs of 10 or more equal
 * elements as <repeats N times>, and <optimized out> / <not accessible>
 * where there is nothing to show. */
#include <ctype.h>
#include <libdwarf/dwarf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/dwarf_private.h"

enum {
	DEPTH = 16,
	MAX_ELEMS = 200,   /* gdb's print elements */
	REPEATS = 10,      /* gdb's repeat-count threshold */
	MAX_BYTES = 65536, /* larger values print as <too large> */
};

struct out {
	char *buf;
	size_t len, at;
	const struct bs_dwarf_access *acc;
	unsigned flags;
	/* a value in pieces: which bytes from kbase the compiler kept (NULL: all) */
	const uint8_t *kbase;
	uint64_t known;
};

/* false for bytes of a value in pieces that no piece describes */
static bool kept(const struct out *o, const uint8_t *p, size_t n)
{
	if (!o->kbase)
		return true;
	size_t at = (size_t)(p - o->kbase);
	for (size_t i = at; i < at + n; i++)
		if (i >= 64 || !(o->known & (1ull << i)))
			return false;
	return true;
}

static void add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->buf + (o->at < o->len ? o->at : o->len),
			  o->at < o->len ? o->len - o->at : 0, fmt, ap);
	va_end(ap);
	o->at += k > 0 ? (size_t)k : 0;
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool is_char(const struct bs_dwarf_type *t)
{
	t = bs_dwarf_type_strip(t);
	return t && t->kind == BS_DW_BASE && t->size == 1 &&
	       (t->encoding == DW_ATE_signed_char || t->encoding == DW_ATE_unsigned_char);
}

/* one character inside '' or "" as gdb escapes it */
static void add_char(struct out *o, unsigned c, char quote)
{
	switch (c) {
	case '\n': add(o, "\\n"); return;
	case '\t': add(o, "\\t"); return;
	case '\r': add(o, "\\r"); return;
	case '\a': add(o, "\\a"); return;
	case '\b': add(o, "\\b"); return;
	case '\f': add(o, "\\f"); return;
	case '\v': add(o, "\\v"); return;
	case 033: add(o, "\\033"); return;
	case '\\': add(o, "\\\\"); return;
	}
	if (c == (unsigned char)quote)
		add(o, "\\%c", quote);
	else if (c >= 0x20 && c < 0x7f)
		add(o, "%c", c);
	else
		add(o, "\\%03o", c);
}

static void fmt_int(struct out *o, uint64_t v, unsigned size, bool sgn)
{
	if (size < 8) {
		uint64_t mask = (1ull << (size * 8)) - 1;
		v &= mask;
		if (sgn && (v >> (size * 8 - 1)) & 1)
			v |= ~mask;
	}
	if (o->flags & BS_DWF_HEX)
		add(o, "0x%llx", (unsigned long long)(size < 8 ? v & ((1ull << (size * 8)) - 1) : v));
	else if (sgn)
		add(o, "%lld", (long long)v);
	else
		add(o, "%llu", (unsigned long long)v);
}

/* a bitfield's value: in hex, only its own bits */
static void fmt_bits(struct out *o, uint64_t v, unsigned bits, bool sgn)
{
	if ((o->flags & BS_DWF_HEX) && bits < 64)
		v &= (1ull << bits) - 1;
	fmt_int(o, v, 8, sgn && !(o->flags & BS_DWF_HEX));
}

static void fmt_ptr(struct out *o, const struct bs_dwarf_type *t, uint64_t v, bool top)
{
	if (top && !(o->flags & BS_DWF_HEX)) {
		char name[256];
		bs_dwarf_type_name(t, name, sizeof(name));
		add(o, "(%s) ", name);
	}
	add(o, "0x%llx", (unsigned long long)v);
	if (!top)
		return;
	char what[96] = "";
	if (o->acc && o->acc->describe)
		o->acc->describe(o->acc->user, v, what, sizeof(what));
	if (what[0])
		add(o, " <%s>", what);
	const struct bs_dwarf_type *to = bs_dwarf_type_strip(t)->target;
	if (v && is_char(to) && o->acc && o->acc->read && !(o->flags & BS_DWF_HEX)) {
		/* char *: the string, as far as it is readable */
		char s[MAX_ELEMS + 1];
		size_t n = 0;
		for (; n < MAX_ELEMS; n++)
			if (o->acc->read(o->acc->user, v + n, &s[n], 1) || !s[n])
				break;
		if (n || (n < MAX_ELEMS && !o->acc->read(o->acc->user, v, s, 1))) {
			add(o, " \"");
			for (size_t i = 0; i < n; i++)
				add_char(o, (unsigned char)s[i], '"');
			add(o, n == MAX_ELEMS ? "\"..." : "\"");
		}
	}
}

static void fmt(struct out *o, const struct bs_dwarf_type *t, const uint8_t *p, size_t avail,
		bool top, int depth);

static void fmt_array(struct out *o, const struct bs_dwarf_type *t, const uint8_t *p, size_t avail,
		      int depth)
{
	const struct bs_dwarf_type *el = t->target;
	uint64_t esz = el ? el->size : 0;
	uint64_t n = t->count;
	if (esz == 0 || n == 0) {
		add(o, n ? "<unknown element size>" : "0x0");
		return;
	}
	if (is_char(el) && !(o->flags & BS_DWF_HEX)) {
		/* a string: the terminating NUL is not shown, runs are */
		size_t len = n;
		if (len && p[len - 1] == 0)
			len--;
		bool in = false, first = true;
		for (size_t i = 0; i < len && i < MAX_ELEMS;) {
			size_t r = 1;
			while (i + r < len && p[i + r] == p[i])
				r++;
			if (r >= REPEATS) {
				if (in)
					add(o, "\"");
				add(o, "%s'", first ? "" : ", ");
				add_char(o, p[i], '\'');
				add(o, "' <repeats %zu times>", r);
				in = false;
				i += r;
			} else {
				if (!in)
					add(o, "%s\"", first ? "" : ", ");
				in = true;
				add_char(o, p[i], '"');
				i++;
			}
			first = false;
		}
		if (in)
			add(o, "\"");
		if (first)
			add(o, "\"\"");
		if (len > MAX_ELEMS)
			add(o, "...");
		return;
	}
	add(o, "{");
	for (uint64_t i = 0, shown = 0; i < n; shown++) {
		if (shown == MAX_ELEMS) {
			add(o, "...");
			break;
		}
		uint64_t r = 1;
		while (i + r < n && memcmp(p + i * esz, p + (i + r) * esz, esz) == 0)
			r++;
		if (i)
			add(o, ", ");
		fmt(o, el, p + i * esz, avail - i * esz, false, depth + 1);
		if (r >= REPEATS) {
			add(o, " <repeats %llu times>", (unsigned long long)r);
			i += r;
		} else {
			i++;
		}
	}
	add(o, "}");
}

static void fmt_members(struct out *o, const struct bs_dwarf_type *t, const uint8_t *p,
			size_t avail, int depth)
{
	add(o, "{");
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct bs_dwarf_member *m = &t->members[i];
		if (i)
			add(o, ", ");
		if (m->name[0])
			add(o, "%s = ", m->name);
		uint64_t byte = m->bit_pos / 8;
		const struct bs_dwarf_type *mt = m->type;
		if (m->bit_size) {
			unsigned sh = (unsigned)(m->bit_pos % 8);
			size_t nb = (sh + m->bit_size + 7) / 8;
			if (byte + nb > avail || nb > 9) {
				add(o, "<not accessible>");
				continue;
			}
			if (!kept(o, p + byte, nb)) {
				add(o, "<optimized out>");
				continue;
			}
			/* up to 9 bytes for a 64-bit field at an odd bit */
			unsigned __int128 w = 0;
			for (size_t k = 0; k < nb; k++)
				w |= (unsigned __int128)p[byte + k] << (8 * k);
			uint64_t v = (uint64_t)(w >> sh);
			if (m->bit_size < 64)
				v &= (1ull << m->bit_size) - 1;
			bool sgn = dw_is_signed(mt);
			if (sgn && m->bit_size < 64 && (v >> (m->bit_size - 1)) & 1)
				v |= ~((1ull << m->bit_size) - 1);
			const struct bs_dwarf_type *st = bs_dwarf_type_strip(mt);
			if (st && st->kind == BS_DW_ENUM) {
				uint8_t tmp[8];
				memcpy(tmp, &v, 8);
				fmt(o, mt, tmp, 8, false, depth + 1);
			} else if (st && st->kind == BS_DW_BASE && st->encoding == DW_ATE_boolean) {
				add(o, v ? "true" : "false");
			} else {
				fmt_bits(o, v, m->bit_size, sgn);
			}
			continue;
		}
		uint64_t sz = mt ? mt->size : 0;
		if (byte > avail || sz > avail - byte) {
			add(o, "<not accessible>");
			continue;
		}
		fmt(o, mt, p + byte, avail - byte, false, depth + 1);
	}
	add(o, "}");
}

static void fmt(struct out *o, const struct bs_dwarf_type *t, const uint8_t *p, size_t avail,
		bool top, int depth)
{
	if (depth > DEPTH) {
		add(o, "...");
		return;
	}
	const struct bs_dwarf_type *s = bs_dwarf_type_strip(t);
	if (!s) {
		add(o, "<void>");
		return;
	}
	if (s->size > avail && s->kind != BS_DW_ARRAY && s->kind != BS_DW_FUNC) {
		add(o, "<not accessible>");
		return;
	}
	if ((s->kind == BS_DW_BASE || s->kind == BS_DW_ENUM || s->kind == BS_DW_POINTER) &&
	    !kept(o, p, s->size)) {
		add(o, "<optimized out>");
		return;
	}
	switch (s->kind) {
	case BS_DW_BASE: {
		uint64_t v = load_le(p, s->size);
		if (s->encoding == DW_ATE_boolean) {
			add(o, v ? "true" : "false");
		} else if (s->encoding == DW_ATE_float && !(o->flags & BS_DWF_HEX) &&
			   (s->size == 4 || s->size == 8)) {
			if (s->size == 4) {
				float f;
				memcpy(&f, p, 4);
				add(o, "%g", (double)f);
			} else {
				double d;
				memcpy(&d, p, 8);
				add(o, "%g", d);
			}
		} else if (is_char(s) && !(o->flags & BS_DWF_HEX)) {
			fmt_int(o, v, 1, s->encoding == DW_ATE_signed_char);
			add(o, " '");
			add_char(o, (unsigned)(v & 0xff), '\'');
			add(o, "'");
		} else if (s->size > 8) {
			add(o, "0x");
			for (size_t i = s->size; i-- > 0;)
				add(o, "%02x", p[i]);
		} else {
			fmt_int(o, v, (unsigned)s->size, dw_is_signed(s));
		}
		return;
	}
	case BS_DW_ENUM: {
		uint64_t sz = s->size ? s->size : 4;
		int64_t v = (int64_t)load_le(p, sz);
		if (sz < 8 && dw_is_signed(s) && (v >> (sz * 8 - 1)) & 1)
			v |= (int64_t)(~0ull << (sz * 8));
		if (!(o->flags & BS_DWF_HEX))
			for (size_t i = 0; i < s->nenums; i++)
				if (s->enums[i].value == v) {
					add(o, "%s", s->enums[i].name);
					return;
				}
		fmt_int(o, (uint64_t)v, (unsigned)sz, dw_is_signed(s));
		return;
	}
	case BS_DW_POINTER:
		fmt_ptr(o, t, load_le(p, 8), top);
		return;
	case BS_DW_STRUCT:
	case BS_DW_UNION:
		if (s->declaration)
			add(o, "<incomplete type>");
		else
			fmt_members(o, s, p, avail, depth);
		return;
	case BS_DW_ARRAY:
		if (s->size > avail) {
			add(o, "<not accessible>");
			return;
		}
		fmt_array(o, s, p, avail, depth);
		return;
	case BS_DW_FUNC:
		add(o, "{function}");
		return;
	default:
		add(o, "<unknown type>");
		return;
	}
}

size_t bs_dwarf_format(const struct bs_dwarf_value *v, const struct bs_dwarf_access *acc,
		       unsigned flags, char *buf, size_t len)
{
	struct out o = {buf, len, 0, acc, flags, NULL, 0};
	if (len)
		buf[0] = 0;
	if (v->where == BS_DWV_OPTIMIZED) {
		add(&o, "<optimized out>");
		return o.at;
	}
	const struct bs_dwarf_type *s = bs_dwarf_type_strip(v->type);
	size_t size = v->type ? (s ? s->size : 0) : v->size;
	if (v->type && !s) {
		add(&o, "<void>");
		return o.at;
	}
	if (size > MAX_BYTES) {
		add(&o, "<too large: %zu bytes>", size);
		return o.at;
	}
	size_t need = size;
	unsigned sh = 0;
	if (v->bit_size) {
		sh = v->bit_pos % 8;
		need = (sh + v->bit_size + 7) / 8;
	}
	uint8_t small[16];
	uint8_t *p = need <= sizeof(small) ? small : malloc(need);
	if (!p) {
		add(&o, "<out of memory>");
		return o.at;
	}
	bool partial = false;
	if (v->where != BS_DWV_MEMORY && v->known && need <= BS_DWARF_VALUE_MAX &&
	    v->type && s && (s->kind == BS_DW_STRUCT || s->kind == BS_DW_UNION || s->kind == BS_DW_ARRAY)) {
		/* an aggregate in pieces: the members the pieces cover */
		memcpy(p, v->bytes, need);
		o.kbase = p;
		o.known = v->known;
		partial = true;
	}
	if (!partial && dw_value_bytes(v, acc, p, need)) {
		if (v->where == BS_DWV_MEMORY)
			add(&o, "<not accessible>");
		else
			add(&o, "<optimized out>");
	} else if (v->bit_size) {
		unsigned __int128 w = 0;
		for (size_t k = 0; k < need && k < 9; k++)
			w |= (unsigned __int128)p[k] << (8 * k);
		uint64_t x = (uint64_t)(w >> sh);
		if (v->bit_size < 64)
			x &= (1ull << v->bit_size) - 1;
		bool sgn = v->type ? dw_is_signed(v->type) : v->is_signed;
		if (sgn && v->bit_size < 64 && (x >> (v->bit_size - 1)) & 1)
			x |= ~((1ull << v->bit_size) - 1);
		uint8_t tmp[8];
		memcpy(tmp, &x, 8);
		if (s && s->kind == BS_DW_ENUM)
			fmt(&o, v->type, tmp, 8, true, 0);
		else if (s && s->kind == BS_DW_BASE && s->encoding == DW_ATE_boolean)
			add(&o, x ? "true" : "false");
		else
			fmt_bits(&o, x, v->bit_size, sgn);
	} else if (!v->type) {
		fmt_int(&o, load_le(p, size), (unsigned)(size ? size : 8), v->is_signed);
	} else {
		fmt(&o, v->type, p, size, (flags & BS_DWF_TOP) != 0, 0);
	}
	if (p != small)
		free(p);
	return o.at;
}
