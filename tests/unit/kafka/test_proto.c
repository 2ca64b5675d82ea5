/* Unit tests of the Kafka request decoder and response helpers (src/kafka/proto.c):
 * well-formed requests of several APIs and versions, and the malformed cases
 * the decoder must refuse (truncation, oversized counts, negative lengths,
 * trailing bytes, unknown keys and versions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "kafka/proto.h"

static void header(struct ed_buf *b, int16_t key, int16_t ver, int32_t corr, const char *client)
{
	ed_buf_reset(b);
	ed_kput_i16(b, key);
	ed_kput_i16(b, ver);
	ed_kput_i32(b, corr);
	ed_kput_str(b, client);
}

static int decode(struct ed_buf *b, struct ed_arena *a, struct ed_kreq_msg *m)
{
	ed_arena_reset(a);
	return ed_kafka_decode_request(b->data, b->len, a, m);
}

static void test_api_versions(void **state)
{
	(void)state;
	struct ed_buf b;
	struct ed_arena a;
	struct ed_kreq_msg m;
	ed_buf_init(&b);
	ed_arena_init(&a, 1024);
	header(&b, ED_KAPI_API_VERSIONS, 2, 42, "cli");
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_int_equal(m.correlation_id, 42);
	assert_string_equal(m.client_id, "cli");
	/* v3 is flexible: refused as unsupported, header fields still known */
	header(&b, ED_KAPI_API_VERSIONS, 3, 43, "cli");
	ed_buf_put_u8(&b, 0);
	assert_int_equal(decode(&b, &a, &m), ED_EUNSUPPORTED);
	assert_int_equal(m.api_key, ED_KAPI_API_VERSIONS);
	assert_int_equal(m.correlation_id, 43);
	/* unknown key */
	header(&b, 99, 0, 1, NULL);
	assert_int_equal(decode(&b, &a, &m), ED_EUNSUPPORTED);
	/* truncated header */
	assert_int_equal(ed_kafka_decode_request(b.data, 5, &a, &m), ED_EPROTO);
	assert_true(ed_kafka_api_supported(ED_KAPI_FETCH, 11));
	assert_false(ed_kafka_api_supported(ED_KAPI_FETCH, 12));
	assert_false(ed_kafka_api_supported(ED_KAPI_JOIN_GROUP, 6));
	ed_arena_fini(&a);
	ed_buf_fini(&b);
}

static void test_metadata(void **state)
{
	(void)state;
	struct ed_buf b;
	struct ed_arena a;
	struct ed_kreq_msg m;
	ed_buf_init(&b);
	ed_arena_init(&a, 1024);
	/* v1 null topics = all */
	header(&b, ED_KAPI_METADATA, 1, 1, NULL);
	ed_kput_i32(&b, -1);
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_string_equal(m.client_id, "");
	assert_true(m.u.metadata.all_topics);
	/* v0 empty = all; v0 null is malformed */
	header(&b, ED_KAPI_METADATA, 0, 1, NULL);
	ed_kput_i32(&b, 0);
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_true(m.u.metadata.all_topics);
	header(&b, ED_KAPI_METADATA, 0, 1, NULL);
	ed_kput_i32(&b, -1);
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);
	/* v8 two topics, no auto-create */
	header(&b, ED_KAPI_METADATA, 8, 1, "x");
	ed_kput_i32(&b, 2);
	ed_kput_str(&b, "alpha");
	ed_kput_str(&b, "beta");
	ed_buf_put_u8(&b, 0);
	ed_buf_put_u8(&b, 0);
	ed_buf_put_u8(&b, 1);
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_false(m.u.metadata.all_topics);
	assert_int_equal(m.u.metadata.ntopics, 2);
	assert_string_equal(m.u.metadata.topics[1], "beta");
	assert_false(m.u.metadata.allow_auto_create);
	/* trailing byte */
	ed_buf_put_u8(&b, 0);
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);
	/* count beyond the frame: refused before allocating */
	header(&b, ED_KAPI_METADATA, 8, 1, "x");
	ed_kput_i32(&b, 0x7fffffff);
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);
	assert_true(a.total < 1024);
	/* negative string length */
	header(&b, ED_KAPI_METADATA, 4, 1, "x");
	ed_kput_i32(&b, 1);
	ed_kput_i16(&b, -2);
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);
	ed_arena_fini(&a);
	ed_buf_fini(&b);
}

static void test_produce(void **state)
{
	(void)state;
	struct ed_buf b;
	struct ed_arena a;
	struct ed_kreq_msg m;
	ed_buf_init(&b);
	ed_arena_init(&a, 1024);
	header(&b, ED_KAPI_PRODUCE, 7, 9, "p");
	ed_kput_str(&b, NULL); /* transactional id */
	ed_kput_i16(&b, -1);
	ed_kput_i32(&b, 30000);
	ed_kput_i32(&b, 1);
	ed_kput_str(&b, "t");
	ed_kput_i32(&b, 2);
	ed_kput_i32(&b, 0);
	ed_kput_bytes(&b, "abc", 3);
	ed_kput_i32(&b, 1);
	ed_kput_bytes(&b, NULL, -1);
	assert_int_equal(decode(&b, &a, &m), 0);
	struct ed_kreq_produce *p = &m.u.produce;
	assert_null(p->transactional_id);
	assert_int_equal(p->acks, -1);
	assert_int_equal(p->ntopics, 1);
	assert_int_equal(p->topics[0].nparts, 2);
	assert_int_equal(p->topics[0].parts[0].records.len, 3);
	assert_memory_equal(p->topics[0].parts[0].records.p, "abc", 3);
	assert_int_equal(p->topics[0].parts[1].records.len, -1);
	/* records length beyond the frame */
	b.len -= 4;
	ed_kput_i32(&b, 1000);
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);
	/* every truncation of a valid request is refused, never read past */
	header(&b, ED_KAPI_PRODUCE, 3, 9, "p");
	ed_kput_str(&b, NULL);
	ed_kput_i16(&b, 1);
	ed_kput_i32(&b, 30000);
	ed_kput_i32(&b, 1);
	ed_kput_str(&b, "topic");
	ed_kput_i32(&b, 1);
	ed_kput_i32(&b, 0);
	ed_kput_bytes(&b, "xyz", 3);
	assert_int_equal(decode(&b, &a, &m), 0);
	for (size_t n = 0; n < b.len; n++) {
		ed_arena_reset(&a);
		assert_int_not_equal(ed_kafka_decode_request(b.data, n, &a, &m), 0);
	}
	ed_arena_fini(&a);
	ed_buf_fini(&b);
}

static void test_fetch_and_groups(void **state)
{
	(void)state;
	struct ed_buf b;
	struct ed_arena a;
	struct ed_kreq_msg m;
	ed_buf_init(&b);
	ed_arena_init(&a, 1024);
	header(&b, ED_KAPI_FETCH, 11, 5, "c");
	ed_kput_i32(&b, -1);  /* replica */
	ed_kput_i32(&b, 500); /* max wait */
	ed_kput_i32(&b, 1);   /* min bytes */
	ed_kput_i32(&b, 1 << 20);
	ed_kput_i8(&b, 1); /* read committed */
	ed_kput_i32(&b, 0);
	ed_kput_i32(&b, -1);
	ed_kput_i32(&b, 1);
	ed_kput_str(&b, "t");
	ed_kput_i32(&b, 1);
	ed_kput_i32(&b, 3);    /* partition */
	ed_kput_i32(&b, -1);   /* leader epoch */
	ed_kput_i64(&b, 1234); /* fetch offset */
	ed_kput_i64(&b, -1);   /* log start */
	ed_kput_i32(&b, 65536);
	ed_kput_i32(&b, 0);  /* forgotten */
	ed_kput_str(&b, ""); /* rack */
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_int_equal(m.u.fetch.max_wait_ms, 500);
	assert_int_equal(m.u.fetch.isolation_level, 1);
	assert_int_equal(m.u.fetch.topics[0].parts[0].partition, 3);
	assert_int_equal(m.u.fetch.topics[0].parts[0].fetch_offset, 1234);
	assert_int_equal(m.u.fetch.topics[0].parts[0].max_bytes, 65536);

	header(&b, ED_KAPI_JOIN_GROUP, 5, 6, "c");
	ed_kput_str(&b, "g");
	ed_kput_i32(&b, 10000);
	ed_kput_i32(&b, 30000);
	ed_kput_str(&b, "");
	ed_kput_str(&b, NULL);
	ed_kput_str(&b, "consumer");
	ed_kput_i32(&b, 2);
	ed_kput_str(&b, "range");
	ed_kput_bytes(&b, "m1", 2);
	ed_kput_str(&b, "roundrobin");
	ed_kput_bytes(&b, "m22", 3);
	assert_int_equal(decode(&b, &a, &m), 0);
	struct ed_kreq_join_group *j = &m.u.join_group;
	assert_string_equal(j->group_id, "g");
	assert_int_equal(j->rebalance_timeout_ms, 30000);
	assert_string_equal(j->member_id, "");
	assert_null(j->group_instance_id);
	assert_int_equal(j->nprotocols, 2);
	assert_string_equal(j->protocols[1].name, "roundrobin");
	assert_int_equal(j->protocols[1].metadata.len, 3);

	header(&b, ED_KAPI_OFFSET_FETCH, 5, 7, "c");
	ed_kput_str(&b, "g");
	ed_kput_i32(&b, -1);
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_int_equal(m.u.offset_fetch.ntopics, -1);
	header(&b, ED_KAPI_OFFSET_FETCH, 1, 7, "c");
	ed_kput_str(&b, "g");
	ed_kput_i32(&b, -1); /* null only from v2 */
	assert_int_equal(decode(&b, &a, &m), ED_EPROTO);

	header(&b, ED_KAPI_LEAVE_GROUP, 1, 8, "c");
	ed_kput_str(&b, "g");
	ed_kput_str(&b, "member-1");
	assert_int_equal(decode(&b, &a, &m), 0);
	assert_int_equal(m.u.leave_group.nmembers, 1);
	assert_string_equal(m.u.leave_group.member_ids[0], "member-1");
	ed_arena_fini(&a);
	ed_buf_fini(&b);
}

static void test_response_helpers(void **state)
{
	(void)state;
	struct ed_buf b;
	ed_buf_init(&b);
	size_t start = ed_kresp_begin(&b, 77);
	ed_kput_str(&b, NULL);
	ed_kput_str(&b, "ab");
	ed_kput_bytes(&b, NULL, -1);
	ed_kresp_end(&b, start);
	static const uint8_t want[] = {0,    0, 0, 14,  0,   0,    0,    77,   0xff,
				       0xff, 0, 2, 'a', 'b', 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	ed_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_versions),     cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_produce),          cmocka_unit_test(test_fetch_and_groups),
		cmocka_unit_test(test_response_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
