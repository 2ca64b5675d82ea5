/* Session settings and the compatibility answers of the PostgreSQL front
 * end: SET / SHOW / RESET-by-DEFAULT per connection, BEGIN / COMMIT /
 * ROLLBACK as no-ops that keep the transaction status right, and the
 * functions clients and tools call to learn where they are (version(),
 * current_setting(), current_database(), current_schema(), current_user,
 * pg_backend_pid()).
 *
 * Why here and not in the engine: these answers are the connection's state
 * (the ParameterStatus set sent at startup, the settings a client SET, the
 * ReadyForQuery transaction byte, the user and database of the startup
 * packet), which the protocol layer owns; the engine's sessions have no
 * settings and the HTTP API has no use for them. The engine still answers
 * SHOW for the few variables it knows when called from elsewhere. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "pgwire/pgwire_int.h"

/* Defaults, by canonical name; reported ones are sent as ParameterStatus. */
static const struct guc_default {
	const char *name;
	const char *value;
	bool report;
} defaults[] = {
	{"application_name", "", true},
	{"client_encoding", "UTF8", true},
	{"DateStyle", "ISO, MDY", true},
	{"default_transaction_read_only", "off", true},
	{"in_hot_standby", "off", true},
	{"integer_datetimes", "on", true},
	{"IntervalStyle", "postgres", true},
	{"is_superuser", "on", true},
	{"server_encoding", "UTF8", true},
	{"server_version", PGW_SERVER_VERSION, true},
	{"session_authorization", NULL, true}, /* the user */
	{"standard_conforming_strings", "on", true},
	{"TimeZone", "UTC", true},
	{"default_transaction_isolation", "read committed", false},
	{"extra_float_digits", "1", false},
	{"lc_messages", "C", false},
	{"max_identifier_length", "63", false},
	{"search_path", "\"$user\", public", false},
	{"server_version_num", "150000", false},
	{"statement_timeout", "0", false},
	{"transaction_isolation", "read committed", false},
	{"transaction_read_only", "off", false},
};
#define NDEFAULTS (sizeof(defaults) / sizeof(defaults[0]))

static const struct guc_default *find_default(const char *name)
{
	for (size_t i = 0; i < NDEFAULTS; i++)
		if (strcasecmp(defaults[i].name, name) == 0)
			return &defaults[i];
	return NULL;
}

static struct pgw_guc *find_guc(struct pgw_conn *c, const char *name)
{
	for (struct pgw_guc *g = c->gucs; g; g = g->next)
		if (strcasecmp(g->name, name) == 0)
			return g;
	return NULL;
}

const char *pgw_guc_get(struct pgw_conn *c, const char *name)
{
	struct pgw_guc *g = find_guc(c, name);
	if (g)
		return g->value;
	const struct guc_default *d = find_default(name);
	if (!d)
		return NULL;
	return d->value ? d->value : c->user;
}

/* Canonical spelling (DateStyle) for known names, else the name as given. */
static const char *canonical(const char *name)
{
	const struct guc_default *d = find_default(name);
	return d ? d->name : name;
}

int pgw_guc_set(struct pgw_conn *c, const char *name, const char *value)
{
	struct pgw_guc *g = find_guc(c, name);
	char *v = ed_strdup(value);
	if (!v)
		return ED_ENOMEM;
	if (!g) {
		g = ed_calloc(1, sizeof(*g));
		char *n = g ? ed_strdup(canonical(name)) : NULL;
		if (!n) {
			ed_free(g);
			ed_free(v);
			return ED_ENOMEM;
		}
		g->name = n;
		g->next = c->gucs;
		c->gucs = g;
	}
	ed_free(g->value);
	g->value = v;
	const struct guc_default *d = find_default(name);
	if (d && d->report && c->state == PGW_READY)
		ed_pgw_put_param_status(&c->out, d->name, value);
	return 0;
}

static void guc_reset(struct pgw_conn *c, const char *name)
{
	for (struct pgw_guc **pp = &c->gucs; *pp; pp = &(*pp)->next)
		if (strcasecmp((*pp)->name, name) == 0) {
			struct pgw_guc *g = *pp;
			*pp = g->next;
			ed_free(g->name);
			ed_free(g->value);
			ed_free(g);
			break;
		}
	const struct guc_default *d = find_default(name);
	if (d && d->report)
		ed_pgw_put_param_status(&c->out, d->name, pgw_guc_get(c, name));
}

void pgw_guc_free_all(struct pgw_conn *c)
{
	while (c->gucs) {
		struct pgw_guc *g = c->gucs;
		c->gucs = g->next;
		ed_free(g->name);
		ed_free(g->value);
		ed_free(g);
	}
}

void pgw_guc_report_all(struct pgw_conn *c)
{
	for (size_t i = 0; i < NDEFAULTS; i++)
		if (defaults[i].report)
			ed_pgw_put_param_status(&c->out, defaults[i].name,
						pgw_guc_get(c, defaults[i].name));
}

/* ---- results ----------------------------------------------------------------------------------- */

/* A one-row result of text columns (and int4 for pg_backend_pid). */
struct answer {
	struct ed_result res;
	const char *names[16];
	struct ed_type types[16];
	struct ed_value cells[16];
};

static void answer_init(struct answer *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->res.tag, sizeof(a->res.tag), "%s", tag);
	a->res.names = a->names;
	a->res.types = a->types;
	a->res.rows = a->cells;
}

static void answer_text(struct answer *a, const char *name, const char *value)
{
	uint32_t i = a->res.ncols++;
	a->names[i] = name;
	a->types[i] = ed_type_make(ED_TYPE_TEXT);
	a->cells[i].type = a->types[i];
	a->cells[i].null = value == NULL;
	if (value)
		a->cells[i].v.s = (struct ed_str){value, (uint32_t)strlen(value)};
}

/* ---- SET, SHOW, transactions ------------------------------------------------------------------- */

static int shim_set(struct pgw_conn *c, const char *text, size_t len, const struct ed_sql_stmt *st,
		    ed_result_fn fn, void *arg, struct ed_sql_error *err)
{
	const char *name = st->u.set.name;
	if (st->u.set.nvalues == 1 && st->u.set.values[0]->kind == ED_SQL_V_DEFAULT) {
		guc_reset(c, name);
	} else {
		char value[512];
		size_t n = 0;
		value[0] = 0;
		for (uint32_t i = 0; i < st->u.set.nvalues && n < sizeof(value); i++)
			n += (size_t)snprintf(value + n, sizeof(value) - n, "%s%s", i ? ", " : "",
					      st->u.set.values[i]->text ? st->u.set.values[i]->text
									: "");
		if (strcasecmp(name, "client_encoding") == 0 && strcasecmp(value, "utf8") != 0 &&
		    strcasecmp(value, "utf-8") != 0 && strcasecmp(value, "unicode") != 0) {
			ed_sql_error_set(err, text, len, st->loc, "0A000",
					 "eddy speaks UTF8 only: cannot set client_encoding to \"%s\"",
					 value);
			return ED_EINVAL;
		}
		if (strcasecmp(name, "client_encoding") == 0)
			snprintf(value, sizeof(value), "UTF8");
		if (pgw_guc_set(c, name, value)) {
			ed_sql_error_set(err, text, len, UINT32_MAX, "53200", "out of memory");
			return ED_ENOMEM;
		}
	}
	struct answer a;
	answer_init(&a, "SET");
	return fn(arg, &a.res);
}

static int shim_show(struct pgw_conn *c, const char *text, size_t len, const struct ed_sql_stmt *st,
		     ed_result_fn fn, void *arg, struct ed_sql_error *err)
{
	const char *name = st->u.name.parts[0];
	if (strcmp(name, "all") == 0) {
		/* name, setting: one row per default, as PostgreSQL's SHOW ALL. */
		struct ed_value *rows = ed_calloc(NDEFAULTS * 2, sizeof(struct ed_value));
		const char *names[2] = {"name", "setting"};
		struct ed_type types[2] = {ed_type_make(ED_TYPE_TEXT), ed_type_make(ED_TYPE_TEXT)};
		if (!rows) {
			ed_sql_error_set(err, text, len, UINT32_MAX, "53200", "out of memory");
			return ED_ENOMEM;
		}
		for (size_t i = 0; i < NDEFAULTS; i++) {
			const char *v = pgw_guc_get(c, defaults[i].name);
			rows[2 * i].type = types[0];
			rows[2 * i].v.s = (struct ed_str){defaults[i].name,
							  (uint32_t)strlen(defaults[i].name)};
			rows[2 * i + 1].type = types[1];
			rows[2 * i + 1].v.s = (struct ed_str){v, (uint32_t)strlen(v)};
		}
		struct ed_result r;
		memset(&r, 0, sizeof(r));
		snprintf(r.tag, sizeof(r.tag), "SHOW");
		r.ncols = 2;
		r.names = names;
		r.types = types;
		r.nrows = NDEFAULTS;
		r.rows = rows;
		int rc = fn(arg, &r);
		ed_free(rows);
		return rc;
	}
	const char *v = pgw_guc_get(c, name);
	if (!v) {
		ed_sql_error_set(err, text, len, st->u.name.loc, "42704",
				 "unrecognized configuration parameter \"%s\"", name);
		return ED_EINVAL;
	}
	struct answer a;
	answer_init(&a, "SHOW");
	answer_text(&a, canonical(name), v);
	a.res.nrows = 1;
	return fn(arg, &a.res);
}

static int shim_txn(struct pgw_conn *c, const struct ed_sql_stmt *st, ed_result_fn fn, void *arg)
{
	struct answer a;
	if (st->kind == ED_SQL_S_BEGIN) {
		if (c->txn != 'I')
			ed_pgw_put_error(&c->out, 'N', "WARNING", "25001", 0,
					 "there is already a transaction in progress");
		else
			c->txn = 'T';
		answer_init(&a, "BEGIN");
	} else {
		if (c->txn == 'I')
			ed_pgw_put_error(&c->out, 'N', "WARNING", "25P01", 0,
					 "there is no transaction in progress");
		bool failed = c->txn == 'E';
		c->txn = 'I';
		answer_init(&a, st->kind == ED_SQL_S_COMMIT && !failed ? "COMMIT" : "ROLLBACK");
	}
	return fn(arg, &a.res);
}

/* ---- SELECT of session functions --------------------------------------------------------------- */

/* The name of the session function e is a call of, or NULL. current_user
 * and friends are also accepted as bare names (they are SQL keywords in
 * PostgreSQL; eddy's parser reads them as columns). */
static const char *session_func(const struct ed_sql_expr *e)
{
	static const char *const names[] = {
		"version",        "current_setting", "current_database", "current_schema",
		"current_user",   "session_user",    "current_catalog",  "user",
		"pg_backend_pid", "current_role",
	};
	const char *name = NULL;
	if (e->kind == ED_SQL_E_FUNC && !e->u.func.over && !e->u.func.star &&
	    (!e->u.func.schema || strcmp(e->u.func.schema, "pg_catalog") == 0))
		name = e->u.func.name;
	else if (e->kind == ED_SQL_E_COLUMN && e->u.col.n == 1)
		name = e->u.col.parts[0];
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			if (e->kind == ED_SQL_E_COLUMN && (i == 0 || i == 1 || i == 2 || i == 8))
				return NULL; /* these need parentheses */
			return names[i];
		}
	return NULL;
}

static int shim_select(struct pgw_conn *c, const char *text, size_t len,
		       const struct ed_sql_select *sel, ed_result_fn fn, void *arg,
		       struct ed_sql_error *err, bool *handled)
{
	*handled = false;
	if (sel->nfrom || sel->where || sel->ngroup || sel->having || sel->ntargets == 0 ||
	    sel->ntargets > 16)
		return 0;
	for (uint32_t i = 0; i < sel->ntargets; i++)
		if (!sel->targets[i]->expr || !session_func(sel->targets[i]->expr))
			return 0;
	*handled = true;
	struct answer a;
	answer_init(&a, "SELECT 1");
	a.res.nrows = 1;
	for (uint32_t i = 0; i < sel->ntargets; i++) {
		const struct ed_sql_target *t = sel->targets[i];
		const struct ed_sql_expr *e = t->expr;
		const char *f = session_func(e);
		const char *col = t->alias ? t->alias : f;
		uint32_t nargs = e->kind == ED_SQL_E_FUNC ? e->u.func.nargs : 0;
		if (strcmp(f, "current_setting") == 0) {
			const struct ed_sql_expr *a0 = nargs >= 1 ? e->u.func.args[0] : NULL;
			bool missing_ok = nargs == 2 && e->u.func.args[1]->kind == ED_SQL_E_BOOL &&
					  e->u.func.args[1]->u.b;
			if (!a0 || a0->kind != ED_SQL_E_STRING || nargs > 2) {
				ed_sql_error_set(
					err, text, len, e->loc, "42883",
					"current_setting takes a setting name as a string literal");
				return ED_EINVAL;
			}
			const char *v = pgw_guc_get(c, a0->u.str.s);
			if (!v && !missing_ok) {
				ed_sql_error_set(err, text, len, a0->loc, "42704",
						 "unrecognized configuration parameter \"%s\"",
						 a0->u.str.s);
				return ED_EINVAL;
			}
			answer_text(&a, col, v);
			continue;
		}
		if (nargs) {
			ed_sql_error_set(err, text, len, e->loc, "42883",
					 "function %s takes no arguments", f);
			return ED_EINVAL;
		}
		if (strcmp(f, "version") == 0) {
			answer_text(&a, col,
				    "PostgreSQL " PGW_SERVER_VERSION " on x86_64-pc-linux-gnu, "
				    "compatible subset served by eddy");
		} else if (strcmp(f, "current_database") == 0 || strcmp(f, "current_catalog") == 0) {
			answer_text(&a, col, c->database);
		} else if (strcmp(f, "current_schema") == 0) {
			answer_text(&a, col, "public");
		} else if (strcmp(f, "pg_backend_pid") == 0) {
			uint32_t k = a.res.ncols++;
			a.names[k] = col;
			a.types[k] = ed_type_make(ED_TYPE_INT32);
			a.cells[k].type = a.types[k];
			a.cells[k].v.i = c->pid;
		} else {
			answer_text(&a, col, c->user);
		}
	}
	return fn(arg, &a.res);
}

int pgw_shim(struct pgw_conn *c, const char *text, size_t len, const struct ed_sql_stmt *st,
	     ed_result_fn fn, void *arg, struct ed_sql_error *err, int *rc)
{
	bool handled = true;
	switch (st->kind) {
	case ED_SQL_S_SET:
		*rc = shim_set(c, text, len, st, fn, arg, err);
		break;
	case ED_SQL_S_SHOW_VAR:
		*rc = shim_show(c, text, len, st, fn, arg, err);
		break;
	case ED_SQL_S_BEGIN:
	case ED_SQL_S_COMMIT:
	case ED_SQL_S_ROLLBACK:
		*rc = shim_txn(c, st, fn, arg);
		break;
	case ED_SQL_S_SELECT:
		*rc = shim_select(c, text, len, st->u.select, fn, arg, err, &handled);
		break;
	default:
		handled = false;
		break;
	}
	if (handled && *rc && !err->sqlstate[0])
		ed_sql_error_set(err, text, len, UINT32_MAX, "53200", "out of memory");
	return handled;
}
