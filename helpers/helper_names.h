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

#endif
