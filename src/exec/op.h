/* Streaming operators over chunks, the pieces a pipeline is made of
 * (planner.c builds them from a bound query, engine.c drives them).
 * Operators are pushed to: push(op, chunk) processes a chunk and pushes its
 * results to op->next before returning (the chunk given is borrowed and may
 * be modified); watermark(op, wm) says no row with event time < wm will come
 * any more, so windows ending at or before wm may close. A push/watermark
 * error is a pipeline error (out of memory); bad rows (an expression that
 * fails on one row: overflow, division by zero, bad cast) are counted in the
 * pipeline's stats and dropped, never stop the query.
 *
 * Threads: every operator is owned by its pipeline's worker thread. Terminal
 * operators (view store, sink) are defined in view.h / engine.c. */
#ifndef ED_EXEC_OP_H
#define ED_EXEC_OP_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/buf.h"
#include "exec/chunk.h"
#include "plan/plan.h"

struct ed_pipe_stats {
	_Atomic int64_t rows_in;     /* records decoded */
	_Atomic int64_t bad_records; /* undecodable records */
	_Atomic int64_t bad_rows;    /* rows dropped by evaluation errors */
	_Atomic int64_t late;        /* rows behind the watermark */
	_Atomic int64_t rows_out;    /* rows reaching the terminal */
	_Atomic int64_t watermark_us;
	_Atomic int64_t state_rows;  /* aggregate groups (or session keys) held */
	_Atomic int64_t state_bytes; /* their key + value bytes (state/kv.h) */
	char last_error[300];        /* worker-written, read for SHOW/DESCRIBE only */
};

struct ed_operator {
	const char *name;
	int (*push)(struct ed_operator *op, struct ed_chunk *in);
	int (*watermark)(struct ed_operator *op, int64_t wm);
	void (*free)(struct ed_operator *op);
	struct ed_operator *next;
	struct ed_pipe_stats *stats;
};

static inline int ed_op_push(struct ed_operator *op, struct ed_chunk *c)
{
	return op && c->rows ? op->push(op, c) : 0;
}
static inline int ed_op_watermark(struct ed_operator *op, int64_t wm)
{
	return op ? op->watermark(op, wm) : 0;
}
void ed_op_free_chain(struct ed_operator *op);
int ed_op_pass_watermark(struct ed_operator *op, int64_t wm);

/* Builds the operator chain of q (after the input, before the terminal):
 * window assignment, filter, aggregation or projection. *out is NULL when
 * the query needs no operator (SELECT * FROM x). 0, ED_ENOMEM or ED_EINVAL
 * (err says why). */
int ed_ops_build(const struct ed_query *q, struct ed_pipe_stats *stats, struct ed_operator **head,
		 struct ed_operator **tail, char *err, size_t errlen);

/* Remove row r of c (rows after it move up). */
void ed_chunk_drop_row(struct ed_chunk *c, uint32_t r);

#endif
