/* Kafka request decoding and response encoding helpers (see proto.h for the
 * frame layout and the rules every decoder follows). Field order per API and
 * version follows apache/kafka clients/src/main/resources/common/message. */
#include "kafka/proto.h"

#include <string.h>

#include "base/cursor.h"
#include "base/err.h"

static const struct ed_kapi_range api_ranges[] = {
	{ED_KAPI_PRODUCE, 0, 8},          {ED_KAPI_FETCH, 0, 11},
	{ED_KAPI_LIST_OFFSETS, 0, 5},     {ED_KAPI_METADATA, 0, 8},
	{ED_KAPI_OFFSET_COMMIT, 0, 7},    {ED_KAPI_OFFSET_FETCH, 0, 5},
	{ED_KAPI_FIND_COORDINATOR, 0, 2}, {ED_KAPI_JOIN_GROUP, 0, 5},
	{ED_KAPI_HEARTBEAT, 0, 3},        {ED_KAPI_LEAVE_GROUP, 0, 3},
	{ED_KAPI_SYNC_GROUP, 0, 3},       {ED_KAPI_DESCRIBE_GROUPS, 0, 4},
	{ED_KAPI_LIST_GROUPS, 0, 2},      {ED_KAPI_API_VERSIONS, 0, 2},
	{ED_KAPI_CREATE_TOPICS, 0, 4},    {ED_KAPI_DELETE_TOPICS, 0, 3},
	{ED_KAPI_INIT_PRODUCER_ID, 0, 1}, {ED_KAPI_DESCRIBE_CONFIGS, 0, 3},
};

const struct ed_kapi_range *ed_kafka_api_ranges(size_t *n)
{
	*n = sizeof(api_ranges) / sizeof(api_ranges[0]);
	return api_ranges;
}

bool ed_kafka_api_supported(int16_t key, int16_t version)
{
	for (size_t i = 0; i < sizeof(api_ranges) / sizeof(api_ranges[0]); i++)
		if (api_ranges[i].key == key)
			return version >= api_ranges[i].min && version <= api_ranges[i].max;
	return false;
}

const char *ed_kafka_api_name(int16_t key)
{
	switch (key) {
	case ED_KAPI_PRODUCE:
		return "Produce";
	case ED_KAPI_FETCH:
		return "Fetch";
	case ED_KAPI_LIST_OFFSETS:
		return "ListOffsets";
	case ED_KAPI_METADATA:
		return "Metadata";
	case ED_KAPI_OFFSET_COMMIT:
		return "OffsetCommit";
	case ED_KAPI_OFFSET_FETCH:
		return "OffsetFetch";
	case ED_KAPI_FIND_COORDINATOR:
		return "FindCoordinator";
	case ED_KAPI_JOIN_GROUP:
		return "JoinGroup";
	case ED_KAPI_HEARTBEAT:
		return "Heartbeat";
	case ED_KAPI_LEAVE_GROUP:
		return "LeaveGroup";
	case ED_KAPI_SYNC_GROUP:
		return "SyncGroup";
	case ED_KAPI_DESCRIBE_GROUPS:
		return "DescribeGroups";
	case ED_KAPI_LIST_GROUPS:
		return "ListGroups";
	case ED_KAPI_API_VERSIONS:
		return "ApiVersions";
	case ED_KAPI_CREATE_TOPICS:
		return "CreateTopics";
	case ED_KAPI_DELETE_TOPICS:
		return "DeleteTopics";
	case ED_KAPI_INIT_PRODUCER_ID:
		return "InitProducerId";
	case ED_KAPI_DESCRIBE_CONFIGS:
		return "DescribeConfigs";
	default:
		return "Unknown";
	}
}

/* Decoder state: the cursor's sticky err covers malformed input, nomem
 * covers arena exhaustion; both are checked once at the end. */
struct dec {
	struct ed_cur c;
	struct ed_arena *a;
	bool nomem;
};

static void fail(struct dec *d)
{
	d->c.err = true;
}

static int8_t rd_i8(struct dec *d)
{
	return ed_cur_i8(&d->c);
}
static int16_t rd_i16(struct dec *d)
{
	return ed_cur_i16(&d->c);
}
static int32_t rd_i32(struct dec *d)
{
	return ed_cur_i32(&d->c);
}
static int64_t rd_i64(struct dec *d)
{
	return ed_cur_i64(&d->c);
}
static bool rd_bool(struct dec *d)
{
	return ed_cur_u8(&d->c) != 0;
}

/* int16-length string copied into the arena and NUL-terminated. A null
 * string is NULL when nullable, an error otherwise. Errors return "". */
static char *rd_str(struct dec *d, bool nullable)
{
	int16_t len = rd_i16(d);
	if (d->c.err)
		return (char *)"";
	if (len == -1 && nullable)
		return NULL;
	if (len < 0) {
		fail(d);
		return (char *)"";
	}
	const uint8_t *p = ed_cur_bytes(&d->c, (size_t)len);
	if (!p)
		return (char *)"";
	char *s = ed_arena_strndup(d->a, (const char *)p, (size_t)len);
	if (!s) {
		d->nomem = true;
		return (char *)"";
	}
	return s;
}

/* int32-length bytes pointing into the frame; null allowed (len -1). */
static struct ed_kbytes rd_bytes(struct dec *d)
{
	struct ed_kbytes b = {NULL, -1};
	int32_t len = rd_i32(d);
	if (d->c.err || len == -1)
		return b;
	if (len < 0) {
		fail(d);
		return b;
	}
	b.p = ed_cur_bytes(&d->c, (size_t)len);
	b.len = b.p ? len : -1;
	return b;
}

/* Array count. Each element takes at least min_size bytes, so a count larger
 * than what remains / min_size is malformed: this bounds every allocation by
 * the frame size. -1 is returned only when nullable. */
static int32_t rd_count(struct dec *d, size_t min_size, bool nullable)
{
	int32_t n = rd_i32(d);
	if (d->c.err)
		return 0;
	if (n == -1 && nullable)
		return -1;
	if (n < 0 || (size_t)n > ed_cur_left(&d->c) / min_size) {
		fail(d);
		return 0;
	}
	return n;
}

static void *alloc_array(struct dec *d, int32_t n, size_t size)
{
	if (n <= 0)
		return NULL;
	void *p = ed_arena_alloc(d->a, (size_t)n * size);
	if (!p)
		d->nomem = true;
	else
		memset(p, 0, (size_t)n * size);
	return p;
}

/* Decode [n] strings; the array is NULL for an empty or null array. */
static char **rd_str_array(struct dec *d, int32_t *n, bool nullable)
{
	*n = rd_count(d, 2, nullable);
	char **v = alloc_array(d, *n, sizeof(char *));
	for (int32_t i = 0; v && i < *n && !d->c.err; i++)
		v[i] = rd_str(d, false);
	if (!v && *n > 0)
		*n = 0;
	return v;
}

static void dec_metadata(struct dec *d, int16_t v, struct ed_kreq_metadata *r)
{
	r->topics = rd_str_array(d, &r->ntopics, v >= 1);
	if (r->ntopics == -1) {
		r->all_topics = true;
		r->ntopics = 0;
	} else if (v == 0 && r->ntopics == 0) {
		r->all_topics = true;
	}
	r->allow_auto_create = v >= 4 ? rd_bool(d) : true;
	if (v >= 8) {
		rd_bool(d); /* include cluster authorized operations */
		rd_bool(d); /* include topic authorized operations */
	}
}

static void dec_produce(struct dec *d, int16_t v, struct ed_kreq_produce *r)
{
	r->transactional_id = v >= 3 ? rd_str(d, true) : NULL;
	r->acks = rd_i16(d);
	r->timeout_ms = rd_i32(d);
	r->ntopics = rd_count(d, 6, false);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_kprod_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->nparts = rd_count(d, 8, false);
		t->parts = alloc_array(d, t->nparts, sizeof(*t->parts));
		for (int32_t j = 0; t->parts && j < t->nparts && !d->c.err; j++) {
			t->parts[j].index = rd_i32(d);
			t->parts[j].records = rd_bytes(d);
		}
	}
}

static void dec_fetch(struct dec *d, int16_t v, struct ed_kreq_fetch *r)
{
	rd_i32(d); /* replica id */
	r->max_wait_ms = rd_i32(d);
	r->min_bytes = rd_i32(d);
	r->max_bytes = v >= 3 ? rd_i32(d) : INT32_MAX;
	r->isolation_level = v >= 4 ? rd_i8(d) : 0;
	r->session_id = v >= 7 ? rd_i32(d) : 0;
	r->session_epoch = v >= 7 ? rd_i32(d) : -1;
	size_t part_size = 16 + (v >= 5 ? 8 : 0) + (v >= 9 ? 4 : 0);
	r->ntopics = rd_count(d, 6, false);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_kfetch_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->nparts = rd_count(d, part_size, false);
		t->parts = alloc_array(d, t->nparts, sizeof(*t->parts));
		for (int32_t j = 0; t->parts && j < t->nparts && !d->c.err; j++) {
			t->parts[j].partition = rd_i32(d);
			if (v >= 9)
				rd_i32(d); /* current leader epoch */
			t->parts[j].fetch_offset = rd_i64(d);
			if (v >= 5)
				rd_i64(d); /* log start offset (followers only) */
			t->parts[j].max_bytes = rd_i32(d);
		}
	}
	if (v >= 7) {
		int32_t nforgotten = rd_count(d, 6, false);
		for (int32_t i = 0; i < nforgotten && !d->c.err; i++) {
			rd_str(d, false);
			int32_t np = rd_count(d, 4, false);
			ed_cur_skip(&d->c, (size_t)np * 4);
		}
	}
	if (v >= 11)
		rd_str(d, false); /* rack id */
}

static void dec_list_offsets(struct dec *d, int16_t v, struct ed_kreq_list_offsets *r)
{
	r->replica_id = rd_i32(d);
	r->isolation_level = v >= 2 ? rd_i8(d) : 0;
	size_t part_size = 12 + (v == 0 ? 4 : 0) + (v >= 4 ? 4 : 0);
	r->ntopics = rd_count(d, 6, false);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_klo_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->nparts = rd_count(d, part_size, false);
		t->parts = alloc_array(d, t->nparts, sizeof(*t->parts));
		for (int32_t j = 0; t->parts && j < t->nparts && !d->c.err; j++) {
			t->parts[j].index = rd_i32(d);
			if (v >= 4)
				rd_i32(d); /* current leader epoch */
			t->parts[j].timestamp = rd_i64(d);
			if (v == 0)
				rd_i32(d); /* max num offsets */
		}
	}
}

static void dec_create_topics(struct dec *d, int16_t v, struct ed_kreq_create_topics *r)
{
	r->ntopics = rd_count(d, 16, false);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_kcreate_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->num_partitions = rd_i32(d);
		t->replication_factor = rd_i16(d);
		t->nassignments = rd_count(d, 8, false);
		for (int32_t j = 0; j < t->nassignments && !d->c.err; j++) {
			rd_i32(d);
			int32_t nb = rd_count(d, 4, false);
			ed_cur_skip(&d->c, (size_t)nb * 4);
		}
		t->nconfigs = rd_count(d, 4, false);
		t->configs = alloc_array(d, t->nconfigs, sizeof(*t->configs));
		for (int32_t j = 0; t->configs && j < t->nconfigs && !d->c.err; j++) {
			t->configs[j].name = rd_str(d, false);
			t->configs[j].value = rd_str(d, true);
		}
	}
	r->timeout_ms = rd_i32(d);
	r->validate_only = v >= 1 ? rd_bool(d) : false;
}

static void dec_delete_topics(struct dec *d, int16_t v, struct ed_kreq_delete_topics *r)
{
	(void)v;
	r->topics = rd_str_array(d, &r->ntopics, false);
	r->timeout_ms = rd_i32(d);
}

static void dec_describe_configs(struct dec *d, int16_t v, struct ed_kreq_describe_configs *r)
{
	r->nresources = rd_count(d, 7, false);
	r->resources = alloc_array(d, r->nresources, sizeof(*r->resources));
	for (int32_t i = 0; r->resources && i < r->nresources && !d->c.err; i++) {
		struct ed_kdescribe_resource *res = &r->resources[i];
		res->type = rd_i8(d);
		res->name = rd_str(d, false);
		res->keys = rd_str_array(d, &res->nkeys, true);
	}
	r->include_synonyms = v >= 1 ? rd_bool(d) : false;
	if (v >= 3)
		rd_bool(d); /* include documentation */
}

static void dec_find_coordinator(struct dec *d, int16_t v, struct ed_kreq_find_coordinator *r)
{
	r->key = rd_str(d, false);
	r->key_type = v >= 1 ? rd_i8(d) : 0;
}

static void dec_join_group(struct dec *d, int16_t v, struct ed_kreq_join_group *r)
{
	r->group_id = rd_str(d, false);
	r->session_timeout_ms = rd_i32(d);
	r->rebalance_timeout_ms = v >= 1 ? rd_i32(d) : r->session_timeout_ms;
	r->member_id = rd_str(d, false);
	r->group_instance_id = v >= 5 ? rd_str(d, true) : NULL;
	r->protocol_type = rd_str(d, false);
	r->nprotocols = rd_count(d, 6, false);
	r->protocols = alloc_array(d, r->nprotocols, sizeof(*r->protocols));
	for (int32_t i = 0; r->protocols && i < r->nprotocols && !d->c.err; i++) {
		r->protocols[i].name = rd_str(d, false);
		r->protocols[i].metadata = rd_bytes(d);
	}
}

static void dec_sync_group(struct dec *d, int16_t v, struct ed_kreq_sync_group *r)
{
	r->group_id = rd_str(d, false);
	r->generation_id = rd_i32(d);
	r->member_id = rd_str(d, false);
	r->group_instance_id = v >= 3 ? rd_str(d, true) : NULL;
	r->nassignments = rd_count(d, 6, false);
	r->assignments = alloc_array(d, r->nassignments, sizeof(*r->assignments));
	for (int32_t i = 0; r->assignments && i < r->nassignments && !d->c.err; i++) {
		r->assignments[i].member_id = rd_str(d, false);
		r->assignments[i].assignment = rd_bytes(d);
	}
}

static void dec_heartbeat(struct dec *d, int16_t v, struct ed_kreq_heartbeat *r)
{
	r->group_id = rd_str(d, false);
	r->generation_id = rd_i32(d);
	r->member_id = rd_str(d, false);
	r->group_instance_id = v >= 3 ? rd_str(d, true) : NULL;
}

static void dec_leave_group(struct dec *d, int16_t v, struct ed_kreq_leave_group *r)
{
	r->group_id = rd_str(d, false);
	if (v <= 2) {
		r->nmembers = 1;
		r->member_ids = alloc_array(d, 1, sizeof(char *));
		char *m = rd_str(d, false);
		if (r->member_ids)
			r->member_ids[0] = m;
		else
			r->nmembers = 0;
		return;
	}
	r->nmembers = rd_count(d, 4, false);
	r->member_ids = alloc_array(d, r->nmembers, sizeof(char *));
	for (int32_t i = 0; r->member_ids && i < r->nmembers && !d->c.err; i++) {
		r->member_ids[i] = rd_str(d, false);
		rd_str(d, true); /* group instance id */
	}
}

static void dec_offset_commit(struct dec *d, int16_t v, struct ed_kreq_offset_commit *r)
{
	r->group_id = rd_str(d, false);
	r->generation_id = v >= 1 ? rd_i32(d) : -1;
	r->member_id = v >= 1 ? rd_str(d, false) : (char *)"";
	r->group_instance_id = v >= 7 ? rd_str(d, true) : NULL;
	if (v >= 2 && v <= 4)
		rd_i64(d); /* retention time */
	size_t part_size = 14 + (v >= 6 ? 4 : 0) + (v == 1 ? 8 : 0);
	r->ntopics = rd_count(d, 6, false);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_kcommit_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->nparts = rd_count(d, part_size, false);
		t->parts = alloc_array(d, t->nparts, sizeof(*t->parts));
		for (int32_t j = 0; t->parts && j < t->nparts && !d->c.err; j++) {
			t->parts[j].index = rd_i32(d);
			t->parts[j].offset = rd_i64(d);
			t->parts[j].leader_epoch = v >= 6 ? rd_i32(d) : -1;
			if (v == 1)
				rd_i64(d); /* commit timestamp */
			t->parts[j].metadata = rd_str(d, true);
		}
	}
}

static void dec_offset_fetch(struct dec *d, int16_t v, struct ed_kreq_offset_fetch *r)
{
	r->group_id = rd_str(d, false);
	r->ntopics = rd_count(d, 6, v >= 2);
	r->topics = alloc_array(d, r->ntopics, sizeof(*r->topics));
	for (int32_t i = 0; r->topics && i < r->ntopics && !d->c.err; i++) {
		struct ed_koffetch_topic *t = &r->topics[i];
		t->name = rd_str(d, false);
		t->nparts = rd_count(d, 4, false);
		t->parts = alloc_array(d, t->nparts, sizeof(int32_t));
		for (int32_t j = 0; t->parts && j < t->nparts && !d->c.err; j++)
			t->parts[j] = rd_i32(d);
	}
}

static void dec_describe_groups(struct dec *d, int16_t v, struct ed_kreq_describe_groups *r)
{
	r->groups = rd_str_array(d, &r->ngroups, false);
	if (v >= 3)
		rd_bool(d); /* include authorized operations */
}

static void dec_init_producer_id(struct dec *d, int16_t v, struct ed_kreq_init_producer_id *r)
{
	(void)v;
	r->transactional_id = rd_str(d, true);
	r->transaction_timeout_ms = rd_i32(d);
}

int ed_kafka_decode_header(const uint8_t *frame, size_t len, int16_t *api_key, int16_t *api_version,
			   int32_t *correlation_id)
{
	struct ed_cur c;
	ed_cur_init(&c, frame, len);
	*api_key = ed_cur_i16(&c);
	*api_version = ed_cur_i16(&c);
	*correlation_id = ed_cur_i32(&c);
	return c.err ? ED_EPROTO : 0;
}

int ed_kafka_decode_request(const uint8_t *frame, size_t len, struct ed_arena *arena,
			    struct ed_kreq_msg *msg)
{
	struct dec d;
	memset(msg, 0, sizeof(*msg));
	ed_cur_init(&d.c, frame, len);
	d.a = arena;
	d.nomem = false;
	msg->api_key = rd_i16(&d);
	msg->api_version = rd_i16(&d);
	msg->correlation_id = rd_i32(&d);
	if (d.c.err)
		return ED_EPROTO;
	if (!ed_kafka_api_supported(msg->api_key, msg->api_version))
		return ED_EUNSUPPORTED; /* body (and maybe header) format unknown */
	msg->client_id = rd_str(&d, true);
	if (!msg->client_id)
		msg->client_id = (char *)"";

	int16_t v = msg->api_version;
	switch (msg->api_key) {
	case ED_KAPI_API_VERSIONS:
	case ED_KAPI_LIST_GROUPS:
		break; /* empty bodies at the versions we implement */
	case ED_KAPI_METADATA:
		dec_metadata(&d, v, &msg->u.metadata);
		break;
	case ED_KAPI_PRODUCE:
		dec_produce(&d, v, &msg->u.produce);
		break;
	case ED_KAPI_FETCH:
		dec_fetch(&d, v, &msg->u.fetch);
		break;
	case ED_KAPI_LIST_OFFSETS:
		dec_list_offsets(&d, v, &msg->u.list_offsets);
		break;
	case ED_KAPI_CREATE_TOPICS:
		dec_create_topics(&d, v, &msg->u.create_topics);
		break;
	case ED_KAPI_DELETE_TOPICS:
		dec_delete_topics(&d, v, &msg->u.delete_topics);
		break;
	case ED_KAPI_DESCRIBE_CONFIGS:
		dec_describe_configs(&d, v, &msg->u.describe_configs);
		break;
	case ED_KAPI_FIND_COORDINATOR:
		dec_find_coordinator(&d, v, &msg->u.find_coordinator);
		break;
	case ED_KAPI_JOIN_GROUP:
		dec_join_group(&d, v, &msg->u.join_group);
		break;
	case ED_KAPI_SYNC_GROUP:
		dec_sync_group(&d, v, &msg->u.sync_group);
		break;
	case ED_KAPI_HEARTBEAT:
		dec_heartbeat(&d, v, &msg->u.heartbeat);
		break;
	case ED_KAPI_LEAVE_GROUP:
		dec_leave_group(&d, v, &msg->u.leave_group);
		break;
	case ED_KAPI_OFFSET_COMMIT:
		dec_offset_commit(&d, v, &msg->u.offset_commit);
		break;
	case ED_KAPI_OFFSET_FETCH:
		dec_offset_fetch(&d, v, &msg->u.offset_fetch);
		break;
	case ED_KAPI_DESCRIBE_GROUPS:
		dec_describe_groups(&d, v, &msg->u.describe_groups);
		break;
	case ED_KAPI_INIT_PRODUCER_ID:
		dec_init_producer_id(&d, v, &msg->u.init_producer_id);
		break;
	default:
		return ED_EUNSUPPORTED;
	}
	if (d.nomem)
		return ED_ENOMEM;
	/* Trailing bytes are tolerated only for ApiVersions (newer clients may
	 * send a longer body before learning our range). */
	if (d.c.err || (ed_cur_left(&d.c) != 0 && msg->api_key != ED_KAPI_API_VERSIONS))
		return ED_EPROTO;
	return 0;
}

size_t ed_kresp_begin(struct ed_buf *b, int32_t correlation_id)
{
	size_t start = b->len;
	ed_buf_put_be32(b, 0);
	ed_buf_put_be32(b, (uint32_t)correlation_id);
	return start;
}

void ed_kresp_end(struct ed_buf *b, size_t start)
{
	if (!b->err)
		ed_buf_patch_be32(b, start, (uint32_t)(b->len - start - 4));
}

void ed_kput_i8(struct ed_buf *b, int8_t v)
{
	ed_buf_put_u8(b, (uint8_t)v);
}
void ed_kput_i16(struct ed_buf *b, int16_t v)
{
	ed_buf_put_be16(b, (uint16_t)v);
}
void ed_kput_i32(struct ed_buf *b, int32_t v)
{
	ed_buf_put_be32(b, (uint32_t)v);
}
void ed_kput_i64(struct ed_buf *b, int64_t v)
{
	ed_buf_put_be64(b, (uint64_t)v);
}

void ed_kput_strn(struct ed_buf *b, const char *s, size_t n)
{
	if (n > INT16_MAX)
		n = INT16_MAX;
	ed_buf_put_be16(b, (uint16_t)n);
	ed_buf_append(b, s, n);
}

void ed_kput_str(struct ed_buf *b, const char *s)
{
	if (!s)
		ed_buf_put_be16(b, (uint16_t)-1);
	else
		ed_kput_strn(b, s, strlen(s));
}

void ed_kput_bytes(struct ed_buf *b, const void *p, int32_t len)
{
	if (!p || len < 0) {
		ed_buf_put_be32(b, (uint32_t)-1);
		return;
	}
	ed_buf_put_be32(b, (uint32_t)len);
	ed_buf_append(b, p, (size_t)len);
}
