/* SPDX-License-Identifier: MIT */
/* The emit buffer every backend writes through. The same emitter runs as
 * the sizing pass (buf == NULL: only len moves) and as the emitting pass;
 * errors are sticky, so emitters return void and the pass checks once. */
#ifndef BS_JIT_EMIT_H
#define BS_JIT_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jit_buf {
	uint8_t *buf;   /* NULL: sizing pass */
	size_t len;
	size_t cap;
	int err;        /* sticky: an encoding that cannot be emitted */
};

static inline void emit_bytes(struct jit_buf *b, const void *p, size_t n)
{
	if (b->buf) {
		if (b->len + n > b->cap) {
			b->err = 1;
			return;
		}
		memcpy(b->buf + b->len, p, n);
	}
	b->len += n;
}

static inline void emit1(struct jit_buf *b, uint8_t v)
{
	emit_bytes(b, &v, 1);
}

static inline void emit4(struct jit_buf *b, uint32_t v)
{
	emit_bytes(b, &v, 4);  /* x86-64 and arm64 are little-endian hosts */
}

static inline void emit8(struct jit_buf *b, uint64_t v)
{
	emit_bytes(b, &v, 8);
}

/* Marks the pass failed (an impossible operand): the caller refuses the code. */
static inline void emit_fail(struct jit_buf *b)
{
	b->err = 1;
}

#endif
