/* The one transport under every front end (kafka, pgwire, http): a TCP
 * listener, connections with a read buffer and a bounded write queue, and
 * the cross-thread "run this on the loop" queue. A front end keeps only its
 * framing and protocol state; everything about sockets, backpressure,
 * timeouts and closing lives here.
 *
 * Invariants of a connection (struct ed_net_conn, owned by the loop thread):
 *  1. Reading stops while the protocol paused it (ed_net_pause), while the
 *     connection is backlogged (more than ED_NET_WRITE_HIGH bytes not yet
 *     taken by the kernel, or ED_NET_MAX_WRITES writes pending: a client that
 *     sends without reading), and once closing. When the backlog drains
 *     below half of that, on_data runs again so buffered input is processed.
 *  2. Closing happens once: ed_net_close marks the connection closing, calls
 *     ops->on_close (the protocol detaches what refers to it) and closes the
 *     handles. The memory (protocol state included, it is one block) is
 *     freed by ops->on_free only after the handles closed and every
 *     reference taken with ed_net_ref was dropped, so work in flight on
 *     another thread completes on the loop against valid memory and checks
 *     ed_net_closing.
 *  3. Timeouts: until the protocol calls ed_net_started (handshake or first
 *     request done) the connection is closed after startup_timeout_ms; then,
 *     while not busy (ed_net_busy), after idle_timeout_ms without input or
 *     output. ops->on_timeout may answer instead (an HTTP 408).
 *  4. Input is in rbuf[roff..rlen); the protocol consumes it with
 *     ed_net_consume. A frame that does not fit max_read_bytes closes the
 *     connection. */
#ifndef ED_NET_H
#define ED_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"

#define ED_NET_WRITE_HIGH (1024 * 1024) /* unwritten bytes before reading stops */
#define ED_NET_MAX_WRITES 256           /* pending writes before reading stops */

struct ed_net_conn;
struct ed_net_server;

enum ed_net_timeout {
	ED_NET_TIMEOUT_STARTUP = 1,
	ED_NET_TIMEOUT_IDLE,
};

struct ed_net_ops {
	/* A new connection: the protocol part of the block (after the
	 * ed_net_conn at its start) is zeroed. Non-zero refuses it. */
	int (*on_accept)(struct ed_net_conn *c);
	/* New input (or the backlog drained): process rbuf[roff..rlen). */
	void (*on_data)(struct ed_net_conn *c);
	/* Closing (once): detach everything that refers to c. May be NULL. */
	void (*on_close)(struct ed_net_conn *c);
	/* Free the protocol's resources; the block itself is freed after. */
	void (*on_free)(struct ed_net_conn *c);
	/* A timeout fired; NULL = close. */
	void (*on_timeout)(struct ed_net_conn *c, enum ed_net_timeout kind);
};

struct ed_net_config {
	const char *module;         /* log prefix: "kafka", "pgwire", "http" */
	const char *host;           /* bind address */
	int port;                   /* 0 = any free port */
	int backlog;                /* listen backlog */
	size_t conn_size;           /* bytes of the protocol's connection struct */
	size_t max_read_bytes;      /* read buffer limit */
	int64_t startup_timeout_ms; /* 0 = none */
	int64_t idle_timeout_ms;    /* 0 = none */
	void *data;                 /* the front end, ed_net_server_data */
};

struct ed_net_conn {
	struct ed_net_server *srv;
	struct ed_net_conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uint8_t *rbuf;
	size_t roff, rlen, rcap;
	int writes; /* uv_writes pending */
	int refs;   /* ed_net_ref holders (loop thread) */
	int handles_open;
	int busy; /* ed_net_busy depth: no idle timeout */
	bool closing;
	bool reading;
	bool paused;      /* by the protocol */
	bool backlogged;  /* by the write queue */
	bool started;     /* startup done */
	bool close_after; /* close once every write completed */
	bool lingering;   /* half-closed, discarding input */
	bool in_data;     /* inside on_data: no re-entry */
	int64_t last_ms;  /* last input or output (monotonic) */
	int64_t startup_deadline_ms;
	int64_t linger_ms; /* for close_after */
	char peer[64];
};

/* Defaults (no timeouts, 64 KiB read limit) for a front end's connections
 * of conn_size bytes. */
void ed_net_config_init(struct ed_net_config *cfg, const char *module, const char *host, int port,
			size_t conn_size, void *data);
/* Listen on cfg->host:cfg->port. 0, or ED_EINVAL (bad address) / ED_EIO
 * with err filled. */
int ed_net_server_new(uv_loop_t *loop, const struct ed_net_config *cfg, const struct ed_net_ops *ops,
		      struct ed_net_server **out, char *err, size_t errlen);
int ed_net_server_port(const struct ed_net_server *s);
/* The server's run-on-the-loop queue (below): stopped with the server. */
struct ed_net_loopq *ed_net_server_loopq(struct ed_net_server *s);
void *ed_net_server_data(const struct ed_net_server *s);
uv_loop_t *ed_net_server_loop(const struct ed_net_server *s);
/* Connections open now and accepted in all. */
int ed_net_server_conns(const struct ed_net_server *s);
uint64_t ed_net_server_accepted(const struct ed_net_server *s);
/* Call fn on every open connection (it may close the one it is given). */
void ed_net_server_each(struct ed_net_server *s, void (*fn)(struct ed_net_conn *c, void *arg),
			void *arg);
/* Stop listening, close every connection (on_close runs for each) and stop
 * the loop queue (it closes once its holds are released). */
void ed_net_server_stop(struct ed_net_server *s);
/* After stop and once the loop ran the closes. NULL is fine. */
void ed_net_server_free(struct ed_net_server *s);

/* Input not yet consumed. */
static inline const uint8_t *ed_net_input(const struct ed_net_conn *c, size_t *len)
{
	*len = c->rlen - c->roff;
	return c->rbuf + c->roff;
}
/* Drop n processed bytes from the front of the input. */
void ed_net_consume(struct ed_net_conn *c, size_t n);

/* Queue p[0..n) (copied) for writing. 0, or a negative ed_err (the
 * connection is closed). */
int ed_net_write(struct ed_net_conn *c, const void *p, size_t n);
/* Queue the bytes of b, taking its memory (b is left empty). */
int ed_net_write_buf(struct ed_net_conn *c, struct ed_buf *b);
/* Bytes queued and not yet taken by the kernel. */
size_t ed_net_unwritten(const struct ed_net_conn *c);
/* True while the write queue is over its bound: do not produce more output
 * from buffered input (on_data runs again when it drains). */
static inline bool ed_net_backlogged(const struct ed_net_conn *c)
{
	return c->backlogged;
}

/* Stop or resume reading at the protocol's request (one request at a time). */
void ed_net_pause(struct ed_net_conn *c);
void ed_net_resume(struct ed_net_conn *c);
/* Startup (handshake, first request) done: the idle timeout applies now. */
void ed_net_started(struct ed_net_conn *c);
/* Work in progress (a statement, a stream, a parked request): no idle
 * timeout while busy. Calls nest. */
void ed_net_busy(struct ed_net_conn *c, bool busy);

/* Close now (once). why is logged at debug level (NULL: nothing). */
void ed_net_close(struct ed_net_conn *c, const char *why);
/* Close once everything queued is written; input is discarded from now on.
 * With linger, half-close first and keep discarding input for up to
 * linger_ms, so the answer is not lost to a reset while the client still
 * sends. */
void ed_net_close_after_write(struct ed_net_conn *c, int64_t linger_ms);
static inline bool ed_net_closing(const struct ed_net_conn *c)
{
	return c->closing;
}
/* Keep c's memory until ed_net_unref (loop thread). */
static inline void ed_net_ref(struct ed_net_conn *c)
{
	c->refs++;
}
void ed_net_unref(struct ed_net_conn *c);

/* The front end (cfg->data) of a connection. */
static inline void *ed_net_data(const struct ed_net_conn *c)
{
	return ed_net_server_data(c->srv);
}

/* The struct of type containing member at ptr. */
#define ed_net_container(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* ---- run on the loop ---- */

/* A function to run on the loop thread, posted from any thread. Embedded in
 * the poster's struct (no allocation per post). A task is queued at most
 * once: posting a queued task again does nothing (it runs once). */
struct ed_net_task {
	struct ed_net_task *next;
	void (*fn)(struct ed_net_task *t);
	bool queued; /* under the queue's lock */
};

/* A queue of tasks run on one loop (uv_async + a locked FIFO). Tasks run in
 * the order they were posted. */
struct ed_net_loopq {
	uv_async_t async;
	uv_mutex_t mu;
	struct ed_net_task *head, *tail; /* under mu */
	int holds;                       /* loop thread: work that will still post */
	bool stopping;                   /* loop thread */
	bool closed;
};

int ed_net_loopq_init(struct ed_net_loopq *q, uv_loop_t *loop);
/* Any thread. t->fn runs on the loop thread. */
void ed_net_loopq_post(struct ed_net_loopq *q, struct ed_net_task *t);
/* Any thread: take t off the queue if it is queued (it will not run). */
void ed_net_loopq_cancel(struct ed_net_loopq *q, struct ed_net_task *t);
/* Loop thread: work that will post later was started / has finished. The
 * queue's handle stays open while holds are outstanding. */
void ed_net_loopq_hold(struct ed_net_loopq *q);
void ed_net_loopq_release(struct ed_net_loopq *q);
/* Loop thread: close the handle once no holds are outstanding (tasks
 * already queued still run). Free the queue's memory only after the loop
 * ran the close (ed_net_loopq_fini). */
void ed_net_loopq_stop(struct ed_net_loopq *q);
void ed_net_loopq_fini(struct ed_net_loopq *q);

#endif
