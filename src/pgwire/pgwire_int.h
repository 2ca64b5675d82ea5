/* Internals of the PostgreSQL front end, shared by pgwire.c (listener,
 * connections, startup, authentication, cancel, SUBSCRIBE streaming),
 * query.c (simple and extended query protocols) and shim.c (session
 * settings and the compatibility answers for what clients send on connect).
 *
 * Invariants:
 *  1. Everything here is owned by the loop thread, except struct pgw_sub's
 *     mu-protected fields, which the engine's worker threads append to.
 *  2. A connection processes input only in state READY or the startup and
 *     authentication states; while a SUBSCRIBE streams (conn->sub != NULL)
 *     input is buffered, not processed, up to a bound.
 *  3. After an error in the extended protocol, messages are skipped until
 *     Sync (conn->skip_to_sync); Sync always answers ReadyForQuery.
 *  4. Each ReadyForQuery carries conn->txn: 'I' idle, 'T' in a (no-op)
 *     transaction block, 'E' in a failed block (statements get 25P02 until
 *     COMMIT or ROLLBACK).
 *  5. No statement runs on the loop thread. A message that runs one (Query,
 *     Describe, Execute) is handled whole on an engine statement thread
 *     (ed_engine_submit) while conn->running: meanwhile the connection does
 *     not read or process input, and the loop touches none of its protocol
 *     state (out, session, statements, portals, settings, sub) until the
 *     completion, posted on the net loop queue, clears running. A
 *     connection closed meanwhile stays allocated (a net reference) until
 *     then. The next message is processed only after the completion, so
 *     pipelining and the extended protocol keep their order. */
#ifndef ED_PGW_INT_H
#define ED_PGW_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "base/arena.h"
#include "base/buf.h"
#include "engine/engine.h"
#include "net/net.h"
#include "pgwire/pgwire.h"
#include "pgwire/proto.h"
#include "pgwire/scram.h"
#include "sql/sql.h"

#define PGW_SERVER_VERSION "15.0 (eddy " EDDY_PGW_VERSION ")"
#define EDDY_PGW_VERSION "0.1.0"

struct pgw_conn;

enum pgw_state {
	PGW_STARTUP = 0,  /* waiting for the startup packet */
	PGW_SASL_INITIAL, /* sent AuthenticationSASL */
	PGW_SASL_FINAL,   /* sent AuthenticationSASLContinue */
	PGW_READY,        /* authenticated: queries */
	PGW_CLOSING,
};

/* A session setting (SET name = value). */
struct pgw_guc {
	char *name; /* lower case */
	char *value;
	struct pgw_guc *next;
};

/* A prepared statement (Parse). */
struct pgw_stmt {
	char *name;
	char *sql;
	size_t len;
	bool empty; /* no statement in the text */
	enum ed_sql_stmt_kind kind;
	uint32_t nparams;
	uint32_t *types; /* nparams oids; 0 = unspecified */
	struct pgw_stmt *next;
};

/* A materialized result of one statement: what Describe and Execute read. */
struct pgw_result {
	bool done;      /* executed */
	uint32_t ncols; /* 0: no rows (NoData) */
	char **names;
	struct ed_type *types;
	int16_t *formats;   /* per column */
	struct ed_buf rows; /* encoded DataRow messages */
	uint32_t nrows, sent;
	size_t *offs; /* nrows + 1 offsets into rows */
	char tag[64];
};

/* A bound portal (Bind). */
struct pgw_portal {
	char *name;
	char *sql; /* the statement with its parameters substituted */
	size_t len;
	bool empty;
	enum ed_sql_stmt_kind kind;
	uint16_t nresfmts;
	int16_t *resfmts;
	struct pgw_result res;
	struct pgw_portal *next;
};

/* One SUBSCRIBE. The worker thread's callback encodes changes as DataRows
 * into pending (under mu), bounded by the configured byte limit: past it,
 * overflow is set and changes are dropped, and the loop thread ends the
 * subscription with an error. */
struct pgw_sub {
	struct pgw_conn *conn; /* NULL once the connection is gone */
	struct ed_engine *eng;
	uint64_t id;
	bool subscribed;
	struct ed_net_loopq *loopq;
	struct ed_net_task task; /* flush pending on the loop */
	pthread_mutex_t mu;
	struct ed_buf pending; /* under mu */
	bool overflow;         /* under mu */
	size_t limit;
	uint32_t ncols;   /* view columns (without op) */
	int16_t *formats; /* ncols + 1 (op first) */
	bool extended;    /* started by Execute (no ReadyForQuery at the end) */
};

/* A connection: src/net's transport first, then the protocol state. */
struct pgw_conn {
	struct ed_net_conn net;
	struct ed_pgwire *pg;
	enum pgw_state state;
	struct ed_buf out; /* encoded, not yet written */
	int32_t pid, key;
	char user[64], database[64];
	struct ed_session *sess;
	struct ed_arena arena; /* per message */
	char txn;
	bool skip_to_sync;
	bool cancel_only;             /* a CancelRequest connection */
	bool running;                 /* a message runs on a statement thread (invariant 5) */
	bool cancel_pending;          /* CancelRequest while running: end what it started */
	struct ed_pgw_msg cur;        /* the message running */
	struct ed_stmt_job job;       /* its statement-thread job */
	struct ed_net_task done_task; /* its completion on the loop */
	struct pgw_guc *gucs;
	struct pgw_stmt *stmts;
	struct pgw_portal *portals;
	struct pgw_sub *sub;
	struct ed_scram scram;
};

struct ed_pgwire {
	uv_loop_t *loop;
	struct ed_engine *eng;
	struct ed_pgwire_config cfg;
	char *bind_host, *user, *password;
	struct ed_net_server *srv;
	struct ed_net_loopq *loopq; /* the server's: statements done, SUBSCRIBE changes */
	bool stopping;
	int32_t next_pid;
	struct ed_scram scram; /* keys derived once from the configured password */
};

/* pgwire.c */
void pgw_flush(struct pgw_conn *c);
/* Send a fatal ErrorResponse and close the connection. */
void pgw_fatal(struct pgw_conn *c, const char *sqlstate, const char *msg);
/* Start streaming view's changes on c as DataRows of ncols + 1 columns (op
 * first) in formats (ncols + 1 entries, NULL = text); extended: started by
 * Execute. 0, or fills err (42P01 no such view, 53200). */
int pgw_sub_start(struct pgw_conn *c, const char *view, uint32_t ncols, const int16_t *formats,
		  bool extended, struct ed_sql_error *err);

/* query.c */
/* Handle one frontend message in state READY. */
void pgw_query_message(struct pgw_conn *c, const struct ed_pgw_msg *m);
void pgw_conn_free_statements(struct pgw_conn *c);

/* shim.c */
/* Answers a statement the front end owns (SET, SHOW, BEGIN/COMMIT/ROLLBACK,
 * version(), current_setting(), current_database(), ...): 1 when handled
 * (fn called with the result, or err filled and *rc set), 0 when the
 * statement is for the engine. */
int pgw_shim(struct pgw_conn *c, const char *text, size_t len, const struct ed_sql_stmt *st,
	     ed_result_fn fn, void *arg, struct ed_sql_error *err, int *rc);
/* A setting's value: the session's, else the default; NULL if unknown. */
const char *pgw_guc_get(struct pgw_conn *c, const char *name);
/* Store a setting (copies); sends ParameterStatus for reported settings. */
int pgw_guc_set(struct pgw_conn *c, const char *name, const char *value);
void pgw_guc_free_all(struct pgw_conn *c);
/* Send ParameterStatus for every reported setting (after authentication). */
void pgw_guc_report_all(struct pgw_conn *c);

#endif
