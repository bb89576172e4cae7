// SPDX-License-Identifier: MIT
/* Tracing helpers over a task and a kernel that do not exist: the current
 * task's ids and name come from the environment, and memory reads reach
 * only what the program can see (kernel/trace/bpf_trace.c, Linux 6.18). */
#include <errno.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/task_helpers.h"
#include "vm/error.h"

/* Where an address points, as x86-64's kernel sees it. bpfstep's memory
 * (the program's regions) stands for kernel memory: the stack, map values
 * and the context are kernel memory in the kernel. User space holds
 * nothing: there is no process behind the program. */
/* copy_from_kernel_nofault refuses user addresses (below TASK_SIZE_MAX +
 * PAGE_SIZE) and non-canonical ones (48-bit virtual addresses) with
 * -ERANGE: everything below the kernel's half */
#define KERNEL_START 0xffff800000000000ULL
/* TASK_SIZE_MAX: access_ok's limit for user reads; bpf_probe_read and
 * bpf_probe_read_str read below it as user memory */
#define TASK_SIZE_ 0x00007ffffffff000ULL

static bool in_region(struct bs_vm *vm, uint64_t addr, uint32_t size)
{
	struct bs_error e;
	return bs_vm_translate(vm, addr, size, false, &e) != NULL;
}

/* The destination: memory the verifier made sure is writable; a program
 * the verifier would refuse stops here. */
static void *dst_mem(struct bs_vm *vm, uint64_t addr, uint32_t size, struct bs_error *err)
{
	if (!size)
		return (void *)"";
	return bs_vm_translate(vm, addr, size, true, err);
}

enum space { USER, KERNEL, COMPAT };

/* bpf_probe_read_{user,kernel}_common and bpf_probe_read_compat: 0, or
 * an errno and the destination zeroed. copy_from_user_nofault fails
 * (-EFAULT) for a kernel address, even for 0 bytes, and reads nothing
 * else here; copy_from_kernel_nofault refuses a user address (-ERANGE),
 * even for 0 bytes, and faults (-EFAULT) outside the regions. */
static int read_common(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, enum space sp)
{
	uint32_t size = (uint32_t)args[1];
	uint64_t src = args[2];
	uint8_t *dst = dst_mem(vm, args[0], size, err);
	if (!dst)
		return -1;
	bool region = in_region(vm, src, size);
	if (sp == COMPAT)
		sp = region || src >= TASK_SIZE_ ? KERNEL : USER;
	int rc;
	if (sp == USER)
		rc = !region && !size && src <= TASK_SIZE_ ? 0 : -EFAULT;
	else if (region)
		rc = 0;
	else
		rc = src < KERNEL_START ? -ERANGE : size ? -EFAULT : 0;
	if (!rc && size)
		memmove(dst, bs_vm_translate(vm, src, size, false, err), size);
	else if (rc)
		memset(dst, 0, size);
	*r0 = (uint64_t)(int64_t)rc;
	return 0;
}

/* strncpy_from_{user,kernel}_nofault then the _str_common wrapper: 0 for
 * size 0; the length with the NUL, or size when cut (the last byte made
 * NUL); on a fault an errno and the destination zeroed. */
static int read_str_common(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			   struct bs_error *err, enum space sp)
{
	uint32_t size = (uint32_t)args[1];
	uint64_t src = args[2];
	uint8_t *dst = dst_mem(vm, args[0], size, err);
	if (!dst)
		return -1;
	*r0 = 0;
	if (!size)
		return 0;
	bool region = in_region(vm, src, 1);
	if (sp == COMPAT)
		sp = region || src >= TASK_SIZE_ ? KERNEL : USER;
	int rc = sp == USER ? -EFAULT : region ? 0 : src < KERNEL_START ? -ERANGE : -EFAULT;
	struct bs_error e;
	for (uint32_t i = 0; !rc && i < size; i++) {
		const uint8_t *c = bs_vm_translate(vm, src + i, 1, false, &e);
		if (!c) {
			rc = -EFAULT;
			break;
		}
		dst[i] = *c;
		if (!*c) {
			*r0 = i + 1;
			return 0;
		}
	}
	if (rc) {
		memset(dst, 0, size);
		*r0 = (uint64_t)(int64_t)rc;
		return 0;
	}
	dst[size - 1] = 0;
	*r0 = size;
	return 0;
}

static int h_probe_read_user(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			     struct bs_error *err, void *user)
{
	(void)user;
	return read_common(vm, args, r0, err, USER);
}

static int h_probe_read_kernel(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			       struct bs_error *err, void *user)
{
	(void)user;
	return read_common(vm, args, r0, err, KERNEL);
}

static int h_probe_read(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			struct bs_error *err, void *user)
{
	(void)user;
	return read_common(vm, args, r0, err, COMPAT);
}

static int h_probe_read_user_str(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				 struct bs_error *err, void *user)
{
	(void)user;
	return read_str_common(vm, args, r0, err, USER);
}

static int h_probe_read_kernel_str(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				   struct bs_error *err, void *user)
{
	(void)user;
	return read_str_common(vm, args, r0, err, KERNEL);
}

static int h_probe_read_str(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	(void)user;
	return read_str_common(vm, args, r0, err, COMPAT);
}

static int h_pid_tgid(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err;
	*r0 = ((struct bs_env *)user)->pid_tgid;
	return 0;
}

static int h_uid_gid(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		     struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err;
	*r0 = ((struct bs_env *)user)->uid_gid;
	return 0;
}

/* strscpy_pad(buf, comm, size): at most size - 1 characters, then zeros */
static int h_comm(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		  struct bs_error *err, void *user)
{
	const struct bs_env *env = user;
	uint32_t size = (uint32_t)args[1];
	if (!size)
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "bpf_get_current_comm with size 0: the kernel's verifier refuses a "
			      "zero size here");
	char *dst = bs_vm_translate(vm, args[0], size, true, err);
	if (!dst)
		return -1;
	size_t n = strnlen(env->comm, sizeof(env->comm));
	if (n > size - 1)
		n = size - 1;
	memset(dst, 0, size);
	memcpy(dst, env->comm, n);
	*r0 = 0;
	return 0;
}

static int h_task(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		  struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err, (void)user;
	*r0 = HLP_FAKE_TASK;
	return 0;
}

int hlp_register_tracing(struct bs_vm *vm, struct bs_env *env, int type, struct bs_error *err)
{
	static const struct {
		int32_t id;
		bs_helper_fn fn;
	} table[] = {
		{4, h_probe_read},
		{14, h_pid_tgid},
		{15, h_uid_gid},
		{16, h_comm},
		{35, h_task},
		{45, h_probe_read_str},
		{112, h_probe_read_user},
		{113, h_probe_read_kernel},
		{114, h_probe_read_user_str},
		{115, h_probe_read_kernel_str},
		{158, h_task},  /* bpf_get_current_task_btf */
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (hlp_type_allows(type, table[i].id) != 0 &&
		    bs_vm_set_helper(vm, table[i].id, hlp_name(table[i].id), table[i].fn, env, err))
			return -1;
	return 0;
}
