/* The HTTP front end: a small HTTP/1.1 server on the server's libuv loop
 * serving the JSON API (ingestion into topics, reading records, SQL, views
 * and their change streams as Server-Sent Events), Prometheus metrics and
 * health probes. docs/HTTP.md is the API reference.
 *
 * Threads: everything runs on the loop thread that calls ed_http_new (the
 * transport is src/net's), except (1) the log's flusher thread, which posts
 * acks=all completions back on the net loop queue, (2) engine worker
 * threads, which call the view change callbacks of SSE clients (they encode
 * and queue the bytes, then post a flush on the loop queue), and (3) the
 * engine's statement threads, which run SQL statements so a slow statement
 * never stalls the loop. */
#ifndef ED_HTTP_H
#define ED_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ed_log;
struct ed_engine;
struct ed_http;
struct ed_http_prom;

/* A metrics hook adds samples to GET /metrics (e.g. the Kafka front end's
 * consumer-group lag). Runs on the loop thread while the page is built. */
typedef void (*ed_http_metrics_fn)(void *arg, struct ed_http_prom *w);

struct ed_http_config {
	const char *bind_host;   /* default "127.0.0.1" */
	int port;                /* default 8080; 0 = any free port */
	size_t max_body_bytes;   /* request body limit (default 32 MiB): 413 beyond */
	size_t max_head_bytes;   /* request line + headers (default 16 KiB): 431 beyond */
	bool auto_create_topics; /* POST records to an unknown topic creates it (default false) */
	int32_t default_partitions; /* for auto-created topics (default 1) */
	size_t sse_max_queued_bytes; /* per SSE client; a client further behind is dropped (default 4 MiB) */
	int idle_timeout_ms;    /* keep-alive idle and slow request timeout (default 60000) */
	int startup_timeout_ms; /* first request head within (default 10000; 0 = none) */
};

void ed_http_config_defaults(struct ed_http_config *cfg);

/* Bind and listen. log is required; eng may be NULL (the SQL and view
 * endpoints then answer 503). Both are borrowed and must outlive the server.
 * Strings in cfg are copied. The server starts not ready (GET /readyz answers
 * 503) until ed_http_set_ready(h, true). Returns 0 or a negative ed_err with
 * the reason in err (ED_EINVAL bad address, ED_EIO cannot listen). */
int ed_http_new(uv_loop_t *loop, struct ed_log *log, struct ed_engine *eng,
		const struct ed_http_config *cfg, struct ed_http **out, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int ed_http_port(const struct ed_http *h);
/* Readiness as reported by GET /readyz: the server says true once the log,
 * the engine and every listener are up, false when shutdown begins. */
void ed_http_set_ready(struct ed_http *h, bool ready);
/* Add a metrics hook (called in the order added). 0 or ED_ENOMEM. */
int ed_http_add_metrics(struct ed_http *h, ed_http_metrics_fn fn, void *arg);
/* Begin shutdown: not ready, stop listening, close every connection (SSE
 * subscriptions are cancelled); the remaining handles close once in-flight
 * log syncs and SQL statements have completed, so the caller runs the loop
 * until it has no more handles, then calls ed_http_free. */
void ed_http_stop(struct ed_http *h);
/* Free. NULL is fine. */
void ed_http_free(struct ed_http *h);

/* Prometheus text exposition (format 0.0.4) for metrics hooks. Write a
 * family's header once, then its samples, before the next family. labels is
 * a NULL-terminated list of name, value pairs (or NULL for none); values are
 * escaped here. */
void ed_http_prom_family(struct ed_http_prom *w, const char *name, const char *type,
			 const char *help);
void ed_http_prom_sample(struct ed_http_prom *w, const char *name, const char *const *labels,
			 double value);

#endif
