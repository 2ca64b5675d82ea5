/* Internals of the streaming SQL engine (engine.h), shared by its files:
 * engine.c (open/close, metrics), session.c (statements, results), ddl.c
 * (CREATE/DROP), show.c (SHOW, DESCRIBE, EXPLAIN), pull.c (pull queries),
 * pipe.c (building, starting and stopping pipelines), source.c (reading
 * sources: watermarks, late and bad records), view.c (view stores), sink.c
 * (JSON sinks), worker.c (worker threads), subscribe.c (SUBSCRIBE).
 *
 * Threads and locks (the exceptions to "each thread owns its data"):
 *  - eng->mu serialises sessions' statements against each other (catalog
 *    changes, pull-query binding). Never taken by workers.
 *  - worker->mu is held by its worker thread while it runs a round over its
 *    pipelines; a session takes it to add or remove a pipeline (it waits at
 *    most one round). Everything a pipeline owns (operators, state, reader
 *    offsets) is touched only under it.
 *  - view->lock (rwlock): the worker writes the view's store under it, pull
 *    queries read under it. Lock order: eng->mu, worker->mu, view->lock.
 *  - worker->hmu guards a worker's help inbox and sleeping flag: a reader's
 *    worker may hand an idle worker half of its pipelines for one push and
 *    wait for it (source.c, fan_out); it holds its own worker->mu
 *    meanwhile, so those pipelines are still touched by one thread at a
 *    time. hmu is taken last and held only to read or set those fields.
 * A source's pipelines belong to its reader's worker; pipelines that read a
 * view belong to the view's worker and receive its changes synchronously.
 *
 * Invariants:
 *  1. A source's combined watermark never decreases; it is the minimum over
 *     non-idle partitions of (max event time seen - delay); when every
 *     partition is idle it is the maximum of them.
 *  2. A record whose event time is below its partition's watermark or the
 *     combined one (as of the record before it) is late. The combined
 *     watermark passes a partition's only when idle partitions are skipped,
 *     so, idleness aside, lateness depends on each partition's own record
 *     order, not on how reads of partitions interleave: a pipeline catching
 *     up privately takes the same decisions as the source's reader. A late
 *     record is never aggregated; it is counted and optionally written to
 *     the late-events topic (reason in header "eddy.reason") once per source
 *     record, by the source's one reader. Undecodable records likewise
 *     (dead-letter topic).
 *  3. A statement that fails changes nothing: objects are added to the
 *     catalog, persisted and started only after binding and planning
 *     succeeded. */
#ifndef ED_ENGINE_INT_H
#define ED_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "exec/decode.h"
#include "exec/expr.h"
#include "exec/op.h"
#include "exec/row.h"
#include "log/batch.h"
#include "log/log.h"
#include "log/wake.h"
#include "log/writer.h"
#include "plan/catalog.h"
#include "plan/plan.h"
#include "state/kv.h"

struct ed_pipe;

struct ed_worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct ed_log_wake wake; /* raised by appends to partitions its cursors read */
	struct ed_pipe **pipes;
	size_t npipes, cap;
	struct ed_source_reader **readers; /* of the sources whose pipelines run here */
	size_t nreaders, rcap;
	/* Help between workers (source.c): a reader with several pipelines
	 * hands part of them to another worker for the length of one push
	 * and waits for it (fork-join on the read-only chunk). Under hmu. */
	pthread_mutex_t hmu;
	pthread_cond_t hcond;
	struct ed_help *inbox; /* one job another worker waits for */
	bool sleeping;         /* idle between rounds: the only time it takes a job */
	bool exited;           /* no longer takes jobs */
	uint64_t rounds;
	bool stop, started;
	struct ed_engine *eng;
};

/* A source's shared runtime: counters for SHOW SOURCES and metrics, and its
 * reader (created when its first pipeline starts). */
struct ed_source_rt {
	_Atomic int64_t records, late, bad;
	_Atomic int64_t late_routed, dead_lettered; /* written to the side topics */
	_Atomic int64_t decoded; /* records decoded, by the reader and by late joiners catching up */
	_Atomic int64_t watermark_us;
	_Atomic int64_t max_event_us; /* largest event time accepted */
	struct ed_source_reader *reader;
};

struct sub {
	uint64_t id;
	ed_change_fn fn;
	void *arg;
};

/* A view's store: the terminal operator of its pipeline. */
struct ed_view_rt {
	struct ed_operator op;
	pthread_rwlock_t lock;
	struct ed_kv kv; /* key -> [int64 count][row] */
	const struct ed_catalog_obj *obj;
	struct ed_buf kb, vb;
	struct ed_pipe **consumers;
	size_t nconsumers;
	struct sub *subs;
	size_t nsubs;
	struct ed_pipe *pipe;
	_Atomic int64_t rows;
	_Atomic int64_t bytes; /* store key + value bytes */
};

/* A sink: one JSON object per row, written by the log's writer
 * (log/writer.h). The record key is the key columns (the view's or query's
 * group key) as a JSON object, placed by Kafka's default partitioner, so
 * every change of one key lands in one partition, in order, where a Kafka
 * client would put it; rows without a key go round robin. One batch per
 * partition per chunk. */
struct ed_sink_rt {
	struct ed_operator op;
	struct ed_topic *topic;
	struct ed_log_writer w;
	struct ed_buf line, key;
	const struct ed_schema *schema;
	uint32_t nkey;
	const uint32_t *keycols;
	bool changelog;
	struct ed_engine *eng;
};

struct part_state {
	int64_t next;
	int64_t max_ts;
	int64_t last_active_ms;
	bool seen;
};

/* A read position in a source: per-partition offsets and event-time state,
 * the decoder and the chunk records are decoded into. The source's reader
 * has one; so does a pipeline joining late while it catches up. */
struct ed_src_cursor {
	struct ed_catalog_obj *src;
	struct ed_topic *topic;
	int32_t nparts;
	struct part_state *parts;
	struct ed_decoder dec;
	struct ed_chunk chunk;
	struct ed_buf rbuf;
	struct ed_buf csv_header; /* csv.header: the column names line to skip */
	int64_t wm;               /* combined event-time watermark reached */
	int64_t idle_ms;
	struct ed_log_watchset *watch; /* raises its worker's wake; made on the worker */
};

/* One per source (docs/ARCHITECTURE.md "one shared reader per source"):
 * reads and decodes each source record once, decides late and bad records
 * once (counts, side outputs), and pushes each chunk, then the watermark,
 * to every attached pipeline's first operator. Owned by one worker (under
 * its mu), where all the source's pipelines run. */
struct ed_source_reader {
	struct ed_engine *eng;
	struct ed_source_rt *srt;
	struct ed_worker *worker;
	struct ed_src_cursor *cur;
	struct ed_topic *late_topic, *dlq_topic;
	struct ed_batch_builder side;
	struct ed_pipe **consumers; /* attached pipelines */
	size_t nconsumers, ccap;
	size_t nusers; /* pipelines attached or catching up; 0: the reader pauses */
	char last_error[300];
};

struct ed_pipe {
	struct ed_engine *eng;
	struct ed_catalog_obj *obj;
	struct ed_worker *worker;
	struct ed_pipe_stats stats;
	/* source input: the source's reader pushes to the pipeline once it is
	 * attached; until then (joining late) it reads through cur privately */
	struct ed_catalog_obj *src;
	struct ed_source_rt *srt;
	struct ed_src_cursor *cur; /* NULL once attached */
	bool attached;
	struct ed_topic *late_topic, *dlq_topic; /* handed to the reader if it creates it */
	int64_t wm;
	/* view input */
	struct ed_view_rt *upstream;
	struct ed_chunk chunk;
	/* operators */
	struct ed_operator *head, *tail, *term;
	struct ed_view_rt *view;
	struct ed_sink_rt *sink;
};

struct ed_engine {
	struct ed_log *log;
	struct ed_engine_options opts;
	pthread_mutex_t mu;
	struct ed_catalog cat;
	struct ed_worker *workers;
	int nworkers;
	int next_worker;
	uint64_t next_sub;
	bool loading;
	struct ed_stmt_pool *stmts; /* statement threads (stmt.c) */
};

struct ed_session {
	struct ed_engine *eng;
	struct ed_arena arena;
};

struct exec {
	struct ed_session *s;
	const char *text;
	size_t len;
	struct ed_sql_error *err;
	struct ed_result *res;
};

/* Functions shared between the engine's files, by the file defining them. */
/* session.c */
int xfail(struct exec *x, uint32_t loc, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* engine.c */
int64_t now_ms(struct ed_engine *eng);
int64_t proc_time_us(struct ed_engine *eng);
/* source.c */
void source_rt_free(struct ed_source_rt *s);
struct ed_topic *topic_open(struct ed_engine *eng, const char *name, int32_t partitions, char *err,
			    size_t errlen);
int append_batch(struct ed_topic *t, int32_t part, struct ed_batch_builder *bb);
void cursor_free(struct ed_src_cursor *c);
int cursor_new(struct ed_engine *eng, struct ed_catalog_obj *src, struct ed_topic *topic,
	       struct ed_src_cursor **out);
bool cursor_caught_up(const struct ed_src_cursor *c);
int reader_attach_new(struct ed_engine *eng, struct ed_pipe *p, struct ed_worker *w);
int reader_join(struct ed_source_reader *r, struct ed_pipe *p);
void reader_leave(struct ed_source_reader *r, struct ed_pipe *p);
bool reader_step(struct ed_source_reader *r);
/* Worker thread: watch c's partitions with w's wake (once). */
void cursor_watch(struct ed_src_cursor *c, struct ed_worker *w);
void worker_help_pending(struct ed_worker *w);
void worker_help_exit(struct ed_worker *w);
bool pipe_step(struct ed_pipe *p);
/* view.c */
int store_apply(struct ed_kv *kv, struct ed_buf *kb, struct ed_buf *vb, uint32_t nkey,
		const uint32_t *key, const struct ed_chunk *in, _Atomic int64_t *rows);
int view_push(struct ed_operator *op, const struct ed_chunk *in);
int view_watermark(struct ed_operator *op, int64_t wm);
void view_free(struct ed_operator *op);
/* sink.c */
int sink_push(struct ed_operator *op, const struct ed_chunk *in);
void sink_free(struct ed_operator *op);
int noop_watermark(struct ed_operator *op, int64_t wm);
/* pipe.c */
void pipe_fail(struct ed_pipe *p, int rc);
struct ed_operator *pipe_first(struct ed_pipe *p);
void pipe_feed(struct ed_pipe *p, const struct ed_chunk *c);
int pipe_watermark(struct ed_pipe *p, int64_t wm);
void pipe_free(struct ed_pipe *p);
int pipe_build(struct ed_engine *eng, struct ed_catalog_obj *obj, struct ed_pipe **out, char *err,
	       size_t errlen);
int pipe_start(struct ed_engine *eng, struct ed_pipe *p);
void pipe_stop(struct ed_pipe *p);
/* worker.c */
void *worker_main(void *arg);
/* session.c */
int res_cols(struct ed_result *r, uint32_t n, const char *const *names, const struct ed_type *types);
struct ed_value *res_row(struct ed_result *r, uint32_t *cap);
void text_cell(struct ed_result *r, struct ed_value *cell, const char *s);
void int_cell(struct ed_value *cell, int64_t v);
/* ddl.c */
int create_source(struct exec *x, const struct ed_sql_stmt *st);
int create_pipeline(struct exec *x, const struct ed_sql_stmt *st);
int drop_object(struct exec *x, const struct ed_sql_stmt *st);
/* show.c */
int show_objects(struct exec *x, const struct ed_sql_stmt *st);
int describe(struct exec *x, const struct ed_sql_stmt *st);
int explain(struct exec *x, const struct ed_sql_stmt *st);
int show_var(struct exec *x, const struct ed_sql_stmt *st);
/* pull.c */
int pull_query(struct exec *x, const struct ed_sql_select *sel);

#endif
