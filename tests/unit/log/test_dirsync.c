/* Unit test that creating a topic makes every new directory entry durable
 * (src/log/logdir.c): the topic directory in topics/, the partition
 * directories and the first segment file. fdatasync is interposed here to
 * record which directories were synced. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/log.h"

#define MAX_SYNCED 64
static char synced[MAX_SYNCED][PATH_MAX];
static int nsynced;

/* Overrides libc's: every fdatasync of a directory is noted, then done. */
int fdatasync(int fd)
{
	struct stat st;
	char link[64];
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && nsynced < MAX_SYNCED) {
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, synced[nsynced], PATH_MAX - 1);
		if (n > 0) {
			synced[nsynced][n] = 0;
			nsynced++;
		}
	}
	return (int)syscall(SYS_fdatasync, fd);
}

static bool was_synced(const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return false;
	for (int i = 0; i < nsynced; i++)
		if (strcmp(synced[i], real) == 0)
			return true;
	return false;
}

static void test_topic_create_syncs_dirs(void **state)
{
	(void)state;
	char dir[] = "/tmp/eddy-dirsync-XXXXXX", err[256], p[PATH_MAX];
	assert_non_null(mkdtemp(dir));
	struct ed_log *log = NULL;
	assert_int_equal(ed_log_open(dir, NULL, &log, err, sizeof err), 0);
	struct ed_topic_config cfg;
	ed_topic_config_defaults(&cfg);
	cfg.partitions = 2;
	nsynced = 0;
	assert_int_equal(ed_log_topic_create(log, "t", &cfg, err, sizeof err), 0);
	snprintf(p, sizeof p, "%s/topics", dir);
	assert_true(was_synced(p)); /* the entry of topics/t */
	snprintf(p, sizeof p, "%s/topics/t", dir);
	assert_true(was_synced(p)); /* topic.conf and the partition dirs */
	snprintf(p, sizeof p, "%s/topics/t/0", dir);
	assert_true(was_synced(p)); /* the first segment */
	snprintf(p, sizeof p, "%s/topics/t/1", dir);
	assert_true(was_synced(p));
	ed_log_close(log);
	snprintf(p, sizeof p, "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topic_create_syncs_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
