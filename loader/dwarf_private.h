/* SPDX-License-Identifier: MIT */
/* The object's DWARF as bpfstep keeps it: a self-contained model built
 * once with libdwarf (loader/dwarf_read.c), so nothing after loading calls
 * libdwarf or can fail on the bytes.
 *
 * Addresses: in a relocatable object every code section starts at 0, so
 * the reader relocates the debug sections with section symbols worth
 * (section index << 32): an address names its section and its byte offset
 * there (DW_ADDR). Programs map addresses to linked instructions through
 * the functions they placed (struct dw_part). */
#ifndef BS_LOADER_DWARF_PRIVATE_H
#define BS_LOADER_DWARF_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/dwarf.h"
#include "vm/isa.h"

#define DW_ADDR(scn, off) (((uint64_t)(scn) << 32) | (uint64_t)(off))
#define DW_ADDR_SCN(a) ((size_t)((a) >> 32))

struct dw_op {
	uint8_t atom;
	uint64_t a, b;
};

struct dw_expr {
	struct dw_op *ops;
	size_t n;
};

struct dw_locent {
	uint64_t lo, hi;  /* [lo, hi) */
	struct dw_expr e;
};

struct dw_global_place {
	int map;      /* -1: none */
	uint64_t off;
};

struct bs_dwarf_loc {
	bool is_list;
	const struct dw_global_place *place;  /* a global's map and offset, or NULL */
	struct dw_expr e;          /* !is_list */
	struct dw_locent *ents;    /* is_list */
	size_t n;
};

struct dw_range {
	uint64_t lo, hi;
};

enum dw_scope_kind { DW_SC_FUNC, DW_SC_BLOCK, DW_SC_INLINED };

struct dw_scope {
	enum dw_scope_kind kind;
	const char *name;            /* FUNC, INLINED: the function */
	struct dw_range *ranges;
	size_t nranges;
	const char *call_file;       /* INLINED */
	uint32_t call_line;
	int parent;                  /* index, -1 for a function */
	size_t first_var, nvars;     /* in bs_dwarf.vars */
};

/* A function of a linked program: DWARF addresses [addr, addr + size) are
 * instructions start.. */
struct dw_part {
	uint64_t addr, size;
	size_t start;
	/* clang's BPF DWARF counts stack offsets (fbreg, breg10) from the
	 * bottom of the frame, r10 - stack: the frame's size, from the deepest
	 * r10-relative access of the function */
	uint64_t stack;
};

struct dw_progmap {
	struct dw_part *parts;
	size_t nparts;
	enum bs_line_origin origin;
};

struct dw_chunk;

struct bs_dwarf {
	unsigned version;
	struct dw_chunk *arena;
	struct bs_dwarf_type **types;   /* every type, for lookups by name */
	size_t ntypes;
	struct dw_scope *scopes;        /* each scope's children follow it */
	size_t nscopes;
	struct bs_dwarf_var *vars;      /* locals and parameters, by scope */
	size_t nvars;
	struct bs_dwarf_var *globals;
	size_t nglobals;
	int *scn_map;                   /* global-data map of each ELF section, or -1 */
	size_t nscn;
	struct dw_progmap *progs;       /* indexed like the object's programs */
	size_t nprogs;
};

/* zeroed memory that lives as long as dw; NULL when out of memory */
BS_HIDDEN void *dw_alloc(struct bs_dwarf *dw, size_t size);
BS_HIDDEN char *dw_strdup(struct bs_dwarf *dw, const char *s);
BS_HIDDEN void dw_free(struct bs_dwarf *dw);

/* the DWARF address of instruction pc of prog (false: none) and back */
BS_HIDDEN bool dw_pc_addr(const struct bs_prog *prog, size_t pc, uint64_t *addr);
/* the frame size of the function of pc (0 if unknown) */
BS_HIDDEN uint64_t dw_pc_stack(const struct bs_prog *prog, size_t pc);
BS_HIDDEN const struct bs_dwarf *dw_of(const struct bs_prog *prog);
/* the innermost scope containing addr, -1 if none */
BS_HIDDEN int dw_scope_at(const struct bs_dwarf *dw, uint64_t addr);
BS_HIDDEN bool dw_scope_has(const struct dw_scope *s, uint64_t addr);

/* loader/dwarf_loc.c: the location of a variable at addr */
BS_HIDDEN int dw_locate(const struct bs_dwarf *dw, const struct bs_dwarf_var *var, uint64_t addr,
			uint64_t stack,
			const struct bs_dwarf_access *acc, struct bs_dwarf_value *out,
			struct bs_error *err);
/* loader/dwarf_value.c: reading values */
BS_HIDDEN int dw_value_bytes(const struct bs_dwarf_value *v, const struct bs_dwarf_access *acc,
			     uint8_t *buf, size_t len);
BS_HIDDEN bool dw_is_int(const struct bs_dwarf_type *t);
BS_HIDDEN bool dw_is_signed(const struct bs_dwarf_type *t);

#endif
