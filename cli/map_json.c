// SPDX-License-Identifier: MIT
/* Map contents as JSON, out (--maps-out, the "maps" key of --json, the
 * kernel comparison) and in (--maps-in, --map-update). docs/run-json.md
 * describes the format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"

#define ROUND8(x) (((size_t)(x) + 7) & ~(size_t)7)

bool cli_map_is_percpu(uint32_t type)
{
	return type == BS_MAP_PERCPU_HASH || type == BS_MAP_PERCPU_ARRAY ||
	       type == BS_MAP_LRU_PERCPU_HASH;
}

static bool is_array(uint32_t type)
{
	return type == BS_MAP_ARRAY || type == BS_MAP_PERCPU_ARRAY || type == BS_MAP_PROG_ARRAY ||
	       type == BS_MAP_ARRAY_OF_MAPS || type == BS_MAP_PERF_EVENT_ARRAY;
}

static bool is_queue(uint32_t type)
{
	return type == BS_MAP_QUEUE || type == BS_MAP_STACK;
}

/* maps whose contents are records, not entries */
static bool is_records(uint32_t type)
{
	return type == BS_MAP_RINGBUF || type == BS_MAP_PERF_EVENT_ARRAY;
}

json_t *cli_json_hex(const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	const uint8_t *b = data;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = 0;
	json_t *j = json_string(s);
	free(s);
	return j;
}

int cli_hex_exact(const char *text, size_t want, uint8_t *out, const char *what,
		  struct bs_error *err)
{
	uint8_t *b;
	size_t n;
	if (cli_parse_hex(text, &b, &n, err)) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		return bs_error_set(err, BS_ERR_PARSE, "%s: %s", what, msg);
	}
	if (n != want) {
		free(b);
		return bs_error_set(err, BS_ERR_ARG, "%s is %zu bytes; it must be %zu", what, n, want);
	}
	memcpy(out, b, n);
	free(b);
	return 0;
}

/* the value as JSON: hex, or one hex string per CPU */
static json_t *value_json(const struct cli_map_src *s, const uint8_t *v)
{
	if (!cli_map_is_percpu(s->type))
		return cli_json_hex(v, s->value_size);
	json_t *a = json_array();
	for (uint32_t c = 0; a && c < s->ncpus; c++)
		json_array_append_new(a, cli_json_hex(v + c * ROUND8(s->value_size), s->value_size));
	return a;
}

static size_t value_buf_size(const struct cli_map_src *s)
{
	return cli_map_is_percpu(s->type) ? ROUND8(s->value_size) * s->ncpus : s->value_size;
}

static int add_entry(json_t *entries, const struct cli_map_src *s, const void *key,
		     const uint8_t *value)
{
	json_t *e = json_object();
	if (!e)
		return -1;
	if (key)
		json_object_set_new(e, "key", cli_json_hex(key, s->key_size));
	json_object_set_new(e, "value", value_json(s, value));
	return json_array_append_new(entries, e);
}

static int cmp_keys(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

/* qsort_r is a GNU extension; a tiny insertion sort keeps this portable */
static void sort_keys(uint8_t *keys, size_t n, size_t size, uint8_t *tmp)
{
	for (size_t i = 1; i < n; i++) {
		memcpy(tmp, keys + i * size, size);
		size_t j = i;
		for (; j > 0 && cmp_keys(keys + (j - 1) * size, tmp, &size) > 0; j--)
			memcpy(keys + j * size, keys + (j - 1) * size, size);
		memcpy(keys + j * size, tmp, size);
	}
}

static int hash_entries(const struct cli_map_src *s, json_t *entries, uint8_t *value,
			struct bs_error *err)
{
	size_t ks = s->key_size ? s->key_size : 1, cap = 16, n = 0;
	uint8_t *keys = malloc(cap * ks), *tmp = malloc(ks);
	int rc = -1;
	if (!keys || !tmp) {
		bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* a walk longer than the map means next_key goes round in circles */
	for (const uint8_t *prev = NULL;; prev = keys + (n - 1) * ks) {
		if (n == cap) {
			uint8_t *more = realloc(keys, cap * 2 * ks);
			if (!more) {
				bs_error_set(err, BS_ERR_NOMEM, "out of memory");
				goto out;
			}
			keys = more;
			cap *= 2;
			prev = keys + (n - 1) * ks;
		}
		int r = s->next_key(s->user, prev, keys + n * ks);
		if (r == -ENOENT)
			break;
		if (r < 0) {
			bs_error_set(err, BS_ERR_ARG, "map '%s': next key: %s", s->name, strerror(-r));
			goto out;
		}
		if (++n > (size_t)s->max_entries + 1) {
			bs_error_set(err, BS_ERR_ARG, "map '%s': its keys do not end after %u entries",
				     s->name, s->max_entries);
			goto out;
		}
	}
	sort_keys(keys, n, ks, tmp);
	for (size_t i = 0; i < n; i++) {
		int r = s->lookup(s->user, keys + i * ks, value);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			bs_error_set(err, BS_ERR_ARG, "map '%s': lookup: %s", s->name, strerror(-r));
			goto out;
		}
		if (add_entry(entries, s, keys + i * ks, value))
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	bs_error_set(err, BS_ERR_NOMEM, "out of memory");
out:
	free(keys);
	free(tmp);
	return rc;
}

/* a queue or stack is read by popping it empty and pushing it back */
static int queue_entries(const struct cli_map_src *s, json_t *entries, struct bs_error *err)
{
	size_t vs = s->value_size, n = 0;
	uint8_t *vals = malloc((size_t)(s->max_entries + 1) * vs + 1);
	if (!vals)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	while (n <= s->max_entries && s->pop(s->user, vals + n * vs) == 0)
		n++;
	int rc = 0;
	for (size_t i = 0; i < n && s->push; i++)
		if (s->push(s->user, vals + i * vs) < 0)
			rc = bs_error_set(err, BS_ERR_ARG, "map '%s': cannot push back element %zu",
					  s->name, i);
	for (size_t i = 0; i < n && !rc; i++)
		if (add_entry(entries, s, NULL, vals + i * vs))
			rc = bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	free(vals);
	return rc;
}

json_t *cli_map_src_json(const struct cli_map_src *s, struct bs_error *err)
{
	json_t *m = json_object(), *entries = json_array();
	uint8_t *value = malloc(value_buf_size(s) + 8), *key = malloc(s->key_size + 8);
	int rc = -1;
	if (!m || !entries || !value || !key) {
		bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(m, "type", json_string(bs_map_type_name(s->type)));
	json_object_set_new(m, "key_size", json_integer(s->key_size));
	json_object_set_new(m, "value_size", json_integer(s->value_size));
	json_object_set_new(m, "max_entries", json_integer(s->max_entries));
	if (is_records(s->type)) {
		rc = 0;
	} else if (is_queue(s->type)) {
		rc = queue_entries(s, entries, err);
	} else if (is_array(s->type) && s->key_size == 4) {
		rc = 0;
		for (uint32_t i = 0; i < s->max_entries && !rc; i++) {
			int r = s->lookup(s->user, &i, value);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				rc = bs_error_set(err, BS_ERR_ARG, "map '%s': lookup of %u: %s", s->name, i,
						  strerror(-r));
			else if (add_entry(entries, s, &i, value))
				rc = bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		}
	} else {
		rc = hash_entries(s, entries, value, err);
	}
out:
	free(value);
	free(key);
	if (rc) {
		json_decref(entries);
		json_decref(m);
		return NULL;
	}
	json_object_set_new(m, "entries", entries);
	return m;
}

/* ---- bpfstep's maps as a source ---- */

static int our_next_key(void *u, const void *key, void *next)
{
	return bs_map_next_key(u, key, next);
}

static int our_lookup(void *u, const void *key, void *value)
{
	return bs_map_lookup(u, key, value);
}

static int our_pop(void *u, void *value)
{
	return bs_map_lookup_and_delete(u, NULL, value, 0);
}

static int our_push(void *u, const void *value)
{
	return bs_map_update(u, NULL, value, BS_ANY);
}

static void our_src(struct bs_map *map, uint32_t ncpus, struct cli_map_src *s)
{
	const struct bs_map_def *d = bs_map_def(map);
	*s = (struct cli_map_src){
		.name = d->name, .type = d->type, .key_size = d->key_size,
		.value_size = d->value_size, .max_entries = d->max_entries, .ncpus = ncpus,
		.next_key = our_next_key, .lookup = our_lookup, .pop = our_pop, .push = our_push,
		.user = map,
	};
}

static size_t object_map_index(const struct bs_object *obj, const char *name)
{
	for (size_t i = 0; obj && i < bs_object_map_count(obj); i++)
		if (strcmp(bs_object_map_def(obj, i)->name, name) == 0)
			return i;
	return SIZE_MAX;
}

void cli_map_btf_types(const struct bs_object *obj, const char *map, uint32_t *key,
		       uint32_t *value)
{
	*key = *value = 0;
	size_t i = object_map_index(obj, map);
	if (i != SIZE_MAX)
		bs_object_map_btf(obj, i, key, value);
}

/* bpftool's "formatted" view of one entry, and names for the values of
 * program and map arrays */
static void annotate(json_t *m, const struct cli_map_src *s, struct bs_maps *maps,
		     const struct bs_object *obj)
{
	uint32_t kt, vt;
	cli_map_btf_types(obj, s->name, &kt, &vt);
	const struct bs_btf *btf = obj ? bs_object_btf(obj) : NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(m, "entries"), i, e) {
		const char *khex = json_string_value(json_object_get(e, "key"));
		json_t *v = json_object_get(e, "value");
		uint8_t kbuf[512], vbuf[4096];
		struct bs_error err;
		if (s->type == BS_MAP_PROG_ARRAY || s->type == BS_MAP_ARRAY_OF_MAPS ||
		    s->type == BS_MAP_HASH_OF_MAPS) {
			uint32_t idx;
			if (s->value_size != 4 || !json_is_string(v) ||
			    cli_hex_exact(json_string_value(v), 4, (uint8_t *)&idx, "value", &err))
				continue;
			if (s->type == BS_MAP_PROG_ARRAY && obj && idx < bs_object_prog_count(obj))
				json_object_set_new(e, "prog",
						    json_string(bs_prog_name(bs_object_prog(obj, idx))));
			else if (s->type != BS_MAP_PROG_ARRAY && idx < bs_maps_count(maps))
				json_object_set_new(e, "map",
						    json_string(bs_map_def(bs_maps_at(maps, idx))->name));
			continue;
		}
		if (!btf || !vt || s->value_size > sizeof(vbuf) || s->key_size > sizeof(kbuf))
			continue;
		json_t *f = json_object();
		if (kt && khex && !cli_hex_exact(khex, s->key_size, kbuf, "key", &err))
			json_object_set_new(f, "key", cli_btf_to_json(btf, kt, kbuf, s->key_size));
		if (json_is_string(v)) {
			if (!cli_hex_exact(json_string_value(v), s->value_size, vbuf, "value", &err))
				json_object_set_new(f, "value",
						    cli_btf_to_json(btf, vt, vbuf, s->value_size));
		} else {
			json_t *vals = json_array(), *cv;
			size_t c;
			json_array_foreach(v, c, cv) {
				if (cli_hex_exact(json_string_value(cv), s->value_size, vbuf, "value",
						  &err))
					break;
				json_t *one = json_object();
				json_object_set_new(one, "cpu", json_integer((json_int_t)c));
				json_object_set_new(one, "value",
						    cli_btf_to_json(btf, vt, vbuf, s->value_size));
				json_array_append_new(vals, one);
			}
			json_object_set_new(f, "values", vals);
		}
		json_object_set_new(e, "formatted", f);
	}
}

json_t *cli_maps_json(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		      struct bs_error *err)
{
	json_t *root = json_object();
	if (!root) {
		bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; maps && i < bs_maps_count(maps); i++) {
		struct cli_map_src s;
		our_src(bs_maps_at(maps, i), ncpus, &s);
		json_t *m = cli_map_src_json(&s, err);
		if (!m) {
			json_decref(root);
			return NULL;
		}
		annotate(m, &s, maps, obj);
		json_object_set_new(root, s.name, m);
	}
	return root;
}

/* ---- loading ---- */

struct bs_map *cli_find_map(struct bs_maps *maps, const char *name, struct bs_error *err)
{
	struct bs_map *m = bs_maps_find(maps, name), *suffix = NULL;
	if (m)
		return m;
	size_t nsuffix = 0, len = strlen(name);
	char list[256] = "";
	size_t at = 0;
	for (size_t i = 0; i < bs_maps_count(maps); i++) {
		const char *n = bs_map_def(bs_maps_at(maps, i))->name;
		size_t l = strlen(n);
		if (name[0] == '.' && l > len && strcmp(n + l - len, name) == 0 &&
		    strchr(n, '.') == n + l - len) {
			suffix = bs_maps_at(maps, i);
			nsuffix++;
		}
		if (at < sizeof(list) - 1)
			at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", n);
	}
	if (nsuffix == 1)
		return suffix;
	bs_error_set(err, BS_ERR_ARG, "there is no map '%s'; the maps are: %s", name,
		     bs_maps_count(maps) ? list : "(none)");
	return NULL;
}

static int map_errno(struct bs_error *err, const char *where, const char *what, int r)
{
	return bs_error_set(err, BS_ERR_ARG, "%s: %s failed: %s (errno %d)", where, what,
			    strerror(-r), -r);
}

/* one value (or per-CPU list) in hex or, with BTF, typed, into buf */
static int take_value(const struct cli_map_src *s, const struct bs_btf *btf, uint32_t vt,
		      const json_t *v, uint8_t *buf, const char *where, struct bs_error *err)
{
	char what[400], why[256];
	size_t vs = s->value_size;
	bool percpu = cli_map_is_percpu(s->type);
	size_t copies = percpu ? s->ncpus : 1, stride = percpu ? ROUND8(vs) : vs;
	memset(buf, 0, stride * copies);
	if (percpu && json_is_array(v) && json_array_size(v) != s->ncpus)
		return bs_error_set(err, BS_ERR_ARG, "%s: the value has %zu per-CPU values; the map "
				    "keeps %u (--ncpus)", where, json_array_size(v), s->ncpus);
	for (size_t c = 0; c < copies; c++) {
		const json_t *one = percpu && json_is_array(v) ? json_array_get(v, c) : v;
		snprintf(what, sizeof(what), "%s: value%s", where, percpu ? " (a CPU's)" : "");
		if (json_is_string(one)) {
			if (cli_hex_exact(json_string_value(one), vs, buf + c * stride, what, err))
				return -1;
			continue;
		}
		if (!btf || !vt)
			return bs_error_set(err, BS_ERR_ARG, "%s: a value that is not a hex string "
					    "needs the map's BTF value type, and there is none", where);
		if (cli_btf_from_json(btf, vt, one, buf + c * stride, vs, why, sizeof(why)))
			return bs_error_set(err, BS_ERR_ARG, "%s: value: %s", where, why);
	}
	return 0;
}

static int take_key(const struct cli_map_src *s, const struct bs_btf *btf, uint32_t kt,
		    const json_t *k, uint8_t *buf, const char *where, struct bs_error *err)
{
	char what[400], why[256];
	if (!k)
		return bs_error_set(err, BS_ERR_ARG, "%s: \"key\" is missing", where);
	if (json_is_string(k)) {
		snprintf(what, sizeof(what), "%s: key", where);
		return cli_hex_exact(json_string_value(k), s->key_size, buf, what, err);
	}
	/* arrays take an index without BTF */
	if (json_is_integer(k) && is_array(s->type) && s->key_size == 4 && !kt) {
		json_int_t i = json_integer_value(k);
		if (i < 0 || i > UINT32_MAX)
			return bs_error_set(err, BS_ERR_ARG, "%s: key %lld is not an index", where,
					    (long long)i);
		uint32_t idx = (uint32_t)i;
		memcpy(buf, &idx, 4);
		return 0;
	}
	if (!btf || !kt)
		return bs_error_set(err, BS_ERR_ARG, "%s: a key that is not a hex string needs the "
				    "map's BTF key type, and there is none", where);
	if (cli_btf_from_json(btf, kt, k, buf, s->key_size, why, sizeof(why)))
		return bs_error_set(err, BS_ERR_ARG, "%s: key: %s", where, why);
	return 0;
}

static int check_attr(const json_t *m, const char *attr, uint32_t have, const char *where,
		      struct bs_error *err)
{
	const json_t *v = json_object_get(m, attr);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) != (json_int_t)have)
		return bs_error_set(err, BS_ERR_ARG, "%s: %s is %u here, not %s", where, attr, have,
				    json_is_integer(v) ? "what the file says" : "a number");
	return 0;
}

static int load_map(struct bs_map *map, uint32_t ncpus, const struct bs_object *obj,
		    const json_t *m, const char *where, struct bs_error *err)
{
	struct cli_map_src s;
	our_src(map, ncpus, &s);
	if (!json_is_object(m))
		return bs_error_set(err, BS_ERR_PARSE, "%s: expected an object with \"entries\"",
				    where);
	const json_t *type = json_object_get(m, "type");
	if (type && (!json_is_string(type) ||
		     strcmp(json_string_value(type), bs_map_type_name(s.type)) != 0))
		return bs_error_set(err, BS_ERR_ARG, "%s: the map is a %s map, not %s", where,
				    bs_map_type_name(s.type),
				    json_is_string(type) ? json_string_value(type) : "that");
	if (check_attr(m, "key_size", s.key_size, where, err) ||
	    check_attr(m, "value_size", s.value_size, where, err) ||
	    check_attr(m, "max_entries", s.max_entries, where, err))
		return -1;
	const json_t *entries = json_object_get(m, "entries");
	if (!entries)
		return 0;
	if (!json_is_array(entries))
		return bs_error_set(err, BS_ERR_PARSE, "%s: \"entries\" must be an array", where);
	if (is_records(s.type) && json_array_size(entries))
		return bs_error_set(err, BS_ERR_ARG, "%s: a %s map has no entries to load", where,
				    bs_map_type_name(s.type));
	uint32_t kt, vt;
	cli_map_btf_types(obj, s.name, &kt, &vt);
	const struct bs_btf *btf = obj ? bs_object_btf(obj) : NULL;
	uint8_t *key = calloc(1, s.key_size + 8), *val = malloc(value_buf_size(&s) + 8);
	int rc = 0;
	if (!key || !val)
		rc = bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	size_t n = json_array_size(entries);
	for (size_t k = 0; k < n && !rc; k++) {
		/* a stack pops in reverse push order: push the list backwards */
		size_t i = s.type == BS_MAP_STACK ? n - 1 - k : k;
		const json_t *e = json_array_get(entries, i);
		char at[320];
		/* --map-update has one entry: no number for it */
		if (strncmp(where, "--", 2) == 0)
			snprintf(at, sizeof(at), "%s", where);
		else
			snprintf(at, sizeof(at), "%s entry %zu", where, i);
		if (!json_is_object(e)) {
			rc = bs_error_set(err, BS_ERR_PARSE, "%s: expected {\"key\": ..., \"value\": ...}",
					  at);
			break;
		}
		const json_t *f = json_object_get(e, "formatted");
		const json_t *jk = json_object_get(e, "key"), *jv = json_object_get(e, "value");
		if (!jk && f)
			jk = json_object_get(f, "key");
		if (!jv && f)
			jv = json_object_get(f, "value");
		if (!jv) {
			rc = bs_error_set(err, BS_ERR_ARG, "%s: \"value\" is missing", at);
			break;
		}
		if (is_queue(s.type) && jk) {
			rc = bs_error_set(err, BS_ERR_ARG, "%s: a %s map has no keys", at,
					  bs_map_type_name(s.type));
			break;
		}
		if ((!is_queue(s.type) && take_key(&s, btf, kt, jk, key, at, err)) ||
		    take_value(&s, btf, vt, jv, val, at, err)) {
			rc = -1;
			break;
		}
		int r = bs_map_update(map, is_queue(s.type) ? NULL : key, val, BS_ANY);
		if (r < 0)
			rc = map_errno(err, at, "update", r);
	}
	free(key);
	free(val);
	return rc;
}

int cli_maps_load(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		  const json_t *root, const char *src, struct bs_error *err)
{
	if (!json_is_object(root))
		return bs_error_set(err, BS_ERR_PARSE, "%s: expected an object of maps by name", src);
	const char *name;
	json_t *m;
	json_object_foreach((json_t *)root, name, m) {
		char where[300];
		struct bs_map *map = cli_find_map(maps, name, err);
		if (!map) {
			char msg[sizeof(err->message)];
			snprintf(msg, sizeof(msg), "%s", err->message);
			return bs_error_set(err, BS_ERR_ARG, "%s: %s", src, msg);
		}
		snprintf(where, sizeof(where), "%s: map '%s'", src, name);
		if (load_map(map, ncpus, obj, m, where, err))
			return -1;
	}
	return 0;
}

int cli_maps_load_file(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		       const char *path, struct bs_error *err)
{
	json_error_t je;
	json_t *root = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
					      : json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_cannot_open_file)
			return bs_error_set(err, BS_ERR_IO, "cannot open '%s': %s", path, je.text);
		bs_error_set(err, BS_ERR_PARSE, "%s:%d:%d: malformed JSON: %s", path, je.line,
			     je.column, je.text);
		return -1;
	}
	int rc = cli_maps_load(maps, ncpus, obj, root, path, err);
	json_decref(root);
	return rc;
}

int cli_map_update_arg(struct bs_maps *maps, uint32_t ncpus, const char *arg,
		       struct bs_error *err)
{
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2)
		return bs_error_set(err, BS_ERR_ARG, "--map-update '%s': expected NAME:KEYHEX:VALHEX",
				    arg);
	char name[128];
	snprintf(name, sizeof(name), "%.*s", (int)(c1 - arg), arg);
	char khex[1024];
	snprintf(khex, sizeof(khex), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	struct bs_map *map = cli_find_map(maps, name, err);
	if (!map)
		return -1;
	struct cli_map_src s;
	our_src(map, ncpus, &s);
	char where[300];
	snprintf(where, sizeof(where), "--map-update %s", name);
	json_t *e = json_object();
	json_object_set_new(e, "key", json_string(khex));
	/* a percpu value: every CPU's bytes one after the other, or one CPU's */
	const char *vhex = c2 + 1;
	uint8_t *b;
	size_t n;
	if (cli_parse_hex(vhex, &b, &n, err)) {
		json_decref(e);
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		return bs_error_set(err, BS_ERR_PARSE, "%s: value: %s", where, msg);
	}
	if (cli_map_is_percpu(s.type) && n == (size_t)s.value_size * ncpus && ncpus > 1) {
		json_t *a = json_array();
		for (uint32_t c = 0; c < ncpus; c++)
			json_array_append_new(a, cli_json_hex(b + (size_t)c * s.value_size,
							      s.value_size));
		json_object_set_new(e, "value", a);
	} else {
		json_object_set_new(e, "value", json_string(vhex));
	}
	free(b);
	if (is_queue(s.type))
		json_object_del(e, "key");
	json_t *m = json_pack("{s:[o]}", "entries", e);
	int rc = load_map(map, ncpus, NULL, m, where, err);
	json_decref(m);
	return rc;
}

int cli_json_write_file(const json_t *j, const char *path, struct bs_error *err)
{
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	if (strcmp(path, "-") == 0) {
		json_dumpf(j, stdout, flags);
		fputc('\n', stdout);
		return 0;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	bool ok = json_dumpf(j, f, flags) == 0 && fputc('\n', f) != EOF;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}
