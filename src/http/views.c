/* SQL over HTTP (POST /v1/sql), materialized views as JSON (GET
 * /v1/views/{view}) and their change streams as Server-Sent Events (GET
 * /v1/views/{view}/changes). Statements run on the engine's statement
 * threads with a session of their own, so a slow statement does not stall
 * the loop.
 *
 * SSE stream (text/event-stream, chunked): a comment line when subscribed,
 * then one event per change chunk the view applies:
 *   event: change
 *   data: [{"op":"insert","row":{...}}, {"op":"delete","row":{...}}, ...]
 * ops: insert, delete, update_before, update_after. A ": ping" comment every
 * 15 s keeps proxies from closing an idle stream. The engine's worker thread
 * encodes each chunk and queues the bytes under the client's lock; the loop
 * writes them. A client is dropped (it reconnects and re-reads the view)
 * when the bytes its socket did not accept (libuv's write queue) pass
 * sse_max_queued_bytes, or when events waiting for the loop pass four times
 * that (a memory bound for a stalled loop). Every value is written by
 * exec/json.h's ed_json_put_value, the encoder sinks use too. */
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "exec/json.h"
#include "http/http_int.h"

#define MOD "http"

static void put_columns(struct ed_buf *out, const struct ed_result *res)
{
	ed_buf_append(out, "\"columns\":[", 11);
	for (uint32_t k = 0; k < res->ncols; k++) {
		char tn[64];
		ed_type_format(&res->types[k], tn, sizeof(tn));
		ed_buf_append(out, k ? ",{\"name\":" : "{\"name\":", k ? 9 : 8);
		ed_hjson_put_text(out, res->names[k], strlen(res->names[k]));
		ed_buf_append(out, ",\"type\":", 8);
		ed_hjson_put_text(out, tn, strlen(tn));
		ed_buf_put_u8(out, '}');
	}
	ed_buf_put_u8(out, ']');
}

/* ---- statements on the engine's statement threads ---- */

enum sql_mode { MODE_SQL, MODE_VIEW, MODE_CHANGES };

struct sql_job {
	struct ed_hjob job;
	struct ed_engine *eng;
	enum sql_mode mode;
	char *text;
	size_t len;
	char *view;
	int rc;
	struct ed_sql_error serr;
	struct ed_buf out;
	uint32_t statements;
	char **names; /* MODE_CHANGES: the view's columns */
	uint32_t ncols;
};

static int on_result(void *arg, const struct ed_result *res)
{
	struct sql_job *j = arg;
	j->statements++;
	struct ed_buf *out = &j->out;
	ed_buf_reset(out);
	if (j->mode == MODE_CHANGES) {
		j->names = ed_calloc(res->ncols ? res->ncols : 1, sizeof(char *));
		if (!j->names)
			return ED_ENOMEM;
		j->ncols = res->ncols;
		for (uint32_t k = 0; k < res->ncols; k++)
			if (!(j->names[k] = ed_strdup(res->names[k])))
				return ED_ENOMEM;
		return 0;
	}
	ed_buf_put_u8(out, '{');
	if (j->mode == MODE_VIEW) {
		ed_buf_append(out, "\"view\":", 7);
		ed_hjson_put_text(out, j->view, strlen(j->view));
		ed_buf_put_u8(out, ',');
	}
	put_columns(out, res);
	ed_buf_append(out, ",\"rows\":[", 9);
	for (uint32_t r = 0; r < res->nrows; r++) {
		if (r)
			ed_buf_put_u8(out, ',');
		ed_buf_put_u8(out, j->mode == MODE_VIEW ? '{' : '[');
		for (uint32_t k = 0; k < res->ncols; k++) {
			if (k)
				ed_buf_put_u8(out, ',');
			if (j->mode == MODE_VIEW) {
				ed_hjson_put_text(out, res->names[k], strlen(res->names[k]));
				ed_buf_put_u8(out, ':');
			}
			ed_json_put_value(out, &res->rows[(size_t)r * res->ncols + k]);
		}
		ed_buf_put_u8(out, j->mode == MODE_VIEW ? '}' : ']');
	}
	ed_buf_append(out, "],\"tag\":", 8);
	ed_hjson_put_text(out, res->tag, strlen(res->tag));
	ed_buf_append(out, "}\n", 2);
	return out->err;
}

static void sql_work(uv_work_t *w)
{
	struct sql_job *j = w->data; /* the job is the first member */
	struct ed_session *s = ed_session_new(j->eng);
	if (!s) {
		j->rc = ED_ENOMEM;
		return;
	}
	j->rc = ed_session_execute(s, j->text, j->len, on_result, j, &j->serr);
	ed_session_free(s);
}

static void sql_job_free(struct sql_job *j)
{
	if (j->names)
		for (uint32_t k = 0; k < j->ncols; k++)
			ed_free(j->names[k]);
	ed_free(j->names);
	ed_free(j->text);
	ed_free(j->view);
	ed_buf_fini(&j->out);
	ed_free(j);
}

static void sql_error(struct ed_hconn *c, int status, const struct ed_sql_error *e)
{
	struct ed_buf b;
	ed_buf_init(&b);
	static const char head[] = "{\"error\":{\"code\":\"sql_error\",\"sqlstate\":";
	ed_buf_append(&b, head, sizeof(head) - 1);
	ed_hjson_put_text(&b, e->sqlstate, strlen(e->sqlstate));
	ed_buf_printf(&b, ",\"position\":%u,\"message\":", e->pos);
	ed_hjson_put_text(&b, e->msg, strlen(e->msg));
	ed_buf_append(&b, "}}\n", 3);
	if (b.err)
		ed_hconn_error(c, 503, "no_memory", "out of memory");
	else
		ed_hconn_respond(c, status, "application/json", b.data, b.len);
	ed_buf_fini(&b);
}

static void sql_complete(struct ed_hjob *job)
{
	struct sql_job *j = (struct sql_job *)job;
	struct ed_hconn *c = ed_hjob_finish(job);
	if (!c)
		goto out;
	if (atomic_load(&job->err) == ED_ECLOSED) {
		ed_hconn_error(c, 503, "stopping", "the server is shutting down");
		goto out;
	}
	if (j->rc == ED_ENOMEM || (j->rc == 0 && j->out.err)) {
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		goto out;
	}
	if (j->rc < 0) {
		if (!j->serr.sqlstate[0]) {
			ed_hconn_error(c, 500, "internal", "%s", ed_err_str(j->rc));
			goto out;
		}
		int status = 400;
		if (j->mode != MODE_SQL && !strcmp(j->serr.sqlstate, "42P01"))
			status = 404;
		sql_error(c, status, &j->serr);
		goto out;
	}
	if (j->mode == MODE_CHANGES) {
		int rc = ed_hsse_start(c, j->view, (const char *const *)j->names, j->ncols);
		if (rc == ED_ENOENT)
			ed_hconn_error(c, 404, "unknown_view", "'%s' is not a materialized view",
				       j->view);
		else if (rc < 0)
			ed_hconn_error(c, 503, "no_memory", "cannot subscribe: %s", ed_err_str(rc));
		goto out;
	}
	if (j->statements == 0) {
		static const char empty[] = "{\"columns\":[],\"rows\":[],\"tag\":\"\"}\n";
		ed_hconn_respond(c, 200, "application/json", empty, sizeof(empty) - 1);
		goto out;
	}
	ed_hconn_respond(c, 200, "application/json", j->out.data, j->out.len);
out:
	sql_job_free(j);
}

static void start_sql(struct ed_hreq *req, enum sql_mode mode, const char *view, char *text,
		      size_t len)
{
	struct ed_hconn *c = req->c;
	struct sql_job *j = ed_calloc(1, sizeof(*j));
	if (!j) {
		ed_free(text);
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		return;
	}
	ed_buf_init(&j->out);
	j->eng = c->h->eng;
	j->mode = mode;
	j->text = text;
	j->len = len;
	if (view && !(j->view = ed_strdup(view))) {
		sql_job_free(j);
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		return;
	}
	ed_hjob_start(c, &j->job, sql_complete);
	if (ed_hjob_queue_work(&j->job, sql_work) < 0) {
		ed_hjob_finish(&j->job);
		sql_job_free(j);
		ed_hconn_error(c, 503, "busy", "cannot queue the statement");
	}
}

void ed_http_handle_sql(struct ed_hreq *req)
{
	struct ed_hconn *c = req->c;
	if (!c->h->eng) {
		ed_hconn_error(c, 503, "no_engine", "the SQL engine is not running");
		return;
	}
	const char *p = req->body;
	size_t n = req->body_len;
	size_t pos = 0;
	ed_hjson_ws(p, n, &pos);
	char *text = NULL;
	size_t len = 0;
	if (pos < n && p[pos] == '{') {
		const char *v;
		size_t vn;
		if (!ed_hjson_valid(p, n) || !ed_hjson_member(p, n, "sql", &v, &vn) || v[0] != '"') {
			ed_hconn_error(c, 400, "bad_json",
				       "a JSON body must be an object with a string member \"sql\"");
			return;
		}
		struct ed_buf b;
		ed_buf_init(&b);
		ed_hjson_unescape(v, vn, &b);
		ed_buf_put_u8(&b, 0);
		if (b.err) {
			ed_buf_fini(&b);
			ed_hconn_error(c, 503, "no_memory", "out of memory");
			return;
		}
		text = (char *)b.data; /* ownership moves to the job */
		len = b.len - 1;
	} else {
		text = ed_strndup(p, n);
		len = n;
		if (!text) {
			ed_hconn_error(c, 503, "no_memory", "out of memory");
			return;
		}
	}
	if (memchr(text, 0, len)) {
		ed_free(text);
		ed_hconn_error(c, 400, "bad_request", "the statement text contains a NUL byte");
		return;
	}
	start_sql(req, MODE_SQL, NULL, text, len);
}

void ed_http_handle_view(struct ed_hreq *req, const char *view, bool changes)
{
	struct ed_hconn *c = req->c;
	if (!c->h->eng) {
		ed_hconn_error(c, 503, "no_engine", "the SQL engine is not running");
		return;
	}
	size_t vl = strlen(view);
	if (vl == 0 || vl > 200) {
		ed_hconn_error(c, 400, "bad_request", "bad view name");
		return;
	}
	/* SELECT * FROM "view" (quotes doubled), LIMIT 0 for the columns only */
	struct ed_buf q;
	ed_buf_init(&q);
	ed_buf_append(&q, "SELECT * FROM \"", 15);
	for (size_t i = 0; i < vl; i++) {
		if (view[i] == '"')
			ed_buf_put_u8(&q, '"');
		ed_buf_put_u8(&q, (uint8_t)view[i]);
	}
	ed_buf_put_u8(&q, '"');
	if (changes)
		ed_buf_append(&q, " LIMIT 0", 8);
	ed_buf_put_u8(&q, 0);
	if (q.err) {
		ed_buf_fini(&q);
		ed_hconn_error(c, 503, "no_memory", "out of memory");
		return;
	}
	start_sql(req, changes ? MODE_CHANGES : MODE_VIEW, view, (char *)q.data, q.len - 1);
}

/* ---- SSE ---- */

struct ed_hsse {
	struct ed_hsse *prev, *next;
	struct ed_http *h;
	struct ed_hconn *c;
	uint64_t id;
	bool subscribed;
	char **names;
	uint32_t ncols;
	size_t limit;
	uv_mutex_t mu; /* guards pending and overflow: worker vs loop */
	struct ed_buf pending;
	bool overflow;
};

/* Worker thread: encode, queue, wake the loop. Never blocks for long. */
static void on_change(void *arg, const struct ed_chunk *ch)
{
	struct ed_hsse *s = arg;
	if (ch->rows == 0)
		return;
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_append(&b, "event: change\ndata: [", 21);
	for (uint32_t r = 0; r < ch->rows; r++) {
		ed_buf_printf(&b, "%s{\"op\":\"%s\",\"row\":", r ? "," : "", ed_op_name(ch->ops[r]));
		if (ch->ncols == s->ncols) {
			ed_json_encode_row(ch, r, (const char *const *)s->names, &b);
		} else {
			ed_buf_put_u8(&b, '[');
			for (uint32_t k = 0; k < ch->ncols; k++) {
				struct ed_value v;
				ed_vector_get(&ch->cols[k], r, &v);
				if (k)
					ed_buf_put_u8(&b, ',');
				ed_json_put_value(&b, &v);
			}
			ed_buf_put_u8(&b, ']');
		}
		ed_buf_put_u8(&b, '}');
	}
	ed_buf_append(&b, "]\n\n", 3);
	uv_mutex_lock(&s->mu);
	if (b.err || s->pending.len + b.len > 4 * s->limit)
		s->overflow = true;
	else if (!s->overflow)
		ed_buf_append(&s->pending, b.data, b.len);
	if (s->pending.err)
		s->overflow = true;
	uv_mutex_unlock(&s->mu);
	ed_buf_fini(&b);
	ed_http_wake_sse(s->h);
}

int ed_hsse_start(struct ed_hconn *c, const char *view, const char *const *names, uint32_t ncols)
{
	struct ed_http *h = c->h;
	struct ed_hsse *s = ed_calloc(1, sizeof(*s));
	if (!s)
		return ED_ENOMEM;
	s->h = h;
	s->c = c;
	s->limit = h->cfg.sse_max_queued_bytes;
	uv_mutex_init(&s->mu);
	ed_buf_init(&s->pending);
	s->names = ed_calloc(ncols ? ncols : 1, sizeof(char *));
	if (!s->names)
		goto nomem;
	s->ncols = ncols;
	for (uint32_t k = 0; k < ncols; k++)
		if (!(s->names[k] = ed_strdup(names[k])))
			goto nomem;
	s->next = h->sses;
	if (h->sses)
		h->sses->prev = s;
	h->sses = s;
	h->nsse++;
	c->sse = s;
	int rc = ed_engine_subscribe(h->eng, view, on_change, s, &s->id);
	if (rc < 0) {
		c->sse = NULL;
		ed_hsse_close(s);
		return rc;
	}
	s->subscribed = true;
	rc = ed_hconn_start_stream(c, "text/event-stream");
	if (rc == 0) {
		char hello[300];
		int n = snprintf(hello, sizeof(hello), "retry: 3000\n: subscribed to %.200s\n\n",
				 view);
		ed_hconn_write_chunk(c, hello, (size_t)n);
	}
	ed_debug(MOD, "%s subscribed to %s", c->net.peer, view);
	return 0;
nomem:
	ed_hsse_close(s);
	return ED_ENOMEM;
}

void ed_hsse_close(struct ed_hsse *s)
{
	if (!s)
		return;
	struct ed_http *h = s->h;
	if (s->subscribed)
		ed_engine_unsubscribe(h->eng, s->id); /* no callback runs after this */
	if (s->prev || h->sses == s) {
		if (s->prev)
			s->prev->next = s->next;
		else
			h->sses = s->next;
		if (s->next)
			s->next->prev = s->prev;
		h->nsse--;
	}
	if (s->names)
		for (uint32_t k = 0; k < s->ncols; k++)
			ed_free(s->names[k]);
	ed_free(s->names);
	ed_buf_fini(&s->pending);
	uv_mutex_destroy(&s->mu);
	ed_free(s);
}

void ed_hsse_flush_all(struct ed_http *h)
{
	struct ed_hsse *s = h->sses;
	while (s) {
		struct ed_hsse *next = s->next;
		struct ed_buf take;
		ed_buf_init(&take);
		uv_mutex_lock(&s->mu);
		bool overflow = s->overflow;
		if (!overflow && s->pending.len) {
			take = s->pending;
			ed_buf_init(&s->pending);
		}
		uv_mutex_unlock(&s->mu);
		struct ed_hconn *c = s->c;
		if (!overflow && take.len && ed_hconn_write_chunk(c, take.data, take.len) < 0)
			c = NULL; /* closed (and s freed) by the failed write */
		if (c && (overflow || ed_hconn_write_queue(c) > s->limit)) {
			h->sse_dropped++;
			ed_warn(MOD, "dropping SSE client %s: more than %zu bytes behind",
				c->net.peer, s->limit);
			ed_hconn_close(c, "slow SSE client"); /* frees s */
		}
		ed_buf_fini(&take);
		s = next;
	}
}

void ed_hsse_ping_all(struct ed_http *h)
{
	static const char ping[] = ": ping\n\n";
	struct ed_hsse *s = h->sses;
	while (s) {
		struct ed_hsse *next = s->next;
		ed_hconn_write_chunk(s->c, ping, sizeof(ping) - 1);
		s = next;
	}
}
