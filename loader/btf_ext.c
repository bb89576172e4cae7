// SPDX-License-Identifier: MIT
/* Parsing .BTF.ext: per ELF code section, the function table (which
 * instruction starts which FUNC) and the line table (which instruction
 * comes from which file, line and column), plus the CO-RE relocation
 * records, which are checked and kept but not applied.
 *
 * Layout (libbpf's btf.h): a header, then for each table a 4-byte record
 * size followed by blocks of {section name offset, record count, records}.
 * Record sizes may grow in future compilers, so only a minimum is
 * required and records are stepped over by the stated size. */
#include "bpfstep/btf.h"

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/error.h"

#define EXT_HDR_MIN 24   /* up to line_info_len */
#define EXT_HDR_CORE 32  /* with core_relo_off/len */

struct bs_btf_ext {
	size_t nsecs;
	struct bs_btf_ext_sec *secs;
};

enum table { T_FUNC, T_LINE, T_CORE };

static const struct {
	const char *name;
	uint32_t min_rec;
} tables[] = {
	[T_FUNC] = {"func_info", 8},
	[T_LINE] = {"line_info", 16},
	[T_CORE] = {"core_relo", 16},
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static int ext_err(struct bs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int ext_err(struct bs_error *err, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vm_err(err, BS_ERR_PARSE, BS_NO_PC, ".BTF.ext: %s", msg);
}

static struct bs_btf_ext_sec *find_or_add(struct bs_btf_ext *ext, const char *name)
{
	for (size_t i = 0; i < ext->nsecs; i++)
		if (strcmp(ext->secs[i].name, name) == 0)
			return &ext->secs[i];
	struct bs_btf_ext_sec *s = realloc(ext->secs, (ext->nsecs + 1) * sizeof(*s));
	if (!s)
		return NULL;
	ext->secs = s;
	s = &ext->secs[ext->nsecs++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	return s;
}

/* A string of .BTF for the record field at byte pos, or NULL with err. */
static const char *ext_str(const struct bs_btf *btf, uint32_t off, const char *what, size_t pos,
			   struct bs_error *err)
{
	const char *s = bs_btf_str(btf, off);
	if (!s)
		ext_err(err, "%s offset %u at offset 0x%zx is outside the .BTF string section", what,
			off, pos);
	return s;
}

static int insn_of(uint32_t off, size_t pos, uint32_t *insn, struct bs_error *err)
{
	/* in an ELF object insn_off counts bytes; the kernel's API counts insns */
	if (off % 8)
		return ext_err(err, "insn_off %u at offset 0x%zx is not a multiple of 8 (an "
			       "instruction boundary)", off, pos);
	*insn = off / 8;
	return 0;
}

static int decode(const struct bs_btf *btf, enum table tb, struct bs_btf_ext_sec *s,
		  const uint8_t *d, size_t pos, uint32_t rec, uint32_t num, struct bs_error *err)
{
	switch (tb) {
	case T_FUNC: {
		struct bs_btf_func_info *fi = calloc(num, sizeof(*fi));
		if (!fi)
			goto nomem;
		s->func_info = fi;
		s->nr_func_info = num;
		for (uint32_t i = 0; i < num; i++, pos += rec) {
			if (insn_of(rd32(d + pos), pos, &fi[i].insn, err))
				return -1;
			fi[i].type_id = rd32(d + pos + 4);
			const struct bs_btf_type *t = bs_btf_type_by_id(btf, fi[i].type_id);
			if (!t || t->kind != BS_BTF_FUNC)
				return ext_err(err, "func_info type_id %u at offset 0x%zx is %s, not a FUNC",
					       fi[i].type_id, pos + 4,
					       t ? bs_btf_kind_name(t->kind) : "not a type");
		}
		return 0;
	}
	case T_LINE: {
		struct bs_btf_line_info *li = calloc(num, sizeof(*li));
		if (!li)
			goto nomem;
		s->line_info = li;
		s->nr_line_info = num;
		for (uint32_t i = 0; i < num; i++, pos += rec) {
			if (insn_of(rd32(d + pos), pos, &li[i].insn, err) ||
			    !(li[i].file_name = ext_str(btf, rd32(d + pos + 4), "file name", pos + 4, err)) ||
			    !(li[i].line = ext_str(btf, rd32(d + pos + 8), "line text", pos + 8, err)))
				return -1;
			uint32_t lc = rd32(d + pos + 12);
			li[i].line_num = lc >> 10;
			li[i].col = lc & 0x3ff;
		}
		return 0;
	}
	case T_CORE: {
		struct bs_btf_core_relo *cr = calloc(num, sizeof(*cr));
		if (!cr)
			goto nomem;
		s->core_relo = cr;
		s->nr_core_relo = num;
		for (uint32_t i = 0; i < num; i++, pos += rec) {
			if (insn_of(rd32(d + pos), pos, &cr[i].insn, err))
				return -1;
			cr[i].type_id = rd32(d + pos + 4);
			if (cr[i].type_id > bs_btf_type_count(btf))
				return ext_err(err, "core_relo type_id %u at offset 0x%zx, but there are %u "
					       "types", cr[i].type_id, pos + 4, bs_btf_type_count(btf));
			if (!(cr[i].access = ext_str(btf, rd32(d + pos + 8), "access string", pos + 8,
						     err)))
				return -1;
			cr[i].kind = rd32(d + pos + 12);
		}
		return 0;
	}
	}
	return 0;
nomem:
	return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF.ext: out of memory for %u records", num);
}

/* One table: [start, start + len) in d. */
static int parse_table(struct bs_btf_ext *ext, const struct bs_btf *btf, enum table tb,
		       const uint8_t *d, size_t size, uint32_t hdr_len, uint32_t off, uint32_t len,
		       unsigned field, struct bs_error *err)
{
	const char *tn = tables[tb].name;
	if (len == 0)
		return 0;
	size_t avail = size - hdr_len;
	if (off > avail || len > avail - off)
		return ext_err(err, "%s table (offset %u, %u bytes, header field at offset 0x%x) ends "
			       "past the end of the section (%zu bytes)", tn, off, len, field, size);
	size_t pos = (size_t)hdr_len + off, end = pos + len;
	if (pos % 4)
		return ext_err(err, "%s table at offset 0x%zx is not 4-byte aligned", tn, pos);
	if (len < 4)
		return ext_err(err, "%s table at offset 0x%zx is %u bytes, too short for its record "
			       "size", tn, pos, len);
	uint32_t rec = rd32(d + pos);
	if (rec < tables[tb].min_rec || rec % 4)
		return ext_err(err, "%s record size %u at offset 0x%zx is invalid (at least %u, a "
			       "multiple of 4)", tn, rec, pos, tables[tb].min_rec);
	pos += 4;
	while (pos < end) {
		if (end - pos < 8)
			return ext_err(err, "%s section header at offset 0x%zx needs 8 bytes, only %zu "
				       "are left", tn, pos, end - pos);
		uint32_t name_off = rd32(d + pos), num = rd32(d + pos + 4);
		const char *name = ext_str(btf, name_off, "section name", pos, err);
		if (!name)
			return -1;
		if (num == 0)
			return ext_err(err, "%s block for section '%s' at offset 0x%zx has no records", tn,
				       name, pos);
		if (num > (end - pos - 8) / rec)
			return ext_err(err, "%s block for section '%s' at offset 0x%zx: %u records of %u "
				       "bytes run past the end of the table (offset 0x%zx)", tn, name,
				       pos, num, rec, end);
		struct bs_btf_ext_sec *s = find_or_add(ext, name);
		if (!s)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF.ext: out of memory");
		if ((tb == T_FUNC && s->func_info) || (tb == T_LINE && s->line_info) ||
		    (tb == T_CORE && s->core_relo))
			return ext_err(err, "%s block at offset 0x%zx repeats section '%s'", tn, pos, name);
		if (decode(btf, tb, s, d, pos + 8, rec, num, err))
			return -1;
		pos += 8 + (size_t)num * rec;
	}
	return 0;
}

int bs_btf_ext_parse(const struct bs_btf *btf, const void *data, size_t size,
		     struct bs_btf_ext **out, struct bs_error *err)
{
	const uint8_t *d = data;
	*out = NULL;
	bs_error_clear(err);
	if (!d && size)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, ".BTF.ext: no data");
	if (size < EXT_HDR_MIN)
		return ext_err(err, "%zu bytes is too short for a header (%d bytes)", size, EXT_HDR_MIN);
	uint16_t magic = (uint16_t)(d[0] | d[1] << 8);
	if (magic != BS_BTF_MAGIC)
		return ext_err(err, "bad magic 0x%04x at offset 0 (expected 0xeb9f)", magic);
	if (d[2] != 1)
		return ext_err(err, "unsupported version %u at offset 0x2 (expected 1)", d[2]);
	if (d[3] != 0)
		return ext_err(err, "unsupported flags 0x%x at offset 0x3", d[3]);
	uint32_t hdr_len = rd32(d + 4);
	if (hdr_len < EXT_HDR_MIN || hdr_len > size)
		return ext_err(err, "header length %u at offset 0x4 is not between %d and the section "
			       "size (%zu)", hdr_len, EXT_HDR_MIN, size);
	struct bs_btf_ext *ext = calloc(1, sizeof(*ext));
	if (!ext)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF.ext: out of memory");
	if (parse_table(ext, btf, T_FUNC, d, size, hdr_len, rd32(d + 8), rd32(d + 12), 8, err) ||
	    parse_table(ext, btf, T_LINE, d, size, hdr_len, rd32(d + 16), rd32(d + 20), 16, err) ||
	    (hdr_len >= EXT_HDR_CORE &&
	     parse_table(ext, btf, T_CORE, d, size, hdr_len, rd32(d + 24), rd32(d + 28), 24, err))) {
		bs_btf_ext_free(ext);
		return -1;
	}
	*out = ext;
	return 0;
}

void bs_btf_ext_free(struct bs_btf_ext *ext)
{
	if (!ext)
		return;
	for (size_t i = 0; i < ext->nsecs; i++) {
		free((void *)ext->secs[i].func_info);
		free((void *)ext->secs[i].line_info);
		free((void *)ext->secs[i].core_relo);
	}
	free(ext->secs);
	free(ext);
}

size_t bs_btf_ext_sec_count(const struct bs_btf_ext *ext)
{
	return ext->nsecs;
}

const struct bs_btf_ext_sec *bs_btf_ext_sec(const struct bs_btf_ext *ext, size_t i)
{
	return i < ext->nsecs ? &ext->secs[i] : NULL;
}

const struct bs_btf_ext_sec *bs_btf_ext_find_sec(const struct bs_btf_ext *ext, const char *name)
{
	for (size_t i = 0; i < ext->nsecs; i++)
		if (strcmp(ext->secs[i].name, name) == 0)
			return &ext->secs[i];
	return NULL;
}
