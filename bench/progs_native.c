// SPDX-License-Identifier: MIT
/* The benchmark programs for the host (bench/progs.h), the ceiling. */
#define BENCH_NATIVE
#include "progs.h"

__u64 bench_map[BENCH_MAP_ENTRIES];
