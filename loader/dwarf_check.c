// SPDX-License-Identifier: MIT
/* Structural checks of DWARF 5 .debug_loclists and .debug_rnglists, and of
 * the .debug_line headers, before libdwarf reads them. libdwarf 20210528 trusts these sections too much
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

/* A NUL-terminated string inside the unit; false when it runs past. */
static bool cstr(struct cur *c)
{
	const uint8_t *nul = c->at < c->end ? memchr(c->p + c->at, 0, c->end - c->at) : NULL;
	if (!nul) {
		c->bad = true;
		return false;
	}
	c->at = (size_t)(nul - c->p) + 1;
	return true;
}

/* One attribute value of a DWARF 5 directory or file entry; *val gets
 * numbers and string-section offsets, *strsec which section those index
 * (0 none, 1 .debug_str, 2 .debug_line_str). */
static bool line_form(struct cur *c, uint64_t form, uint64_t *val, int *strsec)
{
	*val = 0;
	*strsec = 0;
	switch (form) {
	case DW_FORM_string: return cstr(c);
	case DW_FORM_line_strp: *strsec = 2; *val = fixed(c, 4); break;
	case DW_FORM_strp: *strsec = 1; *val = fixed(c, 4); break;
	case DW_FORM_udata: *val = uleb(c); break;
	case DW_FORM_data1: *val = fixed(c, 1); break;
	case DW_FORM_data2: *val = fixed(c, 2); break;
	case DW_FORM_data4: *val = fixed(c, 4); break;
	case DW_FORM_data8: *val = fixed(c, 8); break;
	case DW_FORM_data16: skip(c, 16); break;
	case DW_FORM_block: skip(c, uleb(c)); break;
	default: c->bad = true;  /* no other form is allowed in a line header */
	}
	return !c->bad;
}

/* DWARF 5 directory or file table: every string offset inside its section,
 * every directory index (files) below ndirs. Returns the entry count. */
static uint64_t line_table(struct cur *c, bool files, uint64_t ndirs, uint64_t str_size,
			   uint64_t line_str_size)
{
	uint8_t nfmt = (uint8_t)fixed(c, 1);
	uint64_t fmt[2 * 255];
	for (unsigned i = 0; i < nfmt && !c->bad; i++) {
		fmt[2 * i] = uleb(c);
		fmt[2 * i + 1] = uleb(c);
	}
	uint64_t count = uleb(c);
	if (c->bad || (count && !nfmt))
		c->bad = true;
	for (uint64_t k = 0; k < count && !c->bad; k++)
		for (unsigned i = 0; i < nfmt; i++) {
			uint64_t v;
			int strsec;
			if (!line_form(c, fmt[2 * i + 1], &v, &strsec))
				break;
			if ((strsec == 1 && v >= str_size) || (strsec == 2 && v >= line_str_size) ||
			    (files && fmt[2 * i] == DW_LNCT_directory_index && v >= ndirs))
				c->bad = true;
		}
	return count;
}

/* The headers of .debug_line: libdwarf 20210528 takes a file's directory
 * index and the string offsets of the directory and file tables as they
 * are (dwarf_srcfiles then reads outside memory), so they are checked here;
 * the line programs themselves are left to libdwarf. */
static int check_line(const struct dw_sec_view *s, uint64_t str_size, uint64_t line_str_size,
		      char *why, size_t wlen)
{
	size_t at = 0;
	while (at < s->size) {
		struct cur c = {s->data, at, s->size, false};
		uint64_t len = fixed(&c, 4);
		if (c.bad || len >= 0xfffffff0u || len > s->size - c.at || len < 2)
			goto bad;
		size_t unit_end = c.at + len;
		c.end = unit_end;
		unsigned version = (unsigned)fixed(&c, 2);
		if (version < 2 || version > 5)
			goto bad;
		if (version == 5)
			skip(&c, 2);  /* address and segment selector sizes */
		uint64_t hlen = fixed(&c, 4);
		if (c.bad || hlen > unit_end - c.at)
			goto bad;
		c.end = c.at + hlen;  /* the header */
		skip(&c, version >= 4 ? 5 : 4);  /* min_inst .. line_range */
		uint8_t opcode_base = (uint8_t)fixed(&c, 1);
		skip(&c, opcode_base ? opcode_base - 1u : 0);
		if (c.bad)
			goto bad;
		if (version == 5) {
			uint64_t ndirs = line_table(&c, false, 0, str_size, line_str_size);
			if (!c.bad)
				line_table(&c, true, ndirs, str_size, line_str_size);
		} else {
			uint64_t ndirs = 1;  /* 0: the compilation directory */
			while (!c.bad && c.at < c.end && c.p[c.at]) {
				cstr(&c);
				ndirs++;
			}
			skip(&c, 1);
			while (!c.bad && c.at < c.end && c.p[c.at]) {
				cstr(&c);
				if (uleb(&c) >= ndirs)
					c.bad = true;
				uleb(&c);
				uleb(&c);
			}
			skip(&c, 1);
		}
		if (c.bad)
			goto bad;
		at = unit_end;
		continue;
	bad:
		snprintf(why, wlen, ".debug_line is malformed in the unit at offset %zu", at);
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
	uint64_t str_size = 0, line_str_size = 0;
	for (size_t i = 0; i < n; i++) {
		if (secs[i].name && strcmp(secs[i].name, ".debug_str") == 0)
			str_size = secs[i].size;
		if (secs[i].name && strcmp(secs[i].name, ".debug_line_str") == 0)
			line_str_size = secs[i].size;
	}
	for (size_t i = 0; i < n; i++)
		if (secs[i].name && strcmp(secs[i].name, ".debug_line") == 0 &&
		    check_line(&secs[i], str_size, line_str_size, why, wlen))
			return -1;
	return 0;
}
