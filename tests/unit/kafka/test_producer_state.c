/* Unit tests of idempotent producer state (src/kafka/producer_state.c) on a
 * real log in a temporary directory: a retried batch is answered with its
 * original offset, a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an older
 * epoch is fenced, a newer epoch must start at 0, and after a restart the
 * state comes back from its snapshot (also an older one, completed by a scan
 * of the batches after it) or, without a usable snapshot, from a full scan of
 * the batch headers in the log. Producer ids are never reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/io.h"
#include "kafka/kafka_int.h"
#include "log/batch.h"
#include "log/log.h"

struct env {
	char dir[256];
	char state[300];
	struct ed_log *log;
	struct ed_kafka k;
	struct ed_kprodstate *ps;
	struct ed_partition *part;
	struct ed_topic *topic;
	struct ed_batch_builder bb;
};

static void env_open(struct env *e)
{
	char err[256];
	assert_int_equal(ed_log_open(e->dir, NULL, &e->log, err, sizeof(err)), 0);
	memset(&e->k, 0, sizeof(e->k));
	e->k.state_dir = e->state;
	e->k.log = e->log;
	assert_int_equal(ed_kprodstate_open(&e->k, &e->ps, err, sizeof(err)), 0);
	e->topic = ed_log_topic_get(e->log, "t");
	if (!e->topic) {
		assert_int_equal(ed_log_topic_create(e->log, "t", NULL, err, sizeof(err)), 0);
		e->topic = ed_log_topic_get(e->log, "t");
	}
	assert_non_null(e->topic);
	e->part = ed_topic_partition(e->topic, 0);
	assert_non_null(e->part);
}

static void env_close(struct env *e)
{
	ed_kprodstate_close(e->ps);
	ed_topic_unref(e->topic);
	ed_log_close(e->log);
}

/* Produce a batch of n records as the broker does: check, append, record.
 * Returns the Kafka error, or 1 for a duplicate; *offset gets the base offset. */
static int produce(struct env *e, int64_t pid, int16_t epoch, int32_t seq, int n, int64_t *offset)
{
	uint8_t *batch;
	size_t len;
	struct ed_batch_info bi;
	char err[256];
	ed_batch_builder_reset(&e->bb);
	for (int i = 0; i < n; i++)
		assert_int_equal(ed_batch_builder_add(&e->bb, 1000 + i, NULL, -1, "v", 1, NULL, 0),
				 0);
	e->bb.producer_id = pid;
	e->bb.producer_epoch = epoch;
	e->bb.base_sequence = seq;
	assert_int_equal(ed_batch_builder_finish(&e->bb, &batch, &len), 0);
	assert_int_equal(ed_batch_validate(batch, len, 0, &bi, err, sizeof(err)), 0);
	int64_t dup = -1;
	int rc = ed_kprodstate_check(e->ps, "t", e->part, &bi, &dup);
	if (rc == 1) {
		*offset = dup;
		return 1;
	}
	if (rc != 0)
		return rc;
	struct ed_append_result ar;
	assert_int_equal(ed_partition_append(e->part, batch, len, &ar, err, sizeof(err)), 0);
	ed_kprodstate_record(e->ps, "t", e->part, &bi, ar.base_offset);
	*offset = ar.base_offset;
	return 0;
}

static void test_sequences(void **state)
{
	(void)state;
	struct env e;
	int64_t off;
	snprintf(e.dir, sizeof(e.dir), "/tmp/kafka-unit-prodstate-%d", (int)getpid());
	snprintf(e.state, sizeof(e.state), "%s/kafka", e.dir);
	ed_io_remove_tree(e.dir);
	assert_int_equal(ed_io_mkdirs(e.state, 0755), 0);
	ed_batch_builder_init(&e.bb, ED_CODEC_NONE);
	env_open(&e);

	int64_t pid1, pid2;
	assert_int_equal(ed_kprodstate_new_pid(e.ps, &pid1), 0);
	assert_int_equal(ed_kprodstate_new_pid(e.ps, &pid2), 0);
	assert_true(pid2 > pid1);

	assert_int_equal(produce(&e, pid1, 0, 0, 3, &off), 0); /* seq 0-2 at 0 */
	assert_int_equal(off, 0);
	assert_int_equal(produce(&e, pid1, 0, 3, 2, &off), 0); /* seq 3-4 at 3 */
	assert_int_equal(off, 3);
	/* retry of both batches: original offsets, nothing appended */
	assert_int_equal(produce(&e, pid1, 0, 0, 3, &off), 1);
	assert_int_equal(off, 0);
	assert_int_equal(produce(&e, pid1, 0, 3, 2, &off), 1);
	assert_int_equal(off, 3);
	assert_int_equal(ed_partition_hwm(e.part), 5);
	/* gap */
	assert_int_equal(produce(&e, pid1, 0, 7, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* an older sequence that is not one of the kept batches */
	assert_int_equal(produce(&e, pid1, 0, 1, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* another producer is independent */
	assert_int_equal(produce(&e, pid2, 0, 0, 1, &off), 0);
	assert_int_equal(off, 5);
	/* epoch bump: must restart at 0; then the old epoch is fenced */
	assert_int_equal(produce(&e, pid1, 1, 5, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	assert_int_equal(produce(&e, pid1, 1, 0, 1, &off), 0);
	assert_int_equal(off, 6);
	assert_int_equal(produce(&e, pid1, 0, 5, 1, &off), ED_KERR_INVALID_PRODUCER_EPOCH);
	/* only the last 5 batches are kept */
	for (int32_t s = 1; s <= 6; s++)
		assert_int_equal(produce(&e, pid1, 1, s, 1, &off), 0);
	assert_int_equal(produce(&e, pid1, 1, 2, 1, &off), 1); /* kept: seq 2..6 */
	assert_int_equal(off, 8);
	assert_int_equal(produce(&e, pid1, 1, 1, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	env_close(&e);

	/* restart: state rebuilt from the log, ids not reused */
	env_open(&e);
	int64_t pid3;
	assert_int_equal(ed_kprodstate_new_pid(e.ps, &pid3), 0);
	assert_true(pid3 > pid2);
	assert_int_equal(produce(&e, pid1, 1, 6, 1, &off), 1);
	assert_int_equal(off, 12);
	assert_int_equal(produce(&e, pid1, 0, 9, 1, &off), ED_KERR_INVALID_PRODUCER_EPOCH);
	assert_int_equal(produce(&e, pid1, 1, 8, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	assert_int_equal(produce(&e, pid1, 1, 7, 1, &off), 0);
	assert_int_equal(off, 13);
	assert_int_equal(produce(&e, pid2, 0, 0, 1, &off), 1);
	assert_int_equal(off, 5);
	/* an unknown producer is accepted whatever its sequence */
	assert_int_equal(produce(&e, pid3, 0, 42, 1, &off), 0); /* at 14 */
	env_close(&e);

	/* an older snapshot is still valid: the batches after it are scanned */
	char snap[400], old[420], cmd[900];
	snprintf(snap, sizeof(snap), "%s/producer_state", e.state);
	snprintf(old, sizeof(old), "%s.old", snap);
	snprintf(cmd, sizeof(cmd), "cp %s %s", snap, old);
	assert_int_equal(system(cmd), 0);
	env_open(&e);
	assert_int_equal(produce(&e, pid1, 1, 8, 2, &off), 0); /* seq 8-9 at 15 */
	assert_int_equal(off, 15);
	env_close(&e);
	assert_int_equal(rename(old, snap), 0);
	env_open(&e);
	assert_int_equal(produce(&e, pid1, 1, 8, 2, &off), 1);
	assert_int_equal(off, 15);
	assert_int_equal(produce(&e, pid3, 0, 42, 1, &off), 1);
	assert_int_equal(off, 14);
	assert_int_equal(produce(&e, pid1, 1, 11, 1, &off), ED_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	env_close(&e);

	/* no snapshot (or a damaged one): full scan */
	FILE *f = fopen(snap, "r+");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	env_open(&e);
	assert_int_equal(produce(&e, pid1, 1, 8, 2, &off), 1);
	assert_int_equal(off, 15);
	assert_int_equal(produce(&e, pid1, 1, 10, 1, &off), 0);
	assert_int_equal(off, 17);
	env_close(&e);
	assert_int_equal(unlink(snap), 0);
	env_open(&e);
	assert_int_equal(produce(&e, pid1, 1, 10, 1, &off), 1);
	assert_int_equal(off, 17);
	assert_int_equal(produce(&e, pid2, 0, 0, 1, &off), 1);
	assert_int_equal(off, 5);
	env_close(&e);
	ed_batch_builder_fini(&e.bb);
	ed_io_remove_tree(e.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
