// SPDX-License-Identifier: MIT
/* The benchmark programs as BPF (bench/progs.h): for the kernel's ABI, or
 * with BENCH_RTE for librte_bpf's. */
#include "progs.h"

#ifndef BENCH_RTE
char LICENSE[] SEC("license") = "GPL";
#endif
