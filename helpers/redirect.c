// SPDX-License-Identifier: MIT
/* The redirect helpers (net/core/filter.c, kernel/bpf/devmap.c,
 * kernel/bpf/cpumap.c, net/xdp/xskmap.c, Linux 6.18). A test run never
 * sends anything: like the kernel's BPF_PROG_TEST_RUN, the program's
 * verdict (TC_ACT_REDIRECT, XDP_REDIRECT) is its return value and the
 * target stays in the redirect info, which bpfstep hands back in
 * bs_test_run.redirect. bpf_clone_redirect's copies go to
 * bs_test_run.clones. bpfstep has no network devices: ifindex 0 never
 * names one, any other ifindex is taken as existing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/run.h"
#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "helpers/skb_helpers.h"
#include "helpers/xdp_helpers.h"
#include "vm/error.h"

/* the copies bpf_clone_redirect records in one test run: a program looping
 * on it must not take the host's memory */
#define CLONES_MAX_BYTES (64 << 20)

#define F_INGRESS 1ULL
#define F_BROADCAST (1ULL << 3)
#define F_EXCLUDE_INGRESS (1ULL << 4)
/* sizeof(struct bpf_redir_neigh) */
#define REDIR_NEIGH_SIZE 20
enum { TC_ACT_SHOT_ = 2, TC_ACT_REDIRECT_ = 7 };
enum { XDP_ABORTED_ = 0, XDP_REDIRECT_ = 4 };
/* XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX: bpf_redirect_map returns the
 * low bits of its flags when the lookup fails */
#define XDP_ACTION_MASK 3ULL

static void record(struct bs_test_run *tr, enum bs_redirect_kind kind, uint32_t ifindex,
		   uint64_t flags)
{
	if (!tr)
		return;
	memset(&tr->redirect, 0, sizeof(tr->redirect));
	tr->redirect.kind = kind;
	tr->redirect.ifindex = ifindex;
	tr->redirect.flags = flags;
}

/* bpf_redirect(ifindex, flags) for tc: BPF_F_INGRESS is the only flag */
static int h_redirect(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, void *user)
{
	(void)vm, (void)err;
	struct hlp_skb *s = user;
	if (args[1] & ~F_INGRESS) {
		*r0 = TC_ACT_SHOT_;
		return 0;
	}
	record(s->tr, BS_REDIRECT_IFINDEX, (uint32_t)args[0], args[1]);
	*r0 = TC_ACT_REDIRECT_;
	return 0;
}

/* bpf_redirect_peer(ifindex, flags): no flags */
static int h_redirect_peer(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			   struct bs_error *err, void *user)
{
	(void)vm, (void)err;
	struct hlp_skb *s = user;
	if (args[1]) {
		*r0 = TC_ACT_SHOT_;
		return 0;
	}
	record(s->tr, BS_REDIRECT_PEER, (uint32_t)args[0], 0);
	*r0 = TC_ACT_REDIRECT_;
	return 0;
}

/* bpf_redirect_neigh(ifindex, params, plen, flags): params, if plen is not
 * 0, is a struct bpf_redir_neigh (the next hop) */
static int h_redirect_neigh(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint32_t plen = (uint32_t)args[2];
	if (plen && !bs_vm_translate(vm, args[1], plen, false, err))
		return -1;
	if ((plen && plen < REDIR_NEIGH_SIZE) || args[3]) {
		*r0 = TC_ACT_SHOT_;
		return 0;
	}
	record(s->tr, BS_REDIRECT_NEIGH, (uint32_t)args[0], 0);
	*r0 = TC_ACT_REDIRECT_;
	return 0;
}

/* bpf_clone_redirect(skb, ifindex, flags): a copy of the packet as it is
 * now goes to ifindex; in a test run the kernel sends it (lo loops it
 * back), bpfstep records it. 0, or -EINVAL for a flag other than
 * BPF_F_INGRESS or no such device, -EBADMSG for a test run's GSO skb (it
 * has no gso_type). */
static int h_clone_redirect(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	(void)vm;
	struct hlp_skb *s = user;
	uint32_t ifindex = (uint32_t)args[1];
	uint64_t flags = args[2];
	if (flags & ~F_INGRESS) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	if (s->md->gso_size) {
		*r0 = (uint64_t)-EBADMSG;
		return 0;
	}
	if (!ifindex) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	struct bs_test_run *tr = s->tr;
	if (tr) {
		size_t held = 0;
		for (size_t i = 0; i < tr->nclones; i++)
			held += tr->clones[i].size;
		if (held + s->len > CLONES_MAX_BYTES)
			return vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
				      "bpf_clone_redirect: the %zu clones of this run hold %zu bytes; "
				      "bpfstep keeps at most %d MiB of them", tr->nclones, held,
				      CLONES_MAX_BYTES >> 20);
		uint8_t *copy = malloc(s->len ? s->len : 1);
		struct bs_clone *grown = copy ? realloc(tr->clones, (tr->nclones + 1) *
							sizeof(*grown))
					       : NULL;
		if (!grown) {
			free(copy);
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC,
				      "bpf_clone_redirect: out of memory for clone %zu", tr->nclones + 1);
		}
		memcpy(copy, s->data, s->len);
		tr->clones = grown;
		tr->clones[tr->nclones++] = (struct bs_clone){
			.ifindex = ifindex, .flags = flags, .data = copy, .size = s->len};
	}
	*r0 = 0;
	return 0;
}

/* bpf_redirect(ifindex, flags) for xdp: no flags */
static int h_xdp_redirect(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user)
{
	(void)vm, (void)err;
	struct hlp_xdp *x = user;
	if (args[1]) {
		*r0 = XDP_ABORTED_;
		return 0;
	}
	record(x->tr, BS_REDIRECT_IFINDEX, (uint32_t)args[0], 0);
	*r0 = XDP_REDIRECT_;
	return 0;
}

/* bpf_redirect_map(map, key, flags): __bpf_xdp_redirect_map over the
 * map's entry for the u32 key. The low two bits of flags are the return
 * value when there is none; devmaps also take BPF_F_BROADCAST (redirect to
 * every entry, so a missing key does not matter) and
 * BPF_F_EXCLUDE_INGRESS. */
static int h_redirect_map(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user)
{
	(void)vm;
	struct hlp_xdp *x = user;
	struct bs_map *map = x->maps ? bs_maps_by_handle(x->maps, args[0]) : NULL;
	if (!map) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC, "bpf_redirect_map: R1 is not a map (R1=0x%llx)",
		       (unsigned long long)args[0]);
		vm_err_hint(err, "R1 must be what `lddw rX, map` loaded");
		return -1;
	}
	uint32_t type = map->def.type;
	bool dev = type == HLP_MAP_DEVMAP || type == HLP_MAP_DEVMAP_HASH;
	if (!dev && type != HLP_MAP_CPUMAP && type != HLP_MAP_XSKMAP) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "cannot pass map_type %u into func bpf_redirect_map#51 (map '%s' is %s)",
		       type, map->name, bs_map_type_name(type));
		vm_err_hint(err, "bpf_redirect_map takes a devmap, devmap_hash, cpumap or xskmap");
		return -1;
	}
	uint64_t flags = args[2];
	uint64_t allowed = XDP_ACTION_MASK | (dev ? F_BROADCAST | F_EXCLUDE_INGRESS : 0);
	if (flags & ~allowed) {
		*r0 = XDP_ABORTED_;
		return 0;
	}
	uint32_t key = (uint32_t)args[1], ifindex = 0;
	bool found = hlp_redirect_map_lookup(map, key, &ifindex);
	if (!found && !(flags & F_BROADCAST)) {
		/* the kernel clears the map target so the last call decides */
		record(x->tr, BS_REDIRECT_NONE, 0, 0);
		*r0 = flags & XDP_ACTION_MASK;
		return 0;
	}
	record(x->tr, BS_REDIRECT_MAP, ifindex, flags & F_BROADCAST ? flags : 0);
	if (x->tr) {
		x->tr->redirect.map = map->name;
		x->tr->redirect.key = key;
	}
	*r0 = XDP_REDIRECT_;
	return 0;
}

int hlp_register_skb_redirect(struct bs_vm *vm, struct hlp_skb *skb, struct bs_error *err)
{
	if (bs_vm_set_helper(vm, 13, hlp_name(13), h_clone_redirect, skb, err) ||
	    bs_vm_set_helper(vm, 23, hlp_name(23), h_redirect, skb, err) ||
	    bs_vm_set_helper(vm, 152, hlp_name(152), h_redirect_neigh, skb, err) ||
	    bs_vm_set_helper(vm, 155, hlp_name(155), h_redirect_peer, skb, err))
		return -1;
	return 0;
}

int hlp_register_xdp_redirect(struct bs_vm *vm, struct hlp_xdp *x, struct bs_error *err)
{
	if (bs_vm_set_helper(vm, 23, hlp_name(23), h_xdp_redirect, x, err) ||
	    bs_vm_set_helper(vm, 51, hlp_name(51), h_redirect_map, x, err))
		return -1;
	return 0;
}
