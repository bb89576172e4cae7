/* SPDX-License-Identifier: MIT */
/* Inside the BTF reader: the parsed object, the checks run on it, and the
 * layout rules the C dump shares with them. */
#ifndef BS_LOADER_BTF_PRIVATE_H
#define BS_LOADER_BTF_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfstep/btf.h"
#include "vm/isa.h"

struct bs_btf {
	uint8_t *data;         /* our copy of the section */
	size_t size;
	const char *strs;      /* the string section inside data */
	uint32_t str_len;
	uint32_t nr_types;
	struct bs_btf_type *types;  /* nr_types + 1; [0] is void */
	struct bs_btf_member *members;
	struct bs_btf_enum_value *values;
	struct bs_btf_param *params;
	struct bs_btf_var_secinfo *vars;
};

/* Fills err with ".BTF: type 12 at offset 0x1a4: MESSAGE" and returns -1. */
BS_HIDDEN int ldr_btf_type_err(struct bs_error *err, const struct bs_btf_type *t, const char *fmt,
			       ...) __attribute__((format(printf, 3, 4)));

/* The checks after decoding (loader/btf_check.c): references, per-kind
 * rules, reference loops, member bounds. */
BS_HIDDEN int ldr_btf_check(const struct bs_btf *btf, struct bs_error *err);

/* ---- layout, for the C dump (loader/btf_dump_layout.c) ---- */

#define LDR_BTF_MAX_DEPTH 1024  /* nesting of types; real kernels stay below 100 */

struct ldr_btf_layout {
	const struct bs_btf *btf;
	uint8_t *align;   /* per type: alignment in bytes, 0 = not known yet */
	uint8_t *packed;  /* per struct: 0 not known yet, 1 natural, 2 packed */
	unsigned depth;
	bool too_deep;    /* types nested past LDR_BTF_MAX_DEPTH: results are guesses */
};

BS_HIDDEN int ldr_btf_layout_init(struct ldr_btf_layout *l, const struct bs_btf *btf);
BS_HIDDEN void ldr_btf_layout_free(struct ldr_btf_layout *l);
/* Natural alignment in bytes, as clang gives it for BPF and x86-64. */
BS_HIDDEN unsigned ldr_btf_align(struct ldr_btf_layout *l, uint32_t id);
/* Whether a struct/union's recorded layout needs __attribute__((packed)). */
BS_HIDDEN bool ldr_btf_packed(struct ldr_btf_layout *l, uint32_t id);
/* A member's bitfield width (0 if none) and its real bit offset. */
BS_HIDDEN uint32_t ldr_btf_member_bits(const struct bs_btf *btf, const struct bs_btf_member *m,
				       uint64_t *bit_off);
/* bs_btf_resolve_size, or 0 for types without a size. */
BS_HIDDEN uint64_t ldr_btf_size(const struct bs_btf *btf, uint32_t id);
/* Where a compiler would place member m if the previous one ended at bit cur. */
BS_HIDDEN uint64_t ldr_btf_natural_offset(struct ldr_btf_layout *l, bool packed,
					  const struct bs_btf_member *m, uint32_t bits,
					  uint64_t cur);

#endif
