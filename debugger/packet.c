// SPDX-License-Identifier: MIT
/* Which packet bytes the program read and wrote: one VM watch over the
 * packet's region reports every access by the program and by helpers, and
 * the access's size comes from the load or store that made it. Off until a
 * front end asks (bs_dbg_packet_track), since each access is then a stop
 * of the interpreter. */
#include <stdlib.h>
#include <string.h>

#include "debugger/engine.h"
#include "vm/error.h"

void dbg_pkt_install(struct bs_dbg *d, struct bs_vm *vm)
{
	d->pkt_watch = -1;
	uint64_t data, end, off = 0, avail = 0;
	if (!d->pkt_track || bs_dbg_packet(d, &data, &end))
		return;
	/* headroom, data and tailroom: a program that moves data still hits it */
	if (!bs_vm_region_of(vm, data, NULL, &off, &avail))
		return;
	struct bs_error err;
	if (bs_vm_watch(vm, data - off, off + avail, BS_REGION_RW, &d->pkt_watch, &err))
		d->pkt_watch = -1;
}

/* The bytes the instruction just executed accessed: a load or store is
 * the one before pc (it does not jump); a helper's access counts one byte,
 * since its length is gone with its argument registers. */
static uint32_t access_size(struct bs_dbg *d, struct bs_vm *vm)
{
	uint32_t prog;
	size_t pc = bs_vm_pc(vm, &prog), n;
	const struct bs_insn *insns = bs_prog_insns(d->cfg.prog, &n);
	if (prog != 0 || pc == 0 || pc > n)
		return 1;
	const struct bs_insn *in = &insns[pc - 1];
	unsigned cls = in->code & 7;
	if (cls != 1 && cls != 2 && cls != 3)  /* LDX, ST, STX */
		return 1;
	static const uint32_t sizes[4] = {4, 2, 1, 8};
	return sizes[(in->code >> 3) & 3];
}

void dbg_pkt_note(struct bs_dbg *d, struct bs_vm *vm, uint64_t addr, unsigned kind)
{
	if (d->npkt_acc == d->cappkt_acc) {
		size_t cap = d->cappkt_acc ? d->cappkt_acc * 2 : 64;
		struct dbg_pkt_access *more = realloc(d->pkt_acc, cap * sizeof(*more));
		if (!more)
			return;
		d->pkt_acc = more;
		d->cappkt_acc = cap;
	}
	d->pkt_acc[d->npkt_acc++] = (struct dbg_pkt_access){addr, access_size(d, vm), kind};
}

int bs_dbg_packet_track(struct bs_dbg *d, bool on, struct bs_error *err)
{
	bs_error_clear(err);
	if (d->pkt_track == on)
		return 0;
	d->pkt_track = on;
	if (!on || d->state != BS_DBG_STOPPED)
		return 0;
	/* count what happened before this stop: a re-run to it, which leaves
	 * the stop as it was (its reason, the registers it changed) */
	struct bs_dbg_stop keep = d->stop;
	uint64_t prev[BS_MAX_REG];
	memcpy(prev, d->prev_regs, sizeof(prev));
	bool clobbered = d->clobbered;
	unsigned runs = d->cost_runs;
	uint64_t insns = d->cost_insns;
	struct dbg_cmd c = {.mode = DBG_M_COUNT, .target = keep.count, .silent = true,
			    .reason = keep.reason};
	if (dbg_launch(d, &c, NULL, err))
		return -1;
	d->stop = keep;
	memcpy(d->prev_regs, prev, sizeof(prev));
	d->clobbered = clobbered;
	d->cost_runs = runs;
	d->cost_insns = insns;
	return 0;
}

int bs_dbg_packet_marks(struct bs_dbg *d, uint8_t *marks, size_t n)
{
	uint64_t data, end;
	memset(marks, 0, n);
	if (!d->pkt_track || d->state != BS_DBG_STOPPED || bs_dbg_packet(d, &data, &end))
		return -1;
	for (size_t i = 0; i < d->npkt_acc; i++) {
		const struct dbg_pkt_access *a = &d->pkt_acc[i];
		for (uint64_t b = a->addr; b < a->addr + a->size; b++)
			if (b >= data && b - data < n)
				marks[b - data] |= (uint8_t)a->kind;
	}
	return 0;
}
