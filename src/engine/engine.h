/* The streaming SQL engine's interface: what front ends (pgwire, HTTP, the
 * CLI, `eddy server --init`) call. One engine per server, opened over the
 * server's log; sessions execute SQL text and get back, per statement, a
 * result (column names and types, rows as ed_value, a command tag) or a SQL
 * error (SQLSTATE, 1-based position, message). Continuous queries (the
 * pipelines behind sources, materialized views and sinks) run on a small
 * fixed set of worker threads owned by the engine, reading partitions
 * directly through log.h.
 *
 * Lifecycle:
 *   ed_engine_open(log, opts)   loads <data>/catalog/, re-creates every
 *                               source, view and sink and starts the workers
 *   ed_session_new(engine)      one per client connection
 *   ed_session_execute(s, sql)  any number of times, from the session's thread
 *   ed_engine_submit(job)       the same (or any work) on a statement thread
 *   ed_session_free(s)
 *   ed_engine_close(engine)     stops workers, frees pipelines; the log stays open
 *
 * Threads: ed_engine_* and ed_session_* may be called from any thread; one
 * session is used by one thread at a time. Result callbacks run on the
 * calling thread (a statement thread for ed_engine_submit); subscription
 * callbacks run on a worker thread and must not block (copy and hand off).
 * Network front ends never execute a statement on their loop thread: they
 * submit it to the engine's statement threads (stmt.c) and take the
 * completion back to their loop. */
#ifndef ED_ENGINE_H
#define ED_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "exec/chunk.h"
#include "exec/types.h"
#include "sql/sql.h"

struct ed_log;
struct ed_engine;
struct ed_session;

struct ed_engine_options {
	int workers;             /* pipeline worker threads (default 2) */
	int64_t idle_timeout_ms; /* default source partition idle timeout (default 5000) */
	size_t read_bytes;       /* bytes read per partition per step (default 1 MiB) */
	/* Clock for idle detection, in ms (default: monotonic). Tests inject a
	 * manual clock to make idle partitions deterministic. */
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
	bool no_catalog;  /* do not load or persist <data>/catalog (tests) */
	int stmt_threads; /* statement threads for ed_engine_submit (default 2) */
};
void ed_engine_options_defaults(struct ed_engine_options *opts);

/* Open the engine over an open log (borrowed; it must outlive the engine).
 * Loads the catalog and starts every pipeline. 0, or ED_ENOMEM, ED_EIO,
 * ED_ECORRUPT (a catalog file that does not parse; err names it). */
int ed_engine_open(struct ed_log *log, const struct ed_engine_options *opts, struct ed_engine **out,
		   char *err, size_t errlen);
/* Stop the workers and free everything. NULL is fine. Sessions must have
 * been freed. */
void ed_engine_close(struct ed_engine *eng);

/* Block until every pipeline has consumed what its input partitions held at
 * the call (and acted on the watermark that results), or timeout_ms passed.
 * 0, or ED_EAGAIN on timeout. For tests, --init and backfills. */
int ed_engine_wait_idle(struct ed_engine *eng, int64_t timeout_ms);

/* One statement's result. Everything it points to lives in its arena and is
 * valid only during the result callback. */
struct ed_result {
	char tag[64];   /* CommandComplete tag: "SELECT 3", "CREATE SOURCE", ... */
	uint32_t ncols; /* 0 for statements without rows */
	const char **names;
	struct ed_type *types;
	uint32_t nrows;
	struct ed_value *rows; /* nrows * ncols cells, row-major */
	struct ed_arena arena;
};

typedef int (*ed_result_fn)(void *arg, const struct ed_result *res);

struct ed_session *ed_session_new(struct ed_engine *eng);
void ed_session_free(struct ed_session *s);

/* Execute the statements of text[0..len) in order, calling fn (may be NULL)
 * once per statement with its result. Stops at the first failing statement:
 * returns a negative ed_err with err filled (SQLSTATE, position in text,
 * message); statements before it have taken effect, the failing one changed
 * nothing. A non-zero return from fn stops execution and is returned. */
int ed_session_execute(struct ed_session *s, const char *text, size_t len, ed_result_fn fn,
		       void *arg, struct ed_sql_error *err);

/* Asynchronous execution on one of the engine's statement threads (a
 * small fixed set, apart from the pipeline workers). The caller owns the
 * job (embedded in its own struct) until done runs. With run set, the
 * thread calls run(job); otherwise it executes text[0..len) in sess like
 * ed_session_execute, calling fn(arg, result) per statement, and sets rc and
 * err. Then it calls done(job), still on the statement thread: done hands
 * the completion back to the caller's thread (for a network front end, the
 * net loop queue) and must not block. Jobs start in submission order; the
 * caller runs at most one job per session at a time. 0, or ED_ECLOSED when
 * the engine is closing (done is not called). */
struct ed_stmt_job {
	struct ed_session *sess;
	const char *text;
	size_t len;
	ed_result_fn fn;
	void *arg;
	void (*run)(struct ed_stmt_job *job);
	void (*done)(struct ed_stmt_job *job);
	int rc;                   /* text mode: ed_session_execute's result */
	struct ed_sql_error err;  /* text mode */
	struct ed_stmt_job *next; /* engine's queue */
};
int ed_engine_submit(struct ed_engine *eng, struct ed_stmt_job *job);

/* Run a file of statements (eddy server --init). 0, or the first error, with
 * err filled (the position is within the file's text). */
int ed_engine_run_file(struct ed_engine *eng, const char *path, struct ed_sql_error *err);

/* Push subscriptions (SUBSCRIBE, SSE): fn is called on a worker thread with
 * each chunk of changes applied to the view (ops per row), after the view's
 * store has applied them. The chunk is borrowed for the call. Returns 0 and a
 * subscription id, or ED_ENOENT (no such view). */
typedef void (*ed_change_fn)(void *arg, const struct ed_chunk *changes);
int ed_engine_subscribe(struct ed_engine *eng, const char *view, ed_change_fn fn, void *arg,
			uint64_t *id);
/* After this returns fn is never called again for id. */
void ed_engine_unsubscribe(struct ed_engine *eng, uint64_t id);

/* Metrics for /metrics: fn(arg, name, object, value) per counter, e.g.
 * ("eddy_source_records_total", "bids", 1234), ("eddy_source_late_records_total",
 * ...), ("eddy_source_bad_records_total", ...), ("eddy_source_watermark_ms", ...),
 * ("eddy_view_rows", "v", ...). Thread-safe. */
typedef void (*ed_metric_fn)(void *arg, const char *name, const char *object, double value);
void ed_engine_metrics(struct ed_engine *eng, ed_metric_fn fn, void *arg);

#endif
