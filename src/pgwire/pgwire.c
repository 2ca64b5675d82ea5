/* PostgreSQL front end on src/net (pgwire.h): message framing with the size
 * limit checked before buffering, the startup packet, trust and
 * SCRAM-SHA-256 authentication, CancelRequest, statements handed to the
 * engine's statement threads, and the SUBSCRIBE stream that hops from
 * engine workers to the loop thread; both come back through the net loop
 * queue. Query messages go to query.c. See pgwire_int.h for invariants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "pgwire/pgwire_int.h"

#define MOD "pgwire"
#define SUB_INPUT_MAX (1024 * 1024) /* input buffered while a SUBSCRIBE streams */

static void conn_process(struct pgw_conn *c);
static void sub_end(struct pgw_conn *c, const char *sqlstate, const char *msg);
static void sub_flush(struct pgw_sub *s);

void ed_pgwire_config_defaults(struct ed_pgwire_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_host = "127.0.0.1";
	cfg->port = ED_PGWIRE_DEFAULT_PORT;
	cfg->max_message_bytes = 16u * 1024 * 1024;
	cfg->auth = ED_PGWIRE_AUTH_TRUST;
	cfg->max_subscribe_bytes = 8u * 1024 * 1024;
	cfg->startup_timeout_ms = 10000;
	cfg->idle_timeout_ms = 3600000;
}

int ed_pgwire_port(const struct ed_pgwire *pg)
{
	return ed_net_server_port(pg->srv);
}

/* ---- output and connections ------------------------------------------------------------------ */

static bool closing(const struct pgw_conn *c)
{
	return ed_net_closing(&c->net);
}

/* Hand the encoded output to the transport (whose bounded write queue stops
 * a client that sends queries without reading the answers). */
void pgw_flush(struct pgw_conn *c)
{
	if (closing(c) || c->out.len == 0)
		return;
	if (c->out.err) {
		ed_buf_reset(&c->out);
		pgw_fatal(c, "53200", "out of memory");
		return;
	}
	ed_net_write_buf(&c->net, &c->out);
}

void pgw_fatal(struct pgw_conn *c, const char *sqlstate, const char *msg)
{
	if (closing(c))
		return;
	ed_debug(MOD, "connection %d: %s %s", c->pid, sqlstate, msg);
	ed_pgw_put_error(&c->out, 'E', "FATAL", sqlstate, 0, msg);
	pgw_flush(c);
	ed_net_close(&c->net, NULL);
}

/* Closing (once, from src/net). A statement in flight keeps the memory
 * (a net reference) and ends a subscription it started when it completes. */
static void conn_on_close(struct ed_net_conn *nc)
{
	struct pgw_conn *c = (struct pgw_conn *)nc;
	if (c->running)
		return; /* the thread owns the state: stmt_done finishes */
	c->state = PGW_CLOSING;
	if (c->sub)
		sub_end(c, NULL, NULL);
}

static void conn_on_free(struct ed_net_conn *nc)
{
	struct pgw_conn *c = (struct pgw_conn *)nc;
	pgw_conn_free_statements(c);
	pgw_guc_free_all(c);
	ed_session_free(c->sess);
	ed_buf_fini(&c->out);
	ed_arena_fini(&c->arena);
}

static int conn_on_accept(struct ed_net_conn *nc)
{
	struct pgw_conn *c = (struct pgw_conn *)nc;
	struct ed_pgwire *pg = ed_net_data(nc);
	c->pg = pg;
	c->txn = 'I';
	ed_buf_init(&c->out);
	ed_arena_init(&c->arena, 4096);
	c->pid = ++pg->next_pid;
	if (RAND_bytes((unsigned char *)&c->key, sizeof(c->key)) != 1)
		c->key = (int32_t)random();
	return 0;
}

static void conn_on_data(struct ed_net_conn *nc)
{
	struct pgw_conn *c = (struct pgw_conn *)nc;
	if (c->running)
		return; /* the statement thread owns the state; its completion goes on */
	if (c->sub) {
		size_t avail;
		ed_net_input(nc, &avail);
		if (avail > SUB_INPUT_MAX)
			pgw_fatal(c, "54000", "too much input while SUBSCRIBE is streaming");
		return;
	}
	conn_process(c);
}

/* ---- startup and authentication ---------------------------------------------------------------- */

static void send_ready(struct pgw_conn *c)
{
	ed_pgw_put_auth(&c->out, 0, NULL, 0); /* AuthenticationOk */
	c->sess = ed_session_new(c->pg->eng);
	if (!c->sess) {
		pgw_fatal(c, "53200", "out of memory");
		return;
	}
	c->state = PGW_READY;
	ed_net_started(&c->net);
	pgw_guc_report_all(c);
	ed_pgw_put_backend_key(&c->out, c->pid, c->key);
	ed_pgw_put_ready(&c->out, c->txn);
}

/* Startup "options": -c name=value and --name=value, separated by spaces. */
static void apply_options(struct pgw_conn *c, const char *opts)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", opts);
	char *save = NULL;
	bool want_c = false;
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "-c") == 0) {
			want_c = true;
			continue;
		}
		if (strncmp(tok, "-c", 2) == 0)
			tok += 2;
		else if (strncmp(tok, "--", 2) == 0)
			tok += 2;
		else if (!want_c)
			continue;
		want_c = false;
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = 0;
		for (char *p = tok; *p; p++)
			*p = *p == '-' ? '_' : *p;
		pgw_guc_set(c, tok, eq + 1);
	}
}

struct cancel {
	struct pgw_conn *from;
	int32_t pid, key;
};

static void cancel_one(struct ed_net_conn *nc, void *arg)
{
	struct pgw_conn *t = (struct pgw_conn *)nc;
	struct cancel *cn = arg;
	if (t->pid != cn->pid || t->key != cn->key || t == cn->from)
		return;
	ed_debug(MOD, "cancel request for connection %d", cn->pid);
	if (t->running)
		t->cancel_pending = true; /* a SUBSCRIBE it starts ends at once */
	else if (t->sub)
		sub_end(t, "57014", "canceling statement due to user request");
}

static void handle_cancel(struct pgw_conn *c, int32_t pid, int32_t key)
{
	struct cancel cn = {c, pid, key};
	c->cancel_only = true;
	ed_net_server_each(c->pg->srv, cancel_one, &cn);
	ed_net_close(&c->net, NULL); /* no answer, as in PostgreSQL */
}

static void handle_startup(struct pgw_conn *c, const uint8_t *body, size_t len)
{
	struct ed_pgw_startup st;
	int rc = ed_pgw_decode_startup(body, len, &st);
	if (rc == ED_EUNSUPPORTED) {
		pgw_fatal(c, "0A000", "unsupported frontend protocol: eddy speaks 3.0");
		return;
	}
	if (rc) {
		pgw_fatal(c, "08P01", "invalid startup packet layout");
		return;
	}
	switch (st.kind) {
	case ED_PGW_STARTUP_SSL:
	case ED_PGW_STARTUP_GSSENC:
		ed_buf_put_u8(&c->out, 'N'); /* no TLS yet: the client continues in plain text */
		return;
	case ED_PGW_STARTUP_CANCEL:
		handle_cancel(c, st.cancel_pid, st.cancel_key);
		return;
	case ED_PGW_STARTUP:
		break;
	}
	for (uint32_t i = 0; i < st.nparams; i++) {
		const char *k = st.keys[i], *v = st.vals[i];
		if (strcmp(k, "user") == 0)
			snprintf(c->user, sizeof(c->user), "%s", v);
		else if (strcmp(k, "database") == 0)
			snprintf(c->database, sizeof(c->database), "%s", v);
		else if (strcmp(k, "options") == 0)
			apply_options(c, v);
		else if (strcmp(k, "application_name") == 0 || strcmp(k, "DateStyle") == 0 ||
			 strcmp(k, "TimeZone") == 0 || strcmp(k, "search_path") == 0 ||
			 strcmp(k, "extra_float_digits") == 0)
			pgw_guc_set(c, k, v);
		/* client_encoding and anything else: ignored (eddy speaks UTF8). */
	}
	if (!c->user[0]) {
		pgw_fatal(c, "28000", "no PostgreSQL user name specified in startup packet");
		return;
	}
	if (!c->database[0])
		snprintf(c->database, sizeof(c->database), "%s", c->user);
	if (c->pg->cfg.auth == ED_PGWIRE_AUTH_SCRAM) {
		static const char mech[] = "SCRAM-SHA-256\0";
		ed_pgw_put_auth(&c->out, 10, mech, sizeof(mech)); /* AuthenticationSASL */
		c->state = PGW_SASL_INITIAL;
		return;
	}
	send_ready(c);
}

static void auth_failed(struct pgw_conn *c)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "password authentication failed for user \"%s\"", c->user);
	pgw_fatal(c, "28P01", msg);
}

static void handle_sasl(struct pgw_conn *c, char type, const uint8_t *body, size_t len)
{
	if (type != 'p') {
		pgw_fatal(c, "08P01", "expected SASL response");
		return;
	}
	struct ed_buf reply;
	ed_buf_init(&reply);
	if (c->state == PGW_SASL_INITIAL) {
		const char *mech;
		const uint8_t *data;
		size_t dlen;
		if (ed_pgw_decode_sasl_initial(body, len, &mech, &data, &dlen) ||
		    strcmp(mech, "SCRAM-SHA-256") != 0) {
			pgw_fatal(c, "08P01", "expected SASLInitialResponse with SCRAM-SHA-256");
			goto done;
		}
		c->scram = c->pg->scram;
		if (ed_scram_server_first(&c->scram, data, dlen, &reply) || reply.err) {
			pgw_fatal(c, "08P01", "malformed SCRAM message");
			goto done;
		}
		ed_pgw_put_auth(&c->out, 11, reply.data, reply.len); /* SASLContinue */
		c->state = PGW_SASL_FINAL;
		goto done;
	}
	int rc = ed_scram_server_final(&c->scram, body, len, &reply);
	if (rc == ED_EINVAL || (rc == 0 && strcmp(c->user, c->pg->user) != 0)) {
		auth_failed(c);
		goto done;
	}
	if (rc || reply.err) {
		pgw_fatal(c, "08P01", "malformed SCRAM message");
		goto done;
	}
	ed_pgw_put_auth(&c->out, 12, reply.data, reply.len); /* SASLFinal */
	send_ready(c);
done:
	ed_buf_fini(&reply);
}

/* ---- statements off the loop ------------------------------------------------------------------ */

/* Statement thread: the message runs there; the loop does not touch the
 * connection's protocol state until stmt_done (invariant 5). */
static void stmt_run(struct ed_stmt_job *job)
{
	struct pgw_conn *c = ed_net_container(job, struct pgw_conn, job);
	pgw_query_message(c, &c->cur);
}

static void stmt_done(struct ed_net_task *t);

static void stmt_ran(struct ed_stmt_job *job)
{
	struct pgw_conn *c = ed_net_container(job, struct pgw_conn, job);
	c->done_task.fn = stmt_done;
	ed_net_loopq_post(c->pg->loopq, &c->done_task);
}

/* Loop thread: the message's statement completed. */
static void stmt_done(struct ed_net_task *t)
{
	struct pgw_conn *c = ed_net_container(t, struct pgw_conn, done_task);
	struct ed_pgwire *pg = c->pg;
	c->running = false;
	ed_net_busy(&c->net, false);
	if (closing(c)) {
		c->state = PGW_CLOSING;
		if (c->sub)
			sub_end(c, NULL, NULL);
	} else if (c->sub && c->cancel_pending) {
		pgw_flush(c);
		sub_end(c, "57014", "canceling statement due to user request");
	} else if (c->sub) {
		pgw_flush(c);
		sub_flush(c->sub);      /* changes that came while the statement finished */
		ed_net_resume(&c->net); /* to see the client leave */
	} else {
		conn_process(c);
	}
	c->cancel_pending = false;
	ed_net_unref(&c->net);
	ed_net_loopq_release(pg->loopq);
}

/* Run message m on a statement thread. */
static void stmt_start(struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	pgw_flush(c); /* what came before goes first; the thread writes to a fresh out */
	if (closing(c))
		return;
	c->cur = *m;
	memset(&c->job, 0, sizeof(c->job));
	c->job.run = stmt_run;
	c->job.done = stmt_ran;
	c->running = true;
	ed_net_pause(&c->net);
	ed_net_busy(&c->net, true);
	ed_net_ref(&c->net);
	ed_net_loopq_hold(c->pg->loopq);
	if (ed_engine_submit(c->pg->eng, &c->job) < 0) {
		ed_pgw_put_error(&c->out, 'E', "FATAL", "57P01", 0,
				 "terminating connection due to administrator command");
		ed_net_write_buf(&c->net, &c->out);
		ed_net_close_after_write(&c->net, 0);
		stmt_ran(&c->job);
	}
}

/* Does m run a statement (Query, Describe, Execute)? */
static bool runs_statement(const struct pgw_conn *c, const struct ed_pgw_msg *m)
{
	if (c->skip_to_sync)
		return false;
	return m->type == 'Q' || m->type == 'D' || m->type == 'E';
}

/* ---- framing ----------------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Handle complete messages in the input until one needs a statement thread,
 * a SUBSCRIBE streams, or the write queue is full (a client that sends
 * queries without reading the answers: src/net resumes us when it drains). */
static void conn_process(struct pgw_conn *c)
{
	struct ed_net_conn *nc = &c->net;
	while (!closing(c) && !c->sub && !c->running && !ed_net_backlogged(nc)) {
		size_t avail;
		const uint8_t *p = ed_net_input(nc, &avail);
		if (c->state == PGW_STARTUP) {
			if (avail < 4)
				break;
			uint32_t len = be32(p);
			if (len < 8 || len > ED_PGW_STARTUP_MAX) {
				pgw_fatal(c, "08P01", "invalid length of startup packet");
				break;
			}
			if (avail < len)
				break;
			ed_net_consume(nc, len);
			handle_startup(c, p + 4, len - 4);
			continue;
		}
		if (avail < 5)
			break;
		char type = (char)p[0];
		uint32_t len = be32(p + 1);
		if (len < 4 || len - 4 > c->pg->cfg.max_message_bytes) {
			char msg[128];
			snprintf(msg, sizeof(msg), "invalid message length %u (limit %zu bytes)",
				 len, c->pg->cfg.max_message_bytes);
			pgw_fatal(c, len < 4 ? "08P01" : "54000", msg);
			break;
		}
		if (avail < (size_t)len + 1)
			break;
		/* The bytes stay in place until the next read, which does not
		 * happen while a statement runs (reading is paused). */
		ed_net_consume(nc, (size_t)len + 1);
		const uint8_t *body = p + 5;
		size_t blen = len - 4;
		if (c->state == PGW_SASL_INITIAL || c->state == PGW_SASL_FINAL) {
			handle_sasl(c, type, body, blen);
			continue;
		}
		if (type == 'X') {
			pgw_flush(c);
			ed_net_close(nc, NULL);
			break;
		}
		struct ed_pgw_msg m;
		ed_arena_reset(&c->arena);
		int rc = ed_pgw_decode_frontend(type, body, blen, &c->arena, &m);
		if (rc == ED_ENOMEM) {
			pgw_fatal(c, "53200", "out of memory");
			break;
		}
		if (rc) {
			char msg[96];
			if (rc == ED_EUNSUPPORTED)
				snprintf(msg, sizeof(msg),
					 "unsupported frontend message type 0x%02x", (uint8_t)type);
			else
				snprintf(msg, sizeof(msg), "invalid frontend message type 0x%02x",
					 (uint8_t)type);
			pgw_fatal(c, "08P01", msg);
			break;
		}
		if (runs_statement(c, &m)) {
			stmt_start(c, &m);
			return;
		}
		pgw_query_message(c, &m);
	}
	if (!closing(c)) {
		pgw_flush(c);
		if (!c->running)
			ed_net_resume(nc);
	}
}

/* ---- SUBSCRIBE --------------------------------------------------------------------------------- */

/* Worker thread: encode the chunk as DataRows into the bounded queue. */
static void on_changes(void *arg, const struct ed_chunk *ch)
{
	struct pgw_sub *s = arg;
	pthread_mutex_lock(&s->mu);
	if (s->overflow)
		goto out;
	for (uint32_t r = 0; r < ch->rows; r++) {
		size_t pos = ed_pgw_begin(&s->pending, 'D');
		ed_buf_put_be16(&s->pending, (uint16_t)(s->ncols + 1));
		const char *op = ed_op_name(ch->ops[r]);
		ed_buf_put_be32(&s->pending, (uint32_t)strlen(op));
		ed_buf_append(&s->pending, op, strlen(op));
		for (uint32_t k = 0; k < s->ncols && k < ch->ncols; k++) {
			struct ed_value v;
			ed_vector_get(&ch->cols[k], r, &v);
			ed_pgw_put_value(&s->pending, &v, s->formats[k + 1]);
		}
		ed_pgw_end(&s->pending, pos);
		if (s->pending.err || s->pending.len > s->limit) {
			s->overflow = true;
			break;
		}
	}
out:
	pthread_mutex_unlock(&s->mu);
	ed_net_loopq_post(s->loopq, &s->task);
}

static void sub_free(struct pgw_sub *s)
{
	pthread_mutex_destroy(&s->mu);
	ed_buf_fini(&s->pending);
	ed_free(s->formats);
	ed_free(s);
}

/* Loop thread: move queued rows to the connection, or drop a subscription
 * whose client cannot keep up. */
static void sub_flush(struct pgw_sub *s)
{
	struct pgw_conn *c = s->conn;
	if (!c || c->running)
		return; /* the statement's completion flushes */
	struct ed_buf rows;
	pthread_mutex_lock(&s->mu);
	rows = s->pending;
	ed_buf_init(&s->pending);
	bool overflow = s->overflow;
	pthread_mutex_unlock(&s->mu);
	if (!overflow && ed_net_unwritten(&c->net) > s->limit)
		overflow = true;
	if (overflow) {
		ed_buf_fini(&rows);
		sub_end(c, "53400",
			"SUBSCRIBE dropped: the client does not read changes fast enough");
		return;
	}
	if (rows.len) {
		if (c->out.len == 0 && !c->out.err) {
			ed_buf_fini(&c->out);
			c->out = rows;
		} else {
			ed_buf_append(&c->out, rows.data, rows.len);
			ed_buf_fini(&rows);
		}
		pgw_flush(c);
	} else {
		ed_buf_fini(&rows);
	}
}

static void sub_task(struct ed_net_task *t)
{
	sub_flush(ed_net_container(t, struct pgw_sub, task));
}

int pgw_sub_start(struct pgw_conn *c, const char *view, uint32_t ncols, const int16_t *formats,
		  bool extended, struct ed_sql_error *err)
{
	struct pgw_sub *s = ed_calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->conn = c;
	s->eng = c->pg->eng;
	s->limit = c->pg->cfg.max_subscribe_bytes;
	s->extended = extended;
	ed_buf_init(&s->pending);
	pthread_mutex_init(&s->mu, NULL);
	s->ncols = ncols;
	s->formats = ed_calloc(s->ncols + 1, sizeof(int16_t));
	if (!s->formats) {
		pthread_mutex_destroy(&s->mu);
		ed_free(s);
		goto oom;
	}
	if (formats)
		memcpy(s->formats, formats, (s->ncols + 1) * sizeof(int16_t));
	s->loopq = c->pg->loopq;
	s->task.fn = sub_task;
	int rc = ed_engine_subscribe(c->pg->eng, view, on_changes, s, &s->id);
	if (rc) {
		ed_net_loopq_cancel(s->loopq, &s->task);
		sub_free(s);
		ed_sql_error_set(err, "", 0, UINT32_MAX, rc == ED_ENOENT ? "42P01" : "53200",
				 rc == ED_ENOENT ? "materialized view \"%s\" does not exist"
						 : "out of memory",
				 view);
		return rc;
	}
	s->subscribed = true;
	c->sub = s;
	return 0;
oom:
	ed_sql_error_set(err, "", 0, UINT32_MAX, "53200", "out of memory");
	return ED_ENOMEM;
}

/* End c's subscription: with sqlstate set, send the error (and, for a simple
 * query, ReadyForQuery) and resume processing input. */
static void sub_end(struct pgw_conn *c, const char *sqlstate, const char *msg)
{
	struct pgw_sub *s = c->sub;
	if (!s)
		return;
	c->sub = NULL;
	if (s->subscribed)
		ed_engine_unsubscribe(s->eng, s->id); /* no callback after this */
	s->conn = NULL;
	ed_net_loopq_cancel(s->loopq, &s->task);
	/* Rows already queued are sent before the error. */
	if (sqlstate && !closing(c)) {
		pthread_mutex_lock(&s->mu);
		if (!s->overflow)
			ed_buf_append(&c->out, s->pending.data, s->pending.len);
		pthread_mutex_unlock(&s->mu);
		ed_pgw_put_error(&c->out, 'E', "ERROR", sqlstate, 0, msg);
		if (c->txn == 'T')
			c->txn = 'E';
		if (s->extended)
			c->skip_to_sync = true;
		else
			ed_pgw_put_ready(&c->out, c->txn);
	}
	sub_free(s);
	if (sqlstate && !closing(c))
		conn_process(c);
}

/* ---- lifecycle --------------------------------------------------------------------------------- */

int ed_pgwire_new(uv_loop_t *loop, struct ed_engine *eng, const struct ed_pgwire_config *cfg,
		  struct ed_pgwire **out, char *err, size_t errlen)
{
	struct ed_pgwire *pg = ed_calloc(1, sizeof(*pg));
	int rc = ED_ENOMEM;
	if (!pg) {
		snprintf(err, errlen, "out of memory");
		return ED_ENOMEM;
	}
	pg->loop = loop;
	pg->eng = eng;
	pg->cfg = *cfg;
	if (!pg->cfg.bind_host)
		pg->cfg.bind_host = "127.0.0.1";
	if (pg->cfg.max_message_bytes == 0)
		pg->cfg.max_message_bytes = 16u * 1024 * 1024;
	if (pg->cfg.max_subscribe_bytes == 0)
		pg->cfg.max_subscribe_bytes = 8u * 1024 * 1024;
	pg->next_pid = 1000;
	pg->bind_host = ed_strdup(pg->cfg.bind_host);
	pg->user = ed_strdup(cfg->user ? cfg->user : "eddy");
	pg->password = ed_strdup(cfg->password ? cfg->password : "");
	if (!pg->bind_host || !pg->user || !pg->password) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pg->cfg.bind_host = pg->bind_host;
	pg->cfg.user = pg->user;
	pg->cfg.password = pg->password;
	if (pg->cfg.auth == ED_PGWIRE_AUTH_SCRAM) {
		if (!cfg->password || !cfg->password[0]) {
			snprintf(err, errlen, "password authentication needs a password");
			rc = ED_EINVAL;
			goto fail;
		}
		if ((rc = ed_scram_server_init(&pg->scram, pg->password))) {
			snprintf(err, errlen, "cannot derive SCRAM keys (libcrypto)");
			goto fail;
		}
	}
	static const struct ed_net_ops ops = {conn_on_accept, conn_on_data, conn_on_close,
					      conn_on_free, NULL};
	struct ed_net_config nc;
	ed_net_config_init(&nc, MOD, pg->bind_host, pg->cfg.port, sizeof(struct pgw_conn), pg);
	nc.backlog = 128;
	/* a message, or what may wait while a SUBSCRIBE streams */
	nc.max_read_bytes = pg->cfg.max_message_bytes + 5 + SUB_INPUT_MAX;
	nc.startup_timeout_ms = pg->cfg.startup_timeout_ms;
	nc.idle_timeout_ms = pg->cfg.idle_timeout_ms;
	rc = ed_net_server_new(loop, &nc, &ops, &pg->srv, err, errlen);
	if (rc < 0)
		goto fail;
	pg->loopq = ed_net_server_loopq(pg->srv);
	*out = pg;
	return 0;
fail:
	ed_free(pg->bind_host);
	ed_free(pg->user);
	ed_free(pg->password);
	ed_free(pg);
	return rc;
}

static void stop_one(struct ed_net_conn *nc, void *arg)
{
	struct pgw_conn *c = (struct pgw_conn *)nc;
	(void)arg;
	if (c->state == PGW_READY && !c->cancel_only && !c->running) {
		ed_pgw_put_error(&c->out, 'E', "FATAL", "57P01", 0,
				 "terminating connection due to administrator command");
		pgw_flush(c);
	}
	ed_net_close(nc, "shutdown");
}

void ed_pgwire_stop(struct ed_pgwire *pg)
{
	if (!pg || pg->stopping)
		return;
	pg->stopping = true;
	ed_net_server_each(pg->srv, stop_one, NULL);
	ed_net_server_stop(pg->srv); /* the queue closes once every statement completed */
}

void ed_pgwire_free(struct ed_pgwire *pg)
{
	if (!pg)
		return;
	ed_free(pg->bind_host);
	ed_free(pg->user);
	ed_free(pg->password);
	ed_net_server_free(pg->srv);
	ed_free(pg);
}
