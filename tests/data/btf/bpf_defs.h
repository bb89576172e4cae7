/* SPDX-License-Identifier: MIT */
/* The libbpf macros the BTF test programs use: from libbpf-dev's
 * <bpf/bpf_helpers.h> when it is installed, else the same definitions
 * (they are what the map definitions' BTF encoding is made of). */
#ifndef BS_TEST_BPF_DEFS_H
#define BS_TEST_BPF_DEFS_H

#if __has_include(<bpf/bpf_helpers.h>)
#include <bpf/bpf_helpers.h>
#else
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   __u64 flags) = (void *)2;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;
#endif

#endif
