/* A small blocking PostgreSQL protocol client built on the same codec as
 * the server (proto.h): startup, trust / cleartext / SCRAM-SHA-256
 * authentication, the simple query protocol with results streamed to
 * callbacks, and CancelRequest. Used by `eddy sql` and by tests. One
 * client is used by one thread. */
#ifndef ED_PGW_CLIENT_H
#define ED_PGW_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ed_pg_client;

struct ed_pg_client_config {
	const char *host;     /* default "127.0.0.1" */
	int port;             /* default ED_PGWIRE_DEFAULT_PORT */
	const char *user;     /* default "eddy" */
	const char *database; /* default: the user */
	const char *password; /* NULL: none (trust) */
	const char *application_name;
};

/* An ErrorResponse or NoticeResponse. */
struct ed_pg_error {
	char severity[16];
	char sqlstate[6];
	uint32_t pos; /* 1-based character position in the query, 0 = none */
	char msg[512];
	char detail[256];
	char hint[256];
};

/* Callbacks for one query; any may be NULL. Strings are valid during the call. */
struct ed_pg_handler {
	void (*columns)(void *arg, uint32_t ncols, const char *const *names, const uint32_t *oids);
	/* cells[i] is NULL for SQL NULL; text format. */
	void (*row)(void *arg, uint32_t ncols, const char *const *cells);
	void (*complete)(void *arg, const char *tag);
	void (*notice)(void *arg, const struct ed_pg_error *notice);
	/* Called when a read is interrupted by a signal (EINTR): return true to
	 * send a CancelRequest for the running query. */
	bool (*interrupted)(void *arg);
	void *arg;
};

/* Connect and authenticate. 0, or ED_EIO (cannot connect; err says why),
 * ED_EINVAL (the server refused: err holds its message), ED_EPROTO. */
int ed_pg_client_connect(const struct ed_pg_client_config *cfg, struct ed_pg_client **out,
			 char *err, size_t errlen);
/* Send Terminate, close and free. NULL is fine. */
void ed_pg_client_free(struct ed_pg_client *c);

/* Run sql with the simple query protocol until ReadyForQuery. 0 when every
 * statement succeeded; ED_EINVAL when the server reported an error (filled
 * into *err); ED_EIO or ED_EPROTO when the connection failed (err->msg says
 * why; the client is then unusable). */
int ed_pg_client_query(struct ed_pg_client *c, const char *sql, const struct ed_pg_handler *h,
		       struct ed_pg_error *err);

/* Send a CancelRequest for c's running query over a new connection. 0 or ED_EIO. */
int ed_pg_client_cancel(struct ed_pg_client *c);

/* A server parameter reported at startup (server_version, ...), or NULL. */
const char *ed_pg_client_param(const struct ed_pg_client *c, const char *name);

#endif
