// SPDX-License-Identifier: MIT
/* Map keys and values typed by the object's BTF, in the JSON shape of
 * `bpftool map dump` ("formatted"): numbers, strings for char arrays,
 * objects by member name, enumerator names, {".bss": [{"var": v}]} for
 * global data. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "cli/run.h"

#define MAX_DEPTH 32

#ifdef BS_HAVE_LIBBPF
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#endif

/* Where each global variable sits in its section: clang leaves the offsets
 * in .BTF's DATASECs 0, and libbpf fills them in from the symbol table when
 * it opens the object, as the kernel then sees them. */
struct var_at {
	char sec[32];
	uint32_t type, offset;
};
static struct var_at *var_at;
static size_t nvar_at;
static bool var_at_known;

void cli_btf_set_object(const char *path)
{
	free(var_at);
	var_at = NULL;
	nvar_at = 0;
	var_at_known = false;
#ifdef BS_HAVE_LIBBPF
	if (!path)
		return;
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	const struct btf *btf = obj ? bpf_object__btf(obj) : NULL;
	for (uint32_t id = 1; btf && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_datasec(t))
			continue;
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		struct var_at *more = realloc(var_at, (nvar_at + btf_vlen(t)) * sizeof(*more));
		if (!more)
			break;
		var_at = more;
		for (uint16_t k = 0; k < btf_vlen(t); k++) {
			struct var_at *v = &var_at[nvar_at++];
			snprintf(v->sec, sizeof(v->sec), "%s", btf__name_by_offset(btf, t->name_off));
			v->type = vs[k].type;
			v->offset = vs[k].offset;
		}
		var_at_known = true;
	}
	bpf_object__close(obj);
	libbpf_set_print(old);
#else
	(void)path;
#endif
}

/* the offset of a section's variable; false when it is not known */
static bool var_offset(const struct bs_btf_type *sec, const struct bs_btf_var_secinfo *vs,
		       uint32_t *off)
{
	for (size_t i = 0; i < nvar_at; i++)
		if (var_at[i].type == vs->type && strcmp(var_at[i].sec, sec->name) == 0) {
			*off = var_at[i].offset;
			return true;
		}
	/* a section with one variable, or BTF whose offsets are already set */
	*off = vs->offset;
	return !var_at_known && (sec->vlen == 1 || sec->size != 0);
}

static uint64_t get_bits(const uint8_t *d, uint64_t bit_off, uint32_t nbits)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < nbits; i++) {
		uint64_t b = bit_off + i;
		v |= (uint64_t)(d[b / 8] >> (b % 8) & 1) << i;
	}
	return v;
}

static void set_bits(uint8_t *d, uint64_t bit_off, uint32_t nbits, uint64_t v)
{
	for (uint32_t i = 0; i < nbits; i++) {
		uint64_t b = bit_off + i;
		uint8_t mask = (uint8_t)(1u << (b % 8));
		if (v >> i & 1)
			d[b / 8] |= mask;
		else
			d[b / 8] &= (uint8_t)~mask;
	}
}

static const struct bs_btf_type *resolve(const struct bs_btf *btf, uint32_t id)
{
	for (int i = 0; i < MAX_DEPTH; i++) {
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		if (!t)
			return NULL;
		if (t->kind != BS_BTF_TYPEDEF && t->kind != BS_BTF_CONST &&
		    t->kind != BS_BTF_VOLATILE && t->kind != BS_BTF_RESTRICT &&
		    t->kind != BS_BTF_TYPE_TAG && t->kind != BS_BTF_VAR)
			return t;
		id = t->type;
	}
	return NULL;
}

static bool is_char(const struct bs_btf *btf, uint32_t id)
{
	const struct bs_btf_type *t = resolve(btf, id);
	return t && t->kind == BS_BTF_INT && t->size == 1 &&
	       ((t->int_info.encoding & BS_BTF_INT_CHAR) || strcmp(t->name, "char") == 0);
}

static json_t *int_json(uint64_t v, uint32_t bits, bool is_signed, bool is_bool)
{
	if (is_bool)
		return json_boolean(v != 0);
	if (is_signed && bits < 64 && (v >> (bits - 1) & 1))
		v |= ~0ULL << bits;
	if (is_signed || v <= INT64_MAX)
		return json_integer((json_int_t)v);
	char s[24];
	snprintf(s, sizeof(s), "0x%" PRIx64, v);
	return json_string(s);
}

/* bit_off: where the value starts in data; bits: a bitfield's width, or 0 */
static json_t *to_json(const struct bs_btf *btf, uint32_t id, const uint8_t *data, size_t size,
		       uint64_t bit_off, uint32_t bits, int depth)
{
	const struct bs_btf_type *t = resolve(btf, id);
	uint64_t tsize;
	struct bs_error e;
	if (!t || depth > MAX_DEPTH)
		return NULL;
	if (t->kind != BS_BTF_DATASEC && t->kind != BS_BTF_STRUCT && t->kind != BS_BTF_UNION &&
	    t->kind != BS_BTF_ARRAY && !bits &&
	    (bs_btf_resolve_size(btf, t->id, &tsize, &e) || bit_off / 8 + tsize > size))
		return NULL;
	switch (t->kind) {
	case BS_BTF_INT: {
		if (t->size > 8) {
			json_t *h = cli_json_hex(data + bit_off / 8, t->size);
			return h;
		}
		uint32_t n = bits ? bits : t->int_info.bits;
		uint64_t v = get_bits(data, bit_off + t->int_info.bit_offset, n ? n : t->size * 8);
		return int_json(v, n, t->int_info.encoding & BS_BTF_INT_SIGNED,
				t->int_info.encoding & BS_BTF_INT_BOOL);
	}
	case BS_BTF_PTR:
		return int_json(get_bits(data, bit_off, 64), 64, false, false);
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64: {
		uint32_t n = bits ? bits : t->size * 8;
		uint64_t v = get_bits(data, bit_off, n);
		if (t->kflag && n < 64 && (v >> (n - 1) & 1))
			v |= ~0ULL << n;
		for (uint16_t i = 0; i < t->vlen; i++)
			if (t->values[i].value == v || (n < 64 && ((t->values[i].value ^ v) &
								     ((1ULL << n) - 1)) == 0))
				return json_string(t->values[i].name);
		return int_json(v, 64, t->kflag, false);
	}
	case BS_BTF_FLOAT:
		if (t->size == 4) {
			float f;
			memcpy(&f, data + bit_off / 8, 4);
			return json_real(f);
		}
		if (t->size == 8) {
			double d;
			memcpy(&d, data + bit_off / 8, 8);
			return json_real(d);
		}
		return cli_json_hex(data + bit_off / 8, t->size);
	case BS_BTF_ARRAY: {
		uint64_t esize;
		if (bs_btf_resolve_size(btf, t->array.type, &esize, &e) ||
		    bit_off / 8 + esize * t->array.nelems > size)
			return NULL;
		const uint8_t *p = data + bit_off / 8;
		if (is_char(btf, t->array.type) && t->array.nelems) {
			/* bpftool prints a char array as a string when it is one */
			size_t len = strnlen((const char *)p, t->array.nelems);
			bool str = len < t->array.nelems;
			for (size_t i = 0; str && i < len; i++)
				str = p[i] >= 0x20 && p[i] < 0x7f;
			for (size_t i = len; str && i < t->array.nelems; i++)
				str = p[i] == 0;
			if (str)
				return json_stringn((const char *)p, len);
		}
		json_t *a = json_array();
		for (uint32_t i = 0; a && i < t->array.nelems; i++) {
			json_t *el = to_json(btf, t->array.type, data, size, bit_off + i * esize * 8, 0,
					     depth + 1);
			if (!el) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, el);
		}
		return a;
	}
	case BS_BTF_STRUCT:
	case BS_BTF_UNION: {
		if (bit_off / 8 + t->size > size)
			return NULL;
		json_t *o = json_object();
		for (uint16_t i = 0; o && i < t->vlen; i++) {
			const struct bs_btf_member *m = &t->members[i];
			json_t *v = to_json(btf, m->type, data, size, bit_off + m->bit_offset,
					    m->bitfield_size, depth + 1);
			if (!v) {
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, m->name, v);
		}
		return o;
	}
	case BS_BTF_DATASEC: {
		json_t *vars = json_array();
		for (uint16_t i = 0; vars && i < t->vlen; i++) {
			const struct bs_btf_var_secinfo *vs = &t->vars[i];
			const struct bs_btf_type *var = bs_btf_type_by_id(btf, vs->type);
			uint32_t off;
			if (!var_offset(t, vs, &off)) {
				json_decref(vars);
				return NULL;
			}
			if (!var || var->kind != BS_BTF_VAR || off + (uint64_t)vs->size > size)
				continue;
			json_t *v = to_json(btf, vs->type, data, size, (uint64_t)off * 8, 0, depth + 1);
			if (v)
				json_array_append_new(vars, json_pack("{s:o}", var->name, v));
		}
		return json_pack("{s:o}", t->name, vars);
	}
	default:
		return NULL;
	}
}

json_t *cli_btf_to_json(const struct bs_btf *btf, uint32_t type, const uint8_t *data, size_t size)
{
	json_t *j = to_json(btf, type, data, size, 0, 0, 0);
	return j ? j : json_null();
}

/* ---- JSON to bytes ---- */

struct in {
	const struct bs_btf *btf;
	uint8_t *data;
	size_t size;
	char *why;
	size_t len;
	char path[160];  /* where in the value, for messages: ".flow.src[2]" */
};

static int fail(struct in *in, const char *fmt, const char *a, const char *b)
{
	char msg[800];
	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(in->why, in->len, "%s%s%s", in->path[0] ? in->path : "",
		 in->path[0] ? ": " : "", msg);
	return -1;
}

static int number_of(struct in *in, const json_t *j, const struct bs_btf_type *t, uint64_t *v)
{
	if (json_is_integer(j)) {
		*v = (uint64_t)json_integer_value(j);
		return 0;
	}
	if (json_is_boolean(j)) {
		*v = json_is_true(j);
		return 0;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		if (t && (t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64))
			for (uint16_t i = 0; i < t->vlen; i++)
				if (strcmp(t->values[i].name, s) == 0) {
					*v = t->values[i].value;
					return 0;
				}
		char *end;
		unsigned long long u = strtoull(s, &end, 0);
		if (*s && *s != '-' && !*end) {
			*v = u;
			return 0;
		}
		long long sv = strtoll(s, &end, 0);
		if (*s == '-' && !*end) {
			*v = (uint64_t)sv;
			return 0;
		}
	}
	return fail(in, "expected a number%s%s", t && (t->kind == BS_BTF_ENUM ||
		    t->kind == BS_BTF_ENUM64) ? " or a name of enum " : "",
		    t && (t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64) ? t->name : "");
}

/* v fits in n bits: a negative number as a signed one, others as bits */
static bool fits(const json_t *j, uint64_t v, uint32_t n, bool is_signed)
{
	if (n >= 64)
		return true;
	bool negative = (json_is_integer(j) && json_integer_value(j) < 0) ||
			(json_is_string(j) && json_string_value(j)[0] == '-');
	if (negative)
		return is_signed && (int64_t)v >= -(int64_t)(1ULL << (n - 1));
	return v < (1ULL << n);
}

static int from_json(struct in *in, uint32_t id, const json_t *j, uint64_t bit_off, uint32_t bits,
		     int depth)
{
	const struct bs_btf_type *t = resolve(in->btf, id);
	struct bs_error e;
	uint64_t tsize = 0;
	if (!t || depth > MAX_DEPTH)
		return fail(in, "the type cannot be read%s%s", "", "");
	if (t->kind != BS_BTF_DATASEC && (bs_btf_resolve_size(in->btf, t->id, &tsize, &e) ||
					  bit_off / 8 + tsize > in->size))
		return fail(in, "the type does not fit the map's value size%s%s", "", "");
	size_t plen = strlen(in->path);
	int rc = 0;
	switch (t->kind) {
	case BS_BTF_INT:
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
	case BS_BTF_PTR: {
		uint64_t v;
		if (t->kind == BS_BTF_INT && t->size > 8) {
			if (!json_is_string(j))
				return fail(in, "a %s is given as a hex string%s", t->name, "");
			if (cli_hex_exact(json_string_value(j), t->size, in->data + bit_off / 8,
					  "value", &e))
				return fail(in, "%s%s", e.message, "");
			return 0;
		}
		if (number_of(in, j, t, &v))
			return -1;
		uint32_t n = bits ? bits : t->kind == BS_BTF_INT ? t->int_info.bits
				 : t->kind == BS_BTF_PTR ? 64 : t->size * 8;
		bool sgn = t->kind == BS_BTF_INT ? t->int_info.encoding & BS_BTF_INT_SIGNED
						 : t->kind != BS_BTF_PTR && t->kflag;
		/* an enumerator's name is its own check */
		bool named = json_is_string(j) && !strchr("-0123456789", json_string_value(j)[0]);
		if (!named && !fits(j, v, n, sgn)) {
			char nb[16];
			snprintf(nb, sizeof(nb), "%u", n);
			return fail(in, "the number does not fit %s bits%s", nb,
				    sgn ? " (signed)" : "");
		}
		set_bits(in->data, bit_off + (t->kind == BS_BTF_INT ? t->int_info.bit_offset : 0), n, v);
		return 0;
	}
	case BS_BTF_FLOAT: {
		if (!json_is_number(j))
			return fail(in, "expected a number%s%s", "", "");
		double d = json_number_value(j);
		float f = (float)d;
		if (t->size == 4)
			memcpy(in->data + bit_off / 8, &f, 4);
		else if (t->size == 8)
			memcpy(in->data + bit_off / 8, &d, 8);
		else
			return fail(in, "only 4- and 8-byte floats can be given as numbers%s%s", "", "");
		return 0;
	}
	case BS_BTF_ARRAY: {
		uint64_t esize;
		if (bs_btf_resolve_size(in->btf, t->array.type, &esize, &e))
			return fail(in, "%s%s", e.message, "");
		if (json_is_string(j) && is_char(in->btf, t->array.type)) {
			size_t l = strlen(json_string_value(j));
			if (l > t->array.nelems)
				return fail(in, "the string '%s' is longer than the array%s",
					    json_string_value(j), "");
			memset(in->data + bit_off / 8, 0, t->array.nelems);
			memcpy(in->data + bit_off / 8, json_string_value(j), l);
			return 0;
		}
		if (!json_is_array(j))
			return fail(in, "expected an array%s%s", "", "");
		if (json_array_size(j) > t->array.nelems)
			return fail(in, "the array has more elements than the type%s%s", "", "");
		for (size_t i = 0; i < json_array_size(j) && !rc; i++) {
			snprintf(in->path + plen, sizeof(in->path) - plen, "[%zu]", i);
			rc = from_json(in, t->array.type, json_array_get(j, i), bit_off + i * esize * 8, 0,
				       depth + 1);
		}
		break;
	}
	case BS_BTF_STRUCT:
	case BS_BTF_UNION: {
		if (!json_is_object(j))
			return fail(in, "expected an object with the members of %s%s",
				    t->name[0] ? t->name : "the struct", "");
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)j, key, v) {
			const struct bs_btf_member *m = NULL;
			for (uint16_t i = 0; i < t->vlen && !m; i++)
				if (strcmp(t->members[i].name, key) == 0)
					m = &t->members[i];
			if (!m) {
				char list[120] = "";
				size_t at = 0;
				for (uint16_t i = 0; i < t->vlen && at < sizeof(list) - 1; i++)
					at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s",
							       i ? ", " : "", t->members[i].name);
				char what[80];
				snprintf(what, sizeof(what), "%s has no member '%s'",
					 t->name[0] ? t->name : "the struct", key);
				return fail(in, "%s; it has: %s", what, list);
			}
			snprintf(in->path + plen, sizeof(in->path) - plen, ".%s", key);
			if (from_json(in, m->type, v, bit_off + m->bit_offset, m->bitfield_size,
				      depth + 1))
				return -1;
		}
		break;
	}
	case BS_BTF_DATASEC: {
		/* bpftool's {".bss": [{"var": v}, ...]}, or just {"var": v, ...} */
		const json_t *vars = json_object_get(j, t->name);
		if (!json_is_object(j) && !json_is_array(j))
			return fail(in, "expected {\"%s\": [{\"variable\": value}, ...]}%s", t->name, "");
		json_t *flat = json_object();
		const json_t *list = vars ? vars : j;
		size_t i;
		json_t *item;
		if (json_is_array(list)) {
			json_array_foreach((json_t *)list, i, item) json_object_update(flat, item);
		} else {
			json_object_update(flat, (json_t *)list);
		}
		const char *key;
		json_t *v;
		json_object_foreach(flat, key, v) {
			const struct bs_btf_var_secinfo *vs = NULL;
			for (uint16_t k = 0; k < t->vlen && !vs; k++) {
				const struct bs_btf_type *var = bs_btf_type_by_id(in->btf, t->vars[k].type);
				if (var && strcmp(var->name, key) == 0)
					vs = &t->vars[k];
			}
			if (!vs) {
				rc = fail(in, "section %s has no variable '%s'", t->name, key);
				break;
			}
			uint32_t off;
			if (!var_offset(t, vs, &off)) {
				rc = fail(in, "where the variables of %s are is not known (bpfstep was "
					  "built without libbpf)%s", t->name, "");
				break;
			}
			snprintf(in->path + plen, sizeof(in->path) - plen, "%s%s", plen ? "." : "", key);
			if ((rc = from_json(in, vs->type, v, (uint64_t)off * 8, 0, depth + 1)))
				break;
		}
		json_decref(flat);
		break;
	}
	default:
		return fail(in, "values of BTF kind %s cannot be given%s", bs_btf_kind_name(t->kind),
			    "");
	}
	in->path[plen] = 0;
	return rc;
}

int cli_btf_from_json(const struct bs_btf *btf, uint32_t type, const json_t *j, uint8_t *data,
		      size_t size, char *why, size_t len)
{
	struct in in = {.btf = btf, .data = data, .size = size, .why = why, .len = len};
	memset(data, 0, size);
	return from_json(&in, type, j, 0, 0, 0);
}
