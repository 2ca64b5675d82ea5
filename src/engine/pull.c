/* Pull queries: SELECT over a view's store (scan or key lookup, WHERE,
 * projection, ORDER BY, LIMIT), and aggregating pull queries, which run the
 * bound aggregation's operators once over the view's rows. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PULL_ROWS 1000000

struct sort_ctx {
	const struct ed_pull *q;
	uint32_t ncols; /* cells per stored row: out + order keys */
};

static _Thread_local const struct sort_ctx *sort_ctx;

static int row_cmp(const void *a, const void *b)
{
	const struct ed_value *x = a, *y = b;
	const struct ed_pull *q = sort_ctx->q;
	for (uint32_t k = 0; k < q->norder; k++) {
		const struct ed_value *u = &x[q->out.n + k], *v = &y[q->out.n + k];
		int c;
		if (u->null || v->null)
			c = u->null == v->null ? 0
					       : (u->null ? 1 : -1) *
							 (q->nulls_first[k] != q->desc[k] ? -1 : 1);
		else
			c = ed_value_cmp(u, v);
		if (q->desc[k])
			c = -c;
		if (c)
			return c;
	}
	return 0;
}

static int pull_batch(struct exec *x, const struct ed_pull *q, struct ed_chunk *in,
		      struct ed_chunk *out, struct ed_value **rows, uint32_t *nrows, uint32_t *cap,
		      uint32_t width)
{
	uint8_t sel[ED_CHUNK_MAX_ROWS];
	struct ed_expr_error xe = {.row = -1};
	if (q->where && ed_expr_filter(q->where, in, sel, &xe) != 0)
		return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s", xe.message);
	if (!q->where)
		memset(sel, 1, in->rows);
	for (uint32_t k = 0; k < q->out.n + q->norder; k++) {
		struct ed_expr *e = k < q->out.n ? q->proj[k] : q->order[k - q->out.n];
		if (ed_expr_eval(e, in, sel, &out->cols[k], &out->arena, &xe) != 0)
			return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s",
				     xe.message);
	}
	for (uint32_t i = 0; i < in->rows; i++) {
		if (!sel[i])
			continue;
		if (*nrows == MAX_PULL_ROWS)
			return xfail(x, UINT32_MAX, "54000",
				     "a pull query may return at most %u rows (add a WHERE or LIMIT)",
				     MAX_PULL_ROWS);
		if (*nrows == *cap) {
			uint32_t nc = *cap ? *cap * 2 : 64;
			struct ed_value *n = ed_arena_alloc(&x->res->arena,
							    (size_t)nc * width * sizeof(*n));
			if (!n)
				return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY,
					     "out of memory");
			if (*nrows)
				memcpy(n, *rows, (size_t)*nrows * width * sizeof(*n));
			*rows = n;
			*cap = nc;
		}
		struct ed_value *row = *rows + (size_t)(*nrows)++ * width;
		for (uint32_t k = 0; k < width; k++) {
			ed_row_get(&out->cols[k], i, &row[k]);
			if (!row[k].null && row[k].type.id == ED_TYPE_TEXT) {
				char *c = ed_arena_memdup(&x->res->arena, row[k].v.s.ptr,
							  row[k].v.s.len ? row[k].v.s.len : 1);
				if (!c)
					return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY,
						     "out of memory");
				row[k].v.s.ptr = c;
			}
		}
	}
	ed_chunk_reset(in);
	ed_chunk_reset(out);
	return 0;
}

/* Every row of a store (with its multiplicity) through pull_batch. */
static int pull_scan(struct exec *x, const struct ed_pull *q, struct ed_kv *kv, struct ed_chunk *in,
		     struct ed_chunk *out, struct ed_value **rows, uint32_t *nrows, uint32_t *cap,
		     uint32_t width)
{
	size_t pos = 0;
	struct ed_kv_entry *e;
	int rc = 0;
	while (rc == 0 && (e = ed_kv_next(kv, &pos))) {
		int64_t cnt = *(int64_t *)ed_kv_value(e);
		for (int64_t k = 0; k < cnt && rc == 0; k++) {
			uint32_t i = in->rows++;
			ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, in, i, 0, in->ncols, NULL);
			in->ops[i] = ED_OP_INSERT;
			if (in->rows == in->cap)
				rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
		}
	}
	if (rc == 0 && in->rows)
		rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
	return rc;
}

/* The terminal of an aggregating pull query: the aggregation's changes
 * applied to a private store. */
struct collect_op {
	struct ed_operator op;
	const struct ed_query *q;
	struct ed_kv kv;
	struct ed_buf kb, vb;
	_Atomic int64_t rows;
};

static int collect_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct collect_op *c = (struct collect_op *)op;
	return store_apply(&c->kv, &c->kb, &c->vb, c->q->nkey, c->q->key, in, &c->rows);
}

/* The one row of an aggregation without GROUP BY over no rows (COUNT 0,
 * SUM NULL, ...), HAVING permitting, into row 0 of in. */
static int pull_empty_aggregate(struct exec *x, const struct ed_query *aq, struct ed_chunk *in)
{
	struct ed_chunk ac;
	struct ed_expr_error xe = {.row = -1};
	if (ed_chunk_init(&ac, aq->agg.types, aq->agg.n, 1))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int rc = 0;
	ac.rows = 1;
	ac.ops[0] = ED_OP_INSERT;
	for (uint32_t k = 0; k < aq->nagg && rc == 0; k++) {
		const struct ed_agg *ag = &aq->aggs[k].agg;
		void *st = ed_calloc(1, ag->state_size ? ag->state_size : 1);
		if (!st) {
			rc = ED_ENOMEM;
			break;
		}
		ag->init(ag, st);
		rc = ag->result(ag, st, &ac.cols[k], 0, &ac.arena, &xe);
		ag->fini(ag, st);
		ed_free(st);
	}
	uint8_t sel[1] = {1};
	if (rc == 0 && aq->having)
		rc = ed_expr_filter(aq->having, &ac, sel, &xe);
	for (uint32_t k = 0; k < aq->out.n && rc == 0 && sel[0]; k++)
		rc = ed_expr_eval(aq->proj[k], &ac, NULL, &in->cols[k], &in->arena, &xe);
	if (rc == 0 && sel[0]) {
		in->rows = 1;
		in->ops[0] = ED_OP_INSERT;
	}
	ed_chunk_fini(&ac);
	if (rc == ED_ENOMEM)
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (rc)
		return xfail(x, UINT32_MAX, xe.sqlstate[0] ? xe.sqlstate : "XX000", "%s", xe.message);
	return 0;
}

/* GROUP BY / aggregates / DISTINCT over a view: the bound aggregation's
 * operators run once over the view's rows (read under its lock) into a
 * private store, whose rows then go through ORDER BY / LIMIT. A row the
 * aggregation rejects (overflow) fails the query. */
static int pull_grouped(struct exec *x, const struct ed_pull *q, struct ed_view_rt *v,
			struct ed_chunk *in, struct ed_chunk *out, struct ed_value **rows,
			uint32_t *nrows, uint32_t *cap, uint32_t width)
{
	const struct ed_query *aq = q->agg;
	struct ed_pipe_stats stats;
	memset(&stats, 0, sizeof(stats));
	struct ed_operator *head = NULL, *tail = NULL;
	struct collect_op col;
	memset(&col, 0, sizeof(col));
	col.op = (struct ed_operator){"collect", collect_push, noop_watermark, NULL, NULL, &stats};
	col.q = aq;
	ed_kv_init(&col.kv);
	ed_buf_init(&col.kb);
	ed_buf_init(&col.vb);
	struct ed_chunk vin;
	bool vin_ok = false;
	char err[256] = "";
	int rc = ed_plan_build(aq, &stats, &head, &tail, err, sizeof(err));
	if (rc) {
		rc = xfail(x, UINT32_MAX, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "XX000",
			   "%s", err);
		goto out;
	}
	if (tail)
		tail->next = &col.op;
	struct ed_operator *first = head ? head : &col.op;
	if ((rc = ed_chunk_init(&vin, aq->in.types, aq->in.n, ED_CHUNK_MAX_ROWS))) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	vin_ok = true;
	pthread_rwlock_rdlock(&v->lock);
	size_t pos = 0;
	struct ed_kv_entry *e;
	while (rc == 0 && (e = ed_kv_next(&v->kv, &pos))) {
		int64_t cnt = *(int64_t *)ed_kv_value(e);
		for (int64_t k = 0; k < cnt && rc == 0; k++) {
			uint32_t i = vin.rows++;
			ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &vin, i, 0, vin.ncols,
				      &vin.arena);
			vin.ops[i] = ED_OP_INSERT;
			if (vin.rows == vin.cap) {
				rc = ed_op_push(first, &vin);
				ed_chunk_reset(&vin);
			}
		}
	}
	if (rc == 0)
		rc = ed_op_push(first, &vin);
	pthread_rwlock_unlock(&v->lock);
	if (rc) {
		rc = xfail(x, UINT32_MAX, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "XX000",
			   "aggregation: %s", ed_err_str(rc));
		goto out;
	}
	if (atomic_load(&stats.bad_rows)) {
		const char *m = stats.last_error;
		char state[6] = "22000";
		if (strlen(m) > 7 && m[5] == ':') {
			memcpy(state, m, 5);
			m += 7;
		}
		rc = xfail(x, UINT32_MAX, state, "%s", m);
		goto out;
	}
	if (aq->ngroup == 0 && atomic_load(&col.rows) == 0)
		rc = pull_empty_aggregate(x, aq, in);
	if (rc == 0 && in->rows)
		rc = pull_batch(x, q, in, out, rows, nrows, cap, width);
	if (rc == 0)
		rc = pull_scan(x, q, &col.kv, in, out, rows, nrows, cap, width);
out:
	if (tail)
		tail->next = NULL;
	ed_op_free_chain(head);
	if (vin_ok)
		ed_chunk_fini(&vin);
	ed_kv_fini(&col.kv);
	ed_buf_fini(&col.kb);
	ed_buf_fini(&col.vb);
	return rc;
}

int pull_query(struct exec *x, const struct ed_sql_select *sel)
{
	struct ed_engine *eng = x->s->eng;
	struct ed_pull q;
	int rc = ed_bind_pull(&x->s->arena, &eng->cat, sel, x->text, x->len, &q, x->err);
	if (rc)
		return rc;
	struct ed_result *r = x->res;
	uint32_t width = q.out.n + q.norder;
	struct ed_type *wtypes = ed_arena_alloc(&x->s->arena, (width + 1) * sizeof(*wtypes));
	if (!wtypes || res_cols(r, q.out.n, q.out.names, q.out.types))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (uint32_t k = 0; k < width; k++)
		wtypes[k] = k < q.out.n ? q.out.types[k] : ed_expr_type(q.order[k - q.out.n]);
	struct ed_chunk in, out;
	bool in_ok = false, out_ok = false;
	struct ed_value *rows = NULL;
	uint32_t nrows = 0, cap = 0;
	if (!q.view) {
		/* SELECT without FROM: one row over no columns. */
		struct ed_type none = ed_type_make(ED_TYPE_INT32);
		if ((rc = ed_chunk_init(&in, &none, 1, 1)))
			goto oom;
		in_ok = true;
		in.rows = 1;
		in.cols[0].nulls[0] = 1;
		in.ops[0] = ED_OP_INSERT;
	} else {
		if ((rc = ed_chunk_init(&in, q.in.types, q.in.n, ED_CHUNK_MAX_ROWS)))
			goto oom;
		in_ok = true;
	}
	if ((rc = ed_chunk_init(&out, wtypes, width, ED_CHUNK_MAX_ROWS)))
		goto oom;
	out_ok = true;
	if (!q.view) {
		rc = pull_batch(x, &q, &in, &out, &rows, &nrows, &cap, width);
	} else if (q.agg) {
		rc = pull_grouped(x, &q, ((struct ed_pipe *)q.view->rt)->view, &in, &out, &rows,
				  &nrows, &cap, width);
	} else {
		struct ed_pipe *p = q.view->rt;
		struct ed_view_rt *v = p->view;
		pthread_rwlock_rdlock(&v->lock);
		if (q.lookup) {
			struct ed_buf kb;
			ed_buf_init(&kb);
			ed_row_encode_values(&kb, q.lookup, q.view->nkey);
			struct ed_kv_entry *e = kb.err ? NULL
						       : ed_kv_find(&v->kv, kb.data, (uint32_t)kb.len,
								    ed_kv_hash(kb.data, kb.len));
			if (e) {
				ed_row_decode(ed_kv_value(e) + 8, e->vlen - 8, &in, 0, 0, in.ncols,
					      &in.arena);
				in.ops[0] = ED_OP_INSERT;
				in.rows = 1;
				rc = pull_batch(x, &q, &in, &out, &rows, &nrows, &cap, width);
			}
			ed_buf_fini(&kb);
		} else {
			rc = pull_scan(x, &q, &v->kv, &in, &out, &rows, &nrows, &cap, width);
		}
		pthread_rwlock_unlock(&v->lock);
	}
	if (rc)
		goto done;
	if (q.norder && nrows > 1) {
		struct sort_ctx sc = {&q, width};
		sort_ctx = &sc;
		qsort(rows, nrows, width * sizeof(struct ed_value), row_cmp);
	}
	uint32_t first = q.offset < (int64_t)nrows ? (uint32_t)q.offset : nrows;
	uint32_t last = q.limit >= 0 && (int64_t)first + q.limit < (int64_t)nrows
				? first + (uint32_t)q.limit
				: nrows;
	r->nrows = last - first;
	r->rows = ed_arena_alloc(&r->arena,
				 ((size_t)r->nrows * q.out.n + 1) * sizeof(struct ed_value));
	if (!r->rows)
		goto oom;
	for (uint32_t i = 0; i < r->nrows; i++)
		memcpy(&r->rows[(size_t)i * q.out.n], &rows[(size_t)(first + i) * width],
		       q.out.n * sizeof(struct ed_value));
	snprintf(r->tag, sizeof(r->tag), "SELECT %u", r->nrows);
	goto done;
oom:
	rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
done:
	if (in_ok)
		ed_chunk_fini(&in);
	if (out_ok)
		ed_chunk_fini(&out);
	return rc;
}
