// SPDX-License-Identifier: MIT
/* Programs made from bare instructions (no ELF object), to run as a given
 * program type: `bpfstep run --raw FILE --type T`. */
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "vm/error.h"

int bs_prog_new_raw(const struct bs_insn *insns, size_t n, enum bs_prog_type type,
		    const char *name, struct bs_prog **out, struct bs_error *err)
{
	*out = NULL;
	if (!n || !insns)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "the program is empty");
	if (!strcmp(bs_prog_type_name(type), "unknown"))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "program type %d is not a kernel program type",
			      (int)type);
	struct bs_prog *p = calloc(1, sizeof(*p));
	if (!p)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	p->type = type;
	p->n = n;
	p->insns = malloc(n * sizeof(*insns));
	p->name = strdup(name ? name : "raw");
	p->section = strdup("");
	p->funcs = calloc(1, sizeof(*p->funcs));
	if (p->funcs)
		p->funcs[0].name = strdup(p->name ? p->name : "raw");
	if (!p->insns || !p->name || !p->section || !p->funcs || !p->funcs[0].name) {
		bs_prog_free(p);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	memcpy(p->insns, insns, n * sizeof(*insns));
	p->nfuncs = 1;
	*out = p;
	return 0;
}

void bs_prog_free(struct bs_prog *prog)
{
	if (!prog)
		return;
	/* a program of an object belongs to the object */
	if (prog->obj)
		return;
	free(prog->insns);
	free(prog->name);
	free(prog->section);
	if (prog->funcs)
		free((char *)prog->funcs[0].name);
	free(prog->funcs);
	free(prog->lines);
	free(prog);
}

int bs_prog_type_by_name(const char *name, enum bs_prog_type *out)
{
	for (int t = BS_PROG_UNSPEC + 1; t <= BS_PROG_NETFILTER; t++)
		if (name && !strcmp(bs_prog_type_name((enum bs_prog_type)t), name)) {
			*out = (enum bs_prog_type)t;
			return 0;
		}
	return -1;
}
