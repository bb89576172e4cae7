// SPDX-License-Identifier: MIT
/* kernel-helpers: the tracing contexts and the environment helpers against
 * the Linux kernel.
 *
 *  1. Helper availability: for every program type bpfstep runs and every
 *     helper id, the kernel's verifier either refuses the call ("program of
 *     this type cannot use helper") or not; bpfstep's loader, with no
 *     helper registered, must say "cannot use helper" exactly then and "is
 *     not emulated" otherwise.
 *  2. Context access: for those types, every offset of the context (the
 *     tracepoint record: its first and last bytes), every size and both
 *     directions: the kernel's verifier accepts the load / store or not, and
 *     bpfstep's access rule must agree.
 *  3. Raw tracepoint test runs (BPF_PROG_TEST_RUN runs them): the run's
 *     refusals (data_in, repeat, ctx_in too long or shorter than what the
 *     program reads), and programs calling bpf_snprintf, bpf_strtol,
 *     bpf_strtoul, the bpf_probe_read family, bpf_get_current_pid_tgid /
 *     uid_gid / comm, bpf_get_numa_node_id and bpf_get_smp_processor_id
 *     with many inputs: return value and the bytes written must agree.
 *     Formats and strings live in a read-only array map (the kernel wants
 *     bpf_snprintf's format there), the output in a second map; bpfstep
 *     gets the same bytes as two regions.
 *
 * Output: one line per mismatch, then
 *   kernel-helpers: N cases, M mismatches
 * Exit: 0 all agree, 1 a mismatch, 77 bpf() is not usable here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfstep/helpers.h"
#include "bpfstep/object.h"
#include "bpfstep/run.h"
#include "bpfstep/vm.h"
#include "helpers/ctx_access.h"
#include "helpers/task_helpers.h"

static bool verbose;
static uint64_t ncases, nmismatch;
static char vlog[1 << 16];

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int kload(const struct bs_insn *ins, size_t n, uint32_t type)
{
	for (int tries = 0;; tries++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_type = type;
		a.insns = (uint64_t)(uintptr_t)ins;
		a.insn_cnt = (uint32_t)n;
		a.license = (uint64_t)(uintptr_t)"GPL";
		vlog[0] = 0;
		a.log_buf = (uint64_t)(uintptr_t)vlog;
		a.log_size = sizeof(vlog);
		a.log_level = 1;
		long fd = sys_bpf(BPF_PROG_LOAD, &a);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || tries >= 5)
			return (int)fd;
	}
}

static void mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mismatch(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("MISMATCH ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	nmismatch++;
}

#define INSN(c, d, s, o, i) ((struct bs_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV_IMM(d, i) INSN(0xb7, d, 0, 0, i)
#define MOV_REG(d, s) INSN(0xbf, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(0x07, d, 0, 0, i)
#define CALL(id) INSN(0x85, 0, 0, 0, id)
#define EXIT() INSN(0x95, 0, 0, 0, 0)
#define LDX(sz, d, s, o) INSN(0x61 | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(0x63 | (sz), d, s, o, 0)
enum { W = 0x00, H = 0x08, B = 0x10, DW = 0x18 };

static unsigned size_code(unsigned size)
{
	return size == 1 ? B : size == 2 ? H : size == 4 ? W : DW;
}

static const int types[] = {1, 2, 3, 4, 5, 6, 7, 8, 17};

/* ------------------------------------------------------- 1. availability */

static void check_availability(void)
{
	uint64_t before = nmismatch;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		/* 12, bpf_tail_call, the VM carries out itself */
		for (int id = 1; id < 212; id += id == 11 ? 2 : 1) {
			struct bs_insn p[] = {CALL(id), MOV_IMM(0, 0), EXIT()};
			int fd = kload(p, 3, (uint32_t)types[t]);
			bool refused = fd < 0 && (strstr(vlog, "cannot use helper") != NULL);
			if (fd >= 0)
				close(fd);
			struct bs_vm *vm;
			struct bs_error err;
			if (bs_vm_new(&vm, &err)) {
				fprintf(stderr, "kernel-helpers: %s\n", err.message);
				exit(1);
			}
			bs_vm_set_prog_type(vm, types[t]);
			int rc = bs_vm_load(vm, p, 3, &err);
			bs_vm_free(vm);
			ncases++;
			bool ours = rc && strstr(err.message, "cannot use helper");
			bool emulated_msg = rc && strstr(err.message, "is not emulated");
			if (!rc || ours != refused || (!refused && !emulated_msg))
				mismatch("type %d helper %d: kernel %s, bpfstep: %s", types[t], id,
					 refused ? "refuses it for the type" : "has it",
					 rc ? err.message : "loads");
		}
	}
	if (verbose)
		printf("availability: %" PRIu64 " mismatches\n", nmismatch - before);
}

/* ------------------------------------------------------- 2. ctx access */

static size_t ctx_size(int type)
{
	switch (type) {
	case 6: return sizeof(struct xdp_md);
	case 2: return sizeof(bpf_user_pt_regs_t);
	case 7: return sizeof(struct bpf_perf_event_data);
	case 5: return HLP_TP_MAX_SIZE;
	case 17: return 8 * HLP_RAW_TP_MAX_ARGS;
	default: return sizeof(struct __sk_buff);
	}
}

static void check_access_one(int type, uint64_t off, unsigned size, bool write)
{
	struct bs_insn p[4];
	size_t n = 0;
	p[n++] = MOV_IMM(2, 0);
	if (write)
		p[n++] = STX(size_code(size), 1, 2, (int16_t)off);
	else
		p[n++] = LDX(size_code(size), 2, 1, (int16_t)off);
	p[n++] = MOV_IMM(0, 0);
	p[n++] = EXIT();
	int fd = kload(p, n, (uint32_t)type);
	bool kernel_ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	else if (!strstr(vlog, "invalid bpf_context access") && !strstr(vlog, "ctx"))
		printf("note: type %d off %" PRIu64 " size %u %s: %s", type, off, size,
		       write ? "write" : "read", vlog);
	struct hlp_raw_tp_rule raw = {.size_in = 8 * HLP_RAW_TP_MAX_ARGS};
	bs_access_rule_fn rule = hlp_ctx_rule((enum bs_prog_type)type);
	bool ours = off + size <= ctx_size(type) &&
		    rule(&raw, off, size, write ? BS_REGION_WRITE : BS_REGION_READ);
	ncases++;
	if (ours != kernel_ok)
		mismatch("type %d ctx %s off=%" PRIu64 " size=%u: kernel %s, bpfstep %s", type,
			 write ? "write" : "read", off, size, kernel_ok ? "allows" : "refuses",
			 ours ? "allows" : "refuses");
}

static void check_access(void)
{
	static const unsigned sizes[] = {1, 2, 4, 8};
	uint64_t before = nmismatch;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int type = types[t];
		size_t size = ctx_size(type);
		for (uint64_t off = 0; off < size + 16; off++) {
			if (type == 5 && off >= 80 && off < size - 80)
				continue;
			for (size_t s = 0; s < 4; s++)
				for (int w = 0; w < 2; w++)
					check_access_one(type, off, sizes[s], w);
		}
	}
	if (verbose)
		printf("ctx access: %" PRIu64 " mismatches\n", nmismatch - before);
}

/* ------------------------------------------------------- 3. raw_tp runs */

#define FMT_SIZE 1024
#define OUT_SIZE 512
#define FMT_FD 1000   /* the fds the lddw of bpfstep's copy names */
#define OUT_FD 1001

static int kfmt_fd, kout_fd;
static uint8_t fmt_mem[FMT_SIZE], out_mem[OUT_SIZE];

static int map_create(uint32_t value_size, uint32_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = value_size;
	a.max_entries = 1;
	a.map_flags = flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int map_rw(int fd, void *value, bool update)
{
	union bpf_attr a;
	uint32_t key = 0;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(update ? BPF_MAP_UPDATE_ELEM : BPF_MAP_LOOKUP_ELEM, &a);
}

/* The read-only format map holds fmt_mem for every case of a batch. */
static bool kernel_maps(void)
{
	if (kfmt_fd > 0)
		close(kfmt_fd);
	kfmt_fd = map_create(FMT_SIZE, BPF_F_RDONLY_PROG);
	if (kfmt_fd < 0 || map_rw(kfmt_fd, fmt_mem, true))
		return false;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)kfmt_fd;
	if (sys_bpf(BPF_MAP_FREEZE, &a))
		return false;
	if (kout_fd <= 0)
		kout_fd = map_create(OUT_SIZE, 0);
	return kout_fd >= 0;
}

/* lddw rD = map value (fd, off); fd FMT_FD / OUT_FD is translated for the
 * kernel. */
static size_t ld_map_value(struct bs_insn *p, int dst, int fd, int32_t off, bool kernel)
{
	int real = !kernel ? fd : fd == FMT_FD ? kfmt_fd : kout_fd;
	p[0] = INSN(0x18, dst, BPF_PSEUDO_MAP_VALUE, 0, real);
	p[1] = INSN(0, 0, 0, 0, off);
	return 2;
}

struct guest {
	uint64_t fmt, out;
};

static int resolve(struct bs_vm *vm, size_t pc, const struct bs_insn *insn, uint64_t *value,
		   struct bs_error *err, void *user)
{
	(void)vm, (void)pc, (void)err;
	const struct guest *g = user;
	*value = (insn->imm == FMT_FD ? g->fmt : g->out) + (uint32_t)insn[1].imm;
	return 0;
}

/* A program: its instructions, built twice (bpfstep's lddw fds, the
 * kernel's), and ctx_in. */
struct tcase {
	char what[160];
	struct bs_insn ins[2][128];
	size_t n;
	uint64_t ctx[12];
	uint32_t ctx_size;
	bool ctx_ptr;    /* ctx_in even when ctx_size is 0 */
};

/* Emits with both fd sets. */
#define EMIT(tc, i) do { (tc)->ins[0][(tc)->n] = (tc)->ins[1][(tc)->n] = (i); (tc)->n++; } while (0)
static void emit_ld(struct tcase *tc, int dst, int fd, int32_t off)
{
	ld_map_value(&tc->ins[0][tc->n], dst, fd, off, false);
	ld_map_value(&tc->ins[1][tc->n], dst, fd, off, true);
	tc->n += 2;
}

static struct bs_env env;

static void env_of_this_process(void)
{
	bs_env_default(&env);
	env.pid_tgid = (uint64_t)getpid() << 32 | (uint64_t)syscall(SYS_gettid);
	env.uid_gid = (uint64_t)getgid() << 32 | getuid();
	char comm[17] = "";
	prctl(PR_GET_NAME, comm);
	memset(env.comm, 0, sizeof(env.comm));
	memcpy(env.comm, comm, strnlen(comm, sizeof(env.comm)));
	env.cpu = 0;
	env.numa_node = 0;
}

struct result {
	int rc;              /* 0 ran; else the errno / -1 */
	uint32_t retval;
	uint8_t out[OUT_SIZE];
	char err[400];
};

static void kernel_run(struct tcase *tc, struct result *r, bool with_data, uint32_t repeat)
{
	memset(r, 0, sizeof(*r));
	memset(out_mem, 0xaa, sizeof(out_mem));
	map_rw(kout_fd, out_mem, true);
	int fd = kload(tc->ins[1], tc->n, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (fd < 0) {
		r->rc = -1;
		size_t l = strlen(vlog);
		snprintf(r->err, sizeof(r->err), "load: %.300s", vlog + (l > 300 ? l - 300 : 0));
		return;
	}
	union bpf_attr a;
	uint8_t data[64] = {0};
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.ctx_in = tc->ctx_size || tc->ctx_ptr ? (uint64_t)(uintptr_t)tc->ctx : 0;
	a.test.ctx_size_in = tc->ctx_size;
	a.test.repeat = repeat;
	if (with_data) {
		a.test.data_in = (uint64_t)(uintptr_t)data;
		a.test.data_size_in = sizeof(data);
	}
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) {
		r->rc = errno;
		snprintf(r->err, sizeof(r->err), "%s", strerror(errno));
	} else {
		r->retval = a.test.retval;
		map_rw(kout_fd, r->out, false);
	}
	close(fd);
}

static void ours_run(struct tcase *tc, struct result *r, bool with_data, uint32_t repeat)
{
	memset(r, 0, sizeof(*r));
	memset(out_mem, 0xaa, sizeof(out_mem));
	struct bs_error err;
	struct bs_prog *prog;
	if (bs_prog_new_raw(tc->ins[0], tc->n, BS_PROG_RAW_TRACEPOINT, "case", &prog, &err)) {
		r->rc = -1;
		snprintf(r->err, sizeof(r->err), "%.320s", err.message);
		return;
	}
	/* bs_test_run cannot give the program extra regions, so the same
	 * checks run here against a VM set up as hlp_trace_run sets it up,
	 * after bs_test_run has judged the inputs */
	struct bs_test_run tr;
	memset(&tr, 0, sizeof(tr));
	uint8_t data[64] = {0};
	tr.ctx_in = tc->ctx_size || tc->ctx_ptr ? tc->ctx : NULL;
	tr.ctx_size_in = tc->ctx_size;
	tr.repeat = repeat;
	tr.env = &env;
	if (with_data) {
		tr.data_in = data;
		tr.data_size_in = sizeof(data);
	}
	struct bs_vm *vm = NULL;
	struct guest g;
	uint64_t args[5] = {0};
	struct bs_run_result res;
	struct hlp_raw_tp_rule raw = {.size_in = tc->ctx_size};
	uint8_t ctx[96] = {0};
	memcpy(ctx, tc->ctx, tc->ctx_size < 96 ? tc->ctx_size : 96);
	/* the input checks: a program with no lddw shows them through bs_test_run */
	struct bs_insn probe[] = {MOV_IMM(0, 0), EXIT()};
	struct bs_prog *pp;
	if (bs_prog_new_raw(probe, 2, BS_PROG_RAW_TRACEPOINT, "inputs", &pp, &err) == 0) {
		int rc = bs_test_run(pp, NULL, &tr, &err);
		bs_prog_free(pp);
		if (rc) {
			r->rc = EINVAL;
			snprintf(r->err, sizeof(r->err), "%.320s", err.message);
			goto out;
		}
	}
	if (bs_vm_new(&vm, &err))
		goto fail;
	bs_vm_set_prog_type(vm, BS_PROG_RAW_TRACEPOINT);
	if (bs_helpers_register_env(vm, &env, &err) || hlp_register_tracing(vm, &env, BS_PROG_RAW_TRACEPOINT, &err) ||
	    bs_vm_add_region(vm, "fmt", fmt_mem, FMT_SIZE, BS_REGION_READ, &g.fmt, &err) ||
	    bs_vm_add_region(vm, "out", out_mem, OUT_SIZE, BS_REGION_RW, &g.out, &err))
		goto fail;
	bs_vm_set_lddw_resolver(vm, resolve, &g);
	if (bs_vm_load(vm, tc->ins[0], tc->n, &err) ||
	    bs_vm_add_region(vm, "ctx", ctx, sizeof(ctx), BS_REGION_READ, &args[0], &err) ||
	    bs_vm_region_set_access_rule(vm, args[0], hlp_ctx_rule(BS_PROG_RAW_TRACEPOINT), &raw,
					 &err))
		goto fail;
	if (bs_vm_run(vm, args, &res, &err)) {
		r->rc = raw.past_input ? EINVAL : -1;
		snprintf(r->err, sizeof(r->err), "%.320s", err.message);
		goto out;
	}
	r->retval = (uint32_t)res.retval;
	memcpy(r->out, out_mem, OUT_SIZE);
	goto out;
fail:
	r->rc = -1;
	snprintf(r->err, sizeof(r->err), "%.320s", err.message);
out:
	bs_vm_free(vm);
	bs_prog_free(prog);
}

/* Documented differences (docs/helpers.md): when there is no room left in
 * str, the kernel's bstr_printf prints nothing for a %pI4 / %pks / %pB ...
 * argument and also does not step over its text in the argument buffer,
 * so the arguments after it are read from that text. */
static const char *const known[] = {
	"snprintf(\"%pB|%d\", size 0,",
};
static uint64_t nknown;

static void compare(struct tcase *tc, bool with_data, uint32_t repeat)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strncmp(tc->what, known[i], strlen(known[i]))) {
			nknown++;
			return;
		}
	struct result k, o;
	kernel_run(tc, &k, with_data, repeat);
	ours_run(tc, &o, with_data, repeat);
	ncases++;
	if (k.rc == -1 && o.rc == -1 && strstr(k.err, "Invalid format string") &&
	    strstr(o.err, "Invalid format string"))
		return;
	if (k.rc != o.rc) {
		mismatch("%s: kernel %s, bpfstep %s", tc->what, k.rc ? k.err : "ran",
			 o.rc ? o.err : "ran");
		return;
	}
	if (k.rc)
		return;
	if (k.retval != o.retval) {
		mismatch("%s: retval kernel %d '%.60s', bpfstep %d '%.60s'", tc->what,
			 (int32_t)k.retval, (const char *)k.out, (int32_t)o.retval,
			 (const char *)o.out);
		return;
	}
	for (size_t i = 0; i < OUT_SIZE; i++)
		if (k.out[i] != o.out[i]) {
			mismatch("%s: output byte %zu: kernel %02x '%.40s', bpfstep %02x '%.40s'",
				 tc->what, i, k.out[i], (const char *)k.out, o.out[i],
				 (const char *)o.out);
			return;
		}
	if (verbose)
		printf("ok %s: %d '%.60s'\n", tc->what, (int32_t)k.retval, (const char *)k.out);
}

/* The test-run rules of bpf_prog_test_run_raw_tp. */
static void check_run_rules(void)
{
	struct tcase tc;
	if (!kernel_maps()) {
		mismatch("cannot create the maps: %s", strerror(errno));
		return;
	}
	for (int reach = 0; reach <= 96; reach += 8) {
		for (uint32_t size = 0; size <= 104; size += 8) {
			memset(&tc, 0, sizeof(tc));
			snprintf(tc.what, sizeof(tc.what), "raw_tp reading %d bytes, ctx_in %u", reach,
				 size);
			if (reach)
				EMIT(&tc, LDX(DW, 0, 1, (int16_t)(reach - 8)));
			EMIT(&tc, MOV_IMM(0, reach));
			EMIT(&tc, EXIT());
			for (int i = 0; i < 12; i++)
				tc.ctx[i] = 0x1111111111111111ULL * (uint64_t)i;
			tc.ctx_size = size;
			if (size <= 96)
				compare(&tc, false, 0);
		}
	}
	memset(&tc, 0, sizeof(tc));
	EMIT(&tc, MOV_IMM(0, 1));
	EMIT(&tc, EXIT());
	tc.ctx_ptr = true;
	snprintf(tc.what, sizeof(tc.what), "raw_tp with ctx_in of 0 bytes");
	compare(&tc, false, 0);
	tc.ctx_ptr = false;
	snprintf(tc.what, sizeof(tc.what), "raw_tp with data_in");
	compare(&tc, true, 0);
	snprintf(tc.what, sizeof(tc.what), "raw_tp with repeat");
	compare(&tc, false, 2);
	/* a u64 argument read in pieces, the return value its low 32 bits */
	static const struct {
		unsigned size;
		int off;
	} reads[] = {{1, 0}, {1, 7}, {2, 6}, {4, 4}, {4, 88}, {8, 8}, {8, 88}};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		memset(&tc, 0, sizeof(tc));
		snprintf(tc.what, sizeof(tc.what), "raw_tp read size %u off %d", reads[i].size,
			 reads[i].off);
		EMIT(&tc, LDX(size_code(reads[i].size), 0, 1, (int16_t)reads[i].off));
		EMIT(&tc, EXIT());
		for (int k = 0; k < 12; k++)
			tc.ctx[k] = 0x0102030405060708ULL * (uint64_t)(k + 1);
		tc.ctx_size = 96;
		compare(&tc, false, 0);
	}
}

/* args: each a number from ctx_in or (str >= 0) a pointer into fmt_mem. */
struct arg {
	uint64_t num;
	int str;   /* -1: a number */
};

/* r0 = bpf_snprintf(out, size, fmt_mem + 0, args on the stack, 8 * nargs) */
static void snprintf_case(const char *fmt, uint32_t size, const struct arg *args, int nargs,
			  const char *const *strs, int data_len_override)
{
	struct tcase tc;
	memset(&tc, 0, sizeof(tc));
	memset(fmt_mem, 0, sizeof(fmt_mem));
	snprintf((char *)fmt_mem, 256, "%s", fmt);
	for (int i = 0; strs && strs[i]; i++)
		memcpy(fmt_mem + 256 + 128 * i, strs[i], strlen(strs[i]) + 1);
	if (!kernel_maps()) {
		mismatch("cannot create the maps: %s", strerror(errno));
		return;
	}
	snprintf(tc.what, sizeof(tc.what), "snprintf(\"%s\", size %u, %d args)", fmt, size, nargs);
	EMIT(&tc, MOV_REG(6, 1));
	for (int i = 0; i < nargs; i++) {
		if (args[i].str >= 0)
			emit_ld(&tc, 0, FMT_FD, 256 + 128 * args[i].str);
		else
			EMIT(&tc, LDX(DW, 0, 6, (int16_t)(8 * i)));
		EMIT(&tc, STX(DW, 10, 0, (int16_t)(-96 + 8 * i)));
		tc.ctx[i] = args[i].num;
	}
	tc.ctx_size = 96;
	emit_ld(&tc, 1, OUT_FD, 0);
	EMIT(&tc, MOV_IMM(2, (int32_t)size));
	emit_ld(&tc, 3, FMT_FD, 0);
	EMIT(&tc, MOV_REG(4, 10));
	EMIT(&tc, ADD_IMM(4, -96));
	EMIT(&tc, MOV_IMM(5, data_len_override >= 0 ? data_len_override : 8 * nargs));
	EMIT(&tc, CALL(165));
	EMIT(&tc, EXIT());
	if (data_len_override >= 0 || nargs == 0) {
		/* the stack must be initialized for the verifier */
		struct tcase t2 = tc;
		t2.n = 0;
		for (int i = 0; i < 12; i++) {
			EMIT(&t2, MOV_IMM(0, 0));
			EMIT(&t2, STX(DW, 10, 0, (int16_t)(-96 + 8 * i)));
		}
		for (size_t i = 0; i < tc.n; i++) {
			t2.ins[0][t2.n] = tc.ins[0][i];
			t2.ins[1][t2.n] = tc.ins[1][i];
			t2.n++;
		}
		tc = t2;
	}
	compare(&tc, false, 0);
}

static void check_snprintf(void)
{
	static const char *const strs[] = {"hello", "", "a much longer string with spaces", NULL};
	static const struct {
		const char *fmt;
		int nargs;
		struct arg a[4];
	} cases[] = {
		{"plain text", 0, {{0, -1}}},
		{"%d", 1, {{(uint64_t)-5, -1}}},
		{"%d %i", 2, {{0xffffffffULL, -1}, {0x7fffffffULL, -1}}},
		{"%u %x %X", 3, {{0xfffffffeULL, -1}, {0xabcdefULL, -1}, {0xabcdefULL, -1}}},
		{"%ld %lu", 2, {{(uint64_t)-1, -1}, {(uint64_t)-1, -1}}},
		{"%lld|%llx|%llX", 3, {{0x8000000000000000ULL, -1}, {0x123456789abcdefULL, -1},
					 {0xfedcba9876543210ULL, -1}}},
		{"[%5d|%-5d|%05d|%+d|% d]", 4, {{42, -1}, {42, -1}, {(uint64_t)-42, -1}, {7, -1}}},
		{"[%08x|%-8x|%+u|% u]", 4, {{0xbeef, -1}, {0xbeef, -1}, {3, -1}, {4, -1}}},
		{"%c%c%c", 3, {{'a', -1}, {'b', -1}, {0x100 + 'c', -1}}},
		{"[%3c|%-3c]", 2, {{'x', -1}, {'y', -1}}},
		{"%s", 1, {{0, 0}}},
		{"[%10s|%-10s]", 2, {{0, 0}, {0, 0}}},
		{"%s.%s", 2, {{0, 1}, {0, 2}}},
		{"%s", 1, {{0, -1}}},           /* NULL: the kernel prints nothing */
		{"%s", 1, {{16, -1}}},          /* an unreadable address */
		{"%pks %pus", 2, {{0, 0}, {0, 2}}},
		{"%px", 1, {{0x1234, -1}}},
		{"%ps %pS %pB", 3, {{0x1234, -1}, {0x10, -1}, {0x4000, -1}}},
		{"%pI4 %pi4", 2, {{0, 0}, {0, 2}}},
		{"%pI6 %pi6", 2, {{0, 2}, {0, 0}}},
		{"%pI4", 1, {{0, -1}}},         /* unreadable: zeros */
		{"%pI6c", 1, {{0, 0}}},
		{"100%% %d", 1, {{5, -1}}},
		{"%d %d", 1, {{1, -1}}},        /* more specs than args: -EINVAL */
		{"%d", 2, {{1, -1}, {2, -1}}},  /* fewer: fine */
		{"%q", 1, {{1, -1}}},
		{"%lllx", 1, {{1, -1}}},
		{"%hd", 1, {{1, -1}}},
		{"%.2d", 1, {{1, -1}}},
		{"%#x", 1, {{1, -1}}},
		{"%5%", 1, {{1, -1}}},
		{"%sx", 1, {{0, 0}}},           /* %s followed by a letter */
		{"%s-", 1, {{0, 0}}},
		{"%pB|%d", 2, {{0x4000, -1}, {7, -1}}},
		{"%pxab.%pI4x", 2, {{0x10, -1}, {0, 0}}},
		{"%pa", 1, {{0x10, -1}}},
		{"%pI5", 1, {{0, 0}}},
		{"tab\there", 0, {{0, -1}}},
		{"\x01", 0, {{0, -1}}},
		{"%z", 1, {{1, -1}}},
		{"%-+05d|% -4d", 2, {{(uint64_t)-3, -1}, {9, -1}}},
		{"%0+5d|%+05d", 2, {{12, -1}, {(uint64_t)-12, -1}}},
		{"%20llx|%-20lld|", 2, {{0xdead, -1}, {(uint64_t)-77, -1}}},
	};
	static const uint32_t sizes[] = {0, 1, 4, 8, 64, 300};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			snprintf_case(cases[i].fmt, sizes[s], cases[i].a, cases[i].nargs, strs, -1);
	/* data_len that is not a multiple of 8, or more than 12 arguments */
	struct arg one[1] = {{1, -1}};
	snprintf_case("%d", 64, one, 1, strs, 4);
	snprintf_case("%d", 64, one, 1, strs, 0);
	snprintf_case("%d", 64, one, 1, strs, 96);
	/* 12 arguments; and strings filling the 512-byte argument buffer */
	struct arg twelve[12];
	for (int i = 0; i < 12; i++)
		twelve[i] = (struct arg){(uint64_t)i * 1000 + 1, -1};
	snprintf_case("%d %d %d %d %d %d %d %d %d %d %d %d", 300, twelve, 12, strs, -1);
	snprintf_case("%lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", 300, twelve,
		      12, strs, -1);
	static char longs[4][128];
	static const char *lstrs[5];
	for (int i = 0; i < 4; i++) {
		memset(longs[i], 'a' + i, 127);
		longs[i][127] = 0;
		lstrs[i] = longs[i];
	}
	struct arg many[8];
	for (int i = 0; i < 8; i++)
		many[i] = (struct arg){0, i % 4};
	snprintf_case("%s%s%s%s", 300, many, 4, lstrs, -1);
	snprintf_case("%s%s%s%s%s", 300, many, 5, lstrs, -1);
	snprintf_case("%s%s%s%s%d", 300, many, 5, lstrs, -1);
	snprintf_case("%s%s%s%s%c", 300, many, 5, lstrs, -1);
	snprintf_case("%s%s%s%s%s%s", 300, many, 6, lstrs, -1);
}

/* r0 = bpf_strtol / bpf_strtoul(fmt_mem, len, flags, stack); out = res */
static void strtox_case(int id, const char *s, uint32_t len, uint64_t flags)
{
	struct tcase tc;
	memset(&tc, 0, sizeof(tc));
	memset(fmt_mem, 0, sizeof(fmt_mem));
	memcpy(fmt_mem, s, strlen(s));
	if (!kernel_maps()) {
		mismatch("cannot create the maps: %s", strerror(errno));
		return;
	}
	snprintf(tc.what, sizeof(tc.what), "%s(\"%s\", %u, %#" PRIx64 ")",
		 id == 105 ? "strtol" : "strtoul", s, len, flags);
	emit_ld(&tc, 1, FMT_FD, 0);
	EMIT(&tc, MOV_IMM(2, (int32_t)len));
	EMIT(&tc, MOV_IMM(3, (int32_t)flags));
	EMIT(&tc, MOV_REG(4, 10));
	EMIT(&tc, ADD_IMM(4, -8));
	EMIT(&tc, CALL(id));
	EMIT(&tc, MOV_REG(7, 0));
	EMIT(&tc, LDX(DW, 2, 10, -8));
	emit_ld(&tc, 1, OUT_FD, 0);
	EMIT(&tc, STX(DW, 1, 2, 0));
	EMIT(&tc, MOV_REG(0, 7));
	EMIT(&tc, EXIT());
	tc.ctx_size = 0;
	compare(&tc, false, 0);
}

static void check_strtox(void)
{
	static const char *const inputs[] = {
		"0", "123", "-123", "  42", "\t\n-7x", "+5", "-", "", " ", "0x1f", "0X1F", "0x",
		"0xg", "017", "08", "0", "-0", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "ffff", "FFz", "1234567890123456789012345678901234567890",
		"000000000000000000000000000000000000000000000000000000000000000000001",
		"\2405", "12 34", "--1", "0x7fffffffffffffff", "0xffffffffffffffff", "z",
	};
	static const uint64_t flags[] = {0, 8, 10, 16, 2, 1ULL << 5, 0x21};
	for (int id = 105; id <= 106; id++)
		for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
			for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
				size_t len = strlen(inputs[i]);
				strtox_case(id, inputs[i], len ? (uint32_t)len : 1, flags[f]);
				if (len > 2)
					strtox_case(id, inputs[i], (uint32_t)len - 2, flags[f]);
			}
}

/* bpf_probe_read*(out, size, src) with src in the format map or elsewhere */
static void probe_case(int id, uint32_t size, uint64_t src, int src_off, const char *data)
{
	struct tcase tc;
	memset(&tc, 0, sizeof(tc));
	memset(fmt_mem, 0, sizeof(fmt_mem));
	memcpy(fmt_mem, data, strlen(data) + 1);
	if (!kernel_maps()) {
		mismatch("cannot create the maps: %s", strerror(errno));
		return;
	}
	snprintf(tc.what, sizeof(tc.what), "helper %d(size %u, %s%#" PRIx64 ") over \"%s\"", id,
		 size, src_off >= 0 ? "fmt+" : "", src_off >= 0 ? (uint64_t)src_off : src, data);
	emit_ld(&tc, 1, OUT_FD, 0);
	EMIT(&tc, MOV_IMM(2, (int32_t)size));
	if (src_off >= 0) {
		emit_ld(&tc, 3, FMT_FD, src_off);
	} else {
		tc.ins[0][tc.n] = tc.ins[1][tc.n] = INSN(0x18, 3, 0, 0, (int32_t)(uint32_t)src);
		tc.ins[0][tc.n + 1] = tc.ins[1][tc.n + 1] = INSN(0, 0, 0, 0, (int32_t)(src >> 32));
		tc.n += 2;
	}
	EMIT(&tc, CALL(id));
	EMIT(&tc, EXIT());
	compare(&tc, false, 0);
}

static void check_probe_read(void)
{
	static const int ids[] = {4, 112, 113, 45, 114, 115};
	static const uint32_t sizes[] = {0, 1, 3, 5, 6, 7, 16, 64};
	static const uint64_t bad[] = {0, 0x1000, 0x8000000000000000ULL, 0xffff800000001000ULL};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			probe_case(ids[i], sizes[s], 0, 0, "hello");
			probe_case(ids[i], sizes[s], 0, 2, "hello");
			probe_case(ids[i], sizes[s], 0, 0, "");
			for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
				probe_case(ids[i], sizes[s], bad[b], -1, "x");
		}
	}
}

/* The current task's ids and name, the CPU and its NUMA node */
static void check_task(void)
{
	for (uint32_t size = 1; size <= 20; size++) {
		struct tcase tc;
		memset(&tc, 0, sizeof(tc));
		if (!kernel_maps())
			return;
		snprintf(tc.what, sizeof(tc.what), "get_current_comm(size %u)", size);
		emit_ld(&tc, 1, OUT_FD, 0);
		EMIT(&tc, MOV_IMM(2, (int32_t)size));
		EMIT(&tc, CALL(16));
		EMIT(&tc, EXIT());
		compare(&tc, false, 0);
	}
	static const int ids[] = {14, 15, 8, 42};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct tcase tc;
		memset(&tc, 0, sizeof(tc));
		snprintf(tc.what, sizeof(tc.what), "helper %d", ids[i]);
		EMIT(&tc, CALL(ids[i]));
		emit_ld(&tc, 1, OUT_FD, 0);
		EMIT(&tc, STX(DW, 1, 0, 0));
		EMIT(&tc, MOV_IMM(0, 0));
		EMIT(&tc, EXIT());
		compare(&tc, false, 0);
	}
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct bs_insn p[] = {MOV_IMM(0, 0), EXIT()};
	int fd = kload(p, 2, BPF_PROG_TYPE_RAW_TRACEPOINT);
	if (fd < 0) {
		printf("kernel-helpers: bpf() is not usable here (%s): skipped\n", strerror(errno));
		return 77;
	}
	close(fd);
	/* the kernel's smp_processor_id and numa node: CPU 0 */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("note: cannot pin to CPU 0: %s\n", strerror(errno));
	env_of_this_process();
	check_availability();
	check_access();
	check_run_rules();
	check_snprintf();
	check_strtox();
	check_probe_read();
	check_task();
	printf("kernel-helpers: %" PRIu64 " cases, %" PRIu64 " mismatches, %" PRIu64
	       " known differences not run\n", ncases, nmismatch, nknown);
	return nmismatch ? 1 : 0;
}
