/* The PostgreSQL protocol front end: serves the SQL engine to psql, drivers
 * (node-postgres, JDBC, psycopg, ...) and `eddy sql` over TCP on a libuv
 * loop. Protocol 3.0: startup (SSL/GSSENC answered 'N'), trust or
 * SCRAM-SHA-256 authentication, simple and extended query protocols with
 * text and binary formats, CancelRequest, and SUBSCRIBE push queries.
 * docs/PGWIRE.md lists the implemented subset.
 *
 * Threads: the transport (src/net) and the protocol run on the loop thread
 * that calls ed_pgwire_new. A message that runs a statement (Query,
 * Describe, Execute) is handled on one of the engine's statement threads
 * (ed_engine_submit) and completes on the loop through the net loop queue;
 * the connection reads nothing meanwhile. The engine's subscription
 * callbacks run on engine workers and only append to a bounded
 * per-subscription queue and post a flush on the loop queue. */
#ifndef ED_PGWIRE_H
#define ED_PGWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ed_engine;
struct ed_pgwire;

/* The default SQL port: 5433, next to PostgreSQL's 5432, so that eddy and a
 * local PostgreSQL can run side by side (docs/PGWIRE.md). */
#define ED_PGWIRE_DEFAULT_PORT 5433

enum ed_pgwire_auth {
	ED_PGWIRE_AUTH_TRUST = 0, /* any user, no password (default) */
	ED_PGWIRE_AUTH_SCRAM,     /* user and password below, SCRAM-SHA-256 */
};

struct ed_pgwire_config {
	const char *bind_host;    /* default "127.0.0.1" */
	int port;                 /* default ED_PGWIRE_DEFAULT_PORT; 0 = any free port */
	size_t max_message_bytes; /* largest frontend message (default 16 MiB) */
	enum ed_pgwire_auth auth;
	const char *user;           /* SCRAM: the one user accepted */
	const char *password;       /* SCRAM: its password */
	size_t max_subscribe_bytes; /* per SUBSCRIBE: changes queued for a slow
				     * client before it is dropped (default 8 MiB) */
	int64_t startup_timeout_ms; /* startup and authentication within (10 s; 0 = none) */
	int64_t idle_timeout_ms;    /* close a session idle this long (1 h; 0 = never) */
};

void ed_pgwire_config_defaults(struct ed_pgwire_config *cfg);

/* Bind and listen. The engine is borrowed and must outlive the front end.
 * Strings in cfg are copied. Returns 0 or a negative ed_err with the reason
 * in err (ED_EINVAL bad address or configuration, ED_EIO bind failed). */
int ed_pgwire_new(uv_loop_t *loop, struct ed_engine *eng, const struct ed_pgwire_config *cfg,
		  struct ed_pgwire **out, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int ed_pgwire_port(const struct ed_pgwire *pg);
/* Begin shutdown: stop listening, end subscriptions and close every
 * connection. The caller runs the loop until it has no more handles, then
 * calls ed_pgwire_free. */
void ed_pgwire_stop(struct ed_pgwire *pg);
/* Free. NULL is fine. Call after ed_pgwire_stop and the loop has drained. */
void ed_pgwire_free(struct ed_pgwire *pg);

#endif
