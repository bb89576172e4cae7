// SPDX-License-Identifier: MIT
/* Opening ELF objects: every header and range is checked before use, and
 * every refusal names what was wrong and where in the file. */
#include "loader/elf_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/error.h"


#ifndef EM_BPF
#define EM_BPF 247
#endif

static int fail(struct ldr_elf *f, struct bs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ldr_elf *f, struct bs_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_verr(err, BS_ERR_PARSE, BS_NO_PC, fmt, ap);
	va_end(ap);
	snprintf(err->file, sizeof(err->file), "%s", f->path);
	return -1;
}

int ldr_elf_open(struct ldr_elf *f, const char *path, uint8_t *image, size_t size,
		 struct bs_error *err)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->image = image;
	f->size = size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(f, err, "libelf is unusable: %s", elf_errmsg(-1));
	if (size < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0)
		return fail(f, err, "%s is not an ELF file (no ELF magic at file offset 0)", path);
	if (size < sizeof(Elf64_Ehdr))
		return fail(f, err, "%s is truncated: %zu bytes, shorter than an ELF header (%zu)", path,
			    size, sizeof(Elf64_Ehdr));
	if (image[EI_CLASS] != ELFCLASS64)
		return fail(f, err, "%s is not a 64-bit ELF object (EI_CLASS at file offset %d)", path,
			    EI_CLASS);
	if (image[EI_DATA] != ELFDATA2LSB)
		return fail(f, err,
			    "%s is big-endian (EI_DATA at file offset %d); bpfstep runs little-endian "
			    "BPF objects (clang -target bpfel, or -target bpf on x86/arm64)",
			    path, EI_DATA);
	f->elf = elf_memory((char *)image, size);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &f->ehdr))
		return fail(f, err, "%s: corrupt ELF header (libelf: %s)", path, elf_errmsg(-1));
	if (f->ehdr.e_machine != EM_BPF)
		return fail(f, err, "%s is not a BPF object: e_machine is %u, not EM_BPF (247)",
			    path, (unsigned)f->ehdr.e_machine);
	if (f->ehdr.e_type != ET_REL)
		return fail(f, err, "%s is not a relocatable object (e_type %u); pass the .o that "
			    "clang -target bpf -c writes", path, (unsigned)f->ehdr.e_type);
	if (f->ehdr.e_shoff > size || (uint64_t)f->ehdr.e_shnum * sizeof(Elf64_Shdr) > size - f->ehdr.e_shoff)
		return fail(f, err,
			    "%s is truncated or corrupt: its section header table (file offset %llu, "
			    "%u entries) extends past the end of the file (%zu bytes)",
			    path, (unsigned long long)f->ehdr.e_shoff, (unsigned)f->ehdr.e_shnum, size);
	if (elf_getshdrnum(f->elf, &f->nsections) || elf_getshdrstrndx(f->elf, &f->shstrndx))
		return fail(f, err, "%s: corrupt section header table at file offset %llu", path,
			    (unsigned long long)f->ehdr.e_shoff);
	/* every section's file range must lie inside the file */
	for (size_t i = 1; i < f->nsections; i++) {
		Elf_Scn *scn = elf_getscn(f->elf, i);
		GElf_Shdr sh;
		if (!scn || !gelf_getshdr(scn, &sh))
			return fail(f, err, "%s: corrupt section header %zu", path, i);
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return fail(f, err,
				    "%s: section %zu (file offset %llu, %llu bytes) extends past the "
				    "end of the file (%zu bytes)",
				    path, i, (unsigned long long)sh.sh_offset,
				    (unsigned long long)sh.sh_size, size);
	}
	return 0;
}

void ldr_elf_close(struct ldr_elf *f)
{
	if (f->elf)
		elf_end(f->elf);
	free(f->image);
	memset(f, 0, sizeof(*f));
}

const char *ldr_elf_scn_name(struct ldr_elf *f, Elf_Scn *scn)
{
	GElf_Shdr sh;
	if (!gelf_getshdr(scn, &sh))
		return "";
	const char *name = elf_strptr(f->elf, f->shstrndx, sh.sh_name);
	return name ? name : "";
}

Elf_Data *ldr_elf_data(struct ldr_elf *f, Elf_Scn *scn, struct bs_error *err)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d) {
		fail(f, err, "%s: cannot read section %zu (%s)", f->path, elf_ndxscn(scn),
		     elf_errmsg(-1));
		return NULL;
	}
	return d;
}

Elf_Scn *ldr_elf_find(struct ldr_elf *f, const char *name, Elf_Data **data)
{
	for (size_t i = 1; i < f->nsections; i++) {
		Elf_Scn *scn = elf_getscn(f->elf, i);
		if (scn && strcmp(ldr_elf_scn_name(f, scn), name) == 0) {
			if (data)
				*data = elf_getdata(scn, NULL);
			return scn;
		}
	}
	return NULL;
}
