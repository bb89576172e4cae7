/* SPDX-License-Identifier: MIT */
/* State shared by the passes that turn an ELF object into programs. */
#ifndef BS_LOADER_PARSE_H
#define BS_LOADER_PARSE_H

#include "loader/loader.h"

struct ldr_reloc {
	uint64_t off;     /* byte offset in the target section */
	uint32_t sym;
	uint32_t type;
};

struct ldr_section {
	const char *name;
	GElf_Shdr sh;
	Elf_Data *data;
	struct ldr_reloc *relocs;  /* sorted by off */
	size_t nrelocs;
	bool exec;
	int map_index;             /* global-data map of this section, or -1 */
};

struct ldr_ctx {
	struct ldr_elf elf;
	struct bs_object *obj;
	struct ldr_section *scns;  /* indexed by section number */
	size_t nscns;
	GElf_Sym *syms;
	size_t nsyms;
	const char *strtab_name;   /* unused; symbol names come from elf_strptr */
	size_t symtab_link;        /* string table of the symbol table */
	size_t maps_scn, btf_maps_scn, text_scn;  /* 0 if absent */
	struct ldr_func *funcs;
	size_t nfuncs;
};

/* loader/object_maps.c: the maps of an object, in libbpf's order */
BS_HIDDEN struct ldr_map *ldr_add_map(struct ldr_ctx *c, struct bs_error *err);
BS_HIDDEN int ldr_add_legacy_maps(struct ldr_ctx *c, struct bs_error *err);
BS_HIDDEN int ldr_add_btf_maps(struct ldr_ctx *c, struct bs_error *err);
struct bs_btf_type;
/* The static `.values` of BTF-defined prog_array and map-in-map maps. */
BS_HIDDEN int ldr_add_map_values(struct ldr_ctx *c, const struct bs_btf_type *sec,
				 struct bs_error *err);
BS_HIDDEN bool ldr_is_data_section(const char *name);
BS_HIDDEN int ldr_add_data_map(struct ldr_ctx *c, size_t scn, struct bs_error *err);
/* Adds a line to the object's notes (what loading ignored). */
BS_HIDDEN void ldr_note(struct ldr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
BS_HIDDEN const char *ldr_sym_name(struct ldr_ctx *c, const GElf_Sym *sym);
/* Fills err with a parse error naming the object, and returns -1. */
BS_HIDDEN int ldr_fail(struct ldr_ctx *c, struct bs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Links program p from its entry function: subprograms appended, calls and
 * map/global references resolved. */
BS_HIDDEN int ldr_link_prog(struct ldr_ctx *c, struct ldr_func *entry, struct bs_prog *p,
			    struct bs_error *err);

#endif
