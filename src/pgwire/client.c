/* Blocking PostgreSQL protocol client (client.h). Messages are framed and
 * decoded with ed_cur like the server's; the startup, query and SCRAM
 * messages come from proto.c and scram.c. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cursor.h"
#include "base/err.h"
#include "base/mem.h"
#include "pgwire/client.h"
#include "pgwire/pgwire.h"
#include "pgwire/proto.h"
#include "pgwire/scram.h"

#define MAX_MESSAGE (256u * 1024 * 1024) /* largest backend message accepted */
#define MAX_PARAMS 32

struct ed_pg_client {
	int fd;
	char host[256];
	int port;
	int32_t pid, key;
	struct ed_buf in; /* received bytes from in_off */
	size_t in_off;
	char *pkeys[MAX_PARAMS], *pvals[MAX_PARAMS];
	int nparams;
};

static int dial(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char ps[16];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	int rc = getaddrinfo(host, ps, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

static int send_all(int fd, const struct ed_buf *b)
{
	if (b->err)
		return ED_ENOMEM;
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ED_EIO;
		off += (size_t)n;
	}
	return 0;
}

/* Read one backend message: type, body and its length (valid until the next
 * read). 0, ED_EIO (connection closed), ED_EPROTO (bad length) or EINTR
 * reported as ED_EAGAIN. */
static int read_msg(struct ed_pg_client *c, char *type, const uint8_t **body, size_t *len)
{
	for (;;) {
		size_t avail = c->in.len - c->in_off;
		const uint8_t *p = c->in.data + c->in_off;
		if (avail >= 5) {
			uint32_t l = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 8 | p[4];
			if (l < 4 || l > MAX_MESSAGE)
				return ED_EPROTO;
			if (avail >= (size_t)l + 1) {
				*type = (char)p[0];
				*body = p + 5;
				*len = l - 4;
				c->in_off += (size_t)l + 1;
				return 0;
			}
		}
		if (c->in_off) {
			memmove(c->in.data, c->in.data + c->in_off, avail);
			c->in.len = avail;
			c->in_off = 0;
		}
		if (ed_buf_reserve(&c->in, 65536))
			return ED_ENOMEM;
		ssize_t n = recv(c->fd, c->in.data + c->in.len, 65536, 0);
		if (n < 0 && errno == EINTR)
			return ED_EAGAIN;
		if (n <= 0)
			return ED_EIO;
		c->in.len += (size_t)n;
	}
}

static void decode_error(const uint8_t *body, size_t len, struct ed_pg_error *e)
{
	struct ed_cur cur;
	memset(e, 0, sizeof(*e));
	ed_cur_init(&cur, body, len);
	while (ed_cur_left(&cur) > 0) {
		uint8_t f = ed_cur_u8(&cur);
		if (f == 0)
			break;
		const uint8_t *nul = memchr(cur.p, 0, ed_cur_left(&cur));
		if (!nul)
			break;
		const char *s = (const char *)cur.p;
		cur.p = nul + 1;
		switch (f) {
		case 'V':
			snprintf(e->severity, sizeof(e->severity), "%s", s);
			break;
		case 'S':
			if (!e->severity[0])
				snprintf(e->severity, sizeof(e->severity), "%s", s);
			break;
		case 'C':
			snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", s);
			break;
		case 'M':
			snprintf(e->msg, sizeof(e->msg), "%s", s);
			break;
		case 'D':
			snprintf(e->detail, sizeof(e->detail), "%s", s);
			break;
		case 'H':
			snprintf(e->hint, sizeof(e->hint), "%s", s);
			break;
		case 'P':
			e->pos = (uint32_t)strtoul(s, NULL, 10);
			break;
		}
	}
}

static void set_err(struct ed_pg_error *e, const char *sqlstate, const char *msg)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->severity, sizeof(e->severity), "FATAL");
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", sqlstate);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

static void save_param(struct ed_pg_client *c, const uint8_t *body, size_t len)
{
	const char *k = (const char *)body;
	const char *nul = memchr(body, 0, len);
	if (!nul || c->nparams == MAX_PARAMS)
		return;
	const char *v = nul + 1;
	if (!memchr(v, 0, len - (size_t)(v - k)))
		return;
	for (int i = 0; i < c->nparams; i++)
		if (strcmp(c->pkeys[i], k) == 0) {
			char *nv = ed_strdup(v);
			if (nv) {
				ed_free(c->pvals[i]);
				c->pvals[i] = nv;
			}
			return;
		}
	c->pkeys[c->nparams] = ed_strdup(k);
	c->pvals[c->nparams] = ed_strdup(v);
	if (c->pkeys[c->nparams] && c->pvals[c->nparams])
		c->nparams++;
}

const char *ed_pg_client_param(const struct ed_pg_client *c, const char *name)
{
	for (int i = 0; i < c->nparams; i++)
		if (strcmp(c->pkeys[i], name) == 0)
			return c->pvals[i];
	return NULL;
}

static int send_sasl(struct ed_pg_client *c, bool initial, const struct ed_buf *data)
{
	struct ed_buf b;
	ed_buf_init(&b);
	size_t pos = ed_pgw_begin(&b, 'p');
	if (initial) {
		ed_pgw_put_cstr(&b, "SCRAM-SHA-256");
		ed_buf_put_be32(&b, (uint32_t)data->len);
	}
	ed_buf_append(&b, data->data, data->len);
	ed_pgw_end(&b, pos);
	int rc = send_all(c->fd, &b);
	ed_buf_fini(&b);
	return rc;
}

/* The authentication exchange and startup messages, until ReadyForQuery. */
static int startup(struct ed_pg_client *c, const struct ed_pg_client_config *cfg, char *err,
		   size_t errlen)
{
	struct ed_scram scram;
	struct ed_buf out;
	int rc = 0;
	ed_buf_init(&out);
	for (;;) {
		char type;
		const uint8_t *body;
		size_t len;
		rc = read_msg(c, &type, &body, &len);
		if (rc == ED_EAGAIN)
			continue;
		if (rc) {
			snprintf(err, errlen, "connection lost during startup");
			break;
		}
		struct ed_cur cur;
		ed_cur_init(&cur, body, len);
		if (type == 'E') {
			struct ed_pg_error e;
			decode_error(body, len, &e);
			snprintf(err, errlen, "%s:  %s", e.severity, e.msg);
			rc = ED_EINVAL;
			break;
		}
		if (type == 'K') {
			c->pid = ed_cur_i32(&cur);
			c->key = ed_cur_i32(&cur);
			continue;
		}
		if (type == 'S') {
			save_param(c, body, len);
			continue;
		}
		if (type == 'Z')
			break;
		if (type != 'R')
			continue; /* NoticeResponse and others */
		uint32_t code = ed_cur_u32(&cur);
		const uint8_t *rest = cur.p;
		size_t rlen = ed_cur_left(&cur);
		ed_buf_reset(&out);
		if (code == 0)
			continue;
		if (!cfg->password && (code == 3 || code == 10)) {
			snprintf(err, errlen,
				 "the server asks for a password (--password or $PGPASSWORD)");
			rc = ED_EINVAL;
			break;
		}
		if (code == 3) { /* cleartext */
			size_t pos = ed_pgw_begin(&out, 'p');
			ed_pgw_put_cstr(&out, cfg->password);
			ed_pgw_end(&out, pos);
			rc = send_all(c->fd, &out);
		} else if (code == 10) {
			bool has = false;
			for (size_t i = 0; i + 13 <= rlen; i++)
				if (memcmp(rest + i, "SCRAM-SHA-256", 13) == 0)
					has = true;
			if (!has || ed_scram_client_first(&scram, &out)) {
				snprintf(err, errlen,
					 "the server offers no SASL mechanism eddy supports");
				rc = ED_EPROTO;
				break;
			}
			struct ed_buf data = out;
			ed_buf_init(&out);
			rc = send_sasl(c, true, &data);
			ed_buf_fini(&data);
		} else if (code == 11) {
			struct ed_buf data;
			ed_buf_init(&data);
			rc = ed_scram_client_final(&scram, cfg->password, rest, rlen, &data);
			if (rc == 0)
				rc = send_sasl(c, false, &data);
			ed_buf_fini(&data);
		} else if (code == 12) {
			rc = ed_scram_client_verify(&scram, rest, rlen);
			if (rc)
				snprintf(err, errlen, "the server's SCRAM signature does not verify");
		} else {
			snprintf(err, errlen, "unsupported authentication method %u", code);
			rc = ED_EUNSUPPORTED;
		}
		if (rc) {
			if (!err[0])
				snprintf(err, errlen, "authentication failed: %s", ed_err_str(rc));
			break;
		}
	}
	ed_buf_fini(&out);
	return rc;
}

int ed_pg_client_connect(const struct ed_pg_client_config *cfg, struct ed_pg_client **out,
			 char *err, size_t errlen)
{
	err[0] = 0;
	struct ed_pg_client *c = ed_calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return ED_ENOMEM;
	}
	ed_buf_init(&c->in);
	snprintf(c->host, sizeof(c->host), "%s", cfg->host ? cfg->host : "127.0.0.1");
	c->port = cfg->port ? cfg->port : ED_PGWIRE_DEFAULT_PORT;
	c->fd = dial(c->host, c->port, err, errlen);
	if (c->fd < 0) {
		ed_pg_client_free(c);
		return ED_EIO;
	}
	const char *user = cfg->user ? cfg->user : "eddy";
	const char *keys[4] = {"user", "database", "client_encoding", "application_name"};
	const char *vals[4] = {user, cfg->database ? cfg->database : user, "UTF8",
			       cfg->application_name ? cfg->application_name : "eddy sql"};
	struct ed_buf b;
	ed_buf_init(&b);
	ed_pgw_put_startup(&b, keys, vals, 4);
	int rc = send_all(c->fd, &b);
	ed_buf_fini(&b);
	if (rc) {
		snprintf(err, errlen, "cannot send the startup message");
		ed_pg_client_free(c);
		return ED_EIO;
	}
	rc = startup(c, cfg, err, errlen);
	if (rc) {
		ed_pg_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ed_pg_client_free(struct ed_pg_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		struct ed_buf b;
		ed_buf_init(&b);
		ed_pgw_put_empty(&b, 'X');
		send_all(c->fd, &b);
		ed_buf_fini(&b);
		close(c->fd);
	}
	for (int i = 0; i < c->nparams; i++) {
		ed_free(c->pkeys[i]);
		ed_free(c->pvals[i]);
	}
	ed_buf_fini(&c->in);
	ed_free(c);
}

int ed_pg_client_cancel(struct ed_pg_client *c)
{
	char err[256];
	int fd = dial(c->host, c->port, err, sizeof(err));
	if (fd < 0)
		return ED_EIO;
	struct ed_buf b;
	ed_buf_init(&b);
	size_t pos = ed_pgw_begin(&b, 0);
	ed_buf_put_be32(&b, ED_PGW_CANCEL_REQUEST);
	ed_buf_put_be32(&b, (uint32_t)c->pid);
	ed_buf_put_be32(&b, (uint32_t)c->key);
	ed_pgw_end(&b, pos);
	int rc = send_all(fd, &b);
	ed_buf_fini(&b);
	close(fd);
	return rc;
}

/* RowDescription: names and type oids (into arrays of n entries). */
static int decode_rowdesc(const uint8_t *body, size_t len, uint32_t *n, const char ***names,
			  uint32_t **oids)
{
	struct ed_cur cur;
	ed_cur_init(&cur, body, len);
	uint16_t nc = (uint16_t)ed_cur_i16(&cur);
	*names = ed_calloc(nc + 1u, sizeof(char *));
	*oids = ed_calloc(nc + 1u, sizeof(uint32_t));
	if (!*names || !*oids)
		return ED_ENOMEM;
	for (uint16_t i = 0; i < nc && !cur.err; i++) {
		const uint8_t *nul = memchr(cur.p, 0, ed_cur_left(&cur));
		if (!nul)
			return ED_EPROTO;
		(*names)[i] = (const char *)cur.p;
		cur.p = nul + 1;
		ed_cur_skip(&cur, 6);
		(*oids)[i] = ed_cur_u32(&cur);
		ed_cur_skip(&cur, 8);
	}
	*n = nc;
	return cur.err ? ED_EPROTO : 0;
}

/* DataRow: cells as NUL-terminated copies in scratch. */
static int decode_datarow(const uint8_t *body, size_t len, struct ed_buf *scratch,
			  const char ***cells, uint32_t *n)
{
	struct ed_cur cur;
	ed_cur_init(&cur, body, len);
	uint16_t nc = (uint16_t)ed_cur_i16(&cur);
	ed_buf_reset(scratch);
	size_t *offs = ed_calloc(nc + 1u, sizeof(size_t));
	bool *nulls = ed_calloc(nc + 1u, sizeof(bool));
	*cells = ed_calloc(nc + 1u, sizeof(char *));
	int rc = 0;
	if (!offs || !nulls || !*cells) {
		rc = ED_ENOMEM;
		goto done;
	}
	for (uint16_t i = 0; i < nc && !cur.err; i++) {
		int32_t l = ed_cur_i32(&cur);
		if (l < 0) {
			nulls[i] = true;
			continue;
		}
		const uint8_t *p = ed_cur_bytes(&cur, (size_t)l);
		offs[i] = scratch->len;
		if (p)
			ed_buf_append(scratch, p, (size_t)l);
		ed_buf_put_u8(scratch, 0);
	}
	if (cur.err || scratch->err) {
		rc = cur.err ? ED_EPROTO : ED_ENOMEM;
		goto done;
	}
	for (uint16_t i = 0; i < nc; i++)
		(*cells)[i] = nulls[i] ? NULL : (const char *)scratch->data + offs[i];
	*n = nc;
done:
	ed_free(offs);
	ed_free(nulls);
	return rc;
}

int ed_pg_client_query(struct ed_pg_client *c, const char *sql, const struct ed_pg_handler *h,
		       struct ed_pg_error *err)
{
	static const struct ed_pg_handler none;
	if (!h)
		h = &none;
	memset(err, 0, sizeof(*err));
	struct ed_buf b, scratch;
	ed_buf_init(&b);
	ed_buf_init(&scratch);
	ed_pgw_put_query(&b, sql);
	int rc = send_all(c->fd, &b), result = 0;
	ed_buf_fini(&b);
	if (rc) {
		set_err(err, "08006", "connection lost");
		return ED_EIO;
	}
	for (;;) {
		char type;
		const uint8_t *body;
		size_t len;
		rc = read_msg(c, &type, &body, &len);
		if (rc == ED_EAGAIN) {
			if (h->interrupted && h->interrupted(h->arg))
				ed_pg_client_cancel(c);
			continue;
		}
		if (rc) {
			/* Keep a FATAL error the server sent before closing. */
			if (result != ED_EINVAL)
				set_err(err, "08006",
					rc == ED_EPROTO ? "protocol error" : "connection lost");
			result = rc == ED_EPROTO ? ED_EPROTO : ED_EIO;
			break;
		}
		if (type == 'Z')
			break;
		switch (type) {
		case 'T': {
			uint32_t n = 0;
			const char **names = NULL;
			uint32_t *oids = NULL;
			rc = decode_rowdesc(body, len, &n, &names, &oids);
			if (rc == 0 && h->columns)
				h->columns(h->arg, n, names, oids);
			ed_free(names);
			ed_free(oids);
			break;
		}
		case 'D': {
			const char **cells = NULL;
			uint32_t n = 0;
			rc = decode_datarow(body, len, &scratch, &cells, &n);
			if (rc == 0 && h->row)
				h->row(h->arg, n, cells);
			ed_free(cells);
			break;
		}
		case 'C':
			if (h->complete && memchr(body, 0, len))
				h->complete(h->arg, (const char *)body);
			break;
		case 'I':
			break;
		case 'E':
			decode_error(body, len, err);
			result = ED_EINVAL;
			break;
		case 'N':
			if (h->notice) {
				struct ed_pg_error n;
				decode_error(body, len, &n);
				h->notice(h->arg, &n);
			}
			break;
		case 'S':
			save_param(c, body, len);
			break;
		default:
			break;
		}
		if (rc) {
			set_err(err, "08P01", "malformed message from the server");
			result = rc;
			break;
		}
	}
	ed_buf_fini(&scratch);
	return result;
}
