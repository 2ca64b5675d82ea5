/* The planner: the operators of a bound continuous query (plan.h) and its
 * EXPLAIN text. The plan is a fixed chain (see plan.h); ed_plan_build turns
 * the bound query into exec's operator specs (exec/op.h) and links the
 * operators, so any node can rebuild a plan from the catalog alone;
 * ed_plan_explain renders it, innermost operator last, one line per
 * operator, indented like PostgreSQL's EXPLAIN. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "plan/catalog.h"
#include "plan/plan.h"

int ed_plan_build(const struct ed_query *q, struct ed_pipe_stats *stats, struct ed_operator **head,
		  struct ed_operator **tail, char *err, size_t errlen)
{
	struct ed_operator *first = NULL, *last = NULL, *op = NULL;
	int rc = 0;
	for (int step = 0; step < 3; step++) {
		op = NULL;
		if (step == 0 && q->win != ED_WIN_NONE) {
			struct ed_window_spec ws = {
				.win = q->win, .in = q->in, .scan = q->scan, .win_time_col = q->win_time_col,
				.win_proctime = q->win_proctime, .win_size_us = q->win_size_us,
				.win_slide_us = q->win_slide_us, .win_offset_us = q->win_offset_us,
			};
			rc = ed_op_window_new(&ws, stats, &op);
		} else if (step == 1 && q->where) {
			rc = ed_op_filter_new(q->where, &q->scan, stats, &op);
		} else if (step == 2 && q->aggregate) {
			struct ed_agg_spec as = {
				.win = q->win, .win_time_col = q->win_time_col, .win_gap_us = q->win_gap_us,
				.win_size_us = q->win_size_us,
				.ngroup = q->ngroup, .group = q->group, .group_win_start = q->group_win_start,
				.group_win_end = q->group_win_end, .nagg = q->nagg, .aggs = q->aggs, .agg = q->agg,
				.out = q->out, .having = q->having, .proj = q->proj,
			};
			rc = ed_op_agg_new(&as, stats, &op);
		} else if (step == 2) {
			rc = ed_op_project_new(q->proj, &q->out, stats, &op);
		}
		if (rc)
			goto fail;
		if (!op)
			continue;
		if (last)
			last->next = op;
		else
			first = op;
		last = op;
	}
	*head = first;
	*tail = last;
	return 0;
fail:
	ed_op_free_chain(first);
	snprintf(err, errlen, "out of memory building the plan");
	return rc;
}

static void put_interval(struct ed_buf *out, int64_t us)
{
	if (us % 1000000 == 0)
		ed_buf_printf(out, "%" PRId64 "s", us / 1000000);
	else
		ed_buf_printf(out, "%" PRId64 "ms", us / 1000);
}

static void line(struct ed_buf *out, int depth)
{
	for (int i = 0; i < depth; i++)
		ed_buf_append(out, "  ", 2);
	if (depth)
		ed_buf_append(out, "-> ", 3);
}

static void list(struct ed_buf *out, const char *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ed_buf_printf(out, "%s%s", i ? ", " : "", v[i] ? v[i] : "?");
}

void ed_plan_explain(const struct ed_query *q, const char *terminal, struct ed_buf *out)
{
	int d = 0;
	line(out, d++);
	ed_buf_printf(out, "%s\n", terminal);
	line(out, d++);
	ed_buf_printf(out, "Project: ");
	list(out, q->proj_text, q->out.n);
	ed_buf_put_u8(out, '\n');
	if (q->having_text) {
		line(out, d++);
		ed_buf_printf(out, "Filter (HAVING): %s\n", q->having_text);
	}
	if (q->aggregate) {
		line(out, d++);
		const char *mode = q->win == ED_WIN_SESSION ? "session, emit once when the watermark passes the session end"
				   : q->win != ED_WIN_NONE ? "windowed, emit once when the watermark passes window_end"
							   : "updating, emits a changelog";
		ed_buf_printf(out, "HashAggregate (%s) keys: ", mode);
		list(out, q->group_text, q->ngroup);
		ed_buf_printf(out, "; aggregates: ");
		for (uint32_t i = 0; i < q->nagg; i++)
			ed_buf_printf(out, "%s%s", i ? ", " : "", q->aggs[i].text);
		ed_buf_put_u8(out, '\n');
	}
	if (q->where_text) {
		line(out, d++);
		ed_buf_printf(out, "Filter: %s\n", q->where_text);
	}
	if (q->win != ED_WIN_NONE) {
		line(out, d++);
		const char *tc = q->win_proctime ? "PROCTIME()" : q->in.names[q->win_time_col];
		if (q->win == ED_WIN_TUMBLE) {
			ed_buf_printf(out, "Tumble (%s, size ", tc);
			put_interval(out, q->win_size_us);
		} else if (q->win == ED_WIN_HOP) {
			ed_buf_printf(out, "Hop (%s, slide ", tc);
			put_interval(out, q->win_slide_us);
			ed_buf_printf(out, ", size ");
			put_interval(out, q->win_size_us);
		} else {
			ed_buf_printf(out, "Session (%s, gap ", tc);
			put_interval(out, q->win_gap_us);
		}
		if (q->win_offset_us) {
			ed_buf_printf(out, ", offset ");
			put_interval(out, q->win_offset_us);
		}
		ed_buf_printf(out, ")\n");
	}
	line(out, d);
	const struct ed_catalog_obj *in = q->input;
	if (in->kind == ED_OBJ_SOURCE) {
		ed_buf_printf(out, "Source %s (topic %s, %s", in->name, in->source.topic,
			      in->source.format == ED_FORMAT_CSV ? "csv" : "json");
		if (in->source.time_col >= 0) {
			ed_buf_printf(out, ", watermark %s - ", in->schema.names[in->source.time_col]);
			put_interval(out, in->source.wm_delay_us);
		}
		ed_buf_printf(out, ")\n");
	} else
		ed_buf_printf(out, "Changes of materialized view %s\n", in->name);
}
