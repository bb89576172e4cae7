/* SPDX-License-Identifier: MIT */
/* BTF, the kernel's BPF Type Format: the .BTF section of a BPF object (or a
 * raw blob such as /sys/kernel/btf/vmlinux), the .BTF.ext line and function
 * tables, libbpf's BTF-defined map definitions, and dumps in bpftool's raw
 * and C formats.
 *
 * Everything is checked when it is parsed: after bs_btf_parse succeeds,
 * every type id, string and member a record refers to exists, and no type
 * contains itself (typedef loops, a struct embedding itself). Accessors
 * therefore never fail on a parsed object except for ids the caller makes
 * up. Records are little-endian, as clang -target bpf and the x86/arm64
 * kernels write them; big-endian BTF is refused with a message. */
#ifndef BPFSTEP_BTF_H
#define BPFSTEP_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define BS_BTF_MAGIC 0xeB9F

/* The kinds, numbered as in include/uapi/linux/btf.h. */
enum bs_btf_kind {
	BS_BTF_VOID = 0, /* type id 0 only; BTF_KIND_UNKN in the kernel */
	BS_BTF_INT = 1,
	BS_BTF_PTR = 2,
	BS_BTF_ARRAY = 3,
	BS_BTF_STRUCT = 4,
	BS_BTF_UNION = 5,
	BS_BTF_ENUM = 6,
	BS_BTF_FWD = 7,
	BS_BTF_TYPEDEF = 8,
	BS_BTF_VOLATILE = 9,
	BS_BTF_CONST = 10,
	BS_BTF_RESTRICT = 11,
	BS_BTF_FUNC = 12,
	BS_BTF_FUNC_PROTO = 13,
	BS_BTF_VAR = 14,
	BS_BTF_DATASEC = 15,
	BS_BTF_FLOAT = 16,
	BS_BTF_DECL_TAG = 17,
	BS_BTF_TYPE_TAG = 18,
	BS_BTF_ENUM64 = 19,
	BS_BTF_KIND__COUNT
};

/* INT encoding bits (BTF_INT_SIGNED, ...). */
enum { BS_BTF_INT_SIGNED = 1, BS_BTF_INT_CHAR = 2, BS_BTF_INT_BOOL = 4 };

/* FUNC and VAR linkage. */
enum { BS_BTF_STATIC = 0, BS_BTF_GLOBAL = 1, BS_BTF_EXTERN = 2 };

struct bs_btf_member {
	const char *name;        /* "" for an anonymous struct/union member */
	uint32_t type;
	uint32_t bit_offset;     /* from the start of the struct */
	uint32_t bitfield_size;  /* 0 unless a bitfield */
};

struct bs_btf_enum_value {
	const char *name;
	/* The value's bits: a signed ENUM (kflag set) is sign-extended, an
	 * unsigned one zero-extended, so (int64_t)value or value is exact. */
	uint64_t value;
};

struct bs_btf_param {
	const char *name;  /* "" when unnamed; type 0 and "" last: varargs */
	uint32_t type;
};

struct bs_btf_var_secinfo {
	uint32_t type;     /* a VAR (or an extern FUNC in .ksyms) */
	uint32_t offset;   /* in the section */
	uint32_t size;
};

/* One decoded type record. Fields that a kind does not use are 0/NULL. */
struct bs_btf_type {
	uint32_t id;
	enum bs_btf_kind kind;
	const char *name;   /* "" when anonymous */
	uint32_t name_off;  /* in the string section */
	uint32_t offset;    /* of the record, in bytes from the start of .BTF */
	uint16_t vlen;      /* members, values, params or section variables */
	/* STRUCT/UNION: members carry bitfield sizes; FWD: union;
	 * ENUM/ENUM64: signed values. */
	bool kflag;
	uint32_t size;      /* INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT */
	/* PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FUNC (its
	 * FUNC_PROTO), FUNC_PROTO (return type), VAR, DECL_TAG (target) */
	uint32_t type;
	struct {
		uint8_t encoding;   /* BS_BTF_INT_* bits */
		uint8_t bit_offset;
		uint8_t bits;
	} int_info;                 /* INT */
	struct {
		uint32_t type, index_type, nelems;
	} array;                    /* ARRAY */
	uint32_t linkage;           /* FUNC, VAR: BS_BTF_STATIC/GLOBAL/EXTERN */
	int32_t component_idx;      /* DECL_TAG: -1 for the type itself */
	const struct bs_btf_member *members;     /* STRUCT, UNION */
	const struct bs_btf_enum_value *values;  /* ENUM, ENUM64 */
	const struct bs_btf_param *params;       /* FUNC_PROTO */
	const struct bs_btf_var_secinfo *vars;   /* DATASEC */
};

struct bs_btf;

/* Parses a .BTF section or raw BTF blob. data is copied; *out is freed with
 * bs_btf_free. Corrupt data gives BS_ERR_PARSE naming the byte offset in
 * the section, e.g. ".BTF: type 12 at offset 0x1a4: member 3 references
 * type 9999, but there are 57 types". */
BS_MUST_CHECK int bs_btf_parse(const void *data, size_t size, struct bs_btf **out,
			       struct bs_error *err);
void bs_btf_free(struct bs_btf *btf);

/* Number of types, not counting void: valid ids are 0..count. */
uint32_t bs_btf_type_count(const struct bs_btf *btf);
/* The type with this id (0 is void), or NULL if there is none. */
const struct bs_btf_type *bs_btf_type_by_id(const struct bs_btf *btf, uint32_t id);
/* The string at off in the string section, or NULL if off is outside it. */
const char *bs_btf_str(const struct bs_btf *btf, uint32_t off);
/* "INT", "STRUCT", ... as bpftool prints kinds ("UNKNOWN" for void/others). */
const char *bs_btf_kind_name(enum bs_btf_kind kind);

/* First type called name, of this kind (BS_BTF_VOID: any kind); 0 if none. */
uint32_t bs_btf_find_by_name(const struct bs_btf *btf, const char *name,
			     enum bs_btf_kind kind);
/* Follows TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG to the type they
 * name (0 for an unknown id). */
uint32_t bs_btf_skip_mods(const struct bs_btf *btf, uint32_t id);
/* Size in bytes of type id as sizeof would give it: through typedefs,
 * modifiers and VAR; arrays multiply; pointers are 8 bytes. void, FUNC,
 * FUNC_PROTO and FWD have no size (BS_ERR_ARG). */
BS_MUST_CHECK int bs_btf_resolve_size(const struct bs_btf *btf, uint32_t id, uint64_t *size,
				      struct bs_error *err);

/* ---- BTF-defined maps (the .maps section), as libbpf reads them ---- */

/* Which attributes a definition set (bits of bs_btf_map_attrs.parts). */
enum {
	BS_BTF_MAP_TYPE = 1u << 0,
	BS_BTF_MAP_KEY_SIZE = 1u << 1,
	BS_BTF_MAP_VALUE_SIZE = 1u << 2,
	BS_BTF_MAP_MAX_ENTRIES = 1u << 3,
	BS_BTF_MAP_FLAGS = 1u << 4,
	BS_BTF_MAP_NUMA_NODE = 1u << 5,
	BS_BTF_MAP_PINNING = 1u << 6,
	BS_BTF_MAP_EXTRA = 1u << 7,
	BS_BTF_MAP_KEY_TYPE = 1u << 8,
	BS_BTF_MAP_VALUE_TYPE = 1u << 9,
	BS_BTF_MAP_INNER = 1u << 10,     /* __array(values, struct inner) */
	BS_BTF_MAP_PROG_VALUES = 1u << 11, /* __array(values, int (void *)) */
};

struct bs_btf_map_attrs {
	uint32_t parts;        /* BS_BTF_MAP_* bits */
	uint32_t def_type_id;  /* the STRUCT that holds the definition */
	uint32_t map_type;     /* BPF_MAP_TYPE_*, 0 if unset */
	uint32_t key_size, value_size, max_entries, map_flags, numa_node, pinning;
	uint64_t map_extra;
	uint32_t key_type_id, value_type_id;  /* 0 unless __type(key/value, T) */
};

struct bs_btf_map_def {
	const char *name;
	uint32_t var_id;
	struct bs_btf_map_attrs attrs;
	struct bs_btf_map_attrs inner;  /* when attrs.parts has BS_BTF_MAP_INNER */
};

/* The map definition that the VAR var_id (from the .maps DATASEC) holds:
 * `__uint(name, N)` is `int (*name)[N]`, `__type(name, T)` is `T *name`,
 * `__array(values, struct inner)` is a map-in-map's inner definition.
 * Errors (BS_ERR_PARSE) name the map and the member. */
BS_MUST_CHECK int bs_btf_map_def(const struct bs_btf *btf, uint32_t var_id,
				 struct bs_btf_map_def *def, struct bs_error *err);

/* ---- .BTF.ext: function and line tables per ELF section ---- */

struct bs_btf_func_info {
	uint32_t insn;     /* instruction index in the section (insn_off / 8) */
	uint32_t type_id;  /* a FUNC */
};

struct bs_btf_line_info {
	uint32_t insn;          /* instruction index in the section */
	const char *file_name;  /* as the compiler saw it */
	const char *line;       /* the source line's text ("" if none) */
	uint32_t line_num;      /* line_col >> 10 */
	uint32_t col;           /* line_col & 0x3ff */
};

struct bs_btf_core_relo {
	uint32_t insn;
	uint32_t type_id;
	const char *access;     /* "0:1:2" */
	uint32_t kind;          /* enum bpf_core_relo_kind */
};

struct bs_btf_ext_sec {
	const char *name;  /* ELF section of the code, e.g. "xdp" or ".text" */
	size_t nr_func_info, nr_line_info, nr_core_relo;
	const struct bs_btf_func_info *func_info;
	const struct bs_btf_line_info *line_info;
	const struct bs_btf_core_relo *core_relo;
};

struct bs_btf_ext;

/* Parses .BTF.ext; names and strings resolve through btf, which must
 * outlive *out. Record sizes, counts, string offsets and type ids are
 * checked; errors name the byte offset in .BTF.ext. */
BS_MUST_CHECK int bs_btf_ext_parse(const struct bs_btf *btf, const void *data, size_t size,
				   struct bs_btf_ext **out, struct bs_error *err);
void bs_btf_ext_free(struct bs_btf_ext *ext);
size_t bs_btf_ext_sec_count(const struct bs_btf_ext *ext);
const struct bs_btf_ext_sec *bs_btf_ext_sec(const struct bs_btf_ext *ext, size_t i);
/* The section called name, or NULL. */
const struct bs_btf_ext_sec *bs_btf_ext_find_sec(const struct bs_btf_ext *ext, const char *name);

/* ---- Dumps ---- */

/* Receives the dump text piece by piece (whole lines or more). */
typedef void (*bs_btf_out_fn)(void *user, const char *text);

/* Every type as `bpftool btf dump file F format raw` prints it:
 *   [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED */
void bs_btf_dump_raw(const struct bs_btf *btf, bs_btf_out_fn out, void *user);
/* One type, in the same format. */
void bs_btf_dump_raw_type(const struct bs_btf *btf, uint32_t id, bs_btf_out_fn out, void *user);

/* The types as a C header, like `bpftool btf dump file F format c`:
 * struct/union/enum/typedef definitions in dependency order, forward
 * declarations where pointers form cycles, explicit padding and
 * __attribute__((packed)) where the layout needs them. Fails (BS_ERR_PARSE)
 * only for types C cannot express, such as a function type whose parameter
 * points back to it. */
BS_MUST_CHECK int bs_btf_dump_c(const struct bs_btf *btf, bs_btf_out_fn out, void *user,
				struct bs_error *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
