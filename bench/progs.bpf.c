// SPDX-License-Identifier: MIT
/* The benchmark programs as BPF (bench/progs.h). */
#include "progs.h"

char LICENSE[] SEC("license") = "GPL";
