/* SPDX-License-Identifier: MIT */
/* Umbrella header of libbpfstep. */
#ifndef BPFSTEP_BPFSTEP_H
#define BPFSTEP_BPFSTEP_H

#include "bpfstep/error.h"
#include "bpfstep/insn.h"
#include "bpfstep/isa.h"
#include "bpfstep/vm.h"
#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/btf.h"
#include "bpfstep/object.h"
#include "bpfstep/run.h"

#endif
