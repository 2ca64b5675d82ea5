/* Bound statements: what the binder (binder.c) makes of an AST once names,
 * types, functions, windows and aggregates are resolved against the catalog,
 * and what the planner (planner.c) turns into operators. Everything here is
 * allocated from one arena (the plan's) and is immutable after binding.
 *
 * A continuous query is one path of the operator graph (below):
 *
 *   input (source or view) -> [window assign] -> [filter] -> [aggregate]
 *         -> [having] -> project -> (view store | sink)
 *
 * and the input node is shared by every query over the same input.
 *
 * Column numbering ("schemas"):
 *   scan:   the input's columns, then window_start, window_end for TUMBLE/HOP
 *   agg:    group keys 0..ngroup-1, then aggregates (ngroup..ngroup+nagg-1),
 *           then for SESSION window_start, window_end
 *   output: the SELECT list
 * where/group/agg args are expressions over scan; having and the output
 * expressions over agg (or over scan when there is no aggregation). */
#ifndef ED_SQL_PLAN_H
#define ED_SQL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "exec/agg.h"
#include "exec/expr.h"
#include "exec/op.h"
#include "exec/schema.h"
#include "exec/types.h"
#include "sql/ast.h"
#include "sql/sql.h"

struct ed_catalog;
struct ed_catalog_obj;

enum ed_startup { ED_STARTUP_EARLIEST = 1, ED_STARTUP_LATEST };

/* CREATE SOURCE, bound. */
struct ed_source_def {
	const char *topic;
	enum ed_format format;
	enum ed_startup startup;
	int32_t partitions;      /* to create the topic with if missing */
	const char *late_topic;  /* late.events.topic, NULL = count only */
	const char *dlq_topic;   /* dead.letter.topic, NULL = count and skip */
	int64_t idle_timeout_ms; /* -1 = engine default */
	int32_t time_col;        /* WATERMARK FOR column, -1 if none */
	int64_t wm_delay_us;     /* ts - delay */
	char csv_delim;
	bool csv_header; /* skip a first record equal to the column names */
};

/* CREATE SINK options, bound. */
struct ed_sink_def {
	const char *topic;
	enum ed_format format;
	int32_t partitions;
};

/* A bound continuous query (CREATE MATERIALIZED VIEW / CREATE SINK AS). */
struct ed_query {
	struct ed_catalog_obj *input; /* source or view read */
	struct ed_schema in;          /* input columns */
	struct ed_schema scan;
	enum ed_window_kind win;
	int32_t win_time_col; /* in scan (proctime: window_start) */
	bool win_proctime;    /* PROCTIME(): arrival time, closed by the engine clock */
	int64_t win_size_us, win_slide_us, win_offset_us, win_gap_us;
	struct ed_expr *where; /* NULL if none */
	const char *where_text;
	uint32_t ngroup;
	struct ed_expr **group;
	const char **group_text;
	uint32_t nagg;
	struct ed_agg_call *aggs;
	bool aggregate;          /* GROUP BY or aggregates present */
	struct ed_schema agg;    /* agg-schema column names/types */
	int32_t group_win_end;   /* group index holding window_end, -1 */
	int32_t group_win_start; /* group index holding window_start, -1 */
	struct ed_expr *having;
	const char *having_text;
	struct ed_schema out;
	struct ed_expr **proj; /* out.n expressions */
	const char **proj_text;
	/* Output columns forming the view's primary key (the group keys that
	 * appear in the SELECT list); nkey == 0: rows are keyed by their
	 * whole value (a multiset). */
	uint32_t nkey;
	uint32_t *key;
	bool append_only; /* windowed aggregate or projection of an append-only input */
	bool input_is_view;
};

/* A bound pull query: SELECT ... FROM view [WHERE] [GROUP BY] [HAVING]
 * [ORDER BY] [LIMIT]. */
struct ed_pull {
	struct ed_catalog_obj *view;
	struct ed_schema in;   /* the view's columns */
	struct ed_expr *where; /* over in; NULL if none */
	struct ed_schema out;
	struct ed_expr **proj; /* over in */
	uint32_t norder;
	struct ed_expr **order; /* over in */
	bool *desc;
	bool *nulls_first;
	int64_t limit; /* -1 = none */
	int64_t offset;
	/* When WHERE fixes every key column with `key = constant`, the key
	 * values to look up (in the view's key order); NULL otherwise. */
	struct ed_value *lookup;
	/* GROUP BY / aggregates / DISTINCT: the SELECT as a continuous query
	 * over the view, run once over its rows; in, out are then its output
	 * columns, proj the identity, where NULL (it is inside agg), order over
	 * the output. NULL for a plain pull query. */
	struct ed_query *agg;
};

/* Binding. All errors fill err (SQLSTATE, position against text) and return
 * ED_EINVAL (or ED_ENOMEM: 53200). The statement's AST stays owned by the
 * caller; bound structures are allocated from arena. */
int ed_bind_source(struct ed_arena *arena, const struct ed_sql_stmt *stmt, const char *text,
		   size_t len, struct ed_schema *schema, struct ed_source_def *def,
		   struct ed_sql_error *err);
int ed_bind_sink_options(struct ed_arena *arena, struct ed_sql_option **opts, uint32_t nopts,
			 const char *text, size_t len, struct ed_sink_def *def,
			 struct ed_sql_error *err);
int ed_bind_query(struct ed_arena *arena, struct ed_catalog *cat, const struct ed_sql_select *sel,
		  const char *text, size_t len, struct ed_query *q, struct ed_sql_error *err);
int ed_bind_pull(struct ed_arena *arena, struct ed_catalog *cat, const struct ed_sql_select *sel,
		 const char *text, size_t len, struct ed_pull *q, struct ed_sql_error *err);
/* SQL type of an AST type. */
struct ed_type ed_bind_type(const struct ed_sql_type *t);

/* ---- the operator graph (planner.c) ---------------------------------------------------------- */

enum ed_node_kind {
	ED_NODE_SOURCE = 1,   /* a source: the engine's one reader for it */
	ED_NODE_VIEW_CHANGES, /* the change stream of a materialized view */
	ED_NODE_WINDOW,
	ED_NODE_FILTER,
	ED_NODE_AGGREGATE,
	ED_NODE_HAVING,      /* run inside the aggregate operator */
	ED_NODE_PROJECT,     /* inside the aggregate operator after one */
	ED_NODE_MATERIALIZE, /* terminals: view store, sink, pull-query result */
	ED_NODE_SINK,
	ED_NODE_RESULT,
};

#define ED_NODE_MAX_INPUTS 2 /* two-input operators: joins */

struct ed_plan_node {
	uint32_t id; /* index in the graph's node list */
	enum ed_node_kind kind;
	const char *text;                            /* EXPLAIN line */
	const char *name;                            /* terminals: the object they belong to */
	const struct ed_catalog_obj *input;          /* SOURCE / VIEW_CHANGES */
	const struct ed_query *q;                    /* operators: the bound query they come from */
	struct ed_plan_node *in[ED_NODE_MAX_INPUTS]; /* inputs, by port */
	uint32_t nin;
	struct ed_plan_node **out; /* outputs */
	uint32_t nout, outcap;
};

/* A DAG of plan nodes, allocated from arena. nodes is in creation order,
 * every node after its inputs (topological), so a barrier can go through
 * it in one pass. */
struct ed_plan_graph {
	struct ed_arena *arena;
	struct ed_plan_node **nodes;
	uint32_t n, cap;
};

void ed_plan_graph_init(struct ed_plan_graph *g, struct ed_arena *arena);
/* A new node with no edges (NULL: out of memory). */
struct ed_plan_node *ed_plan_node_add(struct ed_plan_graph *g, enum ed_node_kind kind,
				      const char *text);
/* An edge from -> to on to's next input port. 0, ED_ENOMEM, ED_EINVAL (to
 * has all its inputs). */
int ed_plan_link(struct ed_plan_graph *g, struct ed_plan_node *from, struct ed_plan_node *to);
/* Adds the pipeline of q to g: its input node (the existing one for that
 * source or view if g has it: one source node feeds every pipeline of the
 * source), its operators, and a terminal of the given kind and EXPLAIN
 * text, returned in *term. 0 or ED_ENOMEM. */
int ed_plan_add_query(struct ed_plan_graph *g, const struct ed_query *q, enum ed_node_kind terminal,
		      const char *terminal_text, struct ed_plan_node **term);
/* The exec operators of the path that ends at terminal term (after the
 * input node, before the terminal), linked through ->next, head first. The
 * operators point into the bound query, which must outlive them. 0,
 * ED_ENOMEM, or ED_EINVAL for a node with several inputs (not executable
 * yet); err says why. */
int ed_plan_build_path(const struct ed_plan_node *term, struct ed_pipe_stats *stats,
		       struct ed_operator **head, struct ed_operator **tail, char *err,
		       size_t errlen);

/* Builds the operator chain of q (after the input, before the terminal):
 * window assignment, filter, aggregation or projection, linked through
 * ->next (head first). The operators point into q, which must outlive them.
 * 0, ED_ENOMEM (err says why). */
int ed_plan_build(const struct ed_query *q, struct ed_pipe_stats *stats, struct ed_operator **head,
		  struct ed_operator **tail, char *err, size_t errlen);

/* EXPLAIN text of the graph from root (a terminal) down through the
 * inputs, one line per node, indented like PostgreSQL's EXPLAIN; a node
 * with several outputs names the other terminals it feeds. */
void ed_plan_explain(const struct ed_plan_node *root, struct ed_buf *out);

#endif
