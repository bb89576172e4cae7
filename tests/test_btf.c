// SPDX-License-Identifier: MIT
/* BTF: parsing every kind (a hand-built blob for the kinds clang 14 does
 * not write, clang-built objects for the rest), BTF-defined maps, the
 * .BTF.ext line table against the source, the raw dump against bpftool,
 * the C dump through a compiler with layout assertions, corrupt inputs
 * with their messages, and a mutation loop that must never crash.
 *
 * Objects come from the C files in tests/data/btf, compiled at build time into
 * data/btf/ beside this executable. bpftool and clang are used when
 * present; a test that needs one skips without it. */
#include <endian.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfstep/btf.h"
#include "loader/elf_file.h"
#include "tests/testutil.h"

/* ---- small helpers ---- */

struct text {
	char *s;
	size_t len, cap;
};

static void collect(void *user, const char *piece)
{
	struct text *t = user;
	size_t n = strlen(piece);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, piece, n + 1);
	t->len += n;
}

static void discard(void *user, const char *piece)
{
	*(size_t *)user += strlen(piece);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
	assert_non_null(buf);
	*len = fread(buf, 1, n > 0 ? (size_t)n : 0, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static char obj_dir[PATH_MAX];
static char tmp_dir[64];

/* data/btf/NAME beside this executable */
static const char *obj_path(const char *name)
{
	static char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/data/btf/%s", obj_dir, name);
	return path;
}

/* A few calls may share one printf: each gets its own buffer. */
static const char *tmp_path(const char *name)
{
	static char path[4][128];
	static unsigned next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", tmp_dir, name);
	return p;
}

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static const char *bpftool(void)
{
	if (have("bpftool"))
		return "bpftool";
	if (access("/usr/sbin/bpftool", X_OK) == 0)
		return "/usr/sbin/bpftool";
	return NULL;
}

/* Fails the test if clang was found but the object was not built. */
static bool object_available(const char *name)
{
	if (access(obj_path(name), R_OK) == 0)
		return true;
	if (have("clang")) {
		printf("%s is missing although clang is installed\n", obj_path(name));
		fail();
	}
	return false;
}

struct obj {
	struct ldr_elf elf;
	const void *btf_data, *ext_data;
	size_t btf_size, ext_size;
	struct bs_btf *btf;
	struct bs_btf_ext *ext;
};

static void obj_open(struct obj *o, const char *name)
{
	size_t len;
	uint8_t *img = read_all(obj_path(name), &len);
	struct bs_error err;
	assert_non_null(img);
	if (ldr_elf_open(&o->elf, obj_path(name), img, len, &err)) {
		printf("%s\n", err.message);
		fail();
	}
	Elf_Data *d = NULL;
	assert_non_null(ldr_elf_find(&o->elf, ".BTF", &d));
	o->btf_data = d->d_buf;
	o->btf_size = d->d_size;
	if (bs_btf_parse(o->btf_data, o->btf_size, &o->btf, &err)) {
		printf("%s\n", err.message);
		fail();
	}
	assert_non_null(ldr_elf_find(&o->elf, ".BTF.ext", &d));
	o->ext_data = d->d_buf;
	o->ext_size = d->d_size;
	if (bs_btf_ext_parse(o->btf, o->ext_data, o->ext_size, &o->ext, &err)) {
		printf("%s\n", err.message);
		fail();
	}
}

static void obj_close(struct obj *o)
{
	bs_btf_ext_free(o->ext);
	bs_btf_free(o->btf);
	ldr_elf_close(&o->elf);
}

#define EXPECT_ERR(rc, err, want_kind, substr)                                          \
	do {                                                                             \
		if ((rc) == 0 || (err).kind != (want_kind) || !strstr((err).message, substr)) { \
			printf("rc %d kind %d message: %s\n(wanted kind %d and \"%s\")\n", rc,       \
			       (err).kind, (err).message, want_kind, substr);                     \
			fail();                                                                  \
		}                                                                                \
	} while (0)

/* ---- a BTF blob built by hand ---- */

struct blob {
	uint8_t types[4096];
	size_t tlen;
	char strs[1024];
	size_t slen;
	uint32_t ntypes;
};

static void blob_init(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1; /* the empty string */
}

static uint32_t str(struct blob *b, const char *s)
{
	if (!s || !*s)
		return 0;
	uint32_t off = (uint32_t)b->slen;
	size_t n = strlen(s) + 1;
	assert_true(b->slen + n <= sizeof(b->strs));
	memcpy(b->strs + b->slen, s, n);
	b->slen += n;
	return off;
}

static void u32(struct blob *b, uint32_t v)
{
	assert_true(b->tlen + 4 <= sizeof(b->types));
	v = htole32(v);
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

/* A record header; returns the new type's id. */
static uint32_t rec(struct blob *b, const char *name, unsigned kind, bool kflag, unsigned vlen,
		    uint32_t size_or_type)
{
	u32(b, str(b, name));
	u32(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
	u32(b, size_or_type);
	return ++b->ntypes;
}

static size_t blob_bytes(const struct blob *b, uint8_t *out)
{
	uint32_t h[6] = {htole32(0x0001eb9f), htole32(24), 0, htole32((uint32_t)b->tlen),
			 htole32((uint32_t)b->tlen), htole32((uint32_t)b->slen)};
	memcpy(out, h, 24);
	memcpy(out + 24, b->types, b->tlen);
	memcpy(out + 24 + b->tlen, b->strs, b->slen);
	return 24 + b->tlen + b->slen;
}

/* One type of every kind, and the variants of each: signed and unsigned
 * enums, a union FWD, an extern VAR, varargs, a kflag bitfield. */
static size_t all_kinds_blob(uint8_t *out)
{
	struct blob b;
	blob_init(&b);
	rec(&b, "int", BS_BTF_INT, 0, 0, 4);                     /* 1 */
	u32(&b, 1u << 24 | 32);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 1);                      /* 2 */
	rec(&b, NULL, BS_BTF_ARRAY, 0, 0, 0);                    /* 3 */
	u32(&b, 1), u32(&b, 27), u32(&b, 4);
	rec(&b, "pair", BS_BTF_STRUCT, 1, 2, 8);                 /* 4 */
	u32(&b, str(&b, "a")), u32(&b, 1), u32(&b, 0);
	u32(&b, str(&b, "b")), u32(&b, 27), u32(&b, 3u << 24 | 32);
	rec(&b, "either", BS_BTF_UNION, 0, 2, 8);                /* 5 */
	u32(&b, str(&b, "i")), u32(&b, 1), u32(&b, 0);
	u32(&b, str(&b, "p")), u32(&b, 2), u32(&b, 0);
	rec(&b, "sign", BS_BTF_ENUM, 1, 2, 4);                   /* 6 */
	u32(&b, str(&b, "NEG")), u32(&b, (uint32_t)-5);
	u32(&b, str(&b, "POS")), u32(&b, 7);
	rec(&b, "later", BS_BTF_FWD, 1, 0, 0);                   /* 7 */
	rec(&b, "pair_t", BS_BTF_TYPEDEF, 0, 0, 4);              /* 8 */
	rec(&b, NULL, BS_BTF_VOLATILE, 0, 0, 1);                 /* 9 */
	rec(&b, NULL, BS_BTF_CONST, 0, 0, 9);                    /* 10 */
	rec(&b, NULL, BS_BTF_RESTRICT, 0, 0, 2);                 /* 11 */
	rec(&b, NULL, BS_BTF_FUNC_PROTO, 0, 3, 1);               /* 12 */
	u32(&b, str(&b, "x")), u32(&b, 10);
	u32(&b, str(&b, "p")), u32(&b, 11);
	u32(&b, 0), u32(&b, 0);
	rec(&b, "f", BS_BTF_FUNC, 0, BS_BTF_GLOBAL, 12);         /* 13 */
	rec(&b, "v", BS_BTF_VAR, 0, 0, 8);                       /* 14 */
	u32(&b, BS_BTF_GLOBAL);
	rec(&b, ".data", BS_BTF_DATASEC, 0, 2, 12);              /* 15 */
	u32(&b, 14), u32(&b, 0), u32(&b, 8);
	u32(&b, 25), u32(&b, 8), u32(&b, 4);
	rec(&b, "double", BS_BTF_FLOAT, 0, 0, 8);                /* 16 */
	rec(&b, "tagged", BS_BTF_DECL_TAG, 0, 0, 4);             /* 17 */
	u32(&b, 1);
	rec(&b, "user", BS_BTF_TYPE_TAG, 0, 0, 1);               /* 18 */
	rec(&b, "wide", BS_BTF_ENUM64, 0, 2, 8);                 /* 19 */
	u32(&b, str(&b, "SMALL")), u32(&b, 1), u32(&b, 0);
	u32(&b, str(&b, "HUGE")), u32(&b, 0x23456789), u32(&b, 0x1);
	rec(&b, "swide", BS_BTF_ENUM64, 1, 1, 8);                /* 20 */
	u32(&b, str(&b, "MINUS")), u32(&b, 0xfffffffe), u32(&b, 0xffffffff);
	rec(&b, "usign", BS_BTF_ENUM, 0, 1, 4);                  /* 21 */
	u32(&b, str(&b, "BIG")), u32(&b, 0xfffffff0);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 18);                     /* 22 */
	rec(&b, "char", BS_BTF_INT, 0, 0, 1);                    /* 23 */
	u32(&b, 2u << 24 | 8);
	rec(&b, "_Bool", BS_BTF_INT, 0, 0, 1);                   /* 24 */
	u32(&b, 4u << 24 | 8);
	rec(&b, "ext", BS_BTF_VAR, 0, 0, 1);                     /* 25 */
	u32(&b, BS_BTF_EXTERN);
	rec(&b, "sf", BS_BTF_FUNC, 0, BS_BTF_STATIC, 12);        /* 26 */
	rec(&b, "unsigned int", BS_BTF_INT, 0, 0, 4);            /* 27 */
	u32(&b, 32);
	rec(&b, "holder", BS_BTF_STRUCT, 0, 4, 32);              /* 28 */
	u32(&b, str(&b, "tp")), u32(&b, 22), u32(&b, 0);
	u32(&b, str(&b, "w")), u32(&b, 19), u32(&b, 64);
	u32(&b, str(&b, "e")), u32(&b, 5), u32(&b, 128);
	u32(&b, str(&b, "l")), u32(&b, 29), u32(&b, 192);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 7);                      /* 29 */
	return blob_bytes(&b, out);
}

/* ---- every kind ---- */

static void test_all_kinds(void **state)
{
	(void)state;
	uint8_t data[8192];
	size_t n = all_kinds_blob(data);
	struct bs_btf *btf;
	struct bs_error err;
	if (bs_btf_parse(data, n, &btf, &err)) {
		printf("%s\n", err.message);
		fail();
	}
	assert_int_equal(bs_btf_type_count(btf), 29);
	bool seen[BS_BTF_KIND__COUNT] = {0};
	for (uint32_t id = 1; id <= 29; id++) {
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		assert_int_equal(t->id, id);
		seen[t->kind] = true;
	}
	for (int k = 1; k < BS_BTF_KIND__COUNT; k++)
		assert_true(seen[k]);

	const struct bs_btf_type *t = bs_btf_type_by_id(btf, 0);
	assert_int_equal(t->kind, BS_BTF_VOID);
	assert_null(bs_btf_type_by_id(btf, 30));
	assert_string_equal(bs_btf_kind_name(BS_BTF_ENUM64), "ENUM64");

	t = bs_btf_type_by_id(btf, 1);
	assert_int_equal(t->int_info.encoding, BS_BTF_INT_SIGNED);
	assert_int_equal(t->int_info.bits, 32);
	assert_int_equal(t->offset, 24);
	t = bs_btf_type_by_id(btf, 3);
	assert_int_equal(t->array.type, 1);
	assert_int_equal(t->array.index_type, 27);
	assert_int_equal(t->array.nelems, 4);
	t = bs_btf_type_by_id(btf, 4);
	assert_string_equal(t->members[1].name, "b");
	assert_int_equal(t->members[1].bit_offset, 32);
	assert_int_equal(t->members[1].bitfield_size, 3);
	t = bs_btf_type_by_id(btf, 6);
	assert_true(t->kflag);
	assert_int_equal((int64_t)t->values[0].value, -5);
	assert_int_equal(t->values[1].value, 7);
	assert_true(bs_btf_type_by_id(btf, 7)->kflag); /* union FWD */
	t = bs_btf_type_by_id(btf, 12);
	assert_int_equal(t->vlen, 3);
	assert_int_equal(t->params[2].type, 0);
	assert_string_equal(t->params[1].name, "p");
	assert_int_equal(bs_btf_type_by_id(btf, 13)->linkage, BS_BTF_GLOBAL);
	assert_int_equal(bs_btf_type_by_id(btf, 25)->linkage, BS_BTF_EXTERN);
	t = bs_btf_type_by_id(btf, 15);
	assert_int_equal(t->vars[1].type, 25);
	assert_int_equal(t->vars[1].offset, 8);
	assert_int_equal(bs_btf_type_by_id(btf, 17)->component_idx, 1);
	assert_string_equal(bs_btf_type_by_id(btf, 18)->name, "user");
	t = bs_btf_type_by_id(btf, 19);
	assert_int_equal(t->values[1].value, 0x123456789ull);
	t = bs_btf_type_by_id(btf, 20);
	assert_int_equal((int64_t)t->values[0].value, -2);
	assert_int_equal(bs_btf_type_by_id(btf, 21)->values[0].value, 0xfffffff0u);

	/* lookups and sizes */
	assert_int_equal(bs_btf_find_by_name(btf, "pair", BS_BTF_STRUCT), 4);
	assert_int_equal(bs_btf_find_by_name(btf, "pair", BS_BTF_UNION), 0);
	assert_int_equal(bs_btf_find_by_name(btf, "pair_t", BS_BTF_VOID), 8);
	assert_int_equal(bs_btf_find_by_name(btf, "nope", BS_BTF_VOID), 0);
	assert_int_equal(bs_btf_skip_mods(btf, 10), 1);
	assert_int_equal(bs_btf_skip_mods(btf, 8), 4);
	assert_int_equal(bs_btf_skip_mods(btf, 18), 1);
	assert_int_equal(bs_btf_skip_mods(btf, 2), 2);
	uint64_t sz;
	static const struct {
		uint32_t id;
		uint64_t size;
	} sizes[] = {{1, 4}, {2, 8}, {3, 16}, {4, 8}, {5, 8}, {6, 4}, {8, 8}, {10, 4},
		     {11, 8}, {14, 8}, {15, 12}, {16, 8}, {18, 4}, {19, 8}, {28, 32}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (bs_btf_resolve_size(btf, sizes[i].id, &sz, &err)) {
			printf("type %u: %s\n", sizes[i].id, err.message);
			fail();
		}
		assert_int_equal(sz, sizes[i].size);
	}
	EXPECT_ERR(bs_btf_resolve_size(btf, 0, &sz, &err), err, BS_ERR_ARG, "type 0 (void) has no size");
	EXPECT_ERR(bs_btf_resolve_size(btf, 12, &sz, &err), err, BS_ERR_ARG, "FUNC_PROTO) has no size");
	EXPECT_ERR(bs_btf_resolve_size(btf, 7, &sz, &err), err, BS_ERR_ARG, "(FWD) has no size");
	EXPECT_ERR(bs_btf_resolve_size(btf, 99, &sz, &err), err, BS_ERR_ARG, "does not exist");
	assert_string_equal(bs_btf_str(btf, 1), "int");
	assert_null(bs_btf_str(btf, 100000));
	bs_btf_free(btf);
}

/* The raw dump of the blob, character for character, as bpftool 7.1
 * printed it (the file was made with bpftool and checked in); the blob
 * itself is checked in too, for the command-line tests. */
static void test_all_kinds_raw_golden(void **state)
{
	(void)state;
	uint8_t data[8192];
	size_t n = all_kinds_blob(data), glen, blen;
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/tests/data/btf/all_kinds.btf", BS_SOURCE_DIR);
	uint8_t *blob = read_all(path, &blen);
	assert_non_null(blob);
	assert_int_equal(blen, n);
	assert_memory_equal(blob, data, n);
	free(blob);
	snprintf(path, sizeof(path), "%s/tests/data/btf/all_kinds.raw", BS_SOURCE_DIR);
	char *golden = (char *)read_all(path, &glen);
	assert_non_null(golden);

	struct bs_btf *btf;
	struct bs_error err;
	assert_int_equal(bs_btf_parse(data, n, &btf, &err), 0);
	struct text out = {0};
	bs_btf_dump_raw(btf, collect, &out);
	assert_string_equal(out.s, golden);
	/* one type alone prints its own record */
	struct text one = {0};
	bs_btf_dump_raw_type(btf, 4, collect, &one);
	assert_string_equal(one.s, "[4] STRUCT 'pair' size=8 vlen=2\n"
				   "\t'a' type_id=1 bits_offset=0\n"
				   "\t'b' type_id=27 bits_offset=32 bitfield_size=3\n");
	free(one.s);
	free(out.s);
	free(golden);
	bs_btf_free(btf);
}

/* ---- the clang-built objects ---- */

static const struct bs_btf_type *named(const struct bs_btf *btf, const char *name,
				       enum bs_btf_kind kind)
{
	uint32_t id = bs_btf_find_by_name(btf, name, kind);
	if (!id) {
		printf("no %s '%s'\n", bs_btf_kind_name(kind), name);
		fail();
	}
	return bs_btf_type_by_id(btf, id);
}

static const struct bs_btf_member *member(const struct bs_btf *btf,
					  const struct bs_btf_type *t, const char *name)
{
	for (unsigned i = 0; i < t->vlen; i++)
		if (strcmp(t->members[i].name, name) == 0)
			return &t->members[i];
	printf("no member '%s' in '%s'\n", name, t->name);
	fail();
	(void)btf;
	return NULL;
}

static uint64_t size_of(const struct bs_btf *btf, uint32_t id)
{
	uint64_t s;
	struct bs_error err;
	if (bs_btf_resolve_size(btf, id, &s, &err)) {
		printf("%s\n", err.message);
		fail();
	}
	return s;
}

static void test_types_object(void **state)
{
	(void)state;
	if (!object_available("types.bpf.o"))
		skip();
	struct obj o;
	obj_open(&o, "types.bpf.o");
	const struct bs_btf *btf = o.btf;
	bool seen[BS_BTF_KIND__COUNT] = {0};
	for (uint32_t id = 1; id <= bs_btf_type_count(btf); id++)
		seen[bs_btf_type_by_id(btf, id)->kind] = true;
	/* clang 14 writes every kind but ENUM64 (the blob covers that one) */
	for (int k = 1; k < BS_BTF_ENUM64; k++) {
		if (!seen[k])
			printf("no %s in types.bpf.o\n", bs_btf_kind_name(k));
		assert_true(seen[k]);
	}

	const struct bs_btf_type *node = named(btf, "node", BS_BTF_STRUCT);
	assert_int_equal(size_of(btf, node->id), node->size);
	assert_true(node->kflag); /* it has bitfields */
	const struct bs_btf_member *m = member(btf, node, "next");
	assert_int_equal(m->bit_offset, 0);
	const struct bs_btf_type *nptr = bs_btf_type_by_id(btf, m->type);
	assert_int_equal(nptr->kind, BS_BTF_TYPEDEF);
	assert_string_equal(nptr->name, "node_ptr");
	assert_int_equal(bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, m->type))->kind, BS_BTF_PTR);
	m = member(btf, node, "prev");
	assert_int_equal(m->bit_offset, 64);
	assert_int_equal(size_of(btf, member(btf, node, "name")->type), 16);
	assert_int_equal(size_of(btf, member(btf, node, "grid")->type), 48);
	assert_int_equal(size_of(btf, member(btf, node, "callbacks")->type), 16);
	/* unsigned flags:3, kind:5; int delta:7; enum color color:4 */
	const struct bs_btf_member *flags = member(btf, node, "flags");
	const struct bs_btf_member *kind = member(btf, node, "kind");
	const struct bs_btf_member *delta = member(btf, node, "delta");
	const struct bs_btf_member *color = member(btf, node, "color");
	assert_int_equal(flags->bitfield_size, 3);
	assert_int_equal(kind->bitfield_size, 5);
	assert_int_equal(kind->bit_offset, flags->bit_offset + 3);
	assert_int_equal(delta->bitfield_size, 7);
	assert_int_equal(delta->bit_offset, kind->bit_offset + 5);
	assert_int_equal(color->bitfield_size, 4);
	assert_int_equal(bs_btf_type_by_id(btf, color->type)->kind, BS_BTF_ENUM);
	assert_int_equal(flags->bit_offset % 32, 0);
	/* the anonymous union member */
	bool anon_union = false;
	for (unsigned i = 0; i < node->vlen; i++)
		if (!node->members[i].name[0] &&
		    bs_btf_type_by_id(btf, node->members[i].type)->kind == BS_BTF_UNION)
			anon_union = true;
	assert_true(anon_union);

	const struct bs_btf_type *color_enum = named(btf, "color", BS_BTF_ENUM);
	assert_int_equal(color_enum->vlen, 3);
	assert_string_equal(color_enum->values[1].name, "GREEN");
	assert_int_equal(color_enum->values[1].value, 5);
	assert_int_equal((int32_t)color_enum->values[2].value, -1);

	const struct bs_btf_type *cv = named(btf, "cv_u32", BS_BTF_TYPEDEF);
	const struct bs_btf_type *u = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, cv->id));
	assert_int_equal(u->kind, BS_BTF_INT);
	assert_string_equal(u->name, "unsigned int");
	assert_int_equal(size_of(btf, cv->id), 4);
	assert_int_equal(named(btf, "packed_hdr", BS_BTF_STRUCT)->size, 7);
	assert_int_equal(named(btf, "aligned_thing", BS_BTF_STRUCT)->size, 32);
	assert_int_equal(size_of(btf, named(btf, "g_handlers", BS_BTF_VAR)->id), 32);
	assert_int_equal(named(btf, "opaque", BS_BTF_FWD)->kflag, 0);
	assert_int_equal(named(btf, "later", BS_BTF_FWD)->kflag, 1);
	const struct bs_btf_type *tag = named(btf, "node_struct", BS_BTF_DECL_TAG);
	assert_int_equal(tag->type, node->id);
	assert_int_equal(tag->component_idx, -1);
	const struct bs_btf_type *arg = named(btf, "arg", BS_BTF_DECL_TAG);
	assert_int_equal(bs_btf_type_by_id(btf, arg->type)->kind, BS_BTF_FUNC);
	assert_int_equal(arg->component_idx, 0);
	const struct bs_btf_type *fn = named(btf, "types_prog", BS_BTF_FUNC);
	assert_int_equal(fn->linkage, BS_BTF_GLOBAL);
	assert_int_equal(named(btf, "helper", BS_BTF_FUNC)->linkage, BS_BTF_STATIC);
	const struct bs_btf_type *proto = bs_btf_type_by_id(btf, fn->type);
	assert_int_equal(proto->vlen, 1);
	assert_string_equal(proto->params[0].name, "ctx");
	named(btf, "user", BS_BTF_TYPE_TAG);
	named(btf, ".bss", BS_BTF_DATASEC);

	/* both functions start a func_info record */
	const struct bs_btf_ext_sec *xdp = bs_btf_ext_find_sec(o.ext, "xdp");
	const struct bs_btf_ext_sec *text = bs_btf_ext_find_sec(o.ext, ".text");
	assert_non_null(xdp);
	assert_non_null(text);
	assert_int_equal(xdp->nr_func_info, 1);
	assert_int_equal(xdp->func_info[0].insn, 0);
	assert_int_equal(xdp->func_info[0].type_id, fn->id);
	assert_int_equal(text->nr_func_info, 1);
	assert_string_equal(bs_btf_type_by_id(btf, text->func_info[0].type_id)->name, "helper");
	obj_close(&o);
}

/* ---- maps ---- */

struct want_map {
	const char *name;
	uint32_t type, max_entries, key_size, value_size, flags, numa, pinning;
	const char *key_type, *value_type; /* names after modifiers, or NULL */
	uint32_t inner_type;               /* map type of the inner definition */
	bool prog_values;
};

static void test_map_defs(void **state)
{
	(void)state;
	if (!object_available("maps.bpf.o"))
		skip();
	static const struct want_map want[] = {
		{"counts", 2, 16, 4, 16, 0, 0, 0, "__u32", "stats", 0, false},
		{"flows", 1, 1024, 16, 8, 1, 0, 0, "flow_key", "__u64", 0, false},
		{"percpu", 6, 1, 4, 8, 0, 0, 1, NULL, NULL, 0, false},
		{"lru", 10, 64, 8, 16, 4, 1, 0, "__u64", "stats", 0, false},
		{"inner_a", 2, 8, 4, 4, 0, 0, 0, "__u32", "__u32", 0, false},
		{"inner_b", 2, 8, 4, 4, 0, 0, 0, "__u32", "__u32", 0, false},
		{"outer", 12, 2, 4, 4, 0, 0, 0, "__u32", NULL, 2, false},
		{"outer_hash", 13, 4, 4, 4, 0, 0, 0, "__u32", NULL, 2, false},
		{"jumps", 3, 2, 4, 4, 0, 0, 0, "__u32", NULL, 0, true},
		{"events", 27, 4096, 0, 0, 0, 0, 0, NULL, NULL, 0, false},
	};
	struct obj o;
	obj_open(&o, "maps.bpf.o");
	const struct bs_btf_type *sec = named(o.btf, ".maps", BS_BTF_DATASEC);
	assert_int_equal(sec->vlen, sizeof(want) / sizeof(want[0]));
	unsigned found = 0;
	for (unsigned i = 0; i < sec->vlen; i++) {
		struct bs_btf_map_def def;
		struct bs_error err;
		if (bs_btf_map_def(o.btf, sec->vars[i].type, &def, &err)) {
			printf("%s\n", err.message);
			fail();
		}
		const struct want_map *w = NULL;
		for (size_t j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			if (strcmp(want[j].name, def.name) == 0)
				w = &want[j];
		if (!w) {
			printf("unexpected map '%s'\n", def.name);
			fail();
		}
		found++;
		const struct bs_btf_map_attrs *a = &def.attrs;
		printf("map %-10s type %2u max %4u key %2u value %2u flags %u numa %u pin %u\n",
		       def.name, a->map_type, a->max_entries, a->key_size, a->value_size,
		       a->map_flags, a->numa_node, a->pinning);
		assert_int_equal(def.var_id, sec->vars[i].type);
		assert_int_equal(a->map_type, w->type);
		assert_true(a->parts & BS_BTF_MAP_TYPE);
		assert_int_equal(a->max_entries, w->max_entries);
		assert_int_equal(a->key_size, w->key_size);
		assert_int_equal(a->value_size, w->value_size);
		assert_int_equal(a->map_flags, w->flags);
		assert_int_equal(a->numa_node, w->numa);
		assert_int_equal(a->pinning, w->pinning);
		assert_int_equal(!!(a->parts & BS_BTF_MAP_PINNING), w->pinning != 0);
		assert_int_equal(bs_btf_type_by_id(o.btf, a->def_type_id)->kind, BS_BTF_STRUCT);
		if (w->key_type)
			assert_string_equal(bs_btf_type_by_id(o.btf, a->key_type_id)->name, w->key_type);
		else
			assert_int_equal(a->key_type_id, 0);
		if (w->value_type)
			assert_string_equal(bs_btf_type_by_id(o.btf, a->value_type_id)->name,
					    w->value_type);
		else
			assert_int_equal(a->value_type_id, 0);
		assert_int_equal(!!(a->parts & BS_BTF_MAP_INNER), w->inner_type != 0);
		assert_int_equal(!!(a->parts & BS_BTF_MAP_PROG_VALUES), w->prog_values);
		if (w->inner_type) {
			assert_int_equal(def.inner.map_type, w->inner_type);
			assert_int_equal(def.inner.max_entries, 8);
			assert_int_equal(def.inner.key_size, 4);
			assert_int_equal(def.inner.value_size, 4);
			assert_string_equal(bs_btf_type_by_id(o.btf, def.inner.def_type_id)->name, "inner");
		}
	}
	assert_int_equal(found, sizeof(want) / sizeof(want[0]));

	/* a VAR outside .maps is refused as an argument, not a parse error */
	struct bs_btf_map_def def;
	struct bs_error err;
	EXPECT_ERR(bs_btf_map_def(o.btf, named(o.btf, "count_packets", BS_BTF_FUNC)->id, &def, &err),
		   err, BS_ERR_ARG, "not a VAR");
	obj_close(&o);
}

/* Map definitions libbpf would refuse, with the map and member named. */
static void test_map_def_errors(void **state)
{
	(void)state;
	struct blob b;
	blob_init(&b);
	rec(&b, "int", BS_BTF_INT, 0, 0, 4);             /* 1 */
	u32(&b, 1u << 24 | 32);
	rec(&b, NULL, BS_BTF_ARRAY, 0, 0, 0);            /* 2: int[2] (BPF_MAP_TYPE_ARRAY) */
	u32(&b, 1), u32(&b, 1), u32(&b, 2);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 2);              /* 3: __uint(type, 2) */
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 1);              /* 4: __type(key, int) */
	rec(&b, NULL, BS_BTF_STRUCT, 0, 2, 16);          /* 5: { type; max_entries is an int } */
	u32(&b, str(&b, "type")), u32(&b, 3), u32(&b, 0);
	u32(&b, str(&b, "max_entries")), u32(&b, 1), u32(&b, 64);
	rec(&b, "bad_uint", BS_BTF_VAR, 0, 0, 5);        /* 6 */
	u32(&b, 1);
	rec(&b, NULL, BS_BTF_STRUCT, 0, 2, 16);          /* 7: { type; frob } */
	u32(&b, str(&b, "type")), u32(&b, 3), u32(&b, 0);
	u32(&b, str(&b, "frob")), u32(&b, 3), u32(&b, 64);
	rec(&b, "unknown", BS_BTF_VAR, 0, 0, 7);         /* 8 */
	u32(&b, 1);
	rec(&b, NULL, BS_BTF_ARRAY, 0, 0, 0);            /* 9: zero-length array of ptr */
	u32(&b, 4), u32(&b, 1), u32(&b, 0);
	rec(&b, NULL, BS_BTF_STRUCT, 0, 2, 16);          /* 10: { type = ARRAY; values } */
	u32(&b, str(&b, "type")), u32(&b, 3), u32(&b, 0);
	u32(&b, str(&b, "values")), u32(&b, 9), u32(&b, 64);
	rec(&b, "not_in_map", BS_BTF_VAR, 0, 0, 10);     /* 11 */
	u32(&b, 1);
	rec(&b, NULL, BS_BTF_STRUCT, 0, 1, 8);           /* 12: { key is an int } */
	u32(&b, str(&b, "key")), u32(&b, 1), u32(&b, 0);
	rec(&b, "key_not_ptr", BS_BTF_VAR, 0, 0, 12);    /* 13 */
	u32(&b, 1);
	rec(&b, "scalar", BS_BTF_VAR, 0, 0, 1);          /* 14: not a struct */
	u32(&b, 1);
	rec(&b, NULL, BS_BTF_ARRAY, 0, 0, 0);            /* 15: int[4] */
	u32(&b, 1), u32(&b, 1), u32(&b, 4);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 15);             /* 16: __uint(key_size, 4) */
	rec(&b, NULL, BS_BTF_ARRAY, 0, 0, 0);            /* 17: int[8] */
	u32(&b, 1), u32(&b, 1), u32(&b, 8);
	rec(&b, NULL, BS_BTF_PTR, 0, 0, 17);             /* 18: __uint(key_size, 8) */
	rec(&b, NULL, BS_BTF_STRUCT, 0, 2, 16);          /* 19: key_size 8 vs key int */
	u32(&b, str(&b, "key_size")), u32(&b, 18), u32(&b, 0);
	u32(&b, str(&b, "key")), u32(&b, 4), u32(&b, 64);
	rec(&b, "conflict", BS_BTF_VAR, 0, 0, 19);       /* 20 */
	u32(&b, 1);
	uint8_t data[8192];
	size_t n = blob_bytes(&b, data);
	struct bs_btf *btf;
	struct bs_error err;
	if (bs_btf_parse(data, n, &btf, &err)) {
		printf("%s\n", err.message);
		fail();
	}
	static const struct {
		uint32_t var;
		const char *msg;
	} cases[] = {
		{6, "map 'bad_uint': member 'max_entries': expected __uint(max_entries, N), a "
		    "pointer to an array, got INT"},
		{8, "map 'unknown': member 'frob': unknown attribute"},
		{11, "map 'not_in_map': member 'values': __array(values, ...) needs a map-in-map"},
		{13, "map 'key_not_ptr': member 'key': expected __type(key, T), a pointer, got INT"},
		{14, "map 'scalar': the definition is INT"},
		{20, "map 'conflict': member 'key': conflicting key size 8 != 4"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bs_btf_map_def def;
		int rc = bs_btf_map_def(btf, cases[i].var, &def, &err);
		EXPECT_ERR(rc, err, BS_ERR_PARSE, cases[i].msg);
	}
	bs_btf_free(btf);
}

/* ---- .BTF.ext line table against the source ---- */

/* Line n (1-based) of text, without its newline. */
static bool source_line(const char *text, uint32_t n, char *out, size_t cap)
{
	const char *p = text;
	for (uint32_t i = 1; i < n && p; i++)
		if ((p = strchr(p, '\n')))
			p++;
	if (!p || !*p)
		return false;
	size_t len = strcspn(p, "\n");
	if (len >= cap)
		return false;
	memcpy(out, p, len);
	out[len] = 0;
	return true;
}

static uint32_t line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	assert_non_null(p);
	uint32_t n = 1;
	for (const char *q = text; q < p; q++)
		n += *q == '\n';
	return n;
}

static void test_line_info(void **state)
{
	(void)state;
	if (!object_available("maps.bpf.o"))
		skip();
	char path[PATH_MAX + 64];
	size_t slen;
	snprintf(path, sizeof(path), "%s/tests/data/btf/maps.bpf.c", BS_SOURCE_DIR);
	char *src = (char *)read_all(path, &slen);
	assert_non_null(src);
	struct obj o;
	obj_open(&o, "maps.bpf.o");
	assert_int_equal(bs_btf_ext_sec_count(o.ext), 1);
	const struct bs_btf_ext_sec *s = bs_btf_ext_sec(o.ext, 0);
	assert_string_equal(s->name, "xdp");
	assert_ptr_equal(bs_btf_ext_find_sec(o.ext, "xdp"), s);
	assert_null(bs_btf_ext_find_sec(o.ext, ".text"));

	/* two programs in one section: two functions */
	assert_int_equal(s->nr_func_info, 2);
	assert_int_equal(s->func_info[0].insn, 0);
	assert_string_equal(bs_btf_type_by_id(o.btf, s->func_info[0].type_id)->name, "count_packets");
	assert_string_equal(bs_btf_type_by_id(o.btf, s->func_info[1].type_id)->name, "tail");
	assert_true(s->func_info[1].insn > 0);

	/* every record quotes its source line and points inside it */
	assert_true(s->nr_line_info >= 8);
	char line[512];
	for (size_t i = 0; i < s->nr_line_info; i++) {
		const struct bs_btf_line_info *li = &s->line_info[i];
		size_t fl = strlen(li->file_name);
		assert_true(fl >= 10);
		assert_string_equal(li->file_name + fl - 10, "maps.bpf.c");
		if (li->line_num == 0) {
			/* code the compiler made up: no line, no text */
			assert_string_equal(li->line, "");
			continue;
		}
		assert_true(source_line(src, li->line_num, line, sizeof(line)));
		if (strcmp(li->line, line) != 0) {
			printf("line_info %zu: line %u is \"%s\", the source has \"%s\"\n", i,
			       li->line_num, li->line, line);
			fail();
		}
		/* column 0: the compiler did not say (a function's opening line) */
		if (li->col > strlen(line) + 1) {
			printf("line_info %zu: column %u of line %u \"%s\"\n", i, li->col, li->line_num,
			       line);
			fail();
		}
		if (i)
			assert_true(li->insn >= s->line_info[i - 1].insn);
	}
	/* the marked statements: a record at their line, its column inside the
	 * code (not the comment); a call is located at its callee's name */
	static const struct {
		const char *marker, *call;
	} marks[] = {
		{"/* line: lookup */", "bpf_map_lookup_elem"},
		{"/* line: packets */", NULL},
		{"/* line: tail */", "bpf_tail_call"},
		{"/* line: update */", "bpf_map_update_elem"},
	};
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		uint32_t want = line_of(src, marks[k].marker);
		assert_true(source_line(src, want, line, sizeof(line)));
		uint32_t code_end = (uint32_t)(strstr(line, "/*") - line);
		uint32_t call_col = marks[k].call ? (uint32_t)(strstr(line, marks[k].call) - line) + 1 : 0;
		bool hit = false, call_hit = !marks[k].call;
		for (size_t i = 0; i < s->nr_line_info; i++) {
			const struct bs_btf_line_info *li = &s->line_info[i];
			if (li->line_num != want)
				continue;
			hit |= li->col >= 1 && li->col <= code_end;
			call_hit |= li->col == call_col;
		}
		if (!hit || !call_hit) {
			printf("no line_info for line %u (%s) with the right column; the table:\n", want,
			       marks[k].marker);
			for (size_t i = 0; i < s->nr_line_info; i++)
				printf("  insn %u line %u col %u\n", s->line_info[i].insn,
				       s->line_info[i].line_num, s->line_info[i].col);
			fail();
		}
	}
	/* the function's first instruction maps to its first statement */
	assert_int_equal(s->line_info[0].insn, 0);
	obj_close(&o);
	free(src);
}

/* ---- dumps against bpftool and a compiler ---- */

static char *dump_raw(const struct bs_btf *btf)
{
	struct text out = {0};
	bs_btf_dump_raw(btf, collect, &out);
	return out.s ? out.s : strdup("");
}

static void compare_with_bpftool(const char *file, const struct bs_btf *btf)
{
	const char *tool = bpftool();
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "%s btf dump file '%s' format raw > %s 2>&1", tool, file,
		 tmp_path("bpftool.raw"));
	int rc = system(cmd);
	size_t len;
	char *theirs = (char *)read_all(tmp_path("bpftool.raw"), &len);
	if (rc != 0) {
		printf("%s: %s\n", cmd, theirs ? theirs : "(no output)");
		fail();
	}
	char *ours = dump_raw(btf);
	if (strcmp(theirs, ours) != 0) {
		write_all(tmp_path("ours.raw"), ours, strlen(ours));
		snprintf(cmd, sizeof(cmd), "diff %s %s | head -20", tmp_path("bpftool.raw"),
			 tmp_path("ours.raw"));
		if (system(cmd) < 0)
			printf("diff failed\n");
		printf("%s: the raw dump differs from bpftool's\n", file);
		fail();
	}
	free(theirs);
	free(ours);
}

static void test_raw_matches_bpftool(void **state)
{
	(void)state;
	if (!bpftool())
		skip();
	uint8_t data[8192];
	size_t n = all_kinds_blob(data);
	struct bs_btf *btf;
	struct bs_error err;
	assert_int_equal(bs_btf_parse(data, n, &btf, &err), 0);
	write_all(tmp_path("all_kinds.btf"), data, n);
	compare_with_bpftool(tmp_path("all_kinds.btf"), btf);
	bs_btf_free(btf);
	const char *objs[] = {"types.bpf.o", "maps.bpf.o"};
	for (size_t i = 0; i < 2; i++) {
		if (!object_available(objs[i]))
			continue;
		struct obj o;
		obj_open(&o, objs[i]);
		compare_with_bpftool(obj_path(objs[i]), o.btf);
		obj_close(&o);
	}
	/* the running kernel's BTF: every kind pahole writes, ~100k types */
	size_t len;
	uint8_t *vmlinux = read_all("/sys/kernel/btf/vmlinux", &len);
	if (vmlinux) {
		if (bs_btf_parse(vmlinux, len, &btf, &err)) {
			printf("vmlinux: %s\n", err.message);
			fail();
		}
		printf("vmlinux: %u types\n", bs_btf_type_count(btf));
		compare_with_bpftool("/sys/kernel/btf/vmlinux", btf);
		bs_btf_free(btf);
		free(vmlinux);
	}
}

struct name_count {
	const char *name;
	uint32_t id;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct name_count *)a)->name, ((const struct name_count *)b)->name);
}

/* _Static_asserts of the size of every uniquely named struct and union and
 * the offset of its byte-aligned named members, straight from the BTF. */
static void layout_asserts(const struct bs_btf *btf, struct text *out)
{
	uint32_t n = bs_btf_type_count(btf), k = 0;
	struct name_count *names = calloc(n + 1, sizeof(*names));
	assert_non_null(names);
	for (uint32_t id = 1; id <= n; id++) {
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		if (t->name[0] && (t->kind == BS_BTF_STRUCT || t->kind == BS_BTF_UNION ||
				   t->kind == BS_BTF_ENUM || t->kind == BS_BTF_ENUM64 ||
				   t->kind == BS_BTF_FWD))
			names[k++] = (struct name_count){t->name, id};
	}
	qsort(names, k, sizeof(*names), by_name);
	char line[1024];
	for (uint32_t i = 0; i < k; i++) {
		if ((i && strcmp(names[i].name, names[i - 1].name) == 0) ||
		    (i + 1 < k && strcmp(names[i].name, names[i + 1].name) == 0))
			continue;
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, names[i].id);
		if (t->kind != BS_BTF_STRUCT && t->kind != BS_BTF_UNION)
			continue;
		const char *kw = t->kind == BS_BTF_STRUCT ? "struct" : "union";
		snprintf(line, sizeof(line), "_Static_assert(sizeof(%s %s) == %u, \"%s\");\n", kw,
			 t->name, t->size, t->name);
		collect(out, line);
		for (unsigned j = 0; j < t->vlen; j++) {
			const struct bs_btf_member *m = &t->members[j];
			if (!m->name[0] || m->bitfield_size || m->bit_offset % 8)
				continue;
			snprintf(line, sizeof(line),
				 "_Static_assert(__builtin_offsetof(%s %s, %s) == %u, \"%s.%s\");\n", kw,
				 t->name, m->name, m->bit_offset / 8, t->name, m->name);
			collect(out, line);
		}
	}
	free(names);
}

/* Dumps btf as C with layout assertions and has clang check it. */
static void check_c_dump(const char *what, const struct bs_btf *btf, const char *clang_flags)
{
	struct text c = {0};
	struct bs_error err;
	if (bs_btf_dump_c(btf, collect, &c, &err)) {
		printf("%s: %s\n", what, err.message);
		fail();
	}
	layout_asserts(btf, &c);
	write_all(tmp_path("dump.c"), c.s, c.len);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "clang %s -fsyntax-only -Wall -Werror -x c %s > %s 2>&1",
		 clang_flags, tmp_path("dump.c"), tmp_path("clang.out"));
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "head -30 %s", tmp_path("clang.out"));
		printf("%s: clang refused the C dump (kept in %s):\n", what, tmp_path("dump.c"));
		if (system(cmd) < 0)
			printf("cannot show clang's output\n");
		fail();
	}
	free(c.s);
}

static void test_c_dump_compiles(void **state)
{
	(void)state;
	if (!have("clang"))
		skip();
	uint8_t data[8192];
	size_t n = all_kinds_blob(data);
	struct bs_btf *btf;
	struct bs_error err;
	assert_int_equal(bs_btf_parse(data, n, &btf, &err), 0);
	check_c_dump("all kinds", btf, "-target bpf");
	struct text c = {0};
	assert_int_equal(bs_btf_dump_c(btf, collect, &c, &err), 0);
	/* spot checks of the text itself */
	assert_non_null(strstr(c.s, "struct pair {\n\tint a;\n\tunsigned int b: 3;\n};"));
	assert_non_null(strstr(c.s, "typedef struct pair pair_t;"));
	assert_non_null(strstr(c.s, "\tNEG = -5,\n"));
	assert_non_null(strstr(c.s, "\tHUGE = 4886718345ULL,\n"));
	assert_non_null(strstr(c.s, "\tMINUS = -2LL,\n"));
	assert_non_null(strstr(c.s, "union later;"));
	assert_non_null(strstr(c.s, "#endif /* __VMLINUX_H__ */\n"));
	free(c.s);
	bs_btf_free(btf);

	const char *objs[] = {"types.bpf.o", "maps.bpf.o"};
	for (size_t i = 0; i < 2; i++) {
		if (!object_available(objs[i]))
			continue;
		struct obj o;
		obj_open(&o, objs[i]);
		check_c_dump(objs[i], o.btf, "-target bpf");
		obj_close(&o);
	}
	struct obj o;
	if (object_available("types.bpf.o")) {
		obj_open(&o, "types.bpf.o");
		struct text t = {0};
		assert_int_equal(bs_btf_dump_c(o.btf, collect, &t, &err), 0);
		/* the pointer cycle through a typedef needs a forward declaration */
		char *fwd = strstr(t.s, "\nstruct node;\n");
		char *td = strstr(t.s, "typedef struct node *node_ptr;");
		char *def = strstr(t.s, "struct node {");
		assert_non_null(fwd);
		assert_non_null(td);
		assert_non_null(def);
		assert_true(fwd < td && td < def);
		assert_non_null(strstr(t.s, "\tint (*cmp)(const struct node *, const struct node *);"));
		assert_non_null(strstr(t.s, "\tvoid (*callbacks[2])(int);"));
		assert_non_null(strstr(t.s, "\tint grid[3][4];"));
		assert_non_null(strstr(t.s, "\tunsigned int kind: 5;"));
		assert_non_null(strstr(t.s, "\tenum color color: 4;"));
		assert_non_null(strstr(t.s, "\tchar *restrict scratch;"));
		assert_non_null(strstr(t.s, "\tconst char *const *argv;"));
		assert_non_null(strstr(t.s, "} __attribute__((packed));"));
		assert_non_null(strstr(t.s, "typedef int (*handler_t)(void *, unsigned long long);"));
		free(t.s);
		obj_close(&o);
	}
	/* the running kernel's types as vmlinux.h, for the host compiler (the
	 * BTF describes host layouts: va_list differs on -target bpf) */
	size_t len;
	uint8_t *vmlinux = read_all("/sys/kernel/btf/vmlinux", &len);
	if (vmlinux) {
		assert_int_equal(bs_btf_parse(vmlinux, len, &btf, &err), 0);
		check_c_dump("vmlinux", btf, "-Wno-unknown-attributes");
		bs_btf_free(btf);
		free(vmlinux);
	}
}

/* ---- corrupt input ---- */

/* A small valid blob to break: int, struct s { int a; int b; }, typedef. */
static size_t base_blob(uint8_t *out, struct blob *b)
{
	blob_init(b);
	rec(b, "int", BS_BTF_INT, 0, 0, 4);              /* 1 at 0x18 */
	u32(b, 1u << 24 | 32);
	rec(b, "s", BS_BTF_STRUCT, 0, 2, 8);             /* 2 at 0x28 */
	u32(b, str(b, "a")), u32(b, 1), u32(b, 0);
	u32(b, str(b, "b")), u32(b, 1), u32(b, 32);
	rec(b, "s_t", BS_BTF_TYPEDEF, 0, 0, 2);          /* 3 at 0x4c */
	return blob_bytes(b, out);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void expect_parse_error(const uint8_t *data, size_t n, const char *substr)
{
	struct bs_btf *btf = (struct bs_btf *)1;
	struct bs_error err;
	int rc = bs_btf_parse(data, n, &btf, &err);
	EXPECT_ERR(rc, err, BS_ERR_PARSE, substr);
	assert_null(btf);
	assert_int_equal(strncmp(err.message, ".BTF: ", 6), 0);
}

static void test_corrupt_btf(void **state)
{
	(void)state;
	uint8_t good[1024], d[1024];
	struct blob b;
	size_t n = base_blob(good, &b);
	struct bs_btf *btf;
	struct bs_error err;
	assert_int_equal(bs_btf_parse(good, n, &btf, &err), 0);
	bs_btf_free(btf);
	const size_t types_end = 24 + b.tlen; /* the string section follows */

	expect_parse_error(good, 10, "10 bytes is too short for a BTF header (24 bytes)");
	expect_parse_error(good, 0, "0 bytes is too short");
	memcpy(d, good, n), d[0] = 0x9e;
	expect_parse_error(d, n, "bad magic 0xeb9e at offset 0");
	memcpy(d, good, n), d[0] = 0xeb, d[1] = 0x9f;
	expect_parse_error(d, n, "big-endian BTF");
	memcpy(d, good, n), d[2] = 2;
	expect_parse_error(d, n, "unsupported version 2 at offset 0x2");
	memcpy(d, good, n), put32(d + 4, 16);
	expect_parse_error(d, n, "header length 16 at offset 0x4 is shorter than 24 bytes");
	memcpy(d, good, n), put32(d + 12, 4000);
	expect_parse_error(d, n, "type section (offset 0, 4000 bytes, header field at offset 0x8) "
				 "ends at byte 0xfb8, past the end of the data");
	memcpy(d, good, n), put32(d + 20, 4000);
	expect_parse_error(d, n, "string section");
	memcpy(d, good, n), put32(d + 8, 2);
	expect_parse_error(d, n, "not 4-byte aligned");
	memcpy(d, good, n), put32(d + 16, 0);
	expect_parse_error(d, n, "overlap");
	/* strings: first and last byte */
	memcpy(d, good, n), d[types_end] = 'x';
	expect_parse_error(d, n, "does not start with the empty string");
	memcpy(d, good, n), d[n - 1] = 'x';
	expect_parse_error(d, n, "string section is not NUL-terminated");
	/* type 2's name, and its member 1's name, outside the strings */
	memcpy(d, good, n), put32(d + 0x28, 9999);
	expect_parse_error(d, n, "type 2 at offset 0x28: name offset 9999 is outside the string "
				 "section");
	memcpy(d, good, n), put32(d + 0x28 + 12 + 12, 5000);
	expect_parse_error(d, n, "type 2 at offset 0x28: member 1: name offset 5000 is outside");
	/* member type ids */
	memcpy(d, good, n), put32(d + 0x28 + 12 + 12 + 4, 9999);
	expect_parse_error(d, n, ".BTF: type 2 at offset 0x28: member 1 ('b') references type "
				 "9999, but there are 3 types");
	memcpy(d, good, n), put32(d + 0x28 + 12 + 4, 0);
	expect_parse_error(d, n, "member 0 ('a') references void");
	/* unknown kind, and a vlen running past the section */
	memcpy(d, good, n), put32(d + 0x28 + 4, 25u << 24);
	expect_parse_error(d, n, "type 2 at offset 0x28: unknown kind 25");
	memcpy(d, good, n), put32(d + 0x28 + 4, 4u << 24 | 100);
	expect_parse_error(d, n, "type 2 at offset 0x28: STRUCT with vlen 100 needs 1200 more bytes");
	/* a record cut in the middle */
	memcpy(d, good, n), put32(d + 12, (uint32_t)b.tlen - 4), put32(d + 16, (uint32_t)b.tlen - 4);
	memmove(d + types_end - 4, good + types_end, b.slen);
	expect_parse_error(d, n - 4, "type 3 at offset 0x4c: a record needs 12 bytes, only 8");
	/* a member past the end of its struct */
	memcpy(d, good, n), put32(d + 0x28 + 12 + 12 + 8, 64);
	expect_parse_error(d, n, "member 1 ('b') at bit offset 64, 32 bits long, ends past the end "
				 "of the 8-byte STRUCT");
	/* INT sizes and bits */
	memcpy(d, good, n), put32(d + 0x18 + 8, 3);
	expect_parse_error(d, n, "INT size 3 is not 1, 2, 4, 8 or 16");
	memcpy(d, good, n), put32(d + 0x18 + 12, 1u << 24 | 40);
	expect_parse_error(d, n, "INT of 4 bytes cannot hold 40 bits");
	/* a typedef naming itself, directly and through another */
	memcpy(d, good, n), put32(d + 0x4c + 8, 3);
	expect_parse_error(d, n, "type 3 at offset 0x4c: TYPEDEF 's_t' contains itself");
	/* a struct containing itself by value */
	memcpy(d, good, n), put32(d + 0x28 + 12 + 4, 3);
	expect_parse_error(d, n, "contains itself through type");

	/* hand-built loops and kind rules */
	struct blob l;
	uint8_t ld[1024];
	blob_init(&l); /* typedef a -> const -> typedef a */
	rec(&l, "a", BS_BTF_TYPEDEF, 0, 0, 2);
	rec(&l, NULL, BS_BTF_CONST, 0, 0, 1);
	expect_parse_error(ld, blob_bytes(&l, ld), "TYPEDEF 'a' contains itself through type 2");
	blob_init(&l); /* a pointer to itself */
	rec(&l, NULL, BS_BTF_PTR, 0, 0, 1);
	expect_parse_error(ld, blob_bytes(&l, ld), "type 1 at offset 0x18: PTR refers to itself "
						   "through a chain of pointers");
	blob_init(&l); /* ptr -> array of that ptr */
	rec(&l, NULL, BS_BTF_PTR, 0, 0, 2);
	rec(&l, NULL, BS_BTF_ARRAY, 0, 0, 0);
	u32(&l, 1), u32(&l, 0), u32(&l, 2);
	expect_parse_error(ld, blob_bytes(&l, ld), "refers to itself through a chain");
	blob_init(&l); /* FUNC of an INT */
	rec(&l, "int", BS_BTF_INT, 0, 0, 4);
	u32(&l, 32);
	rec(&l, "f", BS_BTF_FUNC, 0, 0, 1);
	expect_parse_error(ld, blob_bytes(&l, ld), "FUNC references type 1, which is not a FUNC_PROTO");
	blob_init(&l); /* a pointer to a VAR */
	rec(&l, "int", BS_BTF_INT, 0, 0, 4);
	u32(&l, 32);
	rec(&l, "v", BS_BTF_VAR, 0, 0, 1);
	u32(&l, 0);
	rec(&l, NULL, BS_BTF_PTR, 0, 0, 2);
	expect_parse_error(ld, blob_bytes(&l, ld), "PTR references type 2, a VAR, which is not a type");
	blob_init(&l); /* DATASEC of an INT */
	rec(&l, "int", BS_BTF_INT, 0, 0, 4);
	u32(&l, 32);
	rec(&l, ".data", BS_BTF_DATASEC, 0, 1, 4);
	u32(&l, 1), u32(&l, 0), u32(&l, 4);
	expect_parse_error(ld, blob_bytes(&l, ld), "variable 0 references type 1, a INT, not a VAR");
	blob_init(&l); /* DECL_TAG of member 5 of a 1-member struct */
	rec(&l, "int", BS_BTF_INT, 0, 0, 4);
	u32(&l, 32);
	rec(&l, "s", BS_BTF_STRUCT, 0, 1, 4);
	u32(&l, str(&l, "x")), u32(&l, 1), u32(&l, 0);
	rec(&l, "tag", BS_BTF_DECL_TAG, 0, 0, 2);
	u32(&l, 5);
	expect_parse_error(ld, blob_bytes(&l, ld), "DECL_TAG component_idx 5 is out of range");
	blob_init(&l); /* an array of void */
	rec(&l, NULL, BS_BTF_ARRAY, 0, 0, 0);
	u32(&l, 0), u32(&l, 0), u32(&l, 2);
	expect_parse_error(ld, blob_bytes(&l, ld), "ARRAY element type references void");

	/* every truncation of a real .BTF fails cleanly */
	if (object_available("types.bpf.o")) {
		struct obj o;
		obj_open(&o, "types.bpf.o");
		for (size_t cut = 0; cut < o.btf_size; cut++) {
			struct bs_btf *t;
			assert_int_not_equal(bs_btf_parse(o.btf_data, cut, &t, &err), 0);
			assert_int_equal(err.kind, BS_ERR_PARSE);
		}
		obj_close(&o);
	}
}

/* A function type whose parameter points back to it parses (the kernel
 * has no rule against it) but has no C spelling: the C dump says so. */
static void test_c_dump_refuses_proto_loop(void **state)
{
	(void)state;
	struct blob l;
	uint8_t ld[1024];
	blob_init(&l);
	rec(&l, NULL, BS_BTF_FUNC_PROTO, 0, 1, 0);  /* 1: void (*)(2) */
	u32(&l, 0), u32(&l, 2);
	rec(&l, NULL, BS_BTF_PTR, 0, 0, 1);         /* 2 */
	rec(&l, "fn_t", BS_BTF_TYPEDEF, 0, 0, 2);   /* 3 */
	struct bs_btf *btf;
	struct bs_error err;
	assert_int_equal(bs_btf_parse(ld, blob_bytes(&l, ld), &btf, &err), 0);
	size_t bytes = 0;
	int rc = bs_btf_dump_c(btf, discard, &bytes, &err);
	EXPECT_ERR(rc, err, BS_ERR_PARSE, "C cannot express this type");
	bs_btf_free(btf);
}

static void test_corrupt_ext(void **state)
{
	(void)state;
	if (!object_available("maps.bpf.o"))
		skip();
	struct obj o;
	obj_open(&o, "maps.bpf.o");
	uint8_t *d = malloc(o.ext_size);
	assert_non_null(d);
	const uint8_t *good = o.ext_data;
	size_t n = o.ext_size;
	uint32_t hdr = le32toh(*(const uint32_t *)(good + 4));
	uint32_t func_off = hdr + le32toh(*(const uint32_t *)(good + 8));
	uint32_t line_off = hdr + le32toh(*(const uint32_t *)(good + 16));
	struct bs_btf_ext *ext;
	struct bs_error err;
	int rc;
#define EXT_EXPECT(len, substr)                                                         \
	do {                                                                             \
		ext = (struct bs_btf_ext *)1;                                            \
		rc = bs_btf_ext_parse(o.btf, d, len, &ext, &err);                        \
		EXPECT_ERR(rc, err, BS_ERR_PARSE, substr);                               \
		assert_null(ext);                                                        \
	} while (0)

	memcpy(d, good, n);
	EXT_EXPECT(10, ".BTF.ext: 10 bytes is too short for a header");
	d[0] = 0;
	EXT_EXPECT(n, ".BTF.ext: bad magic");
	memcpy(d, good, n), put32(d + func_off, 4);
	EXT_EXPECT(n, "func_info record size 4 at offset 0x20 is invalid");
	memcpy(d, good, n), put32(d + line_off, 18);
	EXT_EXPECT(n, "line_info record size 18");
	memcpy(d, good, n), put32(d + func_off + 8, 1000);  /* count of the first block */
	EXT_EXPECT(n, "1000 records of 8 bytes run past the end of the table");
	memcpy(d, good, n), put32(d + func_off + 4, 99999); /* section name */
	EXT_EXPECT(n, "section name offset 99999");
	memcpy(d, good, n), put32(d + func_off + 8, 0);
	EXT_EXPECT(n, "has no records");
	memcpy(d, good, n), put32(d + func_off + 12 + 4, 1); /* type_id of the 1st func_info */
	EXT_EXPECT(n, "func_info type_id 1 at offset");
	memcpy(d, good, n), put32(d + func_off + 12, 3); /* insn_off */
	EXT_EXPECT(n, "insn_off 3 at offset");
	memcpy(d, good, n), put32(d + line_off + 12 + 4, 77777); /* file name of line 1 */
	EXT_EXPECT(n, "file name offset 77777");
	memcpy(d, good, n), put32(d + 12, 100000); /* func_info_len */
	EXT_EXPECT(n, "func_info table (offset 0, 100000 bytes");
	memcpy(d, good, n), put32(d + 4, 8);
	EXT_EXPECT(n, "header length 8");
	for (size_t cut = 0; cut < n; cut++) {
		rc = bs_btf_ext_parse(o.btf, good, cut, &ext, &err);
		if (rc == 0) /* a cut that only drops whole tables is still valid */
			bs_btf_ext_free(ext);
		else
			assert_int_equal(err.kind, BS_ERR_PARSE);
	}
#undef EXT_EXPECT
	free(d);
	obj_close(&o);
}

/* ---- mutations ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a crash reproduces by its run number */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Everything a caller may do with a parsed BTF. */
static void exercise(const struct bs_btf *btf)
{
	struct bs_error err;
	size_t bytes = 0;
	uint32_t n = bs_btf_type_count(btf);
	for (uint32_t id = 0; id <= n + 1; id++) {
		uint64_t sz;
		if (bs_btf_resolve_size(btf, id, &sz, &err) == 0 && id > n)
			fail();
		bs_btf_skip_mods(btf, id);
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		if (!t)
			continue;
		if (t->kind == BS_BTF_VAR) {
			struct bs_btf_map_def def;
			if (bs_btf_map_def(btf, id, &def, &err))
				assert_true(err.kind == BS_ERR_PARSE || err.kind == BS_ERR_ARG);
		}
		if (id && t->name[0])
			assert_int_not_equal(bs_btf_find_by_name(btf, t->name, t->kind), 0);
	}
	bs_btf_dump_raw(btf, discard, &bytes);
	if (bs_btf_dump_c(btf, discard, &bytes, &err))
		assert_int_equal(err.kind, BS_ERR_PARSE);
}

/* Flips bytes of a real .BTF and .BTF.ext: every result is parsed or
 * refused with BS_ERR_PARSE, and whatever parses survives every API. */
static void mutate_object(const char *name, unsigned runs)
{
	struct obj o;
	obj_open(&o, name);
	uint8_t *d = malloc(o.btf_size), *e = malloc(o.ext_size);
	assert_non_null(d);
	assert_non_null(e);
	unsigned parsed = 0, refused = 0, ext_parsed = 0, ext_refused = 0;
	for (unsigned run = 0; run < runs; run++) {
		memcpy(d, o.btf_data, o.btf_size);
		unsigned flips = 1 + rnd() % 4;
		for (unsigned f = 0; f < flips; f++) {
			/* half the flips land in the header and the first records,
			 * where lengths, kinds and counts live */
			size_t at = rnd() % 2 ? rnd() % 256 : rnd() % o.btf_size;
			if (at >= o.btf_size)
				at %= o.btf_size;
			d[at] = rnd() % 3 ? (uint8_t)rnd() : (uint8_t)(d[at] ^ (1u << (rnd() % 8)));
		}
		size_t len = rnd() % 16 ? o.btf_size : rnd() % (o.btf_size + 1);
		struct bs_btf *btf;
		struct bs_error err;
		if (bs_btf_parse(d, len, &btf, &err)) {
			if (err.kind != BS_ERR_PARSE) {
				printf("%s run %u: kind %d: %s\n", name, run, err.kind, err.message);
				fail();
			}
			refused++;
			continue;
		}
		parsed++;
		exercise(btf);
		bs_btf_free(btf);
	}
	/* .BTF.ext against the intact .BTF */
	for (unsigned run = 0; run < runs / 4; run++) {
		memcpy(e, o.ext_data, o.ext_size);
		unsigned flips = 1 + rnd() % 3;
		for (unsigned f = 0; f < flips; f++)
			e[rnd() % o.ext_size] = (uint8_t)rnd();
		struct bs_btf_ext *ext;
		struct bs_error err;
		if (bs_btf_ext_parse(o.btf, e, o.ext_size, &ext, &err)) {
			assert_int_equal(err.kind, BS_ERR_PARSE);
			ext_refused++;
			continue;
		}
		ext_parsed++;
		for (size_t i = 0; i < bs_btf_ext_sec_count(ext); i++) {
			const struct bs_btf_ext_sec *s = bs_btf_ext_sec(ext, i);
			for (size_t j = 0; j < s->nr_line_info; j++)
				assert_non_null(s->line_info[j].line);
		}
		bs_btf_ext_free(ext);
	}
	printf("%s: .BTF: %u mutations, %u parsed, %u refused; .BTF.ext: %u mutations, %u "
	       "parsed, %u refused\n", name, runs, parsed, refused, runs / 4, ext_parsed,
	       ext_refused);
	/* both outcomes must occur, or the mutations test nothing */
	if (runs >= 1000) {
		assert_true(parsed > runs / 50);
		assert_true(refused > runs / 50);
	}
	free(d);
	free(e);
	obj_close(&o);
}

static void test_mutations(void **state)
{
	(void)state;
	unsigned runs = 20000;
	const char *env = getenv("BS_BTF_MUTATIONS");
	if (env)
		runs = (unsigned)strtoul(env, NULL, 0);
	const char *objs[] = {"types.bpf.o", "maps.bpf.o"};
	bool any = false;
	for (size_t i = 0; i < 2; i++)
		if (object_available(objs[i])) {
			mutate_object(objs[i], runs);
			any = true;
		}
	if (!any)
		skip();
}

static int setup(void **state)
{
	(void)state;
	ssize_t n = readlink("/proc/self/exe", obj_dir, sizeof(obj_dir) - 1);
	if (n <= 0)
		return -1;
	obj_dir[n] = 0;
	char *slash = strrchr(obj_dir, '/');
	if (slash)
		*slash = 0;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/bs-test-btf-XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	/* BS_BTF_WRITE_BLOB=FILE writes the all-kinds blob (to regenerate the
	 * golden dump with bpftool) */
	const char *blob_out = getenv("BS_BTF_WRITE_BLOB");
	if (blob_out) {
		uint8_t data[8192];
		size_t n = all_kinds_blob(data);
		FILE *f = fopen(blob_out, "wb");
		if (!f || fwrite(data, 1, n, f) != n)
			return 1;
		return fclose(f) != 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_kinds),
		cmocka_unit_test(test_all_kinds_raw_golden),
		cmocka_unit_test(test_types_object),
		cmocka_unit_test(test_map_defs),
		cmocka_unit_test(test_map_def_errors),
		cmocka_unit_test(test_line_info),
		cmocka_unit_test(test_raw_matches_bpftool),
		cmocka_unit_test(test_c_dump_compiles),
		cmocka_unit_test(test_c_dump_refuses_proto_loop),
		cmocka_unit_test(test_corrupt_btf),
		cmocka_unit_test(test_corrupt_ext),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
