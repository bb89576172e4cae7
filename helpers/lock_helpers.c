// SPDX-License-Identifier: MIT
/* bpf_spin_lock (93) and bpf_spin_unlock (94) on the 4-byte lock word of a
 * map value. A run is single-threaded: taking the lock sets the word to 1
 * (the queued spinlock's locked value), releasing it clears it. Taking a
 * lock that is held would spin forever in the kernel, and releasing one
 * that is not held is refused by its verifier: both stop the run. */
#include <string.h>

#include "helpers/task_helpers.h"
#include "vm/error.h"

static uint32_t *lock_word(struct bs_vm *vm, uint64_t addr, const char *helper,
			   struct bs_error *err)
{
	if (addr % 4) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "%s: the lock at 0x%llx is not 4-byte aligned (the kernel's verifier refuses "
		       "a pointer that is not to a struct bpf_spin_lock)", helper,
		       (unsigned long long)addr);
		return NULL;
	}
	return bs_vm_translate(vm, addr, 4, true, err);
}

int hlp_spin_lock(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		  void *user)
{
	(void)user;
	uint32_t *w = lock_word(vm, args[0], "bpf_spin_lock", err);
	if (!w)
		return -1;
	if (*w)
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "bpf_spin_lock: the lock at 0x%llx is already held; the kernel would "
			      "spin on it forever (deadlock)", (unsigned long long)args[0]);
	*w = 1;
	*r0 = 0;
	return 0;
}

int hlp_spin_unlock(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		    struct bs_error *err, void *user)
{
	(void)user;
	uint32_t *w = lock_word(vm, args[0], "bpf_spin_unlock", err);
	if (!w)
		return -1;
	if (!*w)
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "bpf_spin_unlock of the lock at 0x%llx, which is not held (the "
			      "kernel's verifier refuses: bpf_spin_unlock without taking a lock)",
			      (unsigned long long)args[0]);
	*w = 0;
	*r0 = 0;
	return 0;
}
