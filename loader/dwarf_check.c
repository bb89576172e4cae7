// SPDX-License-Identifier: MIT
/* Structural checks of DWARF 5 .debug_loclists and .debug_rnglists before
 * libdwarf reads them. libdwarf 20210528 trusts these sections too much
 * (a damaged list makes it read outside the section), so every unit
 * header, offset table and entry is checked here: a section that is not
 * exactly a sequence of well-formed lists makes the DWARF unusable. */
#include <libdwarf/dwarf.h>
#include <stdio.h>
#include <string.h>

#include "loader/dwarf_read.h"

struct cur {
	const uint8_t *p;
	size_t at, end;
	bool bad;
};

static uint64_t uleb(struct cur *c)
{
	uint64_t v = 0;
	for (unsigned sh = 0;; sh += 7) {
		if (c->at >= c->end || sh > 63) {
			c->bad = true;
			return 0;
		}
		uint8_t b = c->p[c->at++];
		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
}

static void skip(struct cur *c, uint64_t n)
{
	if (c->bad || n > c->end - c->at)
		c->bad = true;
	else
		c->at += n;
}

static uint64_t fixed(struct cur *c, unsigned n)
{
	uint64_t v = 0;
	if (c->bad || n > c->end - c->at) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p + c->at, n);
	c->at += n;
	return v;
}

/* One entry; false at the end of a list. */
static bool entry(struct cur *c, bool loc, uint64_t naddr)
{
	uint8_t k = (uint8_t)fixed(c, 1);
	if (c->bad)
		return false;
	uint64_t a, b;
	/* the kinds of the two sections differ from 5 on */
	if (!loc && k >= 5)
		k++;
	switch (k) {
	case DW_LLE_end_of_list:
		return false;
	case DW_LLE_base_addressx:
		if (uleb(c) >= naddr)
			c->bad = true;
		return !c->bad;
	case DW_LLE_startx_endx:
	case DW_LLE_startx_length:
		a = uleb(c);
		b = uleb(c);
		if (a >= naddr || (k == DW_LLE_startx_endx && b >= naddr))
			c->bad = true;
		break;
	case DW_LLE_offset_pair:
		uleb(c);
		uleb(c);
		break;
	case DW_LLE_default_location:
		if (!loc)
			c->bad = true;
		break;
	case DW_LLE_base_address:
		fixed(c, 8);
		return !c->bad;
	case DW_LLE_start_end:
		fixed(c, 8);
		fixed(c, 8);
		break;
	case DW_LLE_start_length:
		fixed(c, 8);
		uleb(c);
		break;
	default:
		c->bad = true;
		return false;
	}
	if (loc)
		skip(c, uleb(c));  /* the expression */
	return !c->bad;
}

static int check_lists(const struct dw_sec_view *s, bool loc, uint64_t naddr, char *why,
		       size_t wlen)
{
	const char *name = loc ? ".debug_loclists" : ".debug_rnglists";
	size_t at = 0;
	while (at < s->size) {
		struct cur c = {s->data, at, s->size, false};
		uint64_t len = fixed(&c, 4);
		if (c.bad || len >= 0xfffffff0u || len > s->size - c.at || len < 8)
			goto bad;
		size_t unit_end = c.at + len;
		c.end = unit_end;
		unsigned version = (unsigned)fixed(&c, 2);
		unsigned asz = (unsigned)fixed(&c, 1), seg = (unsigned)fixed(&c, 1);
		uint64_t count = fixed(&c, 4);
		if (c.bad || version != 5 || asz != 8 || seg != 0 || count > (unit_end - c.at) / 4)
			goto bad;
		size_t base = c.at;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t off = fixed(&c, 4);
			if (off >= unit_end - base)
				goto bad;
			struct cur l = {s->data, base + off, unit_end, false};
			int guard = 0;
			while (entry(&l, loc, naddr) && ++guard < 1 << 20)
				;
			if (l.bad)
				goto bad;
		}
		/* every list in order, up to the unit's end */
		while (c.at < unit_end) {
			while (entry(&c, loc, naddr))
				;
			if (c.bad)
				goto bad;
		}
		at = unit_end;
		continue;
	bad:
		snprintf(why, wlen, "%s is malformed in the unit at offset %zu", name, at);
		return -1;
	}
	return 0;
}

int ldr_dwarf_check(const struct dw_sec_view *secs, size_t n, char *why, size_t wlen)
{
	uint64_t naddr = 0;
	for (size_t i = 0; i < n; i++)
		if (secs[i].name && strcmp(secs[i].name, ".debug_addr") == 0)
			naddr = secs[i].size >= 8 ? (secs[i].size - 8) / 8 : 0;  /* after its header */
	for (size_t i = 0; i < n; i++) {
		if (!secs[i].name)
			continue;
		bool loc = strcmp(secs[i].name, ".debug_loclists") == 0;
		if ((loc || strcmp(secs[i].name, ".debug_rnglists") == 0) &&
		    check_lists(&secs[i], loc, naddr, why, wlen))
			return -1;
	}
	return 0;
}
