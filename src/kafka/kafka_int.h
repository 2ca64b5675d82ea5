/* Internals of the Kafka front end shared by its files: the broker, its
 * connections and in-flight requests. Not for use outside src/kafka/.
 *
 * Invariants:
 *  1. Everything here is owned by the loop thread, except ed_kreq.sync_pending,
 *     sync_err and task, which the flusher thread touches to post the
 *     completion on the loop queue (k->loopq, src/net).
 *  2. Responses leave a connection in request order: a connection keeps its
 *     requests in a FIFO; a request's response is written once it is done and
 *     every older one has been written.
 *  3. A request waiting for a log sync (or for an offset commit job on the
 *     thread pool, which holds sync_pending the same way) is never freed
 *     before the completion ran (sync_done for log syncs: sync_active); if its
 *     connection closed meanwhile it is orphaned (conn NULL) and freed on
 *     completion.
 *  4. Bytes fields of a decoded request point into the connection's read
 *     buffer and are valid only during the handler call; anything kept longer
 *     (member metadata, assignments) is copied. */
#ifndef ED_KAFKA_INT_H
#define ED_KAFKA_INT_H

#include <stdatomic.h>

#include "base/arena.h"
#include "base/buf.h"
#include "kafka/kafka.h"
#include "kafka/proto.h"
#include "net/net.h"

struct ed_batch_info;
struct ed_kfetch_wait;
struct ed_kconn;
struct ed_kgroups;
struct ed_partition;
struct ed_topic;
struct ed_koffsets;
struct ed_kprodstate;

enum ed_kpark {
	ED_KPARK_NONE = 0,
	ED_KPARK_FETCH,
	ED_KPARK_JOIN,
	ED_KPARK_SYNC,
};

struct ed_kreq {
	struct ed_kreq *next;  /* connection FIFO */
	struct ed_kconn *conn; /* NULL once orphaned */
	struct ed_kafka *k;
	struct ed_arena arena;
	struct ed_kreq_msg msg;
	struct ed_buf resp;
	bool done;
	bool no_response; /* acks=0 */
	/* waiting for log syncs (produce acks=all) */
	atomic_int sync_pending;
	atomic_int sync_err;
	struct ed_net_task task; /* the sync completion, run on the loop */
	/* Between sync_begin and sync_done (loop thread): the request may sit
	 * on the completion queue with sync_pending already 0, so a closing
	 * connection must orphan it, not free it. */
	bool sync_active;
	/* parked (fetch long poll, join/sync barrier) */
	enum ed_kpark park;
	int64_t deadline_ms;
	struct ed_kreq *park_prev, *park_next;
	void *park_ctx;
	int64_t fetch_deadline_ms; /* a parked fetch's max-wait deadline (monotonic) */
};

struct ed_kafka {
	uv_loop_t *loop;
	struct ed_log *log;
	struct ed_kafka_config cfg;
	char *bind_host, *advertise_host, *state_dir;
	struct ed_net_server *srv;
	struct ed_net_loopq *loopq; /* the server's: sync completions from the flusher */
	uv_timer_t park_timer;      /* earliest parked deadline */
	uv_timer_t tick_timer;      /* group session timeouts */
	bool stopping;
	struct ed_kreq *parked; /* doubly linked through park_prev/next */
	/* Parked fetches whose partitions grew, pushed by the appending thread
	 * (handle_data.c), drained on the loop by fwake_task (posted on the
	 * server's loop queue). */
	_Atomic(struct ed_kfetch_wait *) fwake_head;
	struct ed_net_task fwake_task;
	struct ed_kgroups *groups;
	struct ed_koffsets *offsets;
	struct ed_kprodstate *prodstate;
	char cluster_id[32];
};

/* A connection: src/net's transport first, then the request FIFO. */
struct ed_kconn {
	struct ed_net_conn net;
	struct ed_kafka *k;
	struct ed_kreq *q_head, *q_tail;
	int inflight;
	bool processing;
};

/* net.c */
/* Mark req done; its response (if any) goes out in order. */
void ed_kreq_done(struct ed_kreq *req);
/* Park req until ed_kreq_unpark; deadline_ms is monotonic ms (expiry calls the
 * park kind's timeout handler). */
void ed_kreq_park(struct ed_kreq *req, enum ed_kpark kind, int64_t deadline_ms, void *ctx);
void ed_kreq_unpark(struct ed_kreq *req);
/* Ask the log to sync part up to upto and complete req when all such syncs
 * are done. Call ed_kreq_sync_begin first and ed_kreq_sync_end after the
 * last ed_kreq_sync_add. */
void ed_kreq_sync_begin(struct ed_kreq *req);
void ed_kreq_sync_add(struct ed_kreq *req, struct ed_partition *part, int64_t upto);
void ed_kreq_sync_end(struct ed_kreq *req);
const char *ed_kafka_adv_host(const struct ed_kafka *k);
int ed_kafka_adv_port(const struct ed_kafka *k);

/* handle_meta.c */
void ed_kafka_handle_api_versions(struct ed_kreq *req, int16_t error);
void ed_kafka_handle_metadata(struct ed_kreq *req);
void ed_kafka_handle_create_topics(struct ed_kreq *req);
void ed_kafka_handle_delete_topics(struct ed_kreq *req);
void ed_kafka_handle_describe_configs(struct ed_kreq *req);
void ed_kafka_handle_find_coordinator(struct ed_kreq *req);
void ed_kafka_handle_init_producer_id(struct ed_kreq *req);
/* Create topic name with the default partition count when auto-creation is
 * on. Returns a referenced topic or NULL (*kerr says why). */
/* Topics one request may auto-create, and the topic count beyond which
 * auto-creation stops: a client naming thousands of new topics would
 * otherwise block the loop and use up file descriptors. */
#define ED_KAFKA_AUTO_CREATE_PER_REQUEST 100
#define ED_KAFKA_AUTO_CREATE_MAX_TOPICS 10000
/* budget: topics this request may still auto-create (decremented). */
struct ed_topic *ed_kafka_topic_get_or_create(struct ed_kafka *k, const char *name, bool allow,
					      int *budget, int16_t *kerr);

/* handle_data.c */
void ed_kafka_handle_produce(struct ed_kreq *req);
void ed_kafka_handle_fetch(struct ed_kreq *req);
/* Re-run a parked fetch; answers it if enough bytes or expired. */
void ed_kafka_fetch_retry(struct ed_kreq *req, bool expired);
/* A parked fetch (ED_KPARK_FETCH, park_ctx its wait) is being unparked:
 * stop watching its partitions and its deadline timer. Called by
 * ed_kreq_unpark. */
void ed_kafka_fetch_unparked(struct ed_kreq *req);
/* Loop thread: answer (or re-park) the parked fetches whose partitions
 * grew. Called from fwake_task and once at stop. */
void ed_kafka_fetch_wakeups(struct ed_kafka *k);
/* k->fwake_task's function. */
void ed_kafka_fetch_wakeups_task(struct ed_net_task *t);
void ed_kafka_handle_list_offsets(struct ed_kreq *req);

/* group.c */
int ed_kgroups_new(struct ed_kafka *k, struct ed_kgroups **out);
void ed_kgroups_free(struct ed_kgroups *g);
void ed_kgroups_tick(struct ed_kafka *k, int64_t now_ms);
/* A parked join/sync request expired or its connection closed. */
void ed_kgroups_park_expired(struct ed_kreq *req);
void ed_kgroups_park_cancel(struct ed_kreq *req);
/* Kafka error for an offset commit by (generation, member) in group. */
int16_t ed_kgroups_check_commit(struct ed_kafka *k, const char *group, int32_t generation,
				const char *member);
bool ed_kgroups_exists(struct ed_kafka *k, const char *group);
void ed_kafka_handle_join_group(struct ed_kreq *req);
void ed_kafka_handle_sync_group(struct ed_kreq *req);
void ed_kafka_handle_heartbeat(struct ed_kreq *req);
void ed_kafka_handle_leave_group(struct ed_kreq *req);
void ed_kafka_handle_describe_groups(struct ed_kreq *req);
void ed_kafka_handle_list_groups(struct ed_kreq *req);

/* offsets.c: committed offsets, persisted in state_dir/offsets.log */
int ed_koffsets_open(struct ed_kafka *k, struct ed_koffsets **out, char *err, size_t errlen);
void ed_koffsets_close(struct ed_koffsets *o);
void ed_kafka_handle_offset_commit(struct ed_kreq *req);
void ed_kafka_handle_offset_fetch(struct ed_kreq *req);

/* producer_state.c: idempotent producers */
int ed_kprodstate_open(struct ed_kafka *k, struct ed_kprodstate **out, char *err, size_t errlen);
void ed_kprodstate_close(struct ed_kprodstate *ps);
/* Allocate a fresh producer id (persisted, never reused). */
int ed_kprodstate_new_pid(struct ed_kprodstate *ps, int64_t *pid);
/* Check an idempotent batch before append. Returns ED_KERR_NONE to append,
 * another Kafka error to refuse it, or 1 when it duplicates a recent batch
 * (*dup_offset = its original base offset). */
int ed_kprodstate_check(struct ed_kprodstate *ps, const char *topic, struct ed_partition *part,
			const struct ed_batch_info *bi, int64_t *dup_offset);
/* Record an appended idempotent batch. */
void ed_kprodstate_record(struct ed_kprodstate *ps, const char *topic, struct ed_partition *part,
			  const struct ed_batch_info *bi, int64_t base_offset);
/* Snapshot the state when it changed and a minute has passed (loop tick). */
void ed_kprodstate_tick(struct ed_kprodstate *ps, int64_t now_ms);
/* Forget a deleted topic. */
void ed_kprodstate_drop_topic(struct ed_kprodstate *ps, const char *topic);

#endif
