/* SHOW (topics, sources, views, sinks, variables), DESCRIBE and EXPLAIN. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

int show_objects(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	enum ed_sql_object_kind k = st->u.show_objects.object;
	if (k == ED_SQL_OBJ_TOPIC) {
		static const char *const names[] = {"name", "partitions"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1}};
		char **tn;
		size_t n;
		if (res_cols(r, 2, names, types) || ed_log_topic_names(eng->log, &tn, &n))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct ed_value *row = res_row(r, &cap);
			struct ed_topic *t = ed_log_topic_get(eng->log, tn[i]);
			if (!row)
				break;
			text_cell(r, &row[0], tn[i]);
			int_cell(&row[1], t ? ed_topic_partition_count(t) : 0);
			if (t)
				ed_topic_unref(t);
		}
		ed_log_names_free(tn, n);
	} else if (k == ED_SQL_OBJ_SOURCE) {
		static const char *const names[] = {"name",     "topic",        "format",
						    "records",  "late_records", "bad_records",
						    "watermark"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_TIMESTAMP, 0, 0, -1}};
		if (res_cols(r, 7, names, types))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
			if (o->kind != ED_OBJ_SOURCE)
				continue;
			struct ed_source_rt *srt = o->rt;
			struct ed_value *row = res_row(r, &cap);
			if (!row)
				break;
			text_cell(r, &row[0], o->name);
			text_cell(r, &row[1], o->source.topic);
			text_cell(r, &row[2], o->source.format == ED_FORMAT_CSV ? "csv" : "json");
			int_cell(&row[3], atomic_load(&srt->records));
			int_cell(&row[4], atomic_load(&srt->late));
			int_cell(&row[5], atomic_load(&srt->bad));
			int64_t wm = atomic_load(&srt->watermark_us);
			row[6].type = ed_type_make(ED_TYPE_TIMESTAMP);
			row[6].null = wm == INT64_MIN;
			row[6].v.i = wm;
		}
	} else {
		enum ed_obj_kind want = k == ED_SQL_OBJ_VIEW ? ED_OBJ_VIEW : ED_OBJ_SINK;
		static const char *const names[] = {"name", "input", "rows_out", "bad_rows",
						    "last_error"};
		static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_TEXT, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_INT64, 0, 0, -1},
						       {ED_TYPE_TEXT, 0, 0, -1}};
		if (res_cols(r, 5, names, types))
			return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		for (struct ed_catalog_obj *o = eng->cat.head; o; o = o->next) {
			if (o->kind != want)
				continue;
			struct ed_pipe *p = o->rt;
			struct ed_value *row = res_row(r, &cap);
			if (!row)
				break;
			text_cell(r, &row[0], o->name);
			text_cell(r, &row[1], o->input->name);
			int_cell(&row[2], atomic_load(&p->stats.rows_out));
			int_cell(&row[3], atomic_load(&p->stats.bad_rows));
			text_cell(r, &row[4], p->stats.last_error[0] ? p->stats.last_error : NULL);
		}
	}
	snprintf(r->tag, sizeof(r->tag), "SHOW");
	return 0;
}

int describe(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	const struct ed_sql_name *name = &st->u.name;
	struct ed_catalog_obj *o = name->n == 1 ? ed_catalog_find(&eng->cat, name->parts[0]) : NULL;
	if (!o)
		return xfail(x, name->loc, "42P01", "relation \"%s\" does not exist",
			     name->parts[name->n - 1]);
	static const char *const names[] = {"column", "type", "key"};
	static const struct ed_type types[] = {{ED_TYPE_TEXT, 0, 0, -1},
					       {ED_TYPE_TEXT, 0, 0, -1},
					       {ED_TYPE_BOOL, 0, 0, -1}};
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	if (res_cols(r, 3, names, types))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	for (uint32_t i = 0; i < o->schema.n; i++) {
		struct ed_value *row = res_row(r, &cap);
		char tn[64];
		if (!row)
			break;
		ed_type_format(&o->schema.types[i], tn, sizeof(tn));
		text_cell(r, &row[0], o->schema.names[i]);
		text_cell(r, &row[1], tn);
		row[2].type = ed_type_make(ED_TYPE_BOOL);
		for (uint32_t k = 0; k < o->nkey; k++)
			if (o->key[k] == i)
				row[2].v.b = true;
	}
	snprintf(r->tag, sizeof(r->tag), "DESCRIBE");
	return 0;
}

/* EXPLAIN of a continuous query: the operator graph of the pipelines
 * already running over the same input plus q's, printed from q's terminal
 * (named name) down, so the shared input node shows what else it feeds. */
static int explain_query(struct exec *x, const struct ed_query *q, enum ed_node_kind kind,
			 const char *term, const char *name, struct ed_buf *b)
{
	struct ed_plan_graph g;
	struct ed_plan_node *t;
	ed_plan_graph_init(&g, &x->s->arena);
	int rc = 0;
	for (struct ed_catalog_obj *o = x->s->eng->cat.head; o && rc == 0 && name; o = o->next) {
		if (o->kind == ED_OBJ_SOURCE || !o->query || o->input != q->input)
			continue;
		if ((rc = ed_plan_add_query(&g, o->query,
					    o->kind == ED_OBJ_VIEW ? ED_NODE_MATERIALIZE : ED_NODE_SINK,
					    o->name, &t)) == 0)
			t->name = o->name;
	}
	if (rc == 0 && (rc = ed_plan_add_query(&g, q, kind, term, &t)) == 0) {
		t->name = name;
		ed_plan_explain(t, b);
	}
	return rc ? xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory") : 0;
}

int explain(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	const struct ed_sql_stmt *in = st->u.explain.stmt;
	struct ed_buf b;
	ed_buf_init(&b);
	struct ed_query q;
	int rc = 0;
	char term[300];
	if (in->kind == ED_SQL_S_CREATE_VIEW ||
	    (in->kind == ED_SQL_S_CREATE_SINK && in->u.sink.query)) {
		bool v = in->kind == ED_SQL_S_CREATE_VIEW;
		const struct ed_sql_select *sel = v ? in->u.view.query : in->u.sink.query;
		if ((rc = ed_bind_query(&x->s->arena, &eng->cat, sel, x->text, x->len, &q, x->err)))
			goto out;
		const char *name = v ? in->u.view.name.parts[0] : in->u.sink.name.parts[0];
		if (v)
			snprintf(term, sizeof(term), "Materialize %s (%s)", name,
				 q.nkey ? "keyed by the group key" : "multiset of rows");
		else
			snprintf(term, sizeof(term), "Sink %s (json)", name);
		if ((rc = explain_query(x, &q, v ? ED_NODE_MATERIALIZE : ED_NODE_SINK, term, name,
					&b)))
			goto out;
	} else if (in->kind == ED_SQL_S_SELECT) {
		struct ed_pull pq;
		if ((rc = ed_bind_pull(&x->s->arena, &eng->cat, in->u.select, x->text, x->len, &pq,
				       x->err)))
			goto out;
		if (pq.agg) {
			if ((rc = explain_query(x, pq.agg, ED_NODE_RESULT,
						"Pull query (aggregated once over the view's rows)",
						NULL, &b)))
				goto out;
		} else
			ed_buf_printf(&b, "Pull query\n  -> %s %s\n",
				      pq.lookup ? "Index lookup on the key of" : "Scan of",
				      pq.view ? pq.view->name : "(no table)");
	} else {
		rc = xfail(x, in->loc, ED_SQLSTATE_NOT_SUPPORTED,
			   "EXPLAIN shows CREATE MATERIALIZED VIEW, CREATE SINK AS and SELECT");
		goto out;
	}
	static const char *const names[] = {"QUERY PLAN"};
	struct ed_result *r = x->res;
	uint32_t cap = 0;
	if (b.err || res_cols(r, 1, names, NULL)) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	ed_buf_put_u8(&b, 0);
	char *s = (char *)b.data;
	for (char *nl; s && *s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = 0;
		struct ed_value *row = res_row(r, &cap);
		if (!row)
			break;
		text_cell(r, &row[0], s);
	}
	snprintf(r->tag, sizeof(r->tag), "EXPLAIN");
out:
	ed_buf_fini(&b);
	return rc;
}

int show_var(struct exec *x, const struct ed_sql_stmt *st)
{
	const char *name = st->u.name.parts[0];
	static const char *const vars[][2] = {
		{"server_version", "16.0 (eddy)"},
		{"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},
		{"timezone", "UTC"},
		{"datestyle", "ISO, MDY"},
		{"transaction_isolation", "read committed"},
		{"standard_conforming_strings", "on"},
		{"integer_datetimes", "on"},
	};
	const char *val = NULL;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			val = vars[i][1];
	if (!val)
		return xfail(x, st->u.name.loc, "42704",
			     "unrecognized configuration parameter \"%s\"", name);
	const char *names[] = {name};
	uint32_t cap = 0;
	if (res_cols(x->res, 1, names, NULL))
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	struct ed_value *row = res_row(x->res, &cap);
	if (row)
		text_cell(x->res, &row[0], val);
	snprintf(x->res->tag, sizeof(x->res->tag), "SHOW");
	return 0;
}
