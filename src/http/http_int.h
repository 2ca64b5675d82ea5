/* HTTP front end internals: the request head parser and chunked body
 * decoder (parse.c), the JSON scanner (hjson.c), ingestion parsing
 * (ingest.c), connections and responses (net.c), routes (routes.c, views.c)
 * and metrics (metrics.c).
 *
 * Invariants of a connection (struct ed_hconn, owned by the loop thread; its
 * transport is src/net's, which bounds the write queue, closes once and
 * applies the startup and idle timeouts):
 *  1. One request is handled at a time. While it is being handled (busy) the
 *     connection does not read, so pipelined bytes wait in the read buffer,
 *     bounded.
 *  2. A request's body is complete in memory before its handler runs, and
 *     its size was checked against max_body_bytes before any byte of it was
 *     stored (Content-Length) or as each chunk arrives (chunked).
 *  3. A handler answers exactly once, synchronously (ed_hconn_respond) or
 *     later from a job (struct ed_hjob) that completes on the loop thread
 *     (posted on the net loop queue by the flusher or a statement thread). A
 *     connection closed meanwhile orphans the job (job->conn = NULL); the job
 *     then frees itself without answering.
 *  4. An SSE connection handles no more requests; it is closed when the
 *     client goes away, when its socket leaves more than sse_max_queued_bytes
 *     unwritten, or at stop. */
#ifndef ED_HTTP_INT_H
#define ED_HTTP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/arena.h"
#include "base/buf.h"
#include "engine/engine.h"
#include "http/http.h"
#include "net/net.h"

/* ---- parse.c: request head and chunked bodies (pure, fuzzed) ---- */

#define ED_HTTP_MAX_HEADERS 100

enum ed_http_method {
	ED_HTTP_OTHER = 0,
	ED_HTTP_GET,
	ED_HTTP_HEAD,
	ED_HTTP_POST,
	ED_HTTP_PUT,
	ED_HTTP_DELETE,
	ED_HTTP_OPTIONS,
};

struct ed_http_head {
	enum ed_http_method method;
	const char *target; /* request-target bytes (not NUL-terminated) */
	size_t target_len;
	int minor;                /* HTTP/1.<minor>: 0 or 1 */
	int64_t content_length;   /* -1 when absent */
	bool chunked;             /* Transfer-Encoding: chunked */
	bool keep_alive;          /* from the version and Connection */
	bool expect_continue;     /* Expect: 100-continue */
	const char *content_type; /* value bytes or NULL */
	size_t content_type_len;
	size_t head_len; /* bytes of request line + headers + blank line */
};

/* Parse a request head from p[0..n). Returns 0 with h filled, ED_EAGAIN when
 * the blank line ending the head has not arrived (and n < max_head), or
 * ED_EPROTO with *status the HTTP status to answer: 400 malformed (bad
 * request line, bad header syntax, obsolete line folding, bad or conflicting
 * Content-Length, both Content-Length and Transfer-Encoding), 414 target too
 * long, 431 head over max_head or too many headers, 501 a transfer coding
 * other than chunked, 505 a version other than HTTP/1.0 or 1.1. */
int ed_http_parse_head(const uint8_t *p, size_t n, size_t max_head, struct ed_http_head *h,
		       int *status);

/* Incremental decoder of a chunked body (RFC 9112 7.1): sizes in hex,
 * extensions and trailers skipped, each size checked against the limit
 * before its data is stored. */
struct ed_http_chunked {
	int state;
	uint64_t left;  /* data bytes left in the current chunk, or the size being read */
	size_t total;   /* data bytes decoded so far */
	size_t linelen; /* bytes of the current extension / trailer line */
	bool done;
};
void ed_http_chunked_init(struct ed_http_chunked *st);
/* Consume in[0..n), appending data to out. Returns the number of bytes
 * consumed (all of them unless the body ended: then st->done and the rest is
 * the next request), ED_EPROTO for bad framing, ED_ETOOBIG when the body
 * would pass limit, ED_ENOMEM. */
long ed_http_chunked_feed(struct ed_http_chunked *st, const uint8_t *in, size_t n,
			  struct ed_buf *out, size_t limit);

/* Decode %XX and (when plus) '+' as space into out (NUL-terminated, at most
 * outlen-1 bytes). false when the input is malformed, too long, or decodes
 * to a NUL byte. */
bool ed_http_url_decode(const char *s, size_t n, bool plus, char *out, size_t outlen);
/* Find query parameter name in query[0..n) (no leading '?') and decode its
 * value into out. 1 found, 0 absent, -1 malformed. */
int ed_http_query_get(const char *query, size_t n, const char *name, char *out, size_t outlen);

/* ---- hjson.c: a strict JSON scanner (RFC 8259, UTF-8 checked) ---- */

#define ED_HJSON_MAX_DEPTH 64

enum ed_hjson_kind {
	ED_HJSON_INVALID = 0,
	ED_HJSON_OBJECT,
	ED_HJSON_ARRAY,
	ED_HJSON_STRING,
	ED_HJSON_NUMBER,
	ED_HJSON_TRUE,
	ED_HJSON_FALSE,
	ED_HJSON_NULL,
};

/* Skip whitespace from *pos. */
void ed_hjson_ws(const char *p, size_t n, size_t *pos);
/* Validate one value starting at *pos (after whitespace), advancing *pos past
 * it. Returns its kind, or ED_HJSON_INVALID with a message (naming the byte
 * offset) in err. */
enum ed_hjson_kind ed_hjson_value(const char *p, size_t n, size_t *pos, char *err, size_t errlen);
/* True when p[0..n) is exactly one JSON value with optional whitespace. */
bool ed_hjson_valid(const char *p, size_t n);
/* In the already validated object text obj[0..n), find top-level member name
 * and return its value's span. false when absent. */
bool ed_hjson_member(const char *obj, size_t n, const char *name, const char **val, size_t *vlen);
/* Decode a validated string literal s[0..n) (with its quotes) into out. */
void ed_hjson_unescape(const char *s, size_t n, struct ed_buf *out);
/* Append bytes as a JSON string literal, replacing invalid UTF-8 with U+FFFD
 * (so the output is always valid JSON): exec/json.h's ed_json_put_string. */
void ed_hjson_put_text(struct ed_buf *out, const void *p, size_t n);

/* ---- ingest.c: request bodies to records (pure, fuzzed) ---- */

struct ed_ingest_opts {
	bool ndjson;           /* NDJSON (else: sniffed, '[' means a JSON array) */
	bool envelope;         /* elements are {"key","value","partition","timestamp"} */
	const char *key_field; /* take the key from this top-level field (or NULL) */
	size_t max_records;    /* 0 = no limit */
};

struct ed_ingest_rec {
	const char *key; /* NULL = null key; points into the body or the arena */
	int32_t key_len;
	const char *value; /* NULL = null value */
	int32_t value_len;
	int32_t partition; /* -1 = choose */
	int64_t timestamp; /* -1 = now */
};

struct ed_ingest {
	struct ed_ingest_rec *recs; /* ed_malloc'd */
	size_t n, cap;
	struct ed_arena arena; /* unescaped keys and values */
};

void ed_ingest_init(struct ed_ingest *in);
void ed_ingest_fini(struct ed_ingest *in);
/* Validate the whole body and split it into records. 0, ED_EINVAL (the body
 * is not what the options ask for: err names the element and byte offset),
 * ED_ETOOBIG (more than max_records), ED_ENOMEM. On failure in->n is 0. */
int ed_ingest_parse(struct ed_ingest *in, const char *body, size_t n,
		    const struct ed_ingest_opts *o, char *err, size_t errlen);

/* ---- net.c: connections, responses, jobs ---- */

struct ed_hconn;
struct ed_hsse;

/* Per-topic counters of what flowed through HTTP (loop thread only). */
struct ed_http_topic_stats {
	struct ed_http_topic_stats *next;
	uint64_t bytes_in, records_in, bytes_out, records_out;
	uint32_t rr; /* round-robin partition cursor */
	char name[];
};

struct ed_http_hook {
	ed_http_metrics_fn fn;
	void *arg;
};

struct ed_http {
	uv_loop_t *loop;
	struct ed_log *log;
	struct ed_engine *eng;
	struct ed_http_config cfg;
	char *bind_host;
	struct ed_net_server *srv;
	struct ed_net_loopq *loopq;  /* the server's: jobs and SSE data from other threads */
	struct ed_net_task sse_task; /* flush SSE clients */
	uv_timer_t ping_timer;       /* SSE keep-alive comments */
	bool ready;
	bool stopping;
	struct ed_hsse *sses; /* SSE clients (loop thread) */
	struct ed_http_hook *hooks;
	size_t nhooks;
	struct ed_http_topic_stats *stats;
	/* counters for /metrics */
	uint64_t requests[6]; /* by status class: 1xx..5xx, [0] other */
	uint64_t connections_total;
	uint64_t sse_dropped;
	int nconns;
	int nsse;
};

/* A connection: src/net's transport first, then the request state. */
struct ed_hconn {
	struct ed_net_conn net;
	struct ed_http *h;
	int state; /* enum in net.c */
	struct ed_http_head head;
	char *target; /* the request-target, in the arena */
	char *ctype;  /* Content-Type value, in the arena, or NULL */
	struct ed_buf body;
	struct ed_http_chunked chunked;
	struct ed_arena arena; /* per request */
	struct ed_hjob *job;   /* in flight, answers later */
	struct ed_hsse *sse;
	bool keep_alive;
	bool processing;
	bool linger; /* answered before reading the body: half-close and drain */
};

/* The request as handlers see it: NUL-terminated copies in the arena. */
struct ed_hreq {
	struct ed_hconn *c;
	enum ed_http_method method;
	const char *path;  /* decoded path */
	const char *query; /* raw query (after '?'), "" if none */
	size_t query_len;
	const char *body;
	size_t body_len;
	const char *content_type; /* "" if none */
};

/* Work that answers later. kind-specific structs embed this first. */
struct ed_hjob {
	struct ed_http *h;
	struct ed_hconn *conn;                 /* NULL once orphaned */
	void (*complete)(struct ed_hjob *job); /* loop thread: answer (if conn) and free */
	atomic_int pending;
	atomic_int err;
	struct ed_net_task task; /* completion, posted on the loop queue */
	struct ed_stmt_job stmt; /* ed_hjob_queue_work on a statement thread */
	void (*work_fn)(uv_work_t *);
	uv_work_t work; /* only work.data (the job) is used */
};

/* Answer the current request: status, content type and body (copied). */
void ed_hconn_respond(struct ed_hconn *c, int status, const char *ctype, const void *body,
		      size_t len);
/* Answer with {"error":{"code":code,"message":msg}}. */
void ed_hconn_error(struct ed_hconn *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Register job as the connection's pending answer (the connection stays
 * busy). */
void ed_hjob_start(struct ed_hconn *c, struct ed_hjob *job, void (*complete)(struct ed_hjob *));
/* Log-sync waits: begin holds one count; add one per partition; end drops
 * the first count. The job completes on the loop thread after the last. */
struct ed_partition;
void ed_hjob_sync_begin(struct ed_hjob *job);
void ed_hjob_sync_add(struct ed_hjob *job, struct ed_partition *part, int64_t upto);
void ed_hjob_sync_end(struct ed_hjob *job);
/* Run work_fn on one of the engine's statement threads (never the loop),
 * then complete on the loop thread (with err ED_ECLOSED when the engine is
 * closing). Returns 0. */
int ed_hjob_queue_work(struct ed_hjob *job, void (*work_fn)(uv_work_t *));
/* Detach the job from its connection and mark the connection idle again
 * (called by complete functions before answering). */
struct ed_hconn *ed_hjob_finish(struct ed_hjob *job);

/* Counters (loop thread). NULL on allocation failure. */
struct ed_http_topic_stats *ed_http_stats(struct ed_http *h, const char *topic);

/* ---- SSE (views.c) ---- */
/* Turn the connection into an SSE stream of view's changes: c has answered
 * nothing yet. names are the view's columns (copied). */
int ed_hsse_start(struct ed_hconn *c, const char *view, const char *const *names, uint32_t ncols);
void ed_hsse_close(struct ed_hsse *s);
/* Loop thread: write what SSE clients have queued; drop the slow ones. */
void ed_hsse_flush_all(struct ed_http *h);
void ed_hsse_ping_all(struct ed_http *h);
/* Any thread: have the loop run ed_hsse_flush_all soon. */
void ed_http_wake_sse(struct ed_http *h);
/* Write raw bytes to the connection as one chunk of a chunked body. */
int ed_hconn_write_chunk(struct ed_hconn *c, const void *p, size_t n);
void ed_hconn_close(struct ed_hconn *c, const char *why);
/* Answer the current request with 200 and a chunked body of ctype that
 * stays open (SSE); the connection reads only to notice the client leaving. */
int ed_hconn_start_stream(struct ed_hconn *c, const char *ctype);
size_t ed_hconn_write_queue(struct ed_hconn *c);

/* ---- routes.c, views.c, metrics.c ---- */
void ed_http_route(struct ed_hreq *req);
void ed_http_handle_sql(struct ed_hreq *req);
void ed_http_handle_view(struct ed_hreq *req, const char *view, bool changes);
void ed_http_handle_metrics(struct ed_hreq *req);

#endif
