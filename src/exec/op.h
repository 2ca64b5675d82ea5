/* Streaming operators over chunks, the pieces a pipeline is made of
 * (plan/planner.c builds them from a bound query, the engine drives them).
 * Each operator is made from a spec defined here (window, filter, project,
 * aggregate), so exec knows nothing of bound queries.
 * Operators are pushed to: push(op, chunk) processes a chunk and pushes its
 * results to op->next before returning (the chunk given is borrowed and
 * read-only: one source chunk is pushed to every pipeline of the source, so
 * operators narrow it with selection vectors and write into chunks of their
 * own); watermark(op, wm) says no row with event time < wm will come
 * any more, so windows ending at or before wm may close. A push/watermark
 * error is a pipeline error (out of memory); bad rows (an expression that
 * fails on one row: overflow, division by zero, bad cast) are counted in the
 * pipeline's stats and dropped, never stop the query.
 *
 * Threads: every operator is owned by its pipeline's worker thread (which
 * may let an idle worker run it while it waits, engine/source.c). Terminal
 * operators (view store, sink) are defined in engine/view.c and sink.c. */
#ifndef ED_EXEC_OP_H
#define ED_EXEC_OP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "exec/agg.h"
#include "exec/chunk.h"
#include "exec/expr.h"
#include "exec/schema.h"

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
	int (*push)(struct ed_operator *op, const struct ed_chunk *in);
	int (*watermark)(struct ed_operator *op, int64_t wm);
	void (*free)(struct ed_operator *op);
	struct ed_operator *next;
	struct ed_pipe_stats *stats;
};

static inline int ed_op_push(struct ed_operator *op, const struct ed_chunk *c)
{
	return op && c->rows ? op->push(op, c) : 0;
}
static inline int ed_op_watermark(struct ed_operator *op, int64_t wm)
{
	return op ? op->watermark(op, wm) : 0;
}
void ed_op_free_chain(struct ed_operator *op);
int ed_op_pass_watermark(struct ed_operator *op, int64_t wm);

enum ed_window_kind { ED_WIN_NONE = 0, ED_WIN_TUMBLE, ED_WIN_HOP, ED_WIN_SESSION };

struct ed_agg_call {
	struct ed_agg agg;
	struct ed_expr *arg; /* over scan; NULL for COUNT(*) */
	const char *text;    /* canonical SQL of the call (EXPLAIN, dedup) */
};

/* Window assignment: appends window_start, window_end to each input row
 * (TUMBLE and HOP: one output row per window containing the row; SESSION:
 * both set to the row's time). */
struct ed_window_spec {
	enum ed_window_kind win;
	struct ed_schema in;   /* input columns */
	struct ed_schema scan; /* in + window_start, window_end */
	int32_t win_time_col;  /* in `in`; unused with win_proctime */
	bool win_proctime;     /* stamp rows with the last watermark (the clock) */
	int64_t win_size_us, win_slide_us, win_offset_us;
};

/* Hash aggregation (modes in ops.c) followed by HAVING and the projection. */
struct ed_agg_spec {
	enum ed_window_kind win;
	int32_t win_time_col; /* SESSION: time column of the input */
	int64_t win_gap_us;
	int64_t win_size_us; /* windowed: close time = window_start + size */
	uint32_t ngroup;
	struct ed_expr **group;  /* over the input */
	int32_t group_win_start; /* group index holding window_start, -1 */
	int32_t group_win_end;   /* group index holding window_end, -1 */
	uint32_t nagg;
	const struct ed_agg_call *aggs;
	struct ed_schema agg; /* groups, then aggregates (then session bounds) */
	struct ed_schema out;
	struct ed_expr *having; /* over agg; NULL if none */
	struct ed_expr **proj;  /* over agg, out.n of them */
};

/* Constructors. Specs are copied; what they point to (expressions, schema
 * arrays, aggregate calls) must outlive the operator. 0 or ED_ENOMEM. */
int ed_op_window_new(const struct ed_window_spec *spec, struct ed_pipe_stats *stats,
		     struct ed_operator **out);
int ed_op_filter_new(struct ed_expr *pred, const struct ed_schema *in, struct ed_pipe_stats *stats,
		     struct ed_operator **out);
int ed_op_project_new(struct ed_expr **exprs, const struct ed_schema *out_schema,
		      struct ed_pipe_stats *stats, struct ed_operator **out);
int ed_op_agg_new(const struct ed_agg_spec *spec, struct ed_pipe_stats *stats,
		  struct ed_operator **out);

#endif
