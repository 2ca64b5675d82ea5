/* Column chunks: the unit of work of the executor. A chunk holds up to cap
 * rows as one vector per column, a null byte per row per column, and one
 * change operation per row (the changelog: insert, delete, update-before,
 * update-after), so windowed appends and updating aggregates flow through the
 * same operators. Variable-length bytes (text) live in the chunk's arena and
 * die with ed_chunk_reset. Owned by one thread (the pipeline's worker). */
#ifndef ED_CHUNK_H
#define ED_CHUNK_H

#include <stdint.h>

#include "base/arena.h"
#include "exec/types.h"

#define ED_CHUNK_DEFAULT_ROWS 1024
#define ED_CHUNK_MAX_ROWS 4096

enum ed_op {
	ED_OP_INSERT = 0,
	ED_OP_DELETE = 1,
	ED_OP_UPDATE_BEFORE = 2, /* the old row of an update; followed by its after */
	ED_OP_UPDATE_AFTER = 3,
};

struct ed_vector {
	struct ed_type type;
	uint8_t *nulls; /* rows bytes; 1 = NULL */
	void *data;     /* rows * ed_type_width(type.id) bytes */
};

struct ed_chunk {
	uint32_t rows;
	uint32_t cap;
	uint32_t ncols;
	struct ed_vector *cols;
	uint8_t *ops; /* enum ed_op per row */
	struct ed_arena arena;
};

/* Allocate vectors for cap rows of the given column types. 0 or ED_ENOMEM. */
int ed_chunk_init(struct ed_chunk *c, const struct ed_type *types, uint32_t ncols, uint32_t cap);
void ed_chunk_fini(struct ed_chunk *c);
/* rows = 0, arena reset; vectors kept (no allocation in steady state). */
void ed_chunk_reset(struct ed_chunk *c);
/* Vector init/fini for expression results and scratch columns. */
int ed_vector_init(struct ed_vector *v, struct ed_type type, uint32_t cap);
void ed_vector_fini(struct ed_vector *v);

/* Typed access helpers. */
#define ED_VEC(v, ctype) ((ctype *)(v)->data)

/* Read row i of v into an ed_value (text points into the chunk). */
void ed_vector_get(const struct ed_vector *v, uint32_t i, struct ed_value *out);
/* Write an ed_value into row i (text copied into arena). 0 or ED_ENOMEM. */
int ed_vector_set(struct ed_vector *v, uint32_t i, const struct ed_value *val,
		  struct ed_arena *arena);

#endif
