/* Bump allocator (see arena.h). Blocks are chained newest first; reset frees
 * all but the newest block so steady-state use allocates nothing. */
#include <string.h>

#include "base/arena.h"
#include "base/mem.h"

struct ed_arena_block {
	struct ed_arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

void ed_arena_init(struct ed_arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->total = 0;
}

void ed_arena_fini(struct ed_arena *a)
{
	if (!a)
		return;
	struct ed_arena_block *b = a->head;
	while (b) {
		struct ed_arena_block *next = b->next;
		ed_free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *ed_arena_alloc(struct ed_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	struct ed_arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > a->block_size ? n : a->block_size;
		b = ed_malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	a->total += n;
	return p;
}

void *ed_arena_memdup(struct ed_arena *a, const void *p, size_t n)
{
	void *d = ed_arena_alloc(a, n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *ed_arena_strndup(struct ed_arena *a, const char *s, size_t n)
{
	char *d = ed_arena_alloc(a, n + 1);
	if (d) {
		if (n) /* s may be NULL when n is 0 */
			memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

void ed_arena_reset(struct ed_arena *a)
{
	if (!a->head)
		return;
	/* Keep the newest block (usually the largest), free the rest. */
	struct ed_arena_block *b = a->head->next;
	while (b) {
		struct ed_arena_block *next = b->next;
		ed_free(b);
		b = next;
	}
	a->head->next = NULL;
	a->head->used = 0;
	a->total = 0;
}
