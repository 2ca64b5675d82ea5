/* The planner: the operator graph of bound continuous queries (plan.h), the
 * exec operators made from it, and its EXPLAIN text.
 *
 * The graph is a DAG of nodes with inputs (ports 0, 1, ...) and outputs:
 * an input node (a source, or the changes of a view), operators, and a
 * terminal (view store, sink, pull-query collector). Nodes are kept in
 * creation order, every node after its inputs (a topological order), so a
 * barrier (checkpoints) can be sent through it in one pass and a
 * two-input operator (joins) is a node with nin == 2. An input node is
 * shared: adding a second query over the same source adds an output to the
 * same source node, which is what the engine runs as the source's one
 * reader. Operators are instantiated from the path that ends at a terminal
 * (ed_plan_build_path); any node can rebuild a plan from the catalog alone. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "plan/catalog.h"
#include "plan/plan.h"

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

/* ---- the graph --------------------------------------------------------------------------- */

void ed_plan_graph_init(struct ed_plan_graph *g, struct ed_arena *arena)
{
	memset(g, 0, sizeof(*g));
	g->arena = arena;
}

struct ed_plan_node *ed_plan_node_add(struct ed_plan_graph *g, enum ed_node_kind kind,
				      const char *text)
{
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 16;
		struct ed_plan_node **n = ed_arena_alloc(g->arena, cap * sizeof(*n));
		if (!n)
			return NULL;
		if (g->n)
			memcpy(n, g->nodes, g->n * sizeof(*n));
		g->nodes = n;
		g->cap = cap;
	}
	struct ed_plan_node *nd = ed_arena_alloc(g->arena, sizeof(*nd));
	if (!nd)
		return NULL;
	memset(nd, 0, sizeof(*nd));
	nd->id = g->n;
	nd->kind = kind;
	nd->text = text;
	g->nodes[g->n++] = nd;
	return nd;
}

int ed_plan_link(struct ed_plan_graph *g, struct ed_plan_node *from, struct ed_plan_node *to)
{
	if (to->nin == ED_NODE_MAX_INPUTS)
		return ED_EINVAL;
	if (from->nout == from->outcap) {
		uint32_t cap = from->outcap ? from->outcap * 2 : 4;
		struct ed_plan_node **n = ed_arena_alloc(g->arena, cap * sizeof(*n));
		if (!n)
			return ED_ENOMEM;
		if (from->nout)
			memcpy(n, from->out, from->nout * sizeof(*n));
		from->out = n;
		from->outcap = cap;
	}
	from->out[from->nout++] = to;
	to->in[to->nin++] = from;
	return 0;
}

/* EXPLAIN text of a node (arena-allocated). */
static const char *node_text(struct ed_plan_graph *g, enum ed_node_kind kind,
			     const struct ed_query *q)
{
	struct ed_buf b;
	ed_buf_init(&b);
	const struct ed_catalog_obj *in = q->input;
	switch (kind) {
	case ED_NODE_SOURCE:
		ed_buf_printf(&b, "Source %s (topic %s, %s", in->name, in->source.topic,
			      in->source.format == ED_FORMAT_CSV ? "csv" : "json");
		if (in->source.time_col >= 0) {
			ed_buf_printf(&b, ", watermark %s - ", in->schema.names[in->source.time_col]);
			put_interval(&b, in->source.wm_delay_us);
		}
		ed_buf_printf(&b, ")");
		break;
	case ED_NODE_VIEW_CHANGES:
		ed_buf_printf(&b, "Changes of materialized view %s", in->name);
		break;
	case ED_NODE_WINDOW: {
		const char *tc = q->win_proctime ? "PROCTIME()" : q->in.names[q->win_time_col];
		if (q->win == ED_WIN_TUMBLE) {
			ed_buf_printf(&b, "Tumble (%s, size ", tc);
			put_interval(&b, q->win_size_us);
		} else if (q->win == ED_WIN_HOP) {
			ed_buf_printf(&b, "Hop (%s, slide ", tc);
			put_interval(&b, q->win_slide_us);
			ed_buf_printf(&b, ", size ");
			put_interval(&b, q->win_size_us);
		} else {
			ed_buf_printf(&b, "Session (%s, gap ", tc);
			put_interval(&b, q->win_gap_us);
		}
		if (q->win_offset_us) {
			ed_buf_printf(&b, ", offset ");
			put_interval(&b, q->win_offset_us);
		}
		ed_buf_printf(&b, ")");
		break;
	}
	case ED_NODE_FILTER:
		ed_buf_printf(&b, "Filter: %s", q->where_text);
		break;
	case ED_NODE_AGGREGATE: {
		const char *mode = q->win == ED_WIN_SESSION
					   ? "session, emit once when the watermark passes the session end"
				   : q->win != ED_WIN_NONE
					   ? "windowed, emit once when the watermark passes window_end"
					   : "updating, emits a changelog";
		ed_buf_printf(&b, "HashAggregate (%s) keys: ", mode);
		list(&b, q->group_text, q->ngroup);
		ed_buf_printf(&b, "; aggregates: ");
		for (uint32_t i = 0; i < q->nagg; i++)
			ed_buf_printf(&b, "%s%s", i ? ", " : "", q->aggs[i].text);
		break;
	}
	case ED_NODE_HAVING:
		ed_buf_printf(&b, "Filter (HAVING): %s", q->having_text);
		break;
	case ED_NODE_PROJECT:
		ed_buf_printf(&b, "Project: ");
		list(&b, q->proj_text, q->out.n);
		break;
	default:
		break;
	}
	const char *s = b.err ? NULL : ed_arena_strndup(g->arena, (const char *)b.data, b.len);
	ed_buf_fini(&b);
	return s;
}

static struct ed_plan_node *op_node(struct ed_plan_graph *g, enum ed_node_kind kind,
				    const struct ed_query *q, struct ed_plan_node **prev)
{
	const char *t = node_text(g, kind, q);
	struct ed_plan_node *n = t ? ed_plan_node_add(g, kind, t) : NULL;
	if (!n)
		return NULL;
	n->q = q;
	if (*prev && ed_plan_link(g, *prev, n) != 0)
		return NULL;
	*prev = n;
	return n;
}

int ed_plan_add_query(struct ed_plan_graph *g, const struct ed_query *q, enum ed_node_kind terminal,
		      const char *terminal_text, struct ed_plan_node **term)
{
	const struct ed_catalog_obj *in = q->input;
	enum ed_node_kind ik = in->kind == ED_OBJ_SOURCE ? ED_NODE_SOURCE : ED_NODE_VIEW_CHANGES;
	struct ed_plan_node *prev = NULL;
	for (uint32_t i = 0; i < g->n && !prev; i++)
		if (g->nodes[i]->kind == ik && g->nodes[i]->input == in)
			prev = g->nodes[i];
	if (!prev) {
		struct ed_plan_node *src = NULL;
		if (!op_node(g, ik, q, &src))
			return ED_ENOMEM;
		src->q = NULL;
		src->input = in;
		prev = src;
	}
	if ((q->win != ED_WIN_NONE && !op_node(g, ED_NODE_WINDOW, q, &prev)) ||
	    (q->where && !op_node(g, ED_NODE_FILTER, q, &prev)) ||
	    (q->aggregate && !op_node(g, ED_NODE_AGGREGATE, q, &prev)) ||
	    (q->aggregate && q->having && !op_node(g, ED_NODE_HAVING, q, &prev)) ||
	    !op_node(g, ED_NODE_PROJECT, q, &prev))
		return ED_ENOMEM;
	struct ed_plan_node *t = ed_plan_node_add(g, terminal, terminal_text);
	if (!t || ed_plan_link(g, prev, t) != 0)
		return ED_ENOMEM;
	*term = t;
	return 0;
}

/* ---- operators ------------------------------------------------------------------------------ */

/* The exec operator of one node; HAVING and the projection after an
 * aggregate are part of the aggregate operator (NULL here). */
static int node_operator(const struct ed_plan_node *n, struct ed_pipe_stats *stats,
			 struct ed_operator **op)
{
	const struct ed_query *q = n->q;
	*op = NULL;
	switch (n->kind) {
	case ED_NODE_WINDOW: {
		struct ed_window_spec ws = {
			.win = q->win,
			.in = q->in,
			.scan = q->scan,
			.win_time_col = q->win_time_col,
			.win_proctime = q->win_proctime,
			.win_size_us = q->win_size_us,
			.win_slide_us = q->win_slide_us,
			.win_offset_us = q->win_offset_us,
		};
		return ed_op_window_new(&ws, stats, op);
	}
	case ED_NODE_FILTER:
		return ed_op_filter_new(q->where, &q->scan, stats, op);
	case ED_NODE_AGGREGATE: {
		struct ed_agg_spec as = {
			.win = q->win,
			.win_time_col = q->win_time_col,
			.win_gap_us = q->win_gap_us,
			.win_size_us = q->win_size_us,
			.ngroup = q->ngroup,
			.group = q->group,
			.group_win_start = q->group_win_start,
			.group_win_end = q->group_win_end,
			.nagg = q->nagg,
			.aggs = q->aggs,
			.agg = q->agg,
			.out = q->out,
			.having = q->having,
			.proj = q->proj,
		};
		return ed_op_agg_new(&as, stats, op);
	}
	case ED_NODE_PROJECT:
		return q->aggregate ? 0 : ed_op_project_new(q->proj, &q->out, stats, op);
	default:
		return 0;
	}
}

int ed_plan_build_path(const struct ed_plan_node *term, struct ed_pipe_stats *stats,
		       struct ed_operator **head, struct ed_operator **tail, char *err, size_t errlen)
{
	const struct ed_plan_node *path[16];
	uint32_t n = 0;
	for (const struct ed_plan_node *nd = term->nin ? term->in[0] : NULL; nd && nd->q;
	     nd = nd->nin ? nd->in[0] : NULL) {
		if (nd->nin > 1 || n == sizeof(path) / sizeof(path[0])) {
			snprintf(err, errlen, "operators with several inputs are not supported yet");
			return ED_EINVAL;
		}
		path[n++] = nd;
	}
	struct ed_operator *first = NULL, *last = NULL;
	int rc = 0;
	while (n-- > 0) {
		struct ed_operator *op;
		if ((rc = node_operator(path[n], stats, &op)))
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

int ed_plan_build(const struct ed_query *q, struct ed_pipe_stats *stats, struct ed_operator **head,
		  struct ed_operator **tail, char *err, size_t errlen)
{
	struct ed_arena arena;
	struct ed_plan_graph g;
	struct ed_plan_node *term;
	ed_arena_init(&arena, 4096);
	ed_plan_graph_init(&g, &arena);
	int rc = ed_plan_add_query(&g, q, ED_NODE_MATERIALIZE, "", &term);
	if (rc)
		snprintf(err, errlen, "out of memory building the plan");
	else
		rc = ed_plan_build_path(term, stats, head, tail, err, errlen);
	ed_arena_fini(&arena);
	return rc;
}

/* ---- EXPLAIN --------------------------------------------------------------------------------- */

static void explain_node(const struct ed_plan_node *n, const struct ed_plan_node *from, int depth,
			 struct ed_buf *out)
{
	line(out, depth);
	ed_buf_printf(out, "%s", n->text);
	/* A node feeding several pipelines (a source's shared reader): name
	 * the other terminals it feeds. */
	if (n->nout > 1) {
		ed_buf_printf(out, " [shared: also feeds");
		uint32_t k = 0;
		for (uint32_t i = 0; i < n->nout; i++) {
			if (n->out[i] == from)
				continue;
			const struct ed_plan_node *t = n->out[i];
			while (t->nout)
				t = t->out[0];
			ed_buf_printf(out, "%s %s", k++ ? "," : "", t->name ? t->name : t->text);
		}
		ed_buf_printf(out, "]");
	}
	ed_buf_put_u8(out, '\n');
	for (uint32_t i = 0; i < n->nin; i++)
		explain_node(n->in[i], n, depth + 1, out);
}

void ed_plan_explain(const struct ed_plan_node *root, struct ed_buf *out)
{
	explain_node(root, NULL, 0, out);
}
