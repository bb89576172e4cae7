// SPDX-License-Identifier: MIT
/* The passes every backend runs over one program: the same emitter sizes
 * the code (no buffer) until the offsets of the instructions, the exit
 * routine, the epilogue and the stubs stop moving, then writes into a
 * read+write mapping whose slack holds trap instructions; the written
 * offsets must equal the last sizing pass, and only then does the code
 * turn read+exec (never writable and executable at once). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit/jit_private.h"
#include "vm/error.h"

/* Whether this pass put everything where the last one did. */
static bool same_layout(const struct jit_pass *ps, size_t pstubs)
{
	return memcmp(ps->offs, ps->prev, (ps->n + 1 + ps->extra) * sizeof(*ps->offs)) == 0 &&
	       ps->exit_off == ps->pexit && ps->epi_off == ps->pepi && ps->nstubs == pstubs &&
	       (!ps->nstubs || memcmp(ps->pstub_off, ps->stub_off, ps->nstubs * sizeof(*ps->stub_off)) == 0);
}

int jit_layout(struct jit_pass *ps, void *ctx, const struct jit_backend *be, uint32_t idx,
	       struct jit_prog *p, struct bs_error *err)
{
	size_t n = ps->n, pstubs = 0, slots = n + 1 + ps->extra;
	uint32_t *o1 = calloc(slots, sizeof(*o1)), *o2 = calloc(slots, sizeof(*o2));
	uint32_t *pstub = NULL;
	int rc = -1, passes = 0, same = 0;
	if (!o1 || !o2) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory compiling %zu instructions", n);
		goto out;
	}
	/* size until nothing moves; this pass's offsets are the next one's last */
	ps->offs = o1;
	ps->prev = NULL;
	for (; passes < 32 && !same; passes++) {
		be->pass(ctx);
		if (ps->b.err)
			break;
		same = ps->prev && same_layout(ps, pstubs);
		uint32_t *t = ps->prev ? ps->prev : o2;
		ps->prev = ps->offs;
		ps->offs = t;
		ps->pexit = ps->exit_off;
		ps->pepi = ps->epi_off;
		free(pstub);
		pstub = malloc((ps->nstubs ? ps->nstubs : 1) * sizeof(*pstub));
		if (!pstub) {
			ps->b.err = 1;
			break;
		}
		if (ps->nstubs)
			memcpy(pstub, ps->stub_off, ps->nstubs * sizeof(*pstub));
		pstubs = ps->nstubs;
		ps->pstub_off = pstub;
	}
	if (ps->b.err || !same) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "the JIT could not lay out program %u (%d passes)", idx, passes);
		goto out;
	}
	size_t len = ps->b.len;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t code_size = (len + page - 1) / page * page;
	size_t data = be->data_bytes ? be->data_bytes(ctx) : 0;
	p->mem_size = code_size + (data + page - 1) / page * page;
	void *mem = mmap(NULL, p->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "cannot map %zu bytes for native code", p->mem_size);
		goto out;
	}
	p->mem = mem;
	be->fill(p->mem, code_size);
	ps->data_off = code_size;
	ps->b.buf = p->mem;
	ps->b.cap = len;
	be->pass(ctx);
	/* the emitting pass must land everything where sizing put it */
	int moved = ps->b.err || ps->b.len != len || !same_layout(ps, pstubs) ||
		    (be->data_bytes && be->data_bytes(ctx) != data);
	if (be->flush)
		be->flush(p->mem, code_size);
	if (moved || mprotect(p->mem, code_size, PROT_READ | PROT_EXEC)) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       moved ? "the JIT's code moved between sizing and emitting (program %u)"
			     : "cannot make the native code of program %u executable", idx);
		goto out;
	}
	p->len = len;
	p->offs = ps->offs;
	p->body = p->offs[0];
	if (p->offs == o1)
		o1 = NULL;
	else
		o2 = NULL;
	rc = 0;
out:
	free(o1);
	free(o2);
	free(pstub);
	ps->offs = ps->prev = ps->pstub_off = NULL;
	return rc;
}
