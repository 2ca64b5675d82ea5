/* Kafka wire protocol: API keys, error codes, the versions eddy advertises,
 * and the decoder that turns one request frame into a struct. Decoding is a
 * pure function of the bytes (no I/O, no log access) so the fuzzer and the
 * handlers share it. Only non-flexible versions are implemented (KIP-482
 * compact encodings are never accepted); see docs/KAFKA.md.
 *
 * Frame layout (all integers big-endian):
 *
 *   offset size field          notes
 *   ------ ---- -------------- -----------------------------------------
 *        0    4 size           bytes after this field; <= max frame bytes
 *        4    2 api_key
 *        6    2 api_version
 *        8    4 correlation_id
 *       12    2 client_id len  -1 = null (request header v1)
 *       14    n client_id
 *     14+n    - body           per API and version
 *
 * The decoder gets the frame without the size field. Every array count and
 * string/bytes length is checked against the bytes left before anything is
 * allocated, so a hostile count cannot make us allocate more than a small
 * multiple of the frame size. All decoded memory comes from the arena; byte
 * fields (records, metadata, assignments) point into the frame. */
#ifndef ED_KAFKA_PROTO_H
#define ED_KAFKA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"

enum ed_kapi {
	ED_KAPI_PRODUCE = 0,
	ED_KAPI_FETCH = 1,
	ED_KAPI_LIST_OFFSETS = 2,
	ED_KAPI_METADATA = 3,
	ED_KAPI_OFFSET_COMMIT = 8,
	ED_KAPI_OFFSET_FETCH = 9,
	ED_KAPI_FIND_COORDINATOR = 10,
	ED_KAPI_JOIN_GROUP = 11,
	ED_KAPI_HEARTBEAT = 12,
	ED_KAPI_LEAVE_GROUP = 13,
	ED_KAPI_SYNC_GROUP = 14,
	ED_KAPI_DESCRIBE_GROUPS = 15,
	ED_KAPI_LIST_GROUPS = 16,
	ED_KAPI_API_VERSIONS = 18,
	ED_KAPI_CREATE_TOPICS = 19,
	ED_KAPI_DELETE_TOPICS = 20,
	ED_KAPI_INIT_PRODUCER_ID = 22,
	ED_KAPI_DESCRIBE_CONFIGS = 32,
};

/* Kafka error codes (the subset eddy answers with). */
enum ed_kerr {
	ED_KERR_UNKNOWN_SERVER_ERROR = -1,
	ED_KERR_NONE = 0,
	ED_KERR_OFFSET_OUT_OF_RANGE = 1,
	ED_KERR_CORRUPT_MESSAGE = 2,
	ED_KERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
	ED_KERR_LEADER_NOT_AVAILABLE = 5,
	ED_KERR_REQUEST_TIMED_OUT = 7,
	ED_KERR_MESSAGE_TOO_LARGE = 10,
	ED_KERR_COORDINATOR_NOT_AVAILABLE = 15,
	ED_KERR_INVALID_TOPIC_EXCEPTION = 17,
	ED_KERR_INVALID_REQUIRED_ACKS = 21,
	ED_KERR_ILLEGAL_GENERATION = 22,
	ED_KERR_INCONSISTENT_GROUP_PROTOCOL = 23,
	ED_KERR_INVALID_GROUP_ID = 24,
	ED_KERR_UNKNOWN_MEMBER_ID = 25,
	ED_KERR_INVALID_SESSION_TIMEOUT = 26,
	ED_KERR_REBALANCE_IN_PROGRESS = 27,
	ED_KERR_UNSUPPORTED_VERSION = 35,
	ED_KERR_TOPIC_ALREADY_EXISTS = 36,
	ED_KERR_INVALID_PARTITIONS = 37,
	ED_KERR_INVALID_REPLICATION_FACTOR = 38,
	ED_KERR_INVALID_CONFIG = 40,
	ED_KERR_INVALID_REQUEST = 42,
	ED_KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
	ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
	ED_KERR_INVALID_PRODUCER_EPOCH = 47,
	ED_KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
	ED_KERR_KAFKA_STORAGE_ERROR = 56,
	ED_KERR_UNKNOWN_PRODUCER_ID = 59,
	ED_KERR_GROUP_ID_NOT_FOUND = 69,
	ED_KERR_MEMBER_ID_REQUIRED = 79,
};

struct ed_kapi_range {
	int16_t key;
	int16_t min;
	int16_t max;
};

/* The advertised table, sorted by key; *n gets its length. */
const struct ed_kapi_range *ed_kafka_api_ranges(size_t *n);
/* True if eddy implements this key at this version. */
bool ed_kafka_api_supported(int16_t key, int16_t version);
const char *ed_kafka_api_name(int16_t key);

/* A bytes field: p points into the frame; len -1 = null. */
struct ed_kbytes {
	const uint8_t *p;
	int32_t len;
};

/* ---- request bodies (field names follow the Kafka JSON schemas) ---- */

struct ed_kreq_metadata {
	bool all_topics; /* topics null (v1+) or, at v0, empty */
	int32_t ntopics;
	char **topics;
	bool allow_auto_create; /* v4+, true before */
};

struct ed_kprod_part {
	int32_t index;
	struct ed_kbytes records;
};
struct ed_kprod_topic {
	char *name;
	int32_t nparts;
	struct ed_kprod_part *parts;
};
struct ed_kreq_produce {
	char *transactional_id; /* v3+, NULL */
	int16_t acks;
	int32_t timeout_ms;
	int32_t ntopics;
	struct ed_kprod_topic *topics;
};

struct ed_kfetch_part {
	int32_t partition;
	int64_t fetch_offset;
	int32_t max_bytes;
};
struct ed_kfetch_topic {
	char *name;
	int32_t nparts;
	struct ed_kfetch_part *parts;
};
struct ed_kreq_fetch {
	int32_t max_wait_ms;
	int32_t min_bytes;
	int32_t max_bytes; /* v3+, INT32_MAX before */
	int8_t isolation_level;
	int32_t session_id;
	int32_t session_epoch;
	int32_t ntopics;
	struct ed_kfetch_topic *topics;
};

struct ed_klo_part {
	int32_t index;
	int64_t timestamp;
};
struct ed_klo_topic {
	char *name;
	int32_t nparts;
	struct ed_klo_part *parts;
};
struct ed_kreq_list_offsets {
	int32_t replica_id;
	int8_t isolation_level;
	int32_t ntopics;
	struct ed_klo_topic *topics;
};

struct ed_kconfig_kv {
	char *name;
	char *value; /* NULL = null */
};
struct ed_kcreate_topic {
	char *name;
	int32_t num_partitions;
	int16_t replication_factor;
	int32_t nassignments;
	int32_t nconfigs;
	struct ed_kconfig_kv *configs;
};
struct ed_kreq_create_topics {
	int32_t ntopics;
	struct ed_kcreate_topic *topics;
	int32_t timeout_ms;
	bool validate_only;
};

struct ed_kreq_delete_topics {
	int32_t ntopics;
	char **topics;
	int32_t timeout_ms;
};

struct ed_kdescribe_resource {
	int8_t type; /* 2 topic, 4 broker */
	char *name;
	int32_t nkeys; /* -1 = all */
	char **keys;
};
struct ed_kreq_describe_configs {
	int32_t nresources;
	struct ed_kdescribe_resource *resources;
	bool include_synonyms;
};

struct ed_kreq_find_coordinator {
	char *key;
	int8_t key_type;
};

struct ed_kprotocol {
	char *name;
	struct ed_kbytes metadata;
};
struct ed_kreq_join_group {
	char *group_id;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms; /* v1+, = session timeout before */
	char *member_id;
	char *group_instance_id; /* v5+, NULL */
	char *protocol_type;
	int32_t nprotocols;
	struct ed_kprotocol *protocols;
};

struct ed_kassignment {
	char *member_id;
	struct ed_kbytes assignment;
};
struct ed_kreq_sync_group {
	char *group_id;
	int32_t generation_id;
	char *member_id;
	char *group_instance_id;
	int32_t nassignments;
	struct ed_kassignment *assignments;
};

struct ed_kreq_heartbeat {
	char *group_id;
	int32_t generation_id;
	char *member_id;
	char *group_instance_id;
};

struct ed_kreq_leave_group {
	char *group_id;
	int32_t nmembers; /* v0-2: one, from member_id */
	char **member_ids;
};

struct ed_kcommit_part {
	int32_t index;
	int64_t offset;
	int32_t leader_epoch;
	char *metadata; /* NULL = null */
};
struct ed_kcommit_topic {
	char *name;
	int32_t nparts;
	struct ed_kcommit_part *parts;
};
struct ed_kreq_offset_commit {
	char *group_id;
	int32_t generation_id; /* v1+, -1 before */
	char *member_id;       /* v1+, "" before */
	char *group_instance_id;
	int32_t ntopics;
	struct ed_kcommit_topic *topics;
};

struct ed_koffetch_topic {
	char *name;
	int32_t nparts;
	int32_t *parts;
};
struct ed_kreq_offset_fetch {
	char *group_id;
	int32_t ntopics; /* -1 = all topics (v2+) */
	struct ed_koffetch_topic *topics;
};

struct ed_kreq_describe_groups {
	int32_t ngroups;
	char **groups;
};

struct ed_kreq_init_producer_id {
	char *transactional_id;
	int32_t transaction_timeout_ms;
};

/* One decoded request. */
struct ed_kreq_msg {
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	char *client_id; /* "" when null */
	union {
		struct ed_kreq_metadata metadata;
		struct ed_kreq_produce produce;
		struct ed_kreq_fetch fetch;
		struct ed_kreq_list_offsets list_offsets;
		struct ed_kreq_create_topics create_topics;
		struct ed_kreq_delete_topics delete_topics;
		struct ed_kreq_describe_configs describe_configs;
		struct ed_kreq_find_coordinator find_coordinator;
		struct ed_kreq_join_group join_group;
		struct ed_kreq_sync_group sync_group;
		struct ed_kreq_heartbeat heartbeat;
		struct ed_kreq_leave_group leave_group;
		struct ed_kreq_offset_commit offset_commit;
		struct ed_kreq_offset_fetch offset_fetch;
		struct ed_kreq_describe_groups describe_groups;
		struct ed_kreq_init_producer_id init_producer_id;
	} u;
};

/* Decode the request header only (api key, version, correlation id). Used to
 * answer even a request whose body we cannot decode. 0 or ED_EPROTO. */
int ed_kafka_decode_header(const uint8_t *frame, size_t len, int16_t *api_key, int16_t *api_version,
			   int32_t *correlation_id);

/* Decode a whole request frame (without the 4-byte size) into *msg, memory
 * from arena. Returns 0; ED_EUNSUPPORTED when the key/version is not
 * implemented (header fields of *msg are still filled; ApiVersions v3+ is
 * reported this way); ED_EPROTO when the bytes are malformed (truncated,
 * negative or oversized counts, trailing garbage); ED_ENOMEM. */
int ed_kafka_decode_request(const uint8_t *frame, size_t len, struct ed_arena *arena,
			    struct ed_kreq_msg *msg);

/* ---- response encoding helpers (non-flexible) ---- */

/* Start a response: reserve the size field and write the correlation id
 * (response header v0). Returns the position of the size field. */
size_t ed_kresp_begin(struct ed_buf *b, int32_t correlation_id);
/* Patch the size field written by ed_kresp_begin. */
void ed_kresp_end(struct ed_buf *b, size_t start);
void ed_kput_i8(struct ed_buf *b, int8_t v);
void ed_kput_i16(struct ed_buf *b, int16_t v);
void ed_kput_i32(struct ed_buf *b, int32_t v);
void ed_kput_i64(struct ed_buf *b, int64_t v);
/* int16-length string; NULL writes -1 (nullable string). */
void ed_kput_str(struct ed_buf *b, const char *s);
void ed_kput_strn(struct ed_buf *b, const char *s, size_t n);
/* int32-length bytes; p NULL with len -1 writes null. */
void ed_kput_bytes(struct ed_buf *b, const void *p, int32_t len);

#endif
