/* SPDX-License-Identifier: MIT */
/* An ELF object opened with libelf and checked before anything reads it. */
#ifndef BS_LOADER_ELF_FILE_H
#define BS_LOADER_ELF_FILE_H

#include <gelf.h>
#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "vm/isa.h"

struct ldr_elf {
	const char *path;      /* for messages */
	uint8_t *image;        /* the whole file, owned */
	size_t size;
	Elf *elf;
	GElf_Ehdr ehdr;
	size_t shstrndx;
	size_t nsections;
};

/* Takes ownership of image (malloc'd) and checks it is a 64-bit
 * little-endian relocatable ELF for EM_BPF, with sane section headers. */
BS_HIDDEN int ldr_elf_open(struct ldr_elf *f, const char *path, uint8_t *image, size_t size,
			   struct bs_error *err);
BS_HIDDEN void ldr_elf_close(struct ldr_elf *f);

/* Section name of scn, or "" */
BS_HIDDEN const char *ldr_elf_scn_name(struct ldr_elf *f, Elf_Scn *scn);
/* The section called name and its data (NULL if there is none). The data's
 * bounds are checked against the file. */
BS_HIDDEN Elf_Scn *ldr_elf_find(struct ldr_elf *f, const char *name, Elf_Data **data);
/* The checked data of a section: NULL with err if its range is outside the file. */
BS_HIDDEN Elf_Data *ldr_elf_data(struct ldr_elf *f, Elf_Scn *scn, struct bs_error *err);

#endif
