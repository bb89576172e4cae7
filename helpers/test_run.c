// SPDX-License-Identifier: MIT
/* One run of an object's program with the context its type gets, the way
 * the kernel's BPF_PROG_TEST_RUN (net/bpf/test_run.c) builds it. */
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/run.h"
#include "vm/error.h"

#define ETH_HLEN 14
#define XDP_PACKET_HEADROOM 256
/* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom
 * test runs reserve, which also caps the linear data of a page */
#define TEST_RUN_TAILROOM 320
#define PAGE_SIZE_ 4096
#define XDP_MAX_LINEAR (PAGE_SIZE_ - XDP_PACKET_HEADROOM - TEST_RUN_TAILROOM)

enum { PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3 };

int bs_object_create_maps(const struct bs_object *obj, struct bs_maps **out, struct bs_error *err)
{
	*out = NULL;
	struct bs_maps *maps;
	if (bs_maps_new(&maps, 1, err))
		return -1;
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		struct bs_map *m;
		size_t size;
		const void *init = bs_object_map_init(obj, i, &size);
		if (bs_maps_create(maps, bs_object_map_def(obj, i), &m, err) < 0)
			goto fail;
		if (init) {
			void *v = bs_map_array_data(m, 0);
			if (!v || size > bs_map_def(m)->value_size) {
				vm_err(err, BS_ERR_ARG, BS_NO_PC, "map '%s' cannot hold its %zu initial bytes",
				       bs_map_def(m)->name, size);
				goto fail;
			}
			memcpy(v, init, size);
		}
	}
	*out = maps;
	return 0;
fail:
	bs_maps_free(maps);
	return -1;
}

/* Where each part lives for one run. */
struct run_mem {
	uint8_t *buf;        /* headroom + packet + tailroom */
	size_t data_off, data_len;
	union {
		struct xdp_md xdp;
		struct __sk_buff skb;
	} ctx;
	size_t ctx_size;
};

static int check_ctx_in(const struct bs_test_run *tr, size_t ctx_size, const char *name,
			struct bs_error *err)
{
	if (tr->ctx_in && tr->ctx_size_in > ctx_size)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "ctx_in is %zu bytes, more than struct %s (%zu bytes)", tr->ctx_size_in,
			      name, ctx_size);
	return 0;
}

static int setup_xdp(struct bs_vm *vm, const struct bs_test_run *tr, struct run_mem *m,
		     uint64_t *r1, struct bs_error *err)
{
	if (check_ctx_in(tr, sizeof(struct xdp_md), "xdp_md", err))
		return -1;
	/* frames past one page keep only their linear part here (no frags yet) */
	m->data_len = tr->data_size_in < XDP_MAX_LINEAR ? tr->data_size_in : XDP_MAX_LINEAR;
	m->data_off = XDP_PACKET_HEADROOM;
	m->ctx_size = sizeof(struct xdp_md);
	uint64_t pkt;
	if (bs_vm_add_region(vm, "pkt", m->buf + m->data_off, m->data_len, BS_REGION_RW, &pkt, err))
		return -1;
	/* a test run receives on the loopback device, queue 0 */
	if (tr->ctx_in)
		memcpy(&m->ctx.xdp, tr->ctx_in, tr->ctx_size_in);
	m->ctx.xdp.data = (uint32_t)pkt;
	m->ctx.xdp.data_meta = (uint32_t)pkt;
	m->ctx.xdp.data_end = (uint32_t)(pkt + m->data_len);
	if (!m->ctx.xdp.ingress_ifindex)
		m->ctx.xdp.ingress_ifindex = 1;
	return bs_vm_add_region(vm, "ctx", &m->ctx, m->ctx_size, BS_REGION_READ, r1, err);
}

/* eth_type_trans on the loopback device, whose address is all zeros */
static uint32_t pkt_type(const uint8_t *eth)
{
	static const uint8_t zero[6], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	if (memcmp(eth, zero, 6) == 0)
		return PACKET_HOST;
	if (eth[0] & 1)
		return memcmp(eth, bcast, 6) == 0 ? PACKET_BROADCAST : PACKET_MULTICAST;
	return PACKET_OTHERHOST;
}

static int setup_skb(struct bs_vm *vm, enum bs_prog_type type, const struct bs_test_run *tr,
		     struct run_mem *m, uint64_t *r1, struct bs_error *err)
{
	if (check_ctx_in(tr, sizeof(struct __sk_buff), "__sk_buff", err))
		return -1;
	/* tc programs see the Ethernet header; the others start at the network header */
	bool is_l2 = type == BS_PROG_SCHED_CLS || type == BS_PROG_SCHED_ACT;
	size_t pull = is_l2 ? 0 : ETH_HLEN;
	m->data_off = XDP_PACKET_HEADROOM + pull;
	m->data_len = tr->data_size_in - pull;
	m->ctx_size = sizeof(struct __sk_buff);
	uint64_t pkt;
	if (bs_vm_add_region(vm, "pkt", m->buf + m->data_off, m->data_len, BS_REGION_RW, &pkt, err))
		return -1;
	struct __sk_buff *s = &m->ctx.skb;
	if (tr->ctx_in)
		memcpy(s, tr->ctx_in, tr->ctx_size_in);
	const uint8_t *eth = m->buf + XDP_PACKET_HEADROOM;
	s->len = (uint32_t)m->data_len;
	s->pkt_type = pkt_type(eth);
	memcpy(&s->protocol, eth + 12, 2);  /* network byte order, as skb->protocol */
	s->ifindex = 1;
	s->data = (uint32_t)pkt;
	s->data_meta = (uint32_t)pkt;
	s->data_end = (uint32_t)(pkt + m->data_len);
	if (!s->wire_len)
		s->wire_len = (uint32_t)tr->data_size_in;
	bs_vm_set_packet(vm, eth, tr->data_size_in, pull, 0, ETH_HLEN);
	return bs_vm_add_region(vm, "ctx", s, m->ctx_size, BS_REGION_RW, r1, err);
}

static int copy_out(struct bs_test_run *tr, const struct run_mem *m, enum bs_prog_type type,
		    struct bs_error *err)
{
	/* data_out always starts at the Ethernet header, as the kernel pushes it back */
	size_t start = type == BS_PROG_XDP ? m->data_off : XDP_PACKET_HEADROOM;
	size_t len = m->data_off + m->data_len - start;
	tr->data_out = malloc(len ? len : 1);
	tr->ctx_out = malloc(m->ctx_size);
	if (!tr->data_out || !tr->ctx_out)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	memcpy(tr->data_out, m->buf + start, len);
	tr->data_size_out = len;
	memcpy(tr->ctx_out, &m->ctx, m->ctx_size);
	tr->ctx_size_out = m->ctx_size;
	return 0;
}

int bs_test_run(const struct bs_prog *prog, struct bs_maps *maps, struct bs_test_run *tr,
		struct bs_error *err)
{
	bs_error_clear(err);
	tr->data_out = tr->ctx_out = NULL;
	tr->data_size_out = tr->ctx_size_out = 0;
	enum bs_prog_type type = bs_prog_type(prog);
	bool xdp = type == BS_PROG_XDP;
	bool skb = type == BS_PROG_SCHED_CLS || type == BS_PROG_SCHED_ACT ||
		   type == BS_PROG_SOCKET_FILTER || type == BS_PROG_CGROUP_SKB;
	if (!xdp && !skb)
		return vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
			      "running %s programs is not supported yet (xdp, sched_cls, sched_act, "
			      "socket_filter and cgroup_skb are)",
			      bs_prog_type_name(type));
	if (tr->data_size_in < ETH_HLEN)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the packet is %zu bytes; the kernel's test run needs at least an "
			      "Ethernet header (14)",
			      tr->data_size_in);

	struct bs_env env_default;
	struct bs_env *env = tr->env;
	if (!env) {
		bs_env_default(&env_default);
		env = &env_default;
	}
	struct run_mem m;
	memset(&m, 0, sizeof(m));
	struct bs_vm *vm = NULL;
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(prog, &n);
	uint64_t args[5] = {0};
	struct bs_run_result res = {0};
	int rc = -1;
	m.buf = calloc(1, XDP_PACKET_HEADROOM + tr->data_size_in + TEST_RUN_TAILROOM);
	if (!m.buf) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for a %zu-byte packet",
		       tr->data_size_in);
		goto out;
	}
	memcpy(m.buf + XDP_PACKET_HEADROOM, tr->data_in, tr->data_size_in);
	if (bs_vm_new(&vm, err) || bs_helpers_register_env(vm, env, err) ||
	    (maps && bs_maps_attach(maps, vm, err)))
		goto out;
	bs_vm_set_budget(vm, tr->budget ? tr->budget : BS_DEFAULT_BUDGET);
	bs_vm_set_dispatch(vm, tr->dispatch);
	if (bs_vm_load(vm, insns, n, err))
		goto out;
	if (xdp ? setup_xdp(vm, tr, &m, &args[0], err) : setup_skb(vm, type, tr, &m, &args[0], err))
		goto out;
	rc = bs_vm_run(vm, args, &res, err);
	tr->insns_executed = res.insns_executed;
	/* the kernel's test run reports the program's u32 return value */
	tr->retval = (uint32_t)res.retval;
	if (!rc)
		rc = copy_out(tr, &m, type, err);
out:
	if (rc) {
		free(tr->data_out);
		free(tr->ctx_out);
		tr->data_out = tr->ctx_out = NULL;
	}
	bs_vm_free(vm);
	free(m.buf);
	return rc;
}
