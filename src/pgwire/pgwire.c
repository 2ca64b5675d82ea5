/* PostgreSQL front end networking (pgwire.h): the listener, connections,
 * message framing with the size limit checked before buffering, the startup
 * packet, trust and SCRAM-SHA-256 authentication, CancelRequest, and the
 * SUBSCRIBE stream that hops from engine workers to the loop thread through
 * uv_async. Query messages go to query.c. See pgwire_int.h for invariants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "pgwire/pgwire_int.h"

#define MOD "pgwire"
#define READ_CHUNK (64 * 1024)
#define SUB_INPUT_MAX (1024 * 1024) /* input buffered while a SUBSCRIBE streams */
#define OUT_BACKLOG (1024 * 1024)   /* output waiting to be written before we stop reading */

static void conn_process(struct pgw_conn *c);
static void conn_close(struct pgw_conn *c);
static void sub_end(struct pgw_conn *c, const char *sqlstate, const char *msg);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

void ed_pgwire_config_defaults(struct ed_pgwire_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_host = "127.0.0.1";
	cfg->port = ED_PGWIRE_DEFAULT_PORT;
	cfg->max_message_bytes = 16u * 1024 * 1024;
	cfg->auth = ED_PGWIRE_AUTH_TRUST;
	cfg->max_subscribe_bytes = 8u * 1024 * 1024;
}

int ed_pgwire_port(const struct ed_pgwire *pg) { return pg->bound_port; }

/* ---- output ------------------------------------------------------------------------------------ */

struct pgw_write {
	uv_write_t req;
	struct ed_buf buf;
};

/* Output encoded or queued in libuv and not yet taken by the kernel. */
static size_t out_backlog(struct pgw_conn *c)
{
	return c->out.len + uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

static void on_write(uv_write_t *w, int status)
{
	struct pgw_write *wr = w->data;
	struct pgw_conn *c = w->handle->data; /* still allocated: closing runs this first */
	(void)status; /* a failed write shows up as a read error */
	ed_buf_fini(&wr->buf);
	ed_free(wr);
	if (c->paused && c->state != PGW_CLOSING && out_backlog(c) <= OUT_BACKLOG) {
		/* the client read its answers: resume (conn_process pauses again if needed) */
		c->paused = false;
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
			conn_close(c);
			return;
		}
		conn_process(c);
	}
}

void pgw_flush(struct pgw_conn *c)
{
	if (c->state == PGW_CLOSING || c->out.len == 0)
		return;
	if (c->out.err) {
		ed_buf_reset(&c->out);
		pgw_fatal(c, "53200", "out of memory");
		return;
	}
	struct pgw_write *wr = ed_malloc(sizeof(*wr));
	if (!wr) {
		conn_close(c);
		return;
	}
	wr->buf = c->out;
	ed_buf_init(&c->out);
	wr->req.data = wr;
	uv_buf_t b = uv_buf_init((char *)wr->buf.data, (unsigned)wr->buf.len);
	if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
		ed_buf_fini(&wr->buf);
		ed_free(wr);
		conn_close(c);
	}
}

void pgw_fatal(struct pgw_conn *c, const char *sqlstate, const char *msg)
{
	if (c->state == PGW_CLOSING)
		return;
	ed_debug(MOD, "connection %d: %s %s", c->pid, sqlstate, msg);
	ed_pgw_put_error(&c->out, 'E', "FATAL", sqlstate, 0, msg);
	pgw_flush(c);
	conn_close(c);
}

/* ---- connections ------------------------------------------------------------------------------- */

static void on_conn_closed(uv_handle_t *h)
{
	struct pgw_conn *c = h->data;
	ed_buf_fini(&c->in);
	ed_buf_fini(&c->out);
	ed_arena_fini(&c->arena);
	ed_free(c);
}

static void conn_close(struct pgw_conn *c)
{
	if (c->state == PGW_CLOSING)
		return;
	if (c->sub)
		sub_end(c, NULL, NULL);
	c->state = PGW_CLOSING;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->pg->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pgw_conn_free_statements(c);
	pgw_guc_free_all(c);
	ed_session_free(c->sess);
	c->sess = NULL;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct pgw_conn *c = h->data;
	(void)hint;
	/* Compact what was processed, then make room for one chunk. */
	if (c->in_off) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	if (ed_buf_reserve(&c->in, READ_CHUNK) < 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)c->in.data + c->in.len, READ_CHUNK);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct pgw_conn *c = s->data;
	(void)buf;
	if (n < 0) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	c->in.len += (size_t)n;
	if (c->sub) {
		if (c->in.len - c->in_off > SUB_INPUT_MAX)
			pgw_fatal(c, "54000", "too much input while SUBSCRIBE is streaming");
		return;
	}
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ed_pgwire *pg = server->data;
	if (status < 0 || pg->stopping)
		return;
	struct pgw_conn *c = ed_calloc(1, sizeof(*c));
	if (!c)
		return;
	c->pg = pg;
	c->txn = 'I';
	ed_buf_init(&c->in);
	ed_buf_init(&c->out);
	ed_arena_init(&c->arena, 4096);
	uv_tcp_init(pg->loop, &c->tcp);
	c->tcp.data = c;
	c->pid = ++pg->next_pid;
	if (RAND_bytes((unsigned char *)&c->key, sizeof(c->key)) != 1)
		c->key = (int32_t)random();
	c->next = pg->conns;
	if (pg->conns)
		pg->conns->prev = c;
	pg->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
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

static void handle_cancel(struct pgw_conn *c, int32_t pid, int32_t key)
{
	for (struct pgw_conn *t = c->pg->conns; t; t = t->next) {
		if (t->pid == pid && t->key == key && t != c) {
			ed_debug(MOD, "cancel request for connection %d", pid);
			if (t->sub)
				sub_end(t, "57014", "canceling statement due to user request");
			break;
		}
	}
	conn_close(c); /* no answer, as in PostgreSQL */
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

/* ---- framing ----------------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void conn_process(struct pgw_conn *c)
{
	while (c->state != PGW_CLOSING && !c->sub) {
		if (out_backlog(c) > OUT_BACKLOG) {
			/* A client that sends queries without reading the answers:
			 * stop reading until the output drains (on_write resumes),
			 * rather than queueing answers without bound. */
			if (!c->paused) {
				uv_read_stop((uv_stream_t *)&c->tcp);
				c->paused = true;
			}
			break;
		}
		const uint8_t *p = c->in.data + c->in_off;
		size_t avail = c->in.len - c->in_off;
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
			c->in_off += len;
			handle_startup(c, p + 4, len - 4);
			continue;
		}
		if (avail < 5)
			break;
		char type = (char)p[0];
		uint32_t len = be32(p + 1);
		if (len < 4 || len - 4 > c->pg->cfg.max_message_bytes) {
			char msg[128];
			snprintf(msg, sizeof(msg), "invalid message length %u (limit %zu bytes)", len,
				 c->pg->cfg.max_message_bytes);
			pgw_fatal(c, len < 4 ? "08P01" : "54000", msg);
			break;
		}
		if (avail < (size_t)len + 1)
			break;
		c->in_off += (size_t)len + 1;
		const uint8_t *body = p + 5;
		size_t blen = len - 4;
		if (c->state == PGW_SASL_INITIAL || c->state == PGW_SASL_FINAL) {
			handle_sasl(c, type, body, blen);
			continue;
		}
		if (type == 'X') {
			pgw_flush(c);
			conn_close(c);
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
				snprintf(msg, sizeof(msg), "unsupported frontend message type 0x%02x", (uint8_t)type);
			else
				snprintf(msg, sizeof(msg), "invalid frontend message type 0x%02x", (uint8_t)type);
			pgw_fatal(c, "08P01", msg);
			break;
		}
		pgw_query_message(c, &m);
	}
	if (c->state != PGW_CLOSING)
		pgw_flush(c);
}

/* ---- SUBSCRIBE --------------------------------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
	switch (op) {
	case ED_OP_INSERT: return "insert";
	case ED_OP_DELETE: return "delete";
	case ED_OP_UPDATE_BEFORE: return "update_before";
	case ED_OP_UPDATE_AFTER: return "update_after";
	}
	return "unknown";
}

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
		const char *op = op_name(ch->ops[r]);
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
	uv_async_send(&s->async);
}

static void on_sub_closed(uv_handle_t *h)
{
	struct pgw_sub *s = h->data;
	pthread_mutex_destroy(&s->mu);
	ed_buf_fini(&s->pending);
	ed_free(s->formats);
	ed_free(s);
}

/* Loop thread: move queued rows to the connection, or drop a subscription
 * whose client cannot keep up. */
static void on_sub_async(uv_async_t *a)
{
	struct pgw_sub *s = a->data;
	struct pgw_conn *c = s->conn;
	if (!c)
		return;
	struct ed_buf rows;
	pthread_mutex_lock(&s->mu);
	rows = s->pending;
	ed_buf_init(&s->pending);
	bool overflow = s->overflow;
	pthread_mutex_unlock(&s->mu);
	if (!overflow && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > s->limit)
		overflow = true;
	if (overflow) {
		ed_buf_fini(&rows);
		sub_end(c, "53400", "SUBSCRIBE dropped: the client does not read changes fast enough");
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
	uv_async_init(c->pg->loop, &s->async, on_sub_async);
	s->async.data = s;
	int rc = ed_engine_subscribe(c->pg->eng, view, on_changes, s, &s->id);
	if (rc) {
		uv_close((uv_handle_t *)&s->async, on_sub_closed);
		ed_sql_error_set(err, "", 0, UINT32_MAX, rc == ED_ENOENT ? "42P01" : "53200",
				 rc == ED_ENOENT ? "materialized view \"%s\" does not exist" : "out of memory", view);
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
	/* Rows already queued are sent before the error. */
	if (sqlstate && c->state != PGW_CLOSING) {
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
	uv_close((uv_handle_t *)&s->async, on_sub_closed);
	if (sqlstate && c->state != PGW_CLOSING)
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
	struct sockaddr_storage addr;
	if (uv_ip4_addr(pg->bind_host, pg->cfg.port, (struct sockaddr_in *)&addr) < 0 &&
	    uv_ip6_addr(pg->bind_host, pg->cfg.port, (struct sockaddr_in6 *)&addr) < 0) {
		snprintf(err, errlen, "bad bind address %s", pg->bind_host);
		rc = ED_EINVAL;
		goto fail;
	}
	uv_tcp_init(loop, &pg->listener);
	pg->listener.data = pg;
	pg->listening = true;
	int urc = uv_tcp_bind(&pg->listener, (const struct sockaddr *)&addr, 0);
	if (urc == 0)
		urc = uv_listen((uv_stream_t *)&pg->listener, 128, on_connection);
	if (urc < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", pg->bind_host, pg->cfg.port,
			 uv_strerror(urc));
		rc = ED_EIO;
		goto fail_close;
	}
	struct sockaddr_storage bound;
	int blen = sizeof(bound);
	uv_tcp_getsockname(&pg->listener, (struct sockaddr *)&bound, &blen);
	pg->bound_port = bound.ss_family == AF_INET6
				 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
				 : ntohs(((struct sockaddr_in *)&bound)->sin_port);
	*out = pg;
	return 0;
fail_close:
	/* The listener handle must be closed through the loop: free on close. */
	pg->stopping = true;
	uv_close((uv_handle_t *)&pg->listener, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
fail:
	ed_free(pg->bind_host);
	ed_free(pg->user);
	ed_free(pg->password);
	ed_free(pg);
	return rc;
}

void ed_pgwire_stop(struct ed_pgwire *pg)
{
	if (!pg || pg->stopping)
		return;
	pg->stopping = true;
	if (pg->listening) {
		pg->listening = false;
		uv_close((uv_handle_t *)&pg->listener, NULL);
	}
	while (pg->conns) {
		struct pgw_conn *c = pg->conns;
		if (c->state == PGW_READY && !c->cancel_only) {
			ed_pgw_put_error(&c->out, 'E', "FATAL", "57P01",
					 0, "terminating connection due to administrator command");
			pgw_flush(c);
		}
		conn_close(c);
	}
}

void ed_pgwire_free(struct ed_pgwire *pg)
{
	if (!pg)
		return;
	ed_free(pg->bind_host);
	ed_free(pg->user);
	ed_free(pg->password);
	ed_free(pg);
}
