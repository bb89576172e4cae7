/* SPDX-License-Identifier: MIT */
/* The interp-rte column (bench/rte_code.c): bpfstep's interpreter on the
 * instructions librte_bpf runs (section "rte/NAME" of progs_rte*.bpf.o),
 * its two external names resolved as librte's ELF loader does (bench_map:
 * an array, here a region; bench_array_lookup: a function, here a helper).
 * Interpreters compiled from one C source for two ABIs run different
 * instructions; these are the same. */
#ifndef BENCH_RTE_CODE_H
#define BENCH_RTE_CODE_H

#include <stdint.h>

/* ns per run over the packet (1500 bytes behind its length, as librte gets
 * it), repeat runs; *insns, *retval: the last run's. -1 when obj has no
 * such section, or it names another symbol, or it does not run. */
double bench_rte_code_run(const char *obj, const char *name, const uint8_t *pkt,
			  uint32_t repeat, double *insns, uint32_t *retval);

#endif
