// SPDX-License-Identifier: MIT
/* The raw dump: one record per type, character for character what
 * `bpftool btf dump file F format raw` (bpftool 7.x) prints, so that the
 * two can be diffed. Names go to the callback as they are (they can be
 * long); the fixed fields are formatted into a small buffer. */
#include "bpfstep/btf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

struct sink {
	bs_btf_out_fn out;
	void *user;
};

static void outf(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct sink *s, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->out(s->user, buf);
}

/* 'name', or '(anon)' as bpftool writes an empty name */
static void quoted(struct sink *s, const char *name)
{
	s->out(s->user, "'");
	s->out(s->user, name[0] ? name : "(anon)");
	s->out(s->user, "'");
}

static const char *int_encoding(unsigned enc)
{
	switch (enc) {
	case 0: return "(none)";
	case BS_BTF_INT_SIGNED: return "SIGNED";
	case BS_BTF_INT_CHAR: return "CHAR";
	case BS_BTF_INT_BOOL: return "BOOL";
	default: return "UNKN";
	}
}

static const char *linkage(uint32_t l)
{
	switch (l) {
	case BS_BTF_STATIC: return "static";
	case BS_BTF_GLOBAL: return "global";
	case BS_BTF_EXTERN: return "extern";
	default: return "(unknown)";
	}
}

void bs_btf_dump_raw_type(const struct bs_btf *btf, uint32_t id, bs_btf_out_fn out, void *user)
{
	struct sink s = {out, user};
	const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
	if (!t || id == 0)
		return;
	outf(&s, "[%u] %s ", id, bs_btf_kind_name(t->kind));
	quoted(&s, t->name);
	switch (t->kind) {
	case BS_BTF_INT:
		outf(&s, " size=%u bits_offset=%u nr_bits=%u encoding=%s", t->size,
		     t->int_info.bit_offset, t->int_info.bits, int_encoding(t->int_info.encoding));
		break;
	case BS_BTF_PTR:
	case BS_BTF_CONST:
	case BS_BTF_VOLATILE:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPEDEF:
	case BS_BTF_TYPE_TAG:
		outf(&s, " type_id=%u", t->type);
		break;
	case BS_BTF_ARRAY:
		outf(&s, " type_id=%u index_type_id=%u nr_elems=%u", t->array.type,
		     t->array.index_type, t->array.nelems);
		break;
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		outf(&s, " size=%u vlen=%u", t->size, t->vlen);
		for (unsigned i = 0; i < t->vlen; i++) {
			const struct bs_btf_member *m = &t->members[i];
			s.out(user, "\n\t");
			quoted(&s, m->name);
			outf(&s, " type_id=%u bits_offset=%u", m->type, m->bit_offset);
			if (m->bitfield_size)
				outf(&s, " bitfield_size=%u", m->bitfield_size);
		}
		break;
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
		outf(&s, " encoding=%s size=%u vlen=%u", t->kflag ? "SIGNED" : "UNSIGNED", t->size,
		     t->vlen);
		for (unsigned i = 0; i < t->vlen; i++) {
			const struct bs_btf_enum_value *v = &t->values[i];
			s.out(user, "\n\t");
			quoted(&s, v->name);
			if (t->kind == BS_BTF_ENUM && t->kflag)
				outf(&s, " val=%d", (int32_t)v->value);
			else if (t->kind == BS_BTF_ENUM)
				outf(&s, " val=%u", (uint32_t)v->value);
			else if (t->kflag)
				outf(&s, " val=%" PRId64 "LL", (int64_t)v->value);
			else
				outf(&s, " val=%" PRIu64 "ULL", v->value);
		}
		break;
	case BS_BTF_FWD:
		outf(&s, " fwd_kind=%s", t->kflag ? "union" : "struct");
		break;
	case BS_BTF_FUNC:
		outf(&s, " type_id=%u linkage=%s", t->type, linkage(t->linkage));
		break;
	case BS_BTF_FUNC_PROTO:
		outf(&s, " ret_type_id=%u vlen=%u", t->type, t->vlen);
		for (unsigned i = 0; i < t->vlen; i++) {
			s.out(user, "\n\t");
			quoted(&s, t->params[i].name);
			outf(&s, " type_id=%u", t->params[i].type);
		}
		break;
	case BS_BTF_VAR:
		/* the comma is bpftool's */
		outf(&s, " type_id=%u, linkage=%s", t->type, linkage(t->linkage));
		break;
	case BS_BTF_DATASEC:
		outf(&s, " size=%u vlen=%u", t->size, t->vlen);
		for (unsigned i = 0; i < t->vlen; i++) {
			const struct bs_btf_var_secinfo *v = &t->vars[i];
			const struct bs_btf_type *vt = bs_btf_type_by_id(btf, v->type);
			outf(&s, "\n\ttype_id=%u offset=%u size=%u (%s ", v->type, v->offset, v->size,
			     bs_btf_kind_name(vt->kind));
			quoted(&s, vt->name);
			s.out(user, ")");
		}
		break;
	case BS_BTF_FLOAT:
		outf(&s, " size=%u", t->size);
		break;
	case BS_BTF_DECL_TAG:
		outf(&s, " type_id=%u component_idx=%d", t->type, t->component_idx);
		break;
	default:
		break;
	}
	s.out(user, "\n");
}

void bs_btf_dump_raw(const struct bs_btf *btf, bs_btf_out_fn out, void *user)
{
	for (uint32_t id = 1; id <= bs_btf_type_count(btf); id++)
		bs_btf_dump_raw_type(btf, id, out, user);
}
