/* DDL: CREATE SOURCE, CREATE MATERIALIZED VIEW, CREATE SINK and DROP. A
 * statement binds and plans first and changes the catalog only after that
 * succeeded (invariant 3 of engine_int.h); the catalog is saved each time. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

static const char *canonical(struct ed_catalog_obj *o, const struct ed_sql_stmt *st)
{
	struct ed_buf b;
	ed_buf_init(&b);
	ed_sql_print_stmt(&b, st, 0);
	const char *s = b.err ? NULL : ed_arena_strndup(&o->arena, (const char *)b.data, b.len);
	ed_buf_fini(&b);
	return s;
}

static int save_catalog(struct exec *x)
{
	struct ed_engine *eng = x->s->eng;
	if (eng->loading)
		return 0;
	int rc = ed_catalog_save(&eng->cat);
	if (rc)
		xfail(x, UINT32_MAX, "58030", "could not write the catalog: %s", ed_err_str(rc));
	return rc;
}

static int exists_check(struct exec *x, const struct ed_sql_name *name, bool if_not_exists, bool *skip)
{
	*skip = false;
	if (name->n != 1)
		return xfail(x, name->loc, ED_SQLSTATE_NOT_SUPPORTED,
			     "schema-qualified names are not supported");
	struct ed_catalog_obj *o = ed_catalog_find(&x->s->eng->cat, name->parts[0]);
	if (!o)
		return 0;
	if (if_not_exists) {
		*skip = true;
		return 0;
	}
	return xfail(x, name->loc, "42P07", "%s \"%s\" already exists", ed_obj_kind_name(o->kind),
		     o->name);
}

int create_source(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	bool skip;
	int rc = exists_check(x, &st->u.source.name, st->u.source.if_not_exists, &skip);
	if (rc || skip)
		goto tag;
	struct ed_catalog_obj *o = ed_catalog_obj_new(ED_OBJ_SOURCE);
	struct ed_source_rt *srt = ed_calloc(1, sizeof(*srt));
	if (!o || !srt) {
		ed_catalog_obj_free(o);
		ed_free(srt);
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	atomic_store(&srt->watermark_us, INT64_MIN);
	atomic_store(&srt->max_event_us, INT64_MIN);
	if ((rc = ed_bind_source(&o->arena, st, x->text, x->len, &o->schema, &o->source, x->err)))
		goto fail;
	char terr[256] = "";
	if (ed_topic_name_validate(o->source.topic, terr, sizeof(terr)) != 0) {
		rc = xfail(x, st->loc, "22023", "topic: %s", terr);
		goto fail;
	}
	o->name = ed_arena_strndup(&o->arena, st->u.source.name.parts[0],
				   strlen(st->u.source.name.parts[0]));
	o->sql = canonical(o, st);
	o->append_only = true;
	o->rt = srt;
	if (!o->name || !o->sql) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	ed_catalog_add(&eng->cat, o);
	if ((rc = save_catalog(x))) {
		ed_catalog_remove(&eng->cat, o);
		goto fail;
	}
tag:
	if (rc == 0)
		snprintf(x->res->tag, sizeof(x->res->tag), "CREATE SOURCE");
	return rc;
fail:
	ed_free(srt);
	ed_catalog_obj_free(o);
	return rc;
}

/* CREATE MATERIALIZED VIEW and CREATE SINK. */
int create_pipeline(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	bool is_view = st->kind == ED_SQL_S_CREATE_VIEW;
	const struct ed_sql_name *name = is_view ? &st->u.view.name : &st->u.sink.name;
	bool ine = is_view ? st->u.view.if_not_exists : st->u.sink.if_not_exists;
	const struct ed_sql_select *sel = is_view ? st->u.view.query : st->u.sink.query;
	const char *tag = is_view ? "CREATE MATERIALIZED VIEW" : "CREATE SINK";
	bool skip;
	int rc = exists_check(x, name, ine, &skip);
	if (rc)
		return rc;
	if (skip) {
		snprintf(x->res->tag, sizeof(x->res->tag), "%s", tag);
		return 0;
	}
	struct ed_catalog_obj *o = ed_catalog_obj_new(is_view ? ED_OBJ_VIEW : ED_OBJ_SINK);
	struct ed_pipe *p = NULL;
	if (!o)
		return xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!is_view && (rc = ed_bind_sink_options(&o->arena, st->u.sink.options, st->u.sink.noptions,
						   x->text, x->len, &o->sink, x->err)))
		goto fail;
	if (sel) {
		struct ed_query *q = ed_arena_alloc(&o->arena, sizeof(*q));
		if (!q) {
			rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
			goto fail;
		}
		if ((rc = ed_bind_query(&o->arena, &eng->cat, sel, x->text, x->len, q, x->err)))
			goto fail;
		o->query = q;
		o->input = q->input;
		o->schema = q->out;
		o->nkey = q->nkey;
		o->key = q->key;
		o->append_only = q->append_only;
	} else {
		const struct ed_sql_name *from = &st->u.sink.from;
		struct ed_catalog_obj *in = from->n == 1 ? ed_catalog_find(&eng->cat, from->parts[0])
							 : NULL;
		if (!in) {
			rc = xfail(x, from->loc, "42P01", "relation \"%s\" does not exist",
				   from->parts[from->n - 1]);
			goto fail;
		}
		if (in->kind != ED_OBJ_VIEW) {
			rc = xfail(x, from->loc, "42809",
				   "CREATE SINK ... FROM reads a materialized view; \"%s\" is a %s (use AS SELECT * FROM %s)",
				   in->name, ed_obj_kind_name(in->kind), in->name);
			goto fail;
		}
		o->input = in;
		o->schema = in->schema;
		o->append_only = in->append_only;
	}
	if (!o->query && o->kind == ED_OBJ_SINK && o->input->kind == ED_OBJ_SOURCE) {
		rc = xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED, "sink without a query");
		goto fail;
	}
	if (!is_view) {
		char terr[256] = "";
		if (ed_topic_name_validate(o->sink.topic, terr, sizeof(terr)) != 0) {
			rc = xfail(x, st->loc, "22023", "topic: %s", terr);
			goto fail;
		}
	}
	o->name = ed_arena_strndup(&o->arena, name->parts[0], strlen(name->parts[0]));
	o->sql = canonical(o, st);
	if (!o->name || !o->sql) {
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	char perr[256] = "";
	if ((rc = pipe_build(eng, o, &p, perr, sizeof(perr)))) {
		rc = xfail(x, st->loc, rc == ED_ENOMEM ? ED_SQLSTATE_OUT_OF_MEMORY : "58030", "%s",
			   perr);
		goto fail;
	}
	o->rt = p;
	ed_catalog_add(&eng->cat, o);
	if ((rc = save_catalog(x))) {
		ed_catalog_remove(&eng->cat, o);
		goto fail;
	}
	if ((rc = pipe_start(eng, p))) {
		ed_catalog_remove(&eng->cat, o);
		save_catalog(x);
		rc = xfail(x, UINT32_MAX, ED_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		goto fail;
	}
	snprintf(x->res->tag, sizeof(x->res->tag), "%s", tag);
	return 0;
fail:
	pipe_free(p);
	ed_catalog_obj_free(o);
	return rc;
}

int drop_object(struct exec *x, const struct ed_sql_stmt *st)
{
	struct ed_engine *eng = x->s->eng;
	static const char *const tags[] = {"", "DROP SOURCE", "DROP MATERIALIZED VIEW", "DROP SINK",
					   "DROP TOPIC"};
	enum ed_sql_object_kind kind = st->u.drop.object;
	const struct ed_sql_name *name = &st->u.drop.name;
	snprintf(x->res->tag, sizeof(x->res->tag), "%s", tags[kind]);
	if (kind == ED_SQL_OBJ_TOPIC)
		return xfail(x, st->loc, ED_SQLSTATE_NOT_SUPPORTED,
			     "DROP TOPIC is done through the Kafka API or the CLI");
	struct ed_catalog_obj *o = name->n == 1 ? ed_catalog_find(&eng->cat, name->parts[0]) : NULL;
	enum ed_obj_kind want = kind == ED_SQL_OBJ_SOURCE ? ED_OBJ_SOURCE
				: kind == ED_SQL_OBJ_VIEW ? ED_OBJ_VIEW
							  : ED_OBJ_SINK;
	if (!o || o->kind != want) {
		if (!o && st->u.drop.if_exists)
			return 0;
		if (o)
			return xfail(x, name->loc, "42809", "\"%s\" is a %s, not a %s", o->name,
				     ed_obj_kind_name(o->kind), ed_obj_kind_name(want));
		return xfail(x, name->loc, "42704", "%s \"%s\" does not exist",
			     ed_obj_kind_name(want), name->parts[name->n - 1]);
	}
	struct ed_catalog_obj *dep = ed_catalog_dependent(&eng->cat, o);
	if (dep)
		return xfail(x, name->loc, "2BP01", "cannot drop %s \"%s\": %s \"%s\" depends on it",
			     ed_obj_kind_name(o->kind), o->name, ed_obj_kind_name(dep->kind),
			     dep->name);
	ed_catalog_remove(&eng->cat, o);
	int rc = save_catalog(x);
	if (rc) {
		ed_catalog_add(&eng->cat, o);
		return rc;
	}
	if (o->kind == ED_OBJ_SOURCE)
		source_rt_free(o->rt);
	else {
		pipe_stop(o->rt);
		pipe_free(o->rt);
	}
	ed_catalog_obj_free(o);
	return 0;
}
