/* Topic configuration and the topic registry (src/log/config.c, logdir.c):
 * config names and values, render/parse round trip, topic name rules,
 * create/list/delete, configs and partition growth persisted across reopen,
 * and a data directory with a corrupt topic.conf, a missing partition
 * directory or an interrupted create. */
#include "base/diag.h"
#include "log_test_util.h"

static void test_config_set(void **state)
{
	(void)state;
	struct ed_topic_config cfg;
	char err[256];
	ed_topic_config_defaults(&cfg);
	assert_int_equal(cfg.retention_ms, 7LL * 24 * 3600 * 1000);
	assert_int_equal(cfg.segment_bytes, 1LL << 30);
	assert_int_equal(cfg.cleanup_policy, ED_CLEANUP_DELETE);
	assert_int_equal(ed_topic_config_set(&cfg, "retention.ms", "-1", err, sizeof err), 0);
	assert_int_equal(cfg.retention_ms, -1);
	assert_int_equal(ed_topic_config_set(&cfg, "retention.ms", "-2", err, sizeof err), ED_EINVAL);
	assert_non_null(strstr(err, "retention.ms"));
	assert_int_equal(ed_topic_config_set(&cfg, "retention.ms", "12x", err, sizeof err),
			 ED_EINVAL);
	assert_int_equal(ed_topic_config_set(&cfg, "segment.bytes", "100", err, sizeof err),
			 ED_EINVAL);
	assert_int_equal(ed_topic_config_set(&cfg, "cleanup.policy", "compact,delete", err,
					     sizeof err),
			 0);
	assert_int_equal(cfg.cleanup_policy, ED_CLEANUP_COMPACT | ED_CLEANUP_DELETE);
	assert_int_equal(ed_topic_config_set(&cfg, "cleanup.policy", "shred", err, sizeof err),
			 ED_EINVAL);
	assert_int_equal(ed_topic_config_set(&cfg, "eddy.flush.policy", "always", err, sizeof err),
			 0);
	assert_int_equal(cfg.flush_policy, ED_FLUSH_ALWAYS);
	assert_int_equal(ed_topic_config_set(&cfg, "message.timestamp.type", "LogAppendTime", err,
					     sizeof err),
			 0);
	assert_true(cfg.log_append_time);
	assert_int_equal(ed_topic_config_set(&cfg, "no.such.thing", "1", err, sizeof err), ED_ENOENT);

	/* Render and parse back: identical. */
	struct ed_buf b;
	struct ed_topic_config back;
	ed_buf_init(&b);
	cfg.partitions = 7;
	assert_int_equal(ed_topic_config_render(&cfg, &b), 0);
	ed_buf_put_u8(&b, 0);
	assert_int_equal(ed_topic_config_parse((char *)b.data, &back, err, sizeof err), 0);
	assert_memory_equal(&cfg, &back, sizeof cfg);
	ed_buf_fini(&b);
	assert_int_equal(ed_topic_config_parse("format.version=1\npartitions=0\n", &back, err,
					       sizeof err),
			 ED_ECORRUPT);
	assert_int_equal(ed_topic_config_parse("format.version=2\npartitions=1\n", &back, err,
					       sizeof err),
			 ED_ECORRUPT);
	assert_int_equal(ed_topic_config_parse("partitions=1\n", &back, err, sizeof err),
			 ED_ECORRUPT);
	assert_int_equal(ed_topic_config_parse("format.version=1\npartitions=1\nbogus=1\n", &back,
					       err, sizeof err),
			 ED_ECORRUPT);
	assert_non_null(strstr(err, "line 3"));
}

static void test_names(void **state)
{
	(void)state;
	char err[256], longname[300];
	assert_int_equal(ed_topic_name_validate("orders", err, sizeof err), 0);
	assert_int_equal(ed_topic_name_validate("a.b_c-D9", err, sizeof err), 0);
	assert_int_equal(ed_topic_name_validate("", err, sizeof err), ED_EINVAL);
	assert_int_equal(ed_topic_name_validate(".", err, sizeof err), ED_EINVAL);
	assert_int_equal(ed_topic_name_validate("..", err, sizeof err), ED_EINVAL);
	assert_int_equal(ed_topic_name_validate("a/b", err, sizeof err), ED_EINVAL);
	assert_non_null(strstr(err, "'/'"));
	assert_int_equal(ed_topic_name_validate("a b", err, sizeof err), ED_EINVAL);
	assert_int_equal(ed_topic_name_validate("caf\xc3\xa9", err, sizeof err), ED_EINVAL);
	memset(longname, 'x', 249);
	longname[249] = 0;
	assert_int_equal(ed_topic_name_validate(longname, err, sizeof err), 0);
	longname[249] = 'x';
	longname[250] = 0;
	assert_int_equal(ed_topic_name_validate(longname, err, sizeof err), ED_EINVAL);
}

static void test_registry(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	char err[256];
	assert_string_equal(ed_log_dir(log), dir);
	t_create(log, "b", 2, NULL);
	t_create(log, "a", 1, NULL);
	assert_int_equal(ed_log_topic_create(log, "a", NULL, err, sizeof err), ED_EEXIST);
	assert_int_equal(ed_log_topic_create(log, "bad/name", NULL, err, sizeof err), ED_EINVAL);
	struct ed_topic_config cfg;
	ed_topic_config_defaults(&cfg);
	cfg.partitions = 0;
	assert_int_equal(ed_log_topic_create(log, "z", &cfg, err, sizeof err), ED_EINVAL);
	char **names;
	size_t n;
	assert_int_equal(ed_log_topic_names(log, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	ed_log_names_free(names, n);

	assert_int_equal(ed_log_topic_set_config(log, "b", "retention.ms", "1234", err, sizeof err),
			 0);
	assert_int_equal(ed_log_topic_set_config(log, "b", "retention.ms", "x", err, sizeof err),
			 ED_EINVAL);
	assert_int_equal(ed_log_topic_set_config(log, "nope", "retention.ms", "1", err, sizeof err),
			 ED_ENOENT);
	assert_int_equal(ed_log_topic_add_partitions(log, "b", 2, err, sizeof err), ED_EINVAL);
	assert_int_equal(ed_log_topic_add_partitions(log, "b", 4, err, sizeof err), 0);
	struct ed_topic *topic = ed_log_topic_get(log, "b");
	assert_int_equal(ed_topic_partition_count(topic), 4);
	t_append(ed_topic_partition(topic, 3), 2, 0, 5, 1);
	ed_topic_unref(topic);
	assert_int_equal(ed_log_topic_delete(log, "a"), 0);
	ed_log_close(log);

	log = t_open(dir);
	assert_int_equal(ed_log_topic_names(log, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "b");
	ed_log_names_free(names, n);
	assert_null(ed_log_topic_get(log, "a"));
	topic = ed_log_topic_get(log, "b");
	assert_string_equal(ed_topic_name(topic), "b");
	assert_int_equal(ed_topic_partition_count(topic), 4);
	ed_topic_config_get(topic, &cfg);
	assert_int_equal(cfg.retention_ms, 1234);
	assert_int_equal(cfg.partitions, 4);
	assert_int_equal(ed_partition_hwm(ed_topic_partition(topic, 3)), 2);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_bad_directories(void **state)
{
	(void)state;
	char *dir = t_tmpdir();
	struct ed_log *log = t_open(dir);
	t_create(log, "t", 2, NULL);
	ed_log_close(log);
	char conf[4096], p[4096], err[512];
	snprintf(conf, sizeof conf, "%s/topics/t/topic.conf", dir);
	char *saved;
	assert_int_equal(ed_io_read_file(conf, 65536, &saved, NULL), 0);

	/* A corrupt topic.conf fails the open and names the file. */
	write_text(conf, "format.version=1\npartitions=2\nretention.ms=soon\n");
	log = NULL;
	assert_int_equal(ed_log_open(dir, NULL, &log, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, conf));
	assert_non_null(strstr(err, "retention.ms"));
	/* A missing partition directory too. */
	write_text(conf, "format.version=1\npartitions=3\n");
	assert_int_equal(ed_log_open(dir, NULL, &log, err, sizeof err), ED_ECORRUPT);
	assert_non_null(strstr(err, "/topics/t/2"));
	write_text(conf, saved);
	ed_free(saved);

	/* An interrupted create (no topic.conf) is removed. */
	snprintf(p, sizeof p, "%s/topics/half/0", dir);
	assert_int_equal(ed_io_mkdirs(p, 0755), 0);
	log = t_open(dir);
	snprintf(p, sizeof p, "%s/topics/half", dir);
	assert_int_not_equal(access(p, F_OK), 0);
	struct ed_topic *topic = ed_log_topic_get(log, "t");
	assert_non_null(topic);
	ed_topic_unref(topic);
	ed_log_close(log);
	t_rmdir(dir);
}

int main(void)
{
	ed_diag_set_level(ED_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_set),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_bad_directories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
