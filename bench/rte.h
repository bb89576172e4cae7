/* SPDX-License-Identifier: MIT */
/* The librte_bpf columns (bench/rte.c): DPDK's eBPF library, a peer of
 * bpfstep's engines, without DPDK's environment (no EAL). Plain C types
 * only: DPDK's headers and the kernel's define the same BPF_ names. */
#ifndef BENCH_RTE_H
#define BENCH_RTE_H

#include <stddef.h>
#include <stdint.h>

struct bench_rte;

/* Loads program name from section "rte/NAME" of obj (progs_rte*.bpf.o) the
 * way librte_bpf loads code: its ELF loader resolves the array and its
 * lookup function by name, its validator checks the code, its JIT compiles
 * it where it can. Returns 0, or -1 with librte's reason in why. */
int bench_rte_load(const char *obj, const char *name, struct bench_rte **out, char *why,
		   size_t why_len);
void bench_rte_free(struct bench_rte *r);

/* ns per run over the packet (len bytes), repeat runs from a zeroed array,
 * under librte's interpreter (rte_bpf_exec) or its JIT (jit: the function
 * rte_bpf_get_jit gives); *retval the last run's. -1 when there is no JIT
 * code (librte_bpf has a JIT for x86-64 and arm64 only). */
double bench_rte_run(const struct bench_rte *r, int jit, const uint8_t *pkt, size_t len,
		     uint32_t repeat, uint32_t *retval);

#endif
