// SPDX-License-Identifier: MIT
/* Parsing .BTF: the header, the string section and every type record,
 * each length checked before it is read, then the records' meaning
 * (loader/btf_check.c). After parsing, every id, string and member a
 * record names exists and no type contains itself, so the accessors, the
 * dumps and the map reader can follow references without checking again.
 * Messages name the type and the record's byte offset in the section. */
#include "bpfstep/btf.h"

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/btf_private.h"
#include "vm/error.h"

#define HDR_LEN 24            /* sizeof(struct btf_header) */
#define REC_LEN 12            /* sizeof(struct btf_type) */
#define MAX_TYPES 0x000fffffu /* BTF_MAX_TYPE: ids must fit 20 bits */

static const char *const kind_names[BS_BTF_KIND__COUNT] = {
	[BS_BTF_VOID] = "UNKNOWN",
	[BS_BTF_INT] = "INT",
	[BS_BTF_PTR] = "PTR",
	[BS_BTF_ARRAY] = "ARRAY",
	[BS_BTF_STRUCT] = "STRUCT",
	[BS_BTF_UNION] = "UNION",
	[BS_BTF_ENUM] = "ENUM",
	[BS_BTF_FWD] = "FWD",
	[BS_BTF_TYPEDEF] = "TYPEDEF",
	[BS_BTF_VOLATILE] = "VOLATILE",
	[BS_BTF_CONST] = "CONST",
	[BS_BTF_RESTRICT] = "RESTRICT",
	[BS_BTF_FUNC] = "FUNC",
	[BS_BTF_FUNC_PROTO] = "FUNC_PROTO",
	[BS_BTF_VAR] = "VAR",
	[BS_BTF_DATASEC] = "DATASEC",
	[BS_BTF_FLOAT] = "FLOAT",
	[BS_BTF_DECL_TAG] = "DECL_TAG",
	[BS_BTF_TYPE_TAG] = "TYPE_TAG",
	[BS_BTF_ENUM64] = "ENUM64",
};

const char *bs_btf_kind_name(enum bs_btf_kind kind)
{
	if ((unsigned)kind >= BS_BTF_KIND__COUNT)
		return "UNKNOWN";
	return kind_names[kind];
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static int parse_err(struct bs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int parse_err(struct bs_error *err, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vm_err(err, BS_ERR_PARSE, BS_NO_PC, ".BTF: %s", msg);
}


/* Bytes of kind-specific data after the 12-byte record header. */
static uint64_t extra_len(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BS_BTF_INT:
	case BS_BTF_VAR:
	case BS_BTF_DECL_TAG:
		return 4;
	case BS_BTF_ARRAY:
		return 12;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
	case BS_BTF_DATASEC:
	case BS_BTF_ENUM64:
		return 12ull * vlen;
	case BS_BTF_ENUM:
	case BS_BTF_FUNC_PROTO:
		return 8ull * vlen;
	default:
		return 0;
	}
}

/* ---- header ---- */

struct hdr {
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

static int check_range(const char *what, uint32_t hdr_len, uint32_t off, uint32_t len,
		       unsigned field, size_t size, struct bs_error *err)
{
	size_t avail = size - hdr_len;
	if (off > avail || len > avail - off)
		return parse_err(err,
				 "%s section (offset %u, %u bytes, header field at offset 0x%x) "
				 "ends at byte 0x%llx, past the end of the data (%zu bytes)",
				 what, off, len, field,
				 (unsigned long long)hdr_len + off + len, size);
	return 0;
}

static int parse_header(const uint8_t *d, size_t size, struct hdr *h, struct bs_error *err)
{
	if (size < 2)
		return parse_err(err, "%zu bytes is too short for a BTF header (%d bytes)", size,
				 HDR_LEN);
	uint16_t magic = rd16(d);
	if (magic == 0x9feb)
		return parse_err(err, "big-endian BTF (magic bytes eb 9f at offset 0) is not supported");
	if (magic != BS_BTF_MAGIC)
		return parse_err(err, "bad magic 0x%04x at offset 0 (BTF starts with 0xeb9f)", magic);
	if (size < HDR_LEN)
		return parse_err(err, "%zu bytes is too short for a BTF header (%d bytes)", size,
				 HDR_LEN);
	if (d[2] != 1)
		return parse_err(err, "unsupported version %u at offset 0x2 (expected 1)", d[2]);
	if (d[3] != 0)
		return parse_err(err, "unsupported flags 0x%x at offset 0x3", d[3]);
	h->hdr_len = rd32(d + 4);
	h->type_off = rd32(d + 8);
	h->type_len = rd32(d + 12);
	h->str_off = rd32(d + 16);
	h->str_len = rd32(d + 20);
	if (h->hdr_len < HDR_LEN)
		return parse_err(err, "header length %u at offset 0x4 is shorter than %d bytes",
				 h->hdr_len, HDR_LEN);
	if (h->hdr_len > size)
		return parse_err(err, "header length %u at offset 0x4 is past the end of the data "
				 "(%zu bytes)", h->hdr_len, size);
	if (check_range("type", h->hdr_len, h->type_off, h->type_len, 8, size, err) ||
	    check_range("string", h->hdr_len, h->str_off, h->str_len, 16, size, err))
		return -1;
	if (h->type_off % 4)
		return parse_err(err, "type section offset %u (header offset 0x8) is not 4-byte "
				 "aligned", h->type_off);
	if (h->type_len && h->str_len && h->type_off < h->str_off + h->str_len &&
	    h->str_off < h->type_off + h->type_len)
		return parse_err(err, "type section [0x%x, 0x%x) and string section [0x%x, 0x%x) "
				 "overlap", h->hdr_len + h->type_off,
				 h->hdr_len + h->type_off + h->type_len, h->hdr_len + h->str_off,
				 h->hdr_len + h->str_off + h->str_len);
	uint32_t s = h->hdr_len + h->str_off;
	if (h->str_len == 0)
		return parse_err(err, "empty string section at offset 0x%x (it must hold at least "
				 "the empty string)", s);
	if (d[s] != 0)
		return parse_err(err, "string section at offset 0x%x does not start with the empty "
				 "string", s);
	if (d[s + h->str_len - 1] != 0)
		return parse_err(err, "string section is not NUL-terminated (last byte at offset 0x%x)",
				 s + h->str_len - 1);
	return 0;
}

/* ---- records ---- */

struct counts {
	uint32_t types, members, values, params, vars;
};

/* First walk: count records and their entries so that one allocation of
 * each array holds them all; stops at the first record that does not fit. */
static int count_records(const uint8_t *sec, uint32_t len, uint32_t base, struct counts *c,
			 struct bs_error *err)
{
	memset(c, 0, sizeof(*c));
	uint32_t pos = 0;
	while (pos < len) {
		uint32_t id = c->types + 1;
		if (len - pos < REC_LEN)
			return parse_err(err, "type %u at offset 0x%x: a record needs %d bytes, only %u "
					 "are left in the type section", id, base + pos, REC_LEN,
					 len - pos);
		uint32_t info = rd32(sec + pos + 4);
		unsigned kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
		if (kind == 0 || kind >= BS_BTF_KIND__COUNT)
			return parse_err(err, "type %u at offset 0x%x: unknown kind %u", id, base + pos,
					 kind);
		uint64_t extra = extra_len(kind, vlen);
		if (extra > len - pos - REC_LEN)
			return parse_err(err, "type %u at offset 0x%x: %s with vlen %u needs %llu more "
					 "bytes, only %u are left in the type section", id,
					 base + pos, kind_names[kind], vlen,
					 (unsigned long long)extra, len - pos - REC_LEN);
		if (c->types == MAX_TYPES)
			return parse_err(err, "type %u at offset 0x%x: more than %u types", id,
					 base + pos, MAX_TYPES);
		c->types++;
		switch (kind) {
		case BS_BTF_STRUCT:
		case BS_BTF_UNION: c->members += vlen; break;
		case BS_BTF_ENUM:
		case BS_BTF_ENUM64: c->values += vlen; break;
		case BS_BTF_FUNC_PROTO: c->params += vlen; break;
		case BS_BTF_DATASEC: c->vars += vlen; break;
		default: break;
		}
		pos += REC_LEN + (uint32_t)extra;
	}
	return 0;
}

/* name_off resolved, or NULL with err set. */
static const char *name_at(struct bs_btf *btf, const struct bs_btf_type *t, uint32_t off,
			   const char *what, long idx, struct bs_error *err)
{
	if (off < btf->str_len)
		return btf->strs + off;
	if (idx >= 0)
		ldr_btf_type_err(err, t, "%s %ld: name offset %u is outside the string section (%u bytes)",
			 what, idx, off, btf->str_len);
	else
		ldr_btf_type_err(err, t, "name offset %u is outside the string section (%u bytes)", off,
			 btf->str_len);
	return NULL;
}

/* Second walk: decode every record into btf->types. */
static int decode_records(struct bs_btf *btf, const uint8_t *sec, uint32_t base,
			  struct bs_error *err)
{
	struct bs_btf_member *m = btf->members;
	struct bs_btf_enum_value *v = btf->values;
	struct bs_btf_param *p = btf->params;
	struct bs_btf_var_secinfo *s = btf->vars;
	uint32_t pos = 0;
	for (uint32_t id = 1; id <= btf->nr_types; id++) {
		const uint8_t *r = sec + pos;
		struct bs_btf_type *t = &btf->types[id];
		uint32_t info = rd32(r + 4);
		t->id = id;
		t->offset = base + pos;
		t->kind = (enum bs_btf_kind)((info >> 24) & 0x1f);
		t->vlen = info & 0xffff;
		t->kflag = info >> 31;
		t->name_off = rd32(r);
		if (!(t->name = name_at(btf, t, t->name_off, NULL, -1, err)))
			return -1;
		uint32_t st = rd32(r + 8);
		const uint8_t *x = r + REC_LEN;
		switch (t->kind) {
		case BS_BTF_INT: {
			uint32_t e = rd32(x);
			t->size = st;
			t->int_info.encoding = (e >> 24) & 0x0f;
			t->int_info.bit_offset = (e >> 16) & 0xff;
			t->int_info.bits = e & 0xff;
			break;
		}
		case BS_BTF_ARRAY:
			t->array.type = rd32(x);
			t->array.index_type = rd32(x + 4);
			t->array.nelems = rd32(x + 8);
			break;
		case BS_BTF_STRUCT:
		case BS_BTF_UNION:
			t->size = st;
			t->members = m;
			for (unsigned i = 0; i < t->vlen; i++, m++, x += 12) {
				if (!(m->name = name_at(btf, t, rd32(x), "member", i, err)))
					return -1;
				m->type = rd32(x + 4);
				uint32_t off = rd32(x + 8);
				m->bit_offset = t->kflag ? off & 0xffffff : off;
				m->bitfield_size = t->kflag ? off >> 24 : 0;
			}
			break;
		case BS_BTF_ENUM:
			t->size = st;
			t->values = v;
			for (unsigned i = 0; i < t->vlen; i++, v++, x += 8) {
				if (!(v->name = name_at(btf, t, rd32(x), "value", i, err)))
					return -1;
				uint32_t val = rd32(x + 4);
				v->value = t->kflag ? (uint64_t)(int64_t)(int32_t)val : val;
			}
			break;
		case BS_BTF_ENUM64:
			t->size = st;
			t->values = v;
			for (unsigned i = 0; i < t->vlen; i++, v++, x += 12) {
				if (!(v->name = name_at(btf, t, rd32(x), "value", i, err)))
					return -1;
				v->value = (uint64_t)rd32(x + 8) << 32 | rd32(x + 4);
			}
			break;
		case BS_BTF_FUNC_PROTO:
			t->type = st;
			t->params = p;
			for (unsigned i = 0; i < t->vlen; i++, p++, x += 8) {
				if (!(p->name = name_at(btf, t, rd32(x), "parameter", i, err)))
					return -1;
				p->type = rd32(x + 4);
			}
			break;
		case BS_BTF_DATASEC:
			t->size = st;
			t->vars = s;
			for (unsigned i = 0; i < t->vlen; i++, s++, x += 12) {
				s->type = rd32(x);
				s->offset = rd32(x + 4);
				s->size = rd32(x + 8);
			}
			break;
		case BS_BTF_VAR:
			t->type = st;
			t->linkage = rd32(x);
			break;
		case BS_BTF_DECL_TAG:
			t->type = st;
			t->component_idx = (int32_t)rd32(x);
			break;
		case BS_BTF_FUNC:
			t->type = st;
			t->linkage = t->vlen;
			break;
		case BS_BTF_FLOAT:
			t->size = st;
			break;
		case BS_BTF_FWD:
			break; /* the field is unused: nothing may follow it */
		default: /* PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG */
			t->type = st;
			break;
		}
		pos += REC_LEN + (uint32_t)extra_len(t->kind, t->vlen);
	}
	return 0;
}

/* ---- public ---- */

int bs_btf_parse(const void *data, size_t size, struct bs_btf **out, struct bs_error *err)
{
	*out = NULL;
	bs_error_clear(err);
	if (!data && size)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, ".BTF: no data");
	if (size > UINT32_MAX)
		return parse_err(err, "%zu bytes is more than BTF offsets can address", size);
	struct hdr h = {0};
	if (parse_header(data, size, &h, err))
		return -1;
	struct bs_btf *btf = calloc(1, sizeof(*btf));
	if (!btf || !(btf->data = malloc(size ? size : 1)))
		goto nomem;
	memcpy(btf->data, data, size);
	btf->size = size;
	btf->strs = (const char *)btf->data + h.hdr_len + h.str_off;
	btf->str_len = h.str_len;

	uint32_t base = h.hdr_len + h.type_off;
	const uint8_t *sec = btf->data + base;
	struct counts c;
	if (count_records(sec, h.type_len, base, &c, err))
		goto fail;
	btf->nr_types = c.types;
	btf->types = calloc(c.types + 1, sizeof(*btf->types));
	btf->members = calloc(c.members + 1, sizeof(*btf->members));
	btf->values = calloc(c.values + 1, sizeof(*btf->values));
	btf->params = calloc(c.params + 1, sizeof(*btf->params));
	btf->vars = calloc(c.vars + 1, sizeof(*btf->vars));
	if (!btf->types || !btf->members || !btf->values || !btf->params || !btf->vars)
		goto nomem;
	btf->types[0].name = "";
	if (decode_records(btf, sec, base, err))
		goto fail;
	if (ldr_btf_check(btf, err))
		goto fail;
	*out = btf;
	return 0;
nomem:
	vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF: out of memory for %zu bytes of BTF", size);
fail:
	bs_btf_free(btf);
	return -1;
}

void bs_btf_free(struct bs_btf *btf)
{
	if (!btf)
		return;
	free(btf->data);
	free(btf->types);
	free(btf->members);
	free(btf->values);
	free(btf->params);
	free(btf->vars);
	free(btf);
}

uint32_t bs_btf_type_count(const struct bs_btf *btf)
{
	return btf->nr_types;
}

const struct bs_btf_type *bs_btf_type_by_id(const struct bs_btf *btf, uint32_t id)
{
	return id <= btf->nr_types ? &btf->types[id] : NULL;
}

const char *bs_btf_str(const struct bs_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : NULL;
}

uint32_t bs_btf_find_by_name(const struct bs_btf *btf, const char *name, enum bs_btf_kind kind)
{
	if (!name || !name[0])
		return 0;
	for (uint32_t id = 1; id <= btf->nr_types; id++) {
		const struct bs_btf_type *t = &btf->types[id];
		if ((kind == BS_BTF_VOID || t->kind == kind) && strcmp(t->name, name) == 0)
			return id;
	}
	return 0;
}

uint32_t bs_btf_skip_mods(const struct bs_btf *btf, uint32_t id)
{
	/* parsing refused loops; the bound is for ids nobody checked */
	for (uint32_t steps = 0; id <= btf->nr_types && steps <= btf->nr_types; steps++) {
		switch (btf->types[id].kind) {
		case BS_BTF_TYPEDEF:
		case BS_BTF_VOLATILE:
		case BS_BTF_CONST:
		case BS_BTF_RESTRICT:
		case BS_BTF_TYPE_TAG:
			id = btf->types[id].type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

int bs_btf_resolve_size(const struct bs_btf *btf, uint32_t id, uint64_t *size, struct bs_error *err)
{
	uint64_t mult = 1;
	uint32_t start = id;
	*size = 0;
	for (uint32_t steps = 0; steps <= btf->nr_types; steps++) {
		if (id > btf->nr_types)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "BTF type %u does not exist (there are %u types)", id,
				      btf->nr_types);
		const struct bs_btf_type *t = &btf->types[id];
		uint64_t s;
		switch (t->kind) {
		case BS_BTF_INT:
		case BS_BTF_STRUCT:
		case BS_BTF_UNION:
		case BS_BTF_ENUM:
		case BS_BTF_ENUM64:
		case BS_BTF_DATASEC:
		case BS_BTF_FLOAT:
			s = t->size;
			goto sized;
		case BS_BTF_PTR:
			s = 8;
			goto sized;
		case BS_BTF_TYPEDEF:
		case BS_BTF_VOLATILE:
		case BS_BTF_CONST:
		case BS_BTF_RESTRICT:
		case BS_BTF_TYPE_TAG:
		case BS_BTF_VAR:
			id = t->type;
			continue;
		case BS_BTF_ARRAY:
			if (t->array.nelems && mult > UINT64_MAX / t->array.nelems)
				return vm_err(err, BS_ERR_ARG, BS_NO_PC,
					      "BTF type %u: the array size overflows 64 bits", start);
			mult *= t->array.nelems;
			id = t->array.type;
			continue;
		default:
			if (id == start)
				return vm_err(err, BS_ERR_ARG, BS_NO_PC, "BTF type %u (%s) has no size", id,
					      id ? kind_names[t->kind] : "void");
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "BTF type %u has no size: it refers to type %u (%s)", start, id,
				      id ? kind_names[t->kind] : "void");
		}
sized:
		if (s && mult > UINT64_MAX / s)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "BTF type %u: the array size overflows 64 bits", start);
		*size = s * mult;
		return 0;
	}
	return vm_err(err, BS_ERR_PARSE, BS_NO_PC, "BTF type %u: reference loop", start);
}
