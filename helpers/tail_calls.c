// SPDX-License-Identifier: MIT
/* The tail-call resolver of a test run: map handle and index to a program
 * of the object, prepared in the VM on first use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "helpers/tail_calls.h"
#include "vm/error.h"

#define NOT_LOADED UINT32_MAX

struct hlp_tail_calls {
	const struct bs_object *obj;
	const struct bs_prog *prog;
	struct bs_maps *maps;
	uint32_t *vm_index;   /* per program of the object: its index in the VM */
	uint32_t *obj_index;  /* per program of the VM: its index in the object */
	uint32_t nloaded;
};

static int resolve(struct bs_vm *vm, uint64_t handle, uint64_t index, uint32_t *out,
		   struct bs_error *err, void *user)
{
	struct hlp_tail_calls *tc = user;
	struct bs_map *map = bs_maps_by_handle(tc->maps, handle);
	if (!map || bs_map_def(map)->type != BS_MAP_PROG_ARRAY) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC, "cannot pass map_type %u into func %s#12 (R2 "
		       "must be a prog_array map)", map ? bs_map_def(map)->type : 0, hlp_name(12));
		return -1;
	}
	/* the kernel reads the index as a u32; the map's syscall permissions
	 * (BPF_F_WRONLY) do not apply to the program */
	uint32_t key = (uint32_t)index, prog;
	if (hlp_fd_slot(map, key, &prog) || prog >= bs_object_prog_count(tc->obj))
		return 0;
	const struct bs_prog *target = bs_object_prog(tc->obj, prog);
	if (bs_prog_type(target) != bs_prog_type(tc->prog)) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "%s#12: '%s' slot %u holds program '%s' of type %s; a tail call from %s "
		       "needs the same type (the kernel refuses such an update: EINVAL)",
		       hlp_name(12), bs_map_def(map)->name, key, bs_prog_name(target),
		       bs_prog_type_name(bs_prog_type(target)),
		       bs_prog_type_name(bs_prog_type(tc->prog)));
		return -1;
	}
	if (tc->vm_index[prog] == NOT_LOADED) {
		size_t n;
		const struct bs_insn *insns = bs_prog_insns(target, &n);
		uint32_t at;
		if (bs_vm_add_prog(vm, insns, n, &at, err)) {
			char why[sizeof(err->message)];
			snprintf(why, sizeof(why), "%s", err->message);
			vm_err(err, BS_ERR_HELPER, BS_NO_PC, "tail call into '%s': %s",
			       bs_prog_name(target), why);
			return -1;
		}
		uint32_t *more = realloc(tc->obj_index, (at + 1) * sizeof(*more));
		if (!more)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		tc->obj_index = more;
		tc->obj_index[at] = prog;
		tc->vm_index[prog] = at;
		tc->nloaded = at + 1;
	}
	*out = tc->vm_index[prog];
	return 1;
}

int hlp_tail_calls_setup(struct bs_vm *vm, const struct bs_prog *prog, struct bs_maps *maps,
			 struct hlp_tail_calls **out, struct bs_error *err)
{
	*out = NULL;
	const struct bs_object *obj = bs_prog_object(prog);
	if (!obj || !maps)
		return 0;
	size_t n = bs_object_prog_count(obj);
	struct hlp_tail_calls *tc = calloc(1, sizeof(*tc));
	if (!tc || !(tc->vm_index = malloc(n * sizeof(*tc->vm_index))) ||
	    !(tc->obj_index = malloc(sizeof(*tc->obj_index)))) {
		hlp_tail_calls_free(tc);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	tc->obj = obj;
	tc->prog = prog;
	tc->maps = maps;
	tc->nloaded = 1;
	for (size_t i = 0; i < n; i++) {
		tc->vm_index[i] = NOT_LOADED;
		if (bs_object_prog(obj, i) == prog) {
			tc->vm_index[i] = 0;
			tc->obj_index[0] = (uint32_t)i;
		}
	}
	bs_vm_set_tail_call(vm, resolve, tc);
	*out = tc;
	return 0;
}

void hlp_tail_calls_free(struct hlp_tail_calls *tc)
{
	if (!tc)
		return;
	free(tc->vm_index);
	free(tc->obj_index);
	free(tc);
}

const char *hlp_tail_calls_prog_name(const struct hlp_tail_calls *tc, uint32_t index)
{
	if (!tc || index >= tc->nloaded)
		return NULL;
	/* obj_index has an entry for every program the VM holds */
	return bs_prog_name(bs_object_prog(tc->obj, tc->obj_index[index]));
}

void hlp_note_tail_called(struct bs_error *err, const char *name)
{
	if (!err || !name)
		return;
	char msg[sizeof(err->message) + 96];
	snprintf(msg, sizeof(msg), "in tail-called program '%s': %s", name, err->message);
	size_t len = strnlen(msg, sizeof(err->message) - 1);
	memcpy(err->message, msg, len);
	err->message[len] = '\0';
}
