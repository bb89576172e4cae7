// SPDX-License-Identifier: MIT
/* bpf_perf_event_output (25) into a perf_event_array (map_fd_array.c): the
 * checks of bpf_skb_event_output / bpf_xdp_event_output and
 * __bpf_perf_event_output, in their order. A slot holds the CPU its perf
 * event counts on; the event only takes records on that CPU (-EOPNOTSUPP
 * elsewhere), as in the kernel. Records keep the program's size: the
 * kernel's perf sample pads the data so that its u32 size and the data
 * fill a multiple of 8 bytes, which libbpf's callback then sees. */
#include <errno.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

#define F_INDEX_MASK 0xffffffffULL
#define F_CURRENT_CPU 0xffffffffULL
#define F_CTXLEN_MASK (0xfffffULL << 32)

/* bpf_perf_event_output(ctx, map, flags, data, size) */
int hlp_h_perf_event_output(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (hlp_map_arg(att, 25, args[1], &map, err) || hlp_map_func_compat(25, map, err))
		return -1;
	uint64_t flags = args[2], size = args[4];
	const void *data = size ? bs_vm_translate(vm, args[3], size, false, err) : "";
	if (!data) {
		hlp_prefix_err(err, "%s: R4 (data, %llu bytes)", hlp_name(25),
			       (unsigned long long)size);
		return -1;
	}
	if (flags & ~(F_CTXLEN_MASK | F_INDEX_MASK)) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	if (flags & F_CTXLEN_MASK) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC, "%s: flags ask for %llu bytes of the "
		       "packet (BPF_F_CTXLEN_MASK) after the data; bpfstep does not copy packet bytes "
		       "into perf records", hlp_name(25),
		       (unsigned long long)((flags & F_CTXLEN_MASK) >> 32));
		vm_err_hint(err, "copy the bytes into the data argument instead, or use a ringbuf");
		return -1;
	}
	uint64_t index = flags & F_INDEX_MASK;
	if (index == F_CURRENT_CPU)
		index = att->maps->cpu;
	uint32_t cpu;
	int rc = hlp_fd_slot(map, index, &cpu);
	if (!rc && cpu != att->maps->cpu)
		rc = -EOPNOTSUPP;  /* the event is active on another CPU */
	if (!rc)
		rc = hlp_perf_record_add(map, data, size, (uint32_t)index);
	*r0 = (uint64_t)(int64_t)rc;
	return 0;
}
