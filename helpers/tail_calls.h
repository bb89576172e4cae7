/* SPDX-License-Identifier: MIT */
/* bpf_tail_call for the programs of one object: prog_array maps hold the
 * indices of the object's programs. */
#ifndef BS_HELPERS_TAIL_CALLS_H
#define BS_HELPERS_TAIL_CALLS_H

#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "bpfstep/vm.h"
#include "vm/isa.h"

struct hlp_tail_calls;

/* Makes bpf_tail_call in vm (which runs prog, loaded with bs_vm_load) reach
 * the other programs of prog's object through the prog_array maps of maps.
 * A target is prepared the first time it is called. *out (freed with
 * hlp_tail_calls_free after the VM's last run) is NULL for a program
 * without an object, whose tail calls all fall through. */
BS_HIDDEN int hlp_tail_calls_setup(struct bs_vm *vm, const struct bs_prog *prog,
				   struct bs_maps *maps, struct hlp_tail_calls **out,
				   struct bs_error *err);
BS_HIDDEN void hlp_tail_calls_free(struct hlp_tail_calls *tc);

/* The name of program index (what bs_vm_current_prog gives) of the VM. */
BS_HIDDEN const char *hlp_tail_calls_prog_name(const struct hlp_tail_calls *tc, uint32_t index);

/* Puts "in tail-called program 'NAME': " in front of err's message: the
 * pc and instruction it names are that program's. */
BS_HIDDEN void hlp_note_tail_called(struct bs_error *err, const char *name);

#endif
