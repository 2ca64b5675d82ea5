/* Operators of a continuous query (op.h): window assignment (TUMBLE, HOP,
 * and the time column for SESSION), filter, projection and hash aggregation
 * in three modes:
 *
 *   windowed (TUMBLE/HOP)  groups keyed by the group key (window included);
 *                          a window's groups are emitted once, as inserts,
 *                          when the watermark reaches its end, then dropped.
 *   session                rows are buffered per key (without the window
 *                          columns) until the watermark settles them; then
 *                          sorted by time, cut into sessions at gaps, and
 *                          each session whose end (last time + gap) the
 *                          watermark has passed is aggregated and emitted.
 *                          This needs no state merging when a late-arriving
 *                          row joins two sessions.
 *   updating (no window)   after each input chunk every touched group emits
 *                          its change: INSERT, UPDATE_BEFORE + UPDATE_AFTER,
 *                          or DELETE when its last row was retracted or
 *                          HAVING stopped holding. The last emitted row is
 *                          kept with the group to produce the before image.
 *
 * Group entry value layout (state/kv.h entries):
 *
 *   offset  size  field
 *   0       8     row count (rows added minus rows retracted)
 *   8       4     epoch of the last chunk that touched the group (updating)
 *   12      4     bytes of the last emitted row (updating) / buffered rows (session)
 *   16      S     aggregate states, each 16-byte aligned (not in session mode)
 *   16+S    n     last emitted output row (row.h encoding) / buffered rows
 *                 [int64 time][args row] (session)
 */
#include "exec/op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "exec/expr.h"
#include "exec/row.h"
#include "state/kv.h"

#define HDR 16

void ed_op_free_chain(struct ed_operator *op)
{
	while (op) {
		struct ed_operator *next = op->next;
		op->free(op);
		op = next;
	}
}

int ed_op_pass_watermark(struct ed_operator *op, int64_t wm)
{
	return ed_op_watermark(op->next, wm);
}

static void note_bad(struct ed_operator *op, const struct ed_expr_error *xe)
{
	atomic_fetch_add(&op->stats->bad_rows, 1);
	snprintf(op->stats->last_error, sizeof(op->stats->last_error), "%.5s: %.255s", xe->sqlstate,
		 xe->message);
}

/* Evaluate exprs over the rows of in with sel[i] set into out's columns,
 * row for row (out->rows = in->rows; rows not selected are NULL), so results
 * stay aligned with their rows. A row that fails is counted and deselected
 * and evaluation restarts; a failure not tied to a row deselects all rows.
 * 0, or ED_ENOMEM. */
static int eval_sel(struct ed_operator *op, struct ed_expr **exprs, uint32_t n,
		    const struct ed_chunk *in, uint8_t *sel, struct ed_chunk *out)
{
	for (;;) {
		struct ed_expr_error xe = {.row = -1};
		int rc = 0;
		ed_arena_reset(&out->arena);
		for (uint32_t k = 0; k < n && rc == 0; k++)
			if (exprs[k])
				rc = ed_expr_eval(exprs[k], in, sel, &out->cols[k], &out->arena, &xe);
		if (rc == 0) {
			out->rows = in->rows;
			memcpy(out->ops, in->ops, in->rows);
			return 0;
		}
		if (xe.row < 0 || (uint32_t)xe.row >= in->rows || !sel[xe.row]) {
			if (rc == ED_ENOMEM)
				return rc;
			note_bad(op, &xe);
			memset(sel, 0, in->rows);
			out->rows = 0;
			return 0;
		}
		note_bad(op, &xe);
		sel[xe.row] = 0;
	}
}

/* Evaluate exprs over every row of in into out's columns; a row that
 * fails is counted and left out, so out holds the rows that evaluated, in
 * order. in is not modified (a shared chunk may be read by several
 * pipelines); sel is scratch of in->rows bytes. 0, or ED_ENOMEM. */
static int eval_compact(struct ed_operator *op, struct ed_expr **exprs, uint32_t n,
			const struct ed_chunk *in, uint8_t *sel, struct ed_chunk *out)
{
	memset(sel, 1, in->rows);
	int rc = eval_sel(op, exprs, n, in, sel, out);
	if (rc || out->rows == 0)
		return rc;
	uint32_t k = 0;
	for (uint32_t i = 0; i < out->rows; i++)
		if (sel[i]) {
			if (k != i)
				ed_row_copy(out, k, out, i);
			k++;
		}
	out->rows = k;
	return 0;
}

/* Narrow sel to the rows of in where pred is TRUE; pred is evaluated only
 * for rows already selected, into the boolean scratch vector v. A row whose
 * evaluation fails is counted and deselected; the others are kept. 0, or
 * ED_ENOMEM. */
static int filter_sel(struct ed_operator *op, struct ed_expr *pred, const struct ed_chunk *in,
		      uint8_t *sel, struct ed_vector *v, struct ed_arena *arena)
{
	if (ed_expr_type(pred).id != ED_TYPE_BOOL) { /* constant NULL */
		memset(sel, 0, in->rows);
		return 0;
	}
	for (;;) {
		struct ed_expr_error xe = {.row = -1};
		int rc = ed_expr_eval(pred, in, sel, v, arena, &xe);
		if (rc == 0)
			break;
		if (xe.row < 0 || (uint32_t)xe.row >= in->rows || !sel[xe.row]) {
			if (rc == ED_ENOMEM)
				return rc;
			note_bad(op, &xe);
			memset(sel, 0, in->rows);
			return 0;
		}
		note_bad(op, &xe);
		sel[xe.row] = 0;
	}
	const uint8_t *b = v->data;
	for (uint32_t i = 0; i < in->rows; i++)
		sel[i] = (uint8_t)(sel[i] & !v->nulls[i] & (b[i] != 0));
	return 0;
}

/* ---- window assignment ------------------------------------------------------------ */

struct win_op {
	struct ed_operator op;
	struct ed_window_spec s;
	struct ed_chunk out;
	/* PROCTIME(): the last watermark seen, which the pipeline sets to its
	 * clock before pushing what it read; rows are stamped with it. */
	int64_t now_us;
};

static int win_watermark(struct ed_operator *op, int64_t wm)
{
	struct win_op *w = (struct win_op *)op;
	if (wm > w->now_us)
		w->now_us = wm;
	return ed_op_pass_watermark(op, wm);
}

static int win_flush(struct win_op *w)
{
	int rc = ed_op_push(w->op.next, &w->out);
	ed_chunk_reset(&w->out);
	return rc;
}

static int win_push_rows(struct win_op *w, const struct ed_chunk *in);

static int win_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct win_op *w = (struct win_op *)op;
	struct ed_scratch_mark m;
	ed_scratch_mark(&m);
	int rc = ed_chunk_borrow(&w->out);
	if (rc == 0)
		rc = win_push_rows(w, in);
	ed_scratch_release(&m);
	return rc;
}

/* Tumbling windows (one window per row) over rows whose times are all
 * set: a column at a time, every input column copied whole. False when
 * the row-at-a-time path must run instead. */
static bool win_tumble_columns(struct win_op *w, const struct ed_chunk *in)
{
	const struct ed_window_spec *q = &w->s;
	uint32_t n = q->in.n, rows = in->rows;
	if (q->win == ED_WIN_SESSION || q->win_size_us != q->win_slide_us || rows > w->out.cap ||
	    w->out.rows)
		return false;
	const struct ed_vector *tv = q->win_proctime ? NULL : &in->cols[q->win_time_col];
	if (tv) {
		uint8_t any = 0;
		for (uint32_t i = 0; i < rows; i++)
			any |= tv->nulls[i];
		if (any)
			return false;
	}
	for (uint32_t k = 0; k < n; k++) {
		size_t wd = ed_type_width(in->cols[k].type.id);
		memcpy(w->out.cols[k].nulls, in->cols[k].nulls, rows);
		memcpy(w->out.cols[k].data, in->cols[k].data, rows * wd);
	}
	int64_t off = q->win_offset_us, sz = q->win_size_us;
	int64_t *start = ED_VEC(&w->out.cols[n], int64_t),
		*end = ED_VEC(&w->out.cols[n + 1], int64_t);
	const int64_t *t = tv ? ED_VEC(tv, int64_t) : NULL;
	for (uint32_t i = 0; i < rows; i++) {
		int64_t d = (t ? t[i] : w->now_us) - off;
		start[i] = (d >= 0 ? d / sz : -((-d + sz - 1) / sz)) * sz + off;
		end[i] = start[i] + sz;
	}
	memset(w->out.cols[n].nulls, 0, rows);
	memset(w->out.cols[n + 1].nulls, 0, rows);
	memcpy(w->out.ops, in->ops, rows);
	w->out.rows = rows;
	return true;
}

static int win_push_rows(struct win_op *w, const struct ed_chunk *in)
{
	if (win_tumble_columns(w, in))
		return w->out.rows ? win_flush(w) : 0;
	struct ed_operator *op = &w->op;
	const struct ed_window_spec *q = &w->s;
	uint32_t n = q->in.n;
	const struct ed_vector *tv = q->win_proctime ? NULL : &in->cols[q->win_time_col];
	int rc = 0;
	for (uint32_t i = 0; i < in->rows && rc == 0; i++) {
		if (tv && tv->nulls[i]) {
			atomic_fetch_add(&op->stats->bad_rows, 1);
			continue;
		}
		int64_t ts = tv ? ED_VEC(tv, int64_t)[i] : w->now_us;
		int64_t first, last;
		if (q->win == ED_WIN_SESSION)
			first = last = ts;
		else {
			int64_t off = q->win_offset_us, sl = q->win_slide_us;
			int64_t d = ts - off;
			last = (d >= 0 ? d / sl : -((-d + sl - 1) / sl)) * sl + off;
			first = last - q->win_size_us + sl;
			/* first start whose window [s, s+size) still contains ts */
			if (first > last)
				first = last;
		}
		for (int64_t s = last; s >= first;
		     s -= q->win == ED_WIN_SESSION ? 1 : q->win_slide_us) {
			if (q->win != ED_WIN_SESSION && s + q->win_size_us <= ts)
				break;
			if (w->out.rows == w->out.cap && (rc = win_flush(w)))
				break;
			uint32_t r = w->out.rows++;
			for (uint32_t k = 0; k < n; k++) {
				size_t wd = ed_type_width(in->cols[k].type.id);
				w->out.cols[k].nulls[r] = in->cols[k].nulls[i];
				memcpy((uint8_t *)w->out.cols[k].data + r * wd,
				       (uint8_t *)in->cols[k].data + i * wd, wd);
			}
			w->out.cols[n].nulls[r] = w->out.cols[n + 1].nulls[r] = 0;
			ED_VEC(&w->out.cols[n], int64_t)[r] = s;
			ED_VEC(&w->out.cols[n + 1],
			       int64_t)[r] = q->win == ED_WIN_SESSION ? s : s + q->win_size_us;
			w->out.ops[r] = in->ops[i];
			if (q->win == ED_WIN_SESSION)
				break;
		}
	}
	if (rc == 0 && w->out.rows)
		rc = win_flush(w);
	return rc;
}

static void win_free(struct ed_operator *op)
{
	struct win_op *w = (struct win_op *)op;
	ed_chunk_fini(&w->out);
	ed_free(w);
}

/* ---- filter and projection ---------------------------------------------------------- */

struct filter_op {
	struct ed_operator op;
	struct ed_expr *pred;
	struct ed_chunk out; /* the rows that passed (text referenced from the input) */
	struct ed_chunk pc;  /* predicate results (one boolean column) */
	uint8_t *sel;        /* ED_CHUNK_MAX_ROWS, scratch during a push */
};

/* Rows where the predicate is TRUE go on; in is not modified: when every row
 * passes it is pushed as it is, otherwise the passing rows are copied into
 * the operator's own chunk. */
static int filter_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct filter_op *f = (struct filter_op *)op;
	struct ed_scratch_mark m;
	ed_scratch_mark(&m);
	int rc = ed_chunk_borrow(&f->pc);
	if (rc == 0 && !(f->sel = ed_scratch_alloc(ED_CHUNK_MAX_ROWS)))
		rc = ED_ENOMEM;
	if (rc == 0) {
		memset(f->sel, 1, in->rows);
		rc = filter_sel(op, f->pred, in, f->sel, &f->pc.cols[0], &f->pc.arena);
	}
	uint32_t k = 0;
	for (uint32_t i = 0; rc == 0 && i < in->rows; i++)
		k += f->sel[i];
	ed_chunk_reset(&f->pc);
	if (rc == 0 && k == in->rows) {
		ed_scratch_release(&m);
		return ed_op_push(op->next, in);
	}
	if (rc == 0 && k)
		rc = ed_chunk_borrow(&f->out);
	if (rc == 0 && k) {
		k = 0;
		for (uint32_t i = 0; i < in->rows; i++)
			if (f->sel[i])
				ed_row_copy(&f->out, k++, in, i);
		f->out.rows = k;
		rc = ed_op_push(op->next, &f->out);
		ed_chunk_reset(&f->out);
	}
	ed_scratch_release(&m);
	return rc;
}

static void filter_free(struct ed_operator *op)
{
	struct filter_op *f = (struct filter_op *)op;
	ed_chunk_fini(&f->out);
	ed_chunk_fini(&f->pc);
	ed_free(f);
}

struct proj_op {
	struct ed_operator op;
	struct ed_expr **exprs;
	uint32_t n;
	struct ed_chunk out;
	uint8_t *sel; /* ED_CHUNK_MAX_ROWS, scratch during a push */
};

static int proj_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct proj_op *p = (struct proj_op *)op;
	struct ed_scratch_mark m;
	ed_scratch_mark(&m);
	int rc = ed_chunk_borrow(&p->out);
	if (rc == 0 && !(p->sel = ed_scratch_alloc(ED_CHUNK_MAX_ROWS)))
		rc = ED_ENOMEM;
	if (rc == 0)
		rc = eval_compact(op, p->exprs, p->n, in, p->sel, &p->out);
	if (rc == 0)
		rc = ed_op_push(op->next, &p->out);
	ed_chunk_reset(&p->out);
	ed_scratch_release(&m);
	return rc;
}

static void proj_free(struct ed_operator *op)
{
	struct proj_op *p = (struct proj_op *)op;
	ed_chunk_fini(&p->out);
	ed_free(p);
}

/* ---- aggregation ------------------------------------------------------------------ */

enum agg_mode { AGG_WINDOWED, AGG_SESSION, AGG_UPDATING };

struct open_window {
	int64_t end;
	struct ed_kv_entry **ents;
	size_t n, cap;
};

struct agg_op {
	struct ed_operator op;
	struct ed_agg_spec s;
	enum agg_mode mode;
	struct ed_chunk ain; /* groups..., agg args... */
	uint32_t *argcol;    /* per aggregate: column of ain, UINT32_MAX for COUNT(*) */
	struct ed_expr **ain_exprs;
	uint32_t nain;
	size_t *soff; /* per aggregate: state offset after the header */
	size_t ssize;
	struct ed_kv kv;
	struct ed_buf key;
	void **states; /* nagg * ED_CHUNK_MAX_ROWS */
	struct ed_kv_entry **ents;
	uint8_t *sel; /* ED_CHUNK_MAX_ROWS each, scratch during a call */
	uint8_t *ops_tmp;
	struct ed_chunk aout; /* agg schema */
	struct ed_chunk out;  /* output schema */
	struct ed_chunk emit; /* updating: changelog rows */
	struct open_window *wins;
	size_t nwins, wcap;
	uint32_t epoch;
	uint32_t *keycols; /* session: group indexes other than the window's */
	uint32_t nkeycols;
	struct ed_chunk sargs; /* session: args of one session */
	struct ed_buf scratch;
	struct ed_chunk hc; /* HAVING results (one boolean column) */
	int64_t wm;
};

static uint8_t *ent_states(struct ed_kv_entry *e)
{
	return ed_kv_value(e) + HDR;
}
static int64_t *ent_count(struct ed_kv_entry *e)
{
	return (int64_t *)ed_kv_value(e);
}
static uint32_t *ent_epoch(struct ed_kv_entry *e)
{
	return (uint32_t *)(ed_kv_value(e) + 8);
}
static uint32_t *ent_extra(struct ed_kv_entry *e)
{
	return (uint32_t *)(ed_kv_value(e) + 12);
}

static void states_init(struct agg_op *a, uint8_t *base)
{
	for (uint32_t k = 0; k < a->s.nagg; k++)
		a->s.aggs[k].agg.init(&a->s.aggs[k].agg, base + a->soff[k]);
}

static void states_fini(struct agg_op *a, uint8_t *base)
{
	for (uint32_t k = 0; k < a->s.nagg; k++)
		if (a->s.aggs[k].agg.fini)
			a->s.aggs[k].agg.fini(&a->s.aggs[k].agg, base + a->soff[k]);
}

static bool is_add(uint8_t op)
{
	return op == ED_OP_INSERT || op == ED_OP_UPDATE_AFTER;
}

/* Fold rows of ain (with sel) into the per-row states of every aggregate.
 * A row an aggregate rejects (overflow...) is retracted from the aggregates
 * that took it and dropped (sel cleared, counted). */
static int fold_rows(struct agg_op *a, uint32_t rows, const uint8_t *ops)
{
	const struct ed_agg_spec *q = &a->s;
	for (uint32_t k = 0; k < q->nagg; k++) {
		const struct ed_agg *ag = &q->aggs[k].agg;
		const struct ed_vector *arg = a->argcol[k] == UINT32_MAX
						      ? NULL
						      : &a->ain.cols[a->argcol[k]];
		void **st = a->states + (size_t)k * ED_CHUNK_MAX_ROWS;
		uint8_t sel2[ED_CHUNK_MAX_ROWS];
		memcpy(sel2, a->sel, rows);
		for (;;) {
			struct ed_expr_error xe = {.row = -1};
			int rc = ag->update(ag, st, arg, ops, sel2, rows, &xe);
			if (rc == 0)
				break;
			if (xe.row < 0 || (uint32_t)xe.row >= rows)
				return rc;
			uint32_t r = (uint32_t)xe.row;
			note_bad(&a->op, &xe);
			/* Undo row r in the aggregates before this one. */
			uint8_t one[ED_CHUNK_MAX_ROWS];
			memset(one, 0, rows);
			one[r] = 1;
			memcpy(a->ops_tmp, ops, rows);
			a->ops_tmp[r] = is_add(ops[r]) ? ED_OP_DELETE : ED_OP_INSERT;
			for (uint32_t j = 0; j < k; j++) {
				const struct ed_agg *aj = &q->aggs[j].agg;
				struct ed_expr_error xe2 = {.row = -1};
				aj->update(aj, a->states + (size_t)j * ED_CHUNK_MAX_ROWS,
					   a->argcol[j] == UINT32_MAX ? NULL
								      : &a->ain.cols[a->argcol[j]],
					   a->ops_tmp, one, rows, &xe2);
			}
			a->sel[r] = 0;
			for (uint32_t i = 0; i <= r; i++)
				sel2[i] = 0;
		}
	}
	return 0;
}

static int agg_eval_input(struct agg_op *a, const struct ed_chunk *in)
{
	return eval_compact(&a->op, a->ain_exprs, a->nain, in, a->sel, &a->ain);
}

/* Append one group's result to aout (key decoded from the entry's key). */
static int aout_add(struct agg_op *a, const uint8_t *key, uint32_t klen, uint8_t *states,
		    const int64_t *win_bounds)
{
	const struct ed_agg_spec *q = &a->s;
	uint32_t r = a->aout.rows;
	if (a->mode == AGG_SESSION) {
		size_t off = 0;
		for (uint32_t k = 0; k < a->nkeycols; k++) {
			size_t used = ed_row_decode(key + off, klen - off, &a->aout, r,
						    a->keycols[k], 1, &a->aout.arena);
			if (!used && a->keycols[k] < q->ngroup)
				return ED_ECORRUPT;
			off += used;
		}
		int32_t gs = q->group_win_start, ge = q->group_win_end;
		if (gs >= 0) {
			a->aout.cols[gs].nulls[r] = 0;
			ED_VEC(&a->aout.cols[gs], int64_t)[r] = win_bounds[0];
		}
		if (ge >= 0) {
			a->aout.cols[ge].nulls[r] = 0;
			ED_VEC(&a->aout.cols[ge], int64_t)[r] = win_bounds[1];
		}
	} else if (q->ngroup && !ed_row_decode(key, klen, &a->aout, r, 0, q->ngroup, &a->aout.arena))
		return ED_ECORRUPT;
	for (uint32_t k = 0; k < q->nagg; k++) {
		struct ed_expr_error xe = {.row = -1};
		int rc = q->aggs[k].agg.result(&q->aggs[k].agg, states + a->soff[k],
					       &a->aout.cols[q->ngroup + k], r, &a->aout.arena, &xe);
		if (rc) {
			note_bad(&a->op, &xe);
			return 0;
		}
	}
	a->aout.ops[r] = ED_OP_INSERT;
	a->aout.rows++;
	return 0;
}

/* HAVING and projection of aout into out, for the rows of aout the caller
 * selected in a->sel. A row whose HAVING or projection fails is a bad row
 * (counted) for its group alone. compact: out holds the passing rows only,
 * in order; otherwise out's rows stay aligned with aout's (row t of out is
 * the result of group t) and a->sel says which of them passed. */
static int aout_finish(struct agg_op *a, bool compact)
{
	const struct ed_agg_spec *q = &a->s;
	int rc;
	ed_chunk_reset(&a->out);
	if (a->aout.rows == 0)
		return 0;
	if (q->having &&
	    (rc = filter_sel(&a->op, q->having, &a->aout, a->sel, &a->hc.cols[0], &a->aout.arena)))
		return rc;
	if (!compact)
		return eval_sel(&a->op, q->proj, q->out.n, &a->aout, a->sel, &a->out);
	uint32_t k = 0;
	for (uint32_t i = 0; i < a->aout.rows; i++)
		if (a->sel[i]) {
			if (k != i)
				ed_row_copy(&a->aout, k, &a->aout, i);
			k++;
		}
	a->aout.rows = k;
	if (a->aout.rows == 0)
		return 0;
	return eval_compact(&a->op, q->proj, q->out.n, &a->aout, a->sel, &a->out);
}

static int emit_appends(struct agg_op *a)
{
	memset(a->sel, 1, a->aout.rows);
	int rc = aout_finish(a, true);
	if (rc == 0)
		rc = ed_op_push(a->op.next, &a->out);
	ed_chunk_reset(&a->aout);
	ed_chunk_reset(&a->out);
	return rc;
}

static int win_cmp(const void *x, const void *y)
{
	const struct open_window *a = x, *b = y;
	return a->end < b->end ? -1 : a->end > b->end;
}

static int track_window(struct agg_op *a, struct ed_kv_entry *e, int64_t end)
{
	struct open_window *w = NULL;
	for (size_t i = a->nwins; i-- > 0;)
		if (a->wins[i].end == end) {
			w = &a->wins[i];
			break;
		}
	if (!w) {
		if (a->nwins == a->wcap) {
			size_t cap = a->wcap ? a->wcap * 2 : 16;
			struct open_window *n = ed_realloc(a->wins, cap * sizeof(*n));
			if (!n)
				return ED_ENOMEM;
			a->wins = n;
			a->wcap = cap;
		}
		w = &a->wins[a->nwins++];
		memset(w, 0, sizeof(*w));
		w->end = end;
		if (a->nwins > 1 && a->wins[a->nwins - 2].end > end) {
			qsort(a->wins, a->nwins, sizeof(*a->wins), win_cmp);
			for (size_t i = 0; i < a->nwins; i++)
				if (a->wins[i].end == end)
					w = &a->wins[i];
		}
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct ed_kv_entry **n = ed_realloc(w->ents, cap * sizeof(*n));
		if (!n)
			return ED_ENOMEM;
		w->ents = n;
		w->cap = cap;
	}
	w->ents[w->n++] = e;
	return 0;
}

static int agg_push_grouped(struct agg_op *a, const struct ed_chunk *in)
{
	const struct ed_agg_spec *q = &a->s;
	int rc = agg_eval_input(a, in);
	if (rc || a->ain.rows == 0)
		return rc;
	uint32_t rows = a->ain.rows;
	a->epoch++;
	uint32_t ntouched = 0;
	for (uint32_t i = 0; i < rows; i++) {
		ed_buf_reset(&a->key);
		ed_row_encode(&a->key, &a->ain, i, NULL, q->ngroup);
		if (a->key.err)
			return ED_ENOMEM;
		struct ed_kv_entry *e;
		bool created;
		uint64_t h = ed_kv_hash(a->key.data, a->key.len);
		if ((rc = ed_kv_upsert(&a->kv, a->key.data, (uint32_t)a->key.len, h,
				       (uint32_t)(HDR + a->ssize), &e, &created)))
			return rc;
		if (created) {
			states_init(a, ent_states(e));
			if (a->mode == AGG_WINDOWED) {
				int64_t end;
				if (q->group_win_end >= 0)
					end = ED_VEC(&a->ain.cols[q->group_win_end], int64_t)[i];
				else
					end = ED_VEC(&a->ain.cols[q->group_win_start], int64_t)[i] +
					      q->win_size_us;
				if ((rc = track_window(a, e, end)))
					return rc;
			}
		}
		if (a->mode == AGG_UPDATING && *ent_epoch(e) != a->epoch) {
			*ent_epoch(e) = a->epoch;
			a->ents[ntouched++] = e;
		}
		for (uint32_t k = 0; k < q->nagg; k++)
			a->states[(size_t)k * ED_CHUNK_MAX_ROWS + i] = ent_states(e) + a->soff[k];
		a->sel[i] = 1;
		a->ents[ED_CHUNK_MAX_ROWS + i] = e;
	}
	if ((rc = fold_rows(a, rows, a->ain.ops)))
		return rc;
	for (uint32_t i = 0; i < rows; i++)
		if (a->sel[i])
			*ent_count(a->ents[ED_CHUNK_MAX_ROWS + i]) += is_add(a->ain.ops[i]) ? 1 : -1;
	if (a->mode != AGG_UPDATING)
		return 0;

	/* Changelog for every touched group. A group whose result fails
	 * (SUM overflow: counted as a bad row) has no current row: its old row
	 * is deleted, as when HAVING stops holding. */
	ed_chunk_reset(&a->aout);
	for (uint32_t t = 0; t < ntouched; t++) {
		struct ed_kv_entry *e = a->ents[t];
		if ((rc = aout_add(a, ed_kv_key(e), e->klen, ent_states(e), NULL)))
			return rc;
		a->sel[t] = a->aout.rows == t + 1;
		if (!a->sel[t]) { /* keep the slot aligned */
			a->aout.rows = t + 1;
			a->aout.ops[t] = ED_OP_INSERT;
			for (uint32_t c = 0; c < a->aout.ncols; c++)
				a->aout.cols[c].nulls[t] = 1;
		}
	}
	if ((rc = aout_finish(a, false)))
		return rc;
	ed_chunk_reset(&a->emit);
	for (uint32_t t = 0; t < ntouched; t++) {
		struct ed_kv_entry *e = a->ents[t];
		bool alive = *ent_count(e) > 0;
		bool has_new = alive && a->sel[t] && t < a->out.rows;
		uint32_t old_len = *ent_extra(e);
		uint8_t *old = ent_states(e) + a->ssize;
		ed_buf_reset(&a->scratch);
		if (has_new)
			ed_row_encode(&a->scratch, &a->out, t, NULL, q->out.n);
		if (a->scratch.err)
			return ED_ENOMEM;
		bool same = has_new && old_len && old_len == a->scratch.len &&
			    memcmp(old, a->scratch.data, old_len) == 0;
		if (!same) {
			if (old_len) {
				uint32_t r = a->emit.rows++;
				ed_row_decode(old, old_len, &a->emit, r, 0, q->out.n, &a->emit.arena);
				a->emit.ops[r] = has_new ? ED_OP_UPDATE_BEFORE : ED_OP_DELETE;
			}
			if (has_new) {
				uint32_t r = a->emit.rows++;
				ed_row_copy(&a->emit, r, &a->out, t);
				a->emit.ops[r] = old_len ? ED_OP_UPDATE_AFTER : ED_OP_INSERT;
			}
		}
		if (!alive) {
			states_fini(a, ent_states(e));
			ed_kv_delete(&a->kv, e);
			continue;
		}
		if (!same) {
			if ((rc = ed_kv_value_reserve(&a->kv, &e,
						      (uint32_t)(HDR + a->ssize + a->scratch.len))))
				return rc;
			memcpy(ent_states(e) + a->ssize, a->scratch.data, a->scratch.len);
			*ent_extra(e) = (uint32_t)a->scratch.len;
		}
	}
	rc = ed_op_push(a->op.next, &a->emit);
	ed_chunk_reset(&a->emit);
	ed_chunk_reset(&a->aout);
	ed_chunk_reset(&a->out);
	return rc;
}

static int agg_push_session(struct agg_op *a, const struct ed_chunk *in)
{
	const struct ed_agg_spec *q = &a->s;
	/* Row-aligned with in (the time column is read from in): rows that
	 * failed are deselected. */
	memset(a->sel, 1, in->rows);
	int rc = eval_sel(&a->op, a->ain_exprs, a->nain, in, a->sel, &a->ain);
	if (rc || a->ain.rows == 0)
		return rc;
	const struct ed_vector *tv = &in->cols[q->win_time_col];
	for (uint32_t i = 0; i < a->ain.rows; i++) {
		if (!a->sel[i] || !is_add(a->ain.ops[i]) || tv->nulls[i])
			continue;
		ed_buf_reset(&a->key);
		ed_row_encode(&a->key, &a->ain, i, a->keycols, a->nkeycols);
		ed_buf_reset(&a->scratch);
		int64_t ts = ED_VEC(tv, int64_t)[i];
		ed_buf_append(&a->scratch, &ts, 8);
		ed_row_encode(&a->scratch, &a->ain, i, NULL, 0);
		for (uint32_t k = q->ngroup; k < a->nain; k++)
			ed_row_encode(&a->scratch, &a->ain, i, &k, 1);
		if (a->key.err || a->scratch.err)
			return ED_ENOMEM;
		struct ed_kv_entry *e;
		bool created;
		uint64_t h = ed_kv_hash(a->key.data, a->key.len);
		if ((rc = ed_kv_upsert(&a->kv, a->key.data, (uint32_t)a->key.len, h, HDR, &e,
				       &created)))
			return rc;
		uint32_t used = *ent_extra(e);
		if ((rc = ed_kv_value_reserve(&a->kv, &e, (uint32_t)(HDR + used + a->scratch.len))))
			return rc;
		memcpy(ed_kv_value(e) + HDR + used, a->scratch.data, a->scratch.len);
		*ent_extra(e) = used + (uint32_t)a->scratch.len;
		*ent_count(e) += 1;
	}
	return 0;
}

struct srow {
	int64_t ts;
	uint32_t off, len;
};

static int srow_cmp(const void *x, const void *y)
{
	const struct srow *a = x, *b = y;
	return a->ts < b->ts ? -1 : a->ts > b->ts ? 1 : (a->off > b->off) - (a->off < b->off);
}

/* Aggregate rows[0..n) as one session into aout. */
static int session_emit(struct agg_op *a, struct ed_kv_entry *e, const uint8_t *buf,
			struct srow *rows, size_t n, int64_t start, int64_t end)
{
	const struct ed_agg_spec *q = &a->s;
	uint8_t *st = ed_malloc(a->ssize ? a->ssize : 1);
	if (!st)
		return ED_ENOMEM;
	states_init(a, st);
	int rc = 0;
	for (size_t base = 0; base < n && rc == 0; base += ED_CHUNK_MAX_ROWS) {
		size_t m = n - base < ED_CHUNK_MAX_ROWS ? n - base : ED_CHUNK_MAX_ROWS;
		ed_chunk_reset(&a->sargs);
		for (size_t i = 0; i < m; i++) {
			const struct srow *r = &rows[base + i];
			if (a->sargs.ncols && !ed_row_decode(buf + r->off + 8, r->len - 8, &a->sargs,
							     (uint32_t)i, 0, a->sargs.ncols, NULL))
				rc = ED_ECORRUPT;
			a->sargs.ops[i] = ED_OP_INSERT;
			a->sel[i] = 1;
		}
		a->sargs.rows = (uint32_t)m;
		for (uint32_t k = 0; k < q->nagg && rc == 0; k++) {
			const struct ed_agg *ag = &q->aggs[k].agg;
			void **sp = a->states;
			for (size_t i = 0; i < m; i++)
				sp[i] = st + a->soff[k];
			struct ed_expr_error xe = {.row = -1};
			const struct ed_vector *arg = a->argcol[k] == UINT32_MAX
							      ? NULL
							      : &a->sargs.cols[a->argcol[k] - q->ngroup];
			if (ag->update(ag, sp, arg, a->sargs.ops, NULL, (uint32_t)m, &xe) != 0)
				note_bad(&a->op, &xe);
		}
	}
	int64_t bounds[2] = {start, end};
	if (rc == 0 && a->aout.rows == a->aout.cap)
		rc = emit_appends(a);
	if (rc == 0)
		rc = aout_add(a, ed_kv_key(e), e->klen, st, bounds);
	states_fini(a, st);
	ed_free(st);
	return rc;
}

static int session_watermark(struct agg_op *a, int64_t wm)
{
	const struct ed_agg_spec *q = &a->s;
	size_t pos = 0;
	struct ed_kv_entry *e;
	struct ed_kv_entry **gone = NULL;
	size_t ngone = 0, gcap = 0;
	int rc = 0;
	while (rc == 0 && (e = ed_kv_next(&a->kv, &pos))) {
		uint8_t *buf = ed_kv_value(e) + HDR;
		uint32_t len = *ent_extra(e);
		size_t n = (size_t)*ent_count(e);
		struct srow *rows = ed_malloc((n ? n : 1) * sizeof(*rows));
		if (!rows) {
			rc = ED_ENOMEM;
			break;
		}
		size_t k = 0;
		for (uint32_t off = 0; off < len && k < n;) {
			size_t used = 8;
			memcpy(&rows[k].ts, buf + off, 8);
			/* length of the encoded args row */
			const uint8_t *p = buf + off + 8;
			size_t rem = len - off - 8;
			for (uint32_t c = 0; c < a->sargs.ncols; c++) {
				if (!rem--)
					break;
				if (*p++ == 0) {
					used += 1;
					continue;
				}
				size_t w;
				if (a->sargs.cols[c].type.id == ED_TYPE_TEXT) {
					uint32_t sl;
					memcpy(&sl, p, 4);
					w = 4 + sl;
				} else
					w = ed_type_width(a->sargs.cols[c].type.id);
				p += w;
				rem -= w;
				used += 1 + w;
			}
			rows[k].off = off;
			rows[k].len = (uint32_t)used;
			off += (uint32_t)used;
			k++;
		}
		n = k;
		qsort(rows, n, sizeof(*rows), srow_cmp);
		/* Sweep sessions; emit closed ones, keep the rest. */
		size_t keep_from = n;
		for (size_t s = 0; s < n && rc == 0;) {
			int64_t start = rows[s].ts, end = rows[s].ts + q->win_gap_us;
			size_t t = s + 1;
			while (t < n && rows[t].ts < end) {
				if (rows[t].ts + q->win_gap_us > end)
					end = rows[t].ts + q->win_gap_us;
				t++;
			}
			if (end > wm) {
				keep_from = s;
				break;
			}
			rc = session_emit(a, e, buf, rows + s, t - s, start, end);
			s = t;
		}
		if (rc == 0 && keep_from == n) {
			if (ngone == gcap) {
				gcap = gcap ? gcap * 2 : 64;
				struct ed_kv_entry **g = ed_realloc(gone, gcap * sizeof(*g));
				if (!g)
					rc = ED_ENOMEM;
				else
					gone = g;
			}
			if (rc == 0)
				gone[ngone++] = e;
		} else if (rc == 0 && keep_from > 0) {
			ed_buf_reset(&a->scratch);
			for (size_t i = keep_from; i < n; i++)
				ed_buf_append(&a->scratch, buf + rows[i].off, rows[i].len);
			if (a->scratch.err)
				rc = ED_ENOMEM;
			else {
				memcpy(buf, a->scratch.data, a->scratch.len);
				*ent_extra(e) = (uint32_t)a->scratch.len;
				*ent_count(e) = (int64_t)(n - keep_from);
				ed_kv_mark_dirty(&a->kv, e);
			}
		}
		ed_free(rows);
	}
	for (size_t i = 0; i < ngone; i++)
		ed_kv_delete(&a->kv, gone[i]);
	ed_free(gone);
	if (rc == 0 && a->aout.rows)
		rc = emit_appends(a);
	return rc;
}

/* State size for metrics, published after every push and watermark. */
static void agg_note_state(struct agg_op *a)
{
	atomic_store(&a->op.stats->state_rows, (int64_t)a->kv.count);
	atomic_store(&a->op.stats->state_bytes, (int64_t)a->kv.bytes);
}

/* Borrow the operator's scratch (chunks, per-row state and entry arrays)
 * for one call; the caller releases m before returning. 0 or ED_ENOMEM. */
static int agg_borrow(struct agg_op *a, struct ed_scratch_mark *m)
{
	ed_scratch_mark(m);
	int rc = 0;
	if ((rc = ed_chunk_borrow(&a->ain)) || (rc = ed_chunk_borrow(&a->aout)) ||
	    (rc = ed_chunk_borrow(&a->out)) || (rc = ed_chunk_borrow(&a->emit)) ||
	    (rc = ed_chunk_borrow(&a->sargs)) || (a->s.having && (rc = ed_chunk_borrow(&a->hc))))
		return rc;
	a->states = ed_scratch_alloc((size_t)(a->s.nagg + 1) * ED_CHUNK_MAX_ROWS * sizeof(void *));
	a->ents = ed_scratch_alloc(2 * ED_CHUNK_MAX_ROWS * sizeof(void *));
	a->sel = ed_scratch_alloc(ED_CHUNK_MAX_ROWS);
	a->ops_tmp = ed_scratch_alloc(ED_CHUNK_MAX_ROWS);
	return a->states && a->ents && a->sel && a->ops_tmp ? 0 : ED_ENOMEM;
}

static int agg_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct agg_op *a = (struct agg_op *)op;
	struct ed_scratch_mark m;
	int rc = agg_borrow(a, &m);
	if (rc == 0)
		rc = a->mode == AGG_SESSION ? agg_push_session(a, in) : agg_push_grouped(a, in);
	ed_scratch_release(&m);
	agg_note_state(a);
	return rc;
}

static int agg_watermark(struct ed_operator *op, int64_t wm)
{
	struct agg_op *a = (struct agg_op *)op;
	int rc = 0;
	if (wm <= a->wm)
		return 0;
	a->wm = wm;
	/* Scratch only when something may close. */
	bool work = a->mode == AGG_SESSION
			    ? a->kv.count > 0
			    : a->mode == AGG_WINDOWED && a->nwins && a->wins[0].end <= wm;
	struct ed_scratch_mark m;
	if (work && (rc = agg_borrow(a, &m))) {
		ed_scratch_release(&m);
		return rc;
	}
	if (!work)
		;
	else if (a->mode == AGG_SESSION)
		rc = session_watermark(a, wm);
	else if (a->mode == AGG_WINDOWED) {
		size_t closed = 0;
		while (rc == 0 && closed < a->nwins && a->wins[closed].end <= wm) {
			struct open_window *w = &a->wins[closed];
			for (size_t i = 0; i < w->n && rc == 0; i++) {
				struct ed_kv_entry *e = w->ents[i];
				if (a->aout.rows == a->aout.cap && (rc = emit_appends(a)))
					break;
				if (*ent_count(e) > 0)
					rc = aout_add(a, ed_kv_key(e), e->klen, ent_states(e), NULL);
			}
			if (rc == 0 && a->aout.rows)
				rc = emit_appends(a);
			for (size_t i = 0; i < w->n; i++) {
				states_fini(a, ent_states(w->ents[i]));
				ed_kv_delete(&a->kv, w->ents[i]);
			}
			ed_free(w->ents);
			closed++;
		}
		if (closed) { /* a->wins is NULL before the first window opens */
			memmove(a->wins, a->wins + closed, (a->nwins - closed) * sizeof(*a->wins));
			a->nwins -= closed;
		}
	}
	if (work)
		ed_scratch_release(&m);
	agg_note_state(a);
	return rc ? rc : ed_op_pass_watermark(op, wm);
}

static void agg_free(struct ed_operator *op)
{
	struct agg_op *a = (struct agg_op *)op;
	size_t pos = 0;
	struct ed_kv_entry *e;
	if (a->mode != AGG_SESSION)
		while ((e = ed_kv_next(&a->kv, &pos)))
			states_fini(a, ent_states(e));
	ed_kv_fini(&a->kv);
	for (size_t i = 0; i < a->nwins; i++)
		ed_free(a->wins[i].ents);
	ed_free(a->wins);
	ed_free(a->argcol);
	ed_free(a->soff);
	ed_free(a->ain_exprs);
	ed_free(a->keycols);
	ed_buf_fini(&a->key);
	ed_buf_fini(&a->scratch);
	ed_chunk_fini(&a->ain);
	ed_chunk_fini(&a->aout);
	ed_chunk_fini(&a->out);
	ed_chunk_fini(&a->emit);
	ed_chunk_fini(&a->sargs);
	ed_chunk_fini(&a->hc);
	ed_free(a);
}

int ed_op_agg_new(const struct ed_agg_spec *q, struct ed_pipe_stats *stats, struct ed_operator **out)
{
	struct agg_op *a = ed_calloc(1, sizeof(*a));
	if (!a)
		return ED_ENOMEM;
	a->op = (struct ed_operator){"aggregate", agg_push, agg_watermark, agg_free, NULL, stats};
	a->s = *q;
	a->wm = INT64_MIN;
	a->mode = q->win == ED_WIN_SESSION ? AGG_SESSION
		  : q->win != ED_WIN_NONE  ? AGG_WINDOWED
					   : AGG_UPDATING;
	ed_kv_init(&a->kv);
	ed_buf_init(&a->key);
	ed_buf_init(&a->scratch);
	uint32_t nargs = 0;
	for (uint32_t k = 0; k < q->nagg; k++)
		nargs += q->aggs[k].arg != NULL;
	a->nain = q->ngroup + nargs;
	struct ed_type *types = ed_calloc(a->nain + 1, sizeof(*types));
	a->ain_exprs = ed_calloc(a->nain + 1, sizeof(*a->ain_exprs));
	a->argcol = ed_calloc(q->nagg + 1, sizeof(uint32_t));
	a->soff = ed_calloc(q->nagg + 1, sizeof(size_t));
	a->keycols = ed_calloc(q->ngroup + 1, sizeof(uint32_t));
	int rc = ED_ENOMEM;
	if (!types || !a->ain_exprs || !a->argcol || !a->soff || !a->keycols)
		goto fail;
	for (uint32_t g = 0; g < q->ngroup; g++) {
		a->ain_exprs[g] = q->group[g];
		types[g] = ed_expr_type(q->group[g]);
		if ((int32_t)g != q->group_win_start && (int32_t)g != q->group_win_end)
			a->keycols[a->nkeycols++] = g;
	}
	uint32_t c = q->ngroup;
	size_t off = 0;
	for (uint32_t k = 0; k < q->nagg; k++) {
		a->argcol[k] = UINT32_MAX;
		if (q->aggs[k].arg) {
			a->argcol[k] = c;
			a->ain_exprs[c] = q->aggs[k].arg;
			types[c++] = ed_expr_type(q->aggs[k].arg);
		}
		a->soff[k] = off;
		off += (q->aggs[k].agg.state_size + 15) & ~(size_t)15;
	}
	a->ssize = off;
	struct ed_type ht = q->having ? ed_expr_type(q->having) : ed_type_make(ED_TYPE_BOOL);
	if ((rc = ed_chunk_init_scratch(&a->ain, types, a->nain, ED_CHUNK_MAX_ROWS)) ||
	    (rc = ed_chunk_init_scratch(&a->aout, q->agg.types, q->agg.n, ED_CHUNK_MAX_ROWS)) ||
	    (rc = ed_chunk_init_scratch(&a->out, q->out.types, q->out.n, ED_CHUNK_MAX_ROWS)) ||
	    (rc = ed_chunk_init_scratch(&a->emit, q->out.types, q->out.n, 2 * ED_CHUNK_MAX_ROWS)) ||
	    (rc = ed_chunk_init_scratch(&a->sargs, types + q->ngroup, nargs, ED_CHUNK_MAX_ROWS)) ||
	    (q->having && (rc = ed_chunk_init_scratch(&a->hc, &ht, 1, ED_CHUNK_MAX_ROWS))))
		goto fail;
	ed_free(types);
	*out = &a->op;
	return 0;
fail:
	ed_free(types);
	agg_free(&a->op);
	return rc;
}

int ed_op_window_new(const struct ed_window_spec *spec, struct ed_pipe_stats *stats,
		     struct ed_operator **out)
{
	struct win_op *w = ed_calloc(1, sizeof(*w));
	if (!w || ed_chunk_init_scratch(&w->out, spec->scan.types, spec->scan.n, ED_CHUNK_MAX_ROWS)) {
		ed_free(w);
		return ED_ENOMEM;
	}
	w->op = (struct ed_operator){"window", win_push, win_watermark, win_free, NULL, stats};
	w->s = *spec;
	w->now_us = INT64_MIN;
	*out = &w->op;
	return 0;
}

int ed_op_filter_new(struct ed_expr *pred, const struct ed_schema *in, struct ed_pipe_stats *stats,
		     struct ed_operator **out)
{
	struct filter_op *f = ed_calloc(1, sizeof(*f));
	if (!f)
		return ED_ENOMEM;
	struct ed_type bt = ed_type_make(ED_TYPE_BOOL);
	if (ed_chunk_init_scratch(&f->out, in->types, in->n, ED_CHUNK_MAX_ROWS) ||
	    ed_chunk_init_scratch(&f->pc, &bt, 1, ED_CHUNK_MAX_ROWS)) {
		filter_free(&f->op);
		return ED_ENOMEM;
	}
	f->op = (struct ed_operator){"filter",    filter_push, ed_op_pass_watermark,
				     filter_free, NULL,        stats};
	f->pred = pred;
	*out = &f->op;
	return 0;
}

int ed_op_project_new(struct ed_expr **exprs, const struct ed_schema *out_schema,
		      struct ed_pipe_stats *stats, struct ed_operator **out)
{
	struct proj_op *p = ed_calloc(1, sizeof(*p));
	if (!p ||
	    ed_chunk_init_scratch(&p->out, out_schema->types, out_schema->n, ED_CHUNK_MAX_ROWS)) {
		ed_free(p);
		return ED_ENOMEM;
	}
	p->op = (struct ed_operator){"project", proj_push, ed_op_pass_watermark,
				     proj_free, NULL,      stats};
	p->exprs = exprs;
	p->n = out_schema->n;
	*out = &p->op;
	return 0;
}
