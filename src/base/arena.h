/* Bump allocator for per-request and per-chunk memory: many small allocations,
 * freed together by ed_arena_reset (keeps the first block) or ed_arena_fini.
 * Owned by one thread. */
#ifndef ED_ARENA_H
#define ED_ARENA_H

#include <stddef.h>

struct ed_arena_block;

struct ed_arena {
	struct ed_arena_block *head; /* current block; older ones chained behind */
	size_t block_size;
	size_t total; /* bytes handed out since the last reset */
};

void ed_arena_init(struct ed_arena *a, size_t block_size);
void ed_arena_fini(struct ed_arena *a);
/* 16-byte aligned; NULL on allocation failure. */
void *ed_arena_alloc(struct ed_arena *a, size_t n);
void *ed_arena_memdup(struct ed_arena *a, const void *p, size_t n);
char *ed_arena_strndup(struct ed_arena *a, const char *s, size_t n);
void ed_arena_reset(struct ed_arena *a);

#endif
