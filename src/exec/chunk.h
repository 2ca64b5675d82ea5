/* Column chunks: the unit of work of the executor. A chunk holds up to cap
 * rows as one vector per column, a null byte per row per column, and one
 * change operation per row (the changelog: insert, delete, update-before,
 * update-after), so windowed appends and updating aggregates flow through the
 * same operators. Variable-length bytes (text) live in the chunk's arena and
 * die with ed_chunk_reset. Owned by one thread (the pipeline's worker). */
#ifndef ED_CHUNK_H
#define ED_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
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

/* The name of a change op as sinks, SSE and SUBSCRIBE write it: "insert",
 * "delete", "update_before", "update_after" ("unknown" otherwise). */
const char *ed_op_name(uint8_t op);

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
	bool scratch; /* vectors and ops borrowed from the thread's scratch stack */
};

/* Allocate vectors for cap rows of the given column types. 0 or ED_ENOMEM. */
int ed_chunk_init(struct ed_chunk *c, const struct ed_type *types, uint32_t ncols, uint32_t cap);
void ed_chunk_fini(struct ed_chunk *c);
/* rows = 0, arena reset; vectors kept (no allocation in steady state). */
void ed_chunk_reset(struct ed_chunk *c);
/* Scratch chunks. An operator's chunks that live only while one push or
 * watermark call runs (its output before it is pushed on, evaluation
 * results) do not own their vectors: they borrow them from a per-thread
 * stack of blocks for the length of the call. A pipeline that is not
 * running holds none of that memory, and the pipelines of one worker, which
 * run one at a time, share it (views over views and downstream operators,
 * called from inside a push, borrow above their caller). Discipline: take a
 * mark, borrow, and release the mark before the call returns (LIFO).
 *
 *   ed_chunk_init_scratch  like ed_chunk_init, but no vectors until borrowed
 *   ed_scratch_mark        the stack's current top
 *   ed_scratch_alloc       n bytes (16-aligned) on the stack; NULL: ED_ENOMEM
 *   ed_chunk_borrow        vectors (nulls set) and ops for a scratch chunk
 *   ed_scratch_release     back to a mark; chunks borrowed since are invalid
 *
 * The blocks stay with the thread (bounded by the deepest chain of calls),
 * so steady-state processing allocates nothing. A borrowed chunk's text
 * arena goes back to the thread at release too (a few spare arenas per
 * thread, handed to the next chunk borrowed): an idle operator keeps no
 * arena block. */
struct ed_scratch_mark {
	void *block;
	size_t used;
	size_t nlent; /* chunks borrowed before the mark */
};
int ed_chunk_init_scratch(struct ed_chunk *c, const struct ed_type *types, uint32_t ncols,
			  uint32_t cap);
void ed_scratch_mark(struct ed_scratch_mark *m);
void *ed_scratch_alloc(size_t n);
int ed_chunk_borrow(struct ed_chunk *c);
void ed_scratch_release(const struct ed_scratch_mark *m);

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
