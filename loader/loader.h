/* SPDX-License-Identifier: MIT */
/* Private structures of the ELF loader. */
#ifndef BS_LOADER_LOADER_H
#define BS_LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "loader/elf_file.h"
#include "vm/isa.h"

/* A function symbol of an executable section. */
struct ldr_func {
	size_t scn;
	uint64_t off, size;  /* bytes */
	char *name;
	bool is_prog;        /* in a program section, not .text */
};

struct ldr_map {
	struct bs_map_def def;  /* def.name points to name */
	char name[64];
	size_t scn;             /* section that defines it */
	uint64_t sym_off;       /* offset of its symbol in a maps section */
	uint8_t *init;          /* initial contents of global data, or NULL */
	size_t init_size;
	struct bs_map_def inner;  /* map-in-map: the inner template (type 0: none) */
	char inner_name[80];
	struct bs_map_init_value *values;  /* `.values = { [k] = &x }` */
	size_t nvalues;
};

struct bs_prog {
	const struct bs_object *obj;
	struct bs_line *lines;  /* sorted by insn; strings live in the object's BTF */
	size_t nlines;
	char *name;
	char *section;
	enum bs_prog_type type;
	struct bs_insn *insns;
	size_t n;
	struct bs_func *funcs;
	size_t nfuncs;
};

struct bs_btf;
struct bs_btf_ext;
struct bs_dwarf;

struct bs_object {
	struct bs_btf *btf;          /* NULL without a usable .BTF */
	struct bs_btf_ext *btf_ext;  /* NULL without a usable .BTF.ext */
	struct bs_dwarf *dwarf;      /* NULL without usable DWARF (loader/dwarf_*.c) */
	char notes[1024];            /* lines about what loading ignored, or "" */
	char *name;
	char license[128];
	uint32_t kversion;
	struct bs_prog *progs;
	size_t nprogs;
	struct ldr_map *maps;
	size_t nmaps;
};

/* The prog type a section name gives, or BS_PROG_UNSPEC. */
BS_HIDDEN enum bs_prog_type ldr_section_type(const char *sec);

#endif
