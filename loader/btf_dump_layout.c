// SPDX-License-Identifier: MIT
/* How a C compiler lays out the types BTF describes (the SysV rules that
 * clang follows for BPF and x86-64): natural alignment, whether a struct
 * must have been packed, where a member would land by itself. The C dump
 * compares that with the offsets BTF records, and writes padding or
 * __attribute__((packed)) where they differ. */
#include <stdlib.h>

#include "loader/btf_private.h"

int ldr_btf_layout_init(struct ldr_btf_layout *l, const struct bs_btf *btf)
{
	size_t n = (size_t)bs_btf_type_count(btf) + 1;
	l->btf = btf;
	l->depth = 0;
	l->too_deep = false;
	l->align = calloc(n, 1);
	l->packed = calloc(n, 1);
	return l->align && l->packed ? 0 : -1;
}

void ldr_btf_layout_free(struct ldr_btf_layout *l)
{
	free(l->align);
	free(l->packed);
	l->align = l->packed = NULL;
}

/* Recursion follows what a type contains, finite after parsing but as
 * long as a crafted chain makes it: past the limit, answers are guesses
 * and too_deep says so. */
static bool enter(struct ldr_btf_layout *l)
{
	if (l->depth >= LDR_BTF_MAX_DEPTH) {
		l->too_deep = true;
		return false;
	}
	l->depth++;
	return true;
}

uint32_t ldr_btf_member_bits(const struct bs_btf *btf, const struct bs_btf_member *m,
			     uint64_t *bit_off)
{
	*bit_off = m->bit_offset;
	if (m->bitfield_size)
		return m->bitfield_size;
	/* with kflag unset, old encoders wrote a bitfield as an INT of fewer bits */
	const struct bs_btf_type *t = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, m->type));
	if (t && t->kind == BS_BTF_INT && t->int_info.bits < t->size * 8) {
		*bit_off += t->int_info.bit_offset;
		return t->int_info.bits;
	}
	return 0;
}

uint64_t ldr_btf_size(const struct bs_btf *btf, uint32_t id)
{
	uint64_t s;
	struct bs_error e;
	return bs_btf_resolve_size(btf, id, &s, &e) ? 0 : s;
}

unsigned ldr_btf_align(struct ldr_btf_layout *l, uint32_t id)
{
	if (l->align[id])
		return l->align[id];
	if (!enter(l))
		return 1;
	const struct bs_btf_type *t = bs_btf_type_by_id(l->btf, id);
	unsigned a = 1;
	switch (t->kind) {
	case BS_BTF_INT:
	case BS_BTF_FLOAT:
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
		/* sizes are powers of two up to 16 (a FLOAT may be 12: 4-aligned) */
		a = t->size == 12 ? 4 : t->size ? t->size : 1;
		break;
	case BS_BTF_PTR:
		a = 8;
		break;
	case BS_BTF_ARRAY:
		a = ldr_btf_align(l, t->array.type);
		break;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		if (ldr_btf_packed(l, id))
			break;
		for (unsigned i = 0; i < t->vlen; i++) {
			unsigned ma = ldr_btf_align(l, t->members[i].type);
			a = ma > a ? ma : a;
		}
		break;
	case BS_BTF_TYPEDEF:
	case BS_BTF_CONST:
	case BS_BTF_VOLATILE:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPE_TAG:
		a = t->type ? ldr_btf_align(l, t->type) : 1;
		break;
	default: /* void, FWD, FUNC_PROTO: never laid out by value */
		break;
	}
	l->depth--;
	l->align[id] = (uint8_t)(a > 16 ? 16 : a);
	return l->align[id];
}

/* True if the offsets cannot come from natural alignment: a member off
 * its alignment, a bitfield across its storage unit, or a size that is
 * not a multiple of the alignment. */
bool ldr_btf_packed(struct ldr_btf_layout *l, uint32_t id)
{
	if (l->packed[id])
		return l->packed[id] == 2;
	const struct bs_btf_type *t = bs_btf_type_by_id(l->btf, id);
	if ((t->kind != BS_BTF_STRUCT && t->kind != BS_BTF_UNION) || !enter(l))
		return false;
	bool packed = false;
	unsigned max = 1;
	for (unsigned i = 0; i < t->vlen && !packed; i++) {
		const struct bs_btf_member *m = &t->members[i];
		uint64_t off;
		uint32_t bits = ldr_btf_member_bits(l->btf, m, &off);
		unsigned a = ldr_btf_align(l, m->type);
		max = a > max ? a : max;
		if (!bits) {
			packed = off % (a * 8u) != 0;
		} else {
			uint64_t unit = ldr_btf_size(l->btf, m->type) * 8;
			packed = unit && off % unit + bits > unit;
		}
	}
	if (t->size % max)
		packed = true;
	l->depth--;
	l->packed[id] = packed ? 2 : 1;
	return packed;
}

uint64_t ldr_btf_natural_offset(struct ldr_btf_layout *l, bool packed,
				const struct bs_btf_member *m, uint32_t bits, uint64_t cur)
{
	if (bits) {
		/* a bitfield starts where the last ended unless that would cross
		 * a boundary of its declared type's size */
		uint64_t unit = ldr_btf_size(l->btf, m->type) * 8;
		if (packed || !unit || cur % unit + bits <= unit)
			return cur;
		return (cur + unit - 1) / unit * unit;
	}
	uint64_t a = packed ? 8 : ldr_btf_align(l, m->type) * 8u;
	return (cur + a - 1) / a * a;
}
