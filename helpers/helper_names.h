/* SPDX-License-Identifier: MIT */
/* Helper names by id (enum bpf_func_id of the kernel UAPI). */
#ifndef BS_HELPERS_HELPER_NAMES_H
#define BS_HELPERS_HELPER_NAMES_H

#include <stdint.h>

#include "vm/isa.h"

/* "bpf_map_lookup_elem" for 1; NULL for unknown ids. */
BS_HIDDEN const char *hlp_name(int32_t id);
/* 1 for "bpf_map_lookup_elem"; -1 if no helper has that name. */
BS_HIDDEN int32_t hlp_id_by_name(const char *name);

/* Whether the kernel's verifier lets a program of type (enum bpf_prog_type)
 * call helper id: 1 yes, 0 no ("program of this type cannot use helper"),
 * -1 when bpfstep does not know the type's list. */
BS_HIDDEN int hlp_type_allows(int type, int32_t id);

#endif
