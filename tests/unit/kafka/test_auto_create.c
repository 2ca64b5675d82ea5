/* Topic auto-creation limits (src/kafka/handle_meta.c): one Metadata request
 * naming many new topics creates at most ED_KAFKA_AUTO_CREATE_PER_REQUEST of
 * them (a request naming 17,500 used to block the loop for 49 s and use up
 * the file descriptors); the others are answered UNKNOWN_TOPIC_OR_PARTITION
 * and a later request may create more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kafka/kafka_int.h"
#include "kafka_test_util.h"

/* Metadata v4 naming topics prefix-0 .. prefix-(n-1), auto-create allowed. */
static void metadata(int fd, const char *prefix, int n, int32_t corr)
{
	struct ed_buf req;
	uint8_t resp[1 << 16];
	char name[64];
	ed_buf_init(&req);
	ed_kput_i32(&req, 0);
	ed_kput_i16(&req, ED_KAPI_METADATA);
	ed_kput_i16(&req, 4);
	ed_kput_i32(&req, corr);
	ed_kput_str(&req, "test");
	ed_kput_i32(&req, n);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s-%d", prefix, i);
		ed_kput_str(&req, name);
	}
	ed_buf_put_u8(&req, 1); /* allow_auto_topic_creation */
	int size = roundtrip(fd, &req, resp, sizeof resp);
	ed_buf_fini(&req);
	assert_true(size > 0);
	assert_int_equal((int32_t)rd32(resp + 4), corr);
}

static void test_auto_create_budget(void **state)
{
	(void)state;
	struct broker b;
	broker_start(&b);
	int fd = client_connect(b.port);
	metadata(fd, "many", 150, 1);
	assert_int_equal(ed_log_topic_count(b.log), ED_KAFKA_AUTO_CREATE_PER_REQUEST);
	/* The refused ones can be created by a later request. */
	metadata(fd, "many", 150, 2);
	assert_int_equal(ed_log_topic_count(b.log), 150);
	close(fd);
	broker_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_create_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
