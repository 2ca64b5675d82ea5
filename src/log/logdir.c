/* The data directory: open (lock, recovery of every topic, flusher start),
 * clean close, and the topic registry (create, delete, look up with
 * refcounted handles, configs, partition growth) plus periodic maintenance.
 * Layout of the directory is in log_int.h.
 *
 * Topic creation writes topic.conf last, atomically: a topic directory
 * without one is an interrupted create and is removed on open. Deletion
 * renames the topic directory into trash/ (one atomic step) and then removes
 * it; leftovers in trash/ are removed on open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "log/log_int.h"

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = ed_malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

const char *ed_log_dir(const struct ed_log *log)
{
	return log->dir;
}

/* ---- topics ---- */

void ed_topic_ref(struct ed_topic *topic)
{
	atomic_fetch_add_explicit(&topic->refs, 1, memory_order_relaxed);
}

static void topic_free(struct ed_topic *topic)
{
	if (!topic)
		return;
	for (int32_t i = 0; i < topic->nparts; i++)
		ed_partition_free(topic->parts[i]);
	ed_free(topic->parts);
	pthread_mutex_destroy(&topic->cfg_mu);
	ed_free(topic->name);
	ed_free(topic->dir);
	ed_free(topic);
}

void ed_topic_unref(struct ed_topic *topic)
{
	if (topic && atomic_fetch_sub_explicit(&topic->refs, 1, memory_order_acq_rel) == 1)
		topic_free(topic);
}

const char *ed_topic_name(const struct ed_topic *topic)
{
	return topic->name;
}

int32_t ed_topic_partition_count(const struct ed_topic *topic)
{
	pthread_mutex_lock((pthread_mutex_t *)&topic->cfg_mu);
	int32_t n = topic->nparts;
	pthread_mutex_unlock((pthread_mutex_t *)&topic->cfg_mu);
	return n;
}

void ed_topic_config_get(const struct ed_topic *topic, struct ed_topic_config *cfg)
{
	pthread_mutex_lock((pthread_mutex_t *)&topic->cfg_mu);
	*cfg = topic->cfg;
	pthread_mutex_unlock((pthread_mutex_t *)&topic->cfg_mu);
}

struct ed_partition *ed_topic_partition(struct ed_topic *topic, int32_t index)
{
	struct ed_partition *part = NULL;
	pthread_mutex_lock(&topic->cfg_mu);
	if (index >= 0 && index < topic->nparts)
		part = topic->parts[index];
	pthread_mutex_unlock(&topic->cfg_mu);
	return part;
}

static struct ed_topic *topic_alloc(struct ed_log *log, const char *name,
				    const struct ed_topic_config *cfg)
{
	struct ed_topic *topic = ed_calloc(1, sizeof *topic);
	if (!topic)
		return NULL;
	topic->log = log;
	topic->name = ed_strdup(name);
	char *tdir = path_join(log->dir, "topics");
	topic->dir = tdir ? path_join(tdir, name) : NULL;
	ed_free(tdir);
	topic->cfg = *cfg;
	atomic_init(&topic->refs, 1);
	atomic_init(&topic->deleted, false);
	pthread_mutex_init(&topic->cfg_mu, NULL);
	if (!topic->name || !topic->dir) {
		topic_free(topic);
		return NULL;
	}
	return topic;
}

/* Open (or, with create set, make) partitions [from, to) of topic. */
static int open_partitions(struct ed_topic *topic, int32_t from, int32_t to, bool create,
			   bool clean, char *err, size_t errlen)
{
	int rc = 0;
	struct ed_partition **parts = ed_realloc(topic->parts, (size_t)to * sizeof *parts);
	if (!parts)
		return ed_log_fail(ED_ENOMEM, err, errlen, "out of memory");
	pthread_mutex_lock(&topic->cfg_mu);
	topic->parts = parts;
	pthread_mutex_unlock(&topic->cfg_mu);
	for (int32_t i = from; i < to; i++) {
		char name[16];
		struct ed_partition *part = NULL;
		snprintf(name, sizeof name, "%" PRId32, i);
		char *pdir = path_join(topic->dir, name);
		if (!pdir)
			return ed_log_fail(ED_ENOMEM, err, errlen, "out of memory");
		if (create) {
			rc = ed_io_mkdirs(pdir, 0755);
		} else {
			struct stat st;
			if (stat(pdir, &st) != 0 || !S_ISDIR(st.st_mode))
				rc = ED_ECORRUPT;
		}
		if (rc) {
			ed_log_fail(rc, err, errlen, "%s: %s", pdir,
				    create ? ed_err_str(rc) : "partition directory is missing");
			ed_free(pdir);
			return rc;
		}
		rc = ed_partition_new(topic, i, pdir, &part);
		ed_free(pdir);
		if (rc)
			return ed_log_fail(rc, err, errlen, "out of memory");
		pthread_mutex_lock(&topic->cfg_mu);
		topic->parts[topic->nparts++] = part;
		pthread_mutex_unlock(&topic->cfg_mu);
		if ((rc = ed_partition_recover(part, clean, err, errlen)))
			return rc;
	}
	return 0;
}

static int write_topic_conf(const struct ed_topic *topic, const struct ed_topic_config *cfg)
{
	struct ed_buf b;
	char *path = path_join(topic->dir, ED_TOPIC_CONF);
	int rc = ED_ENOMEM;
	ed_buf_init(&b);
	if (path && ed_topic_config_render(cfg, &b) == 0)
		rc = ed_io_write_file_atomic(path, b.data, b.len);
	ed_buf_fini(&b);
	ed_free(path);
	return rc;
}

static struct ed_topic *find_topic(struct ed_log *log, const char *name, size_t *at)
{
	for (size_t i = 0; i < log->ntopics; i++) {
		if (strcmp(log->topics[i]->name, name) == 0) {
			if (at)
				*at = i;
			return log->topics[i];
		}
	}
	return NULL;
}

/* Caller holds log->mu. */
static int register_topic(struct ed_log *log, struct ed_topic *topic)
{
	if (log->ntopics == log->topics_cap) {
		size_t cap = log->topics_cap ? log->topics_cap * 2 : 16;
		struct ed_topic **n = ed_realloc(log->topics, cap * sizeof *n);
		if (!n)
			return ED_ENOMEM;
		log->topics = n;
		log->topics_cap = cap;
	}
	log->topics[log->ntopics++] = topic;
	return 0;
}

int ed_log_topic_create(struct ed_log *log, const char *name, const struct ed_topic_config *cfg,
			char *err, size_t errlen)
{
	struct ed_topic *topic = NULL;
	int rc;
	if ((rc = ed_topic_name_validate(name, err, errlen)))
		return rc;
	if (!cfg)
		cfg = &log->opts.defaults;
	if ((rc = ed_topic_config_validate(cfg, err, errlen)))
		return rc;
	pthread_mutex_lock(&log->mu);
	if (find_topic(log, name, NULL)) {
		rc = ed_log_fail(ED_EEXIST, err, errlen, "topic %s already exists", name);
		goto unlock;
	}
	topic = topic_alloc(log, name, cfg);
	if (!topic) {
		rc = ed_log_fail(ED_ENOMEM, err, errlen, "out of memory");
		goto unlock;
	}
	if (mkdir(topic->dir, 0755) != 0) {
		rc = ed_err_from_errno(errno);
		ed_log_fail(rc, err, errlen, "cannot create %s: %s", topic->dir, strerror(errno));
		topic_free(topic);
		topic = NULL;
		goto unlock;
	}
	if ((rc = open_partitions(topic, 0, cfg->partitions, true, true, err, errlen)))
		goto remove_dir;
	if ((rc = write_topic_conf(topic, cfg))) {
		ed_log_fail(rc, err, errlen, "cannot write %s/%s: %s", topic->dir, ED_TOPIC_CONF,
			    ed_err_str(rc));
		goto remove_dir;
	}
	/* The topic's own entry in topics/: without it the whole topic,
	 * acknowledged data included, can vanish at a power loss. */
	char *tdir = path_join(log->dir, "topics");
	rc = tdir ? ed_io_fsync_dir(tdir) : ED_ENOMEM;
	ed_free(tdir);
	if (rc) {
		ed_log_fail(rc, err, errlen, "cannot fsync %s/topics: %s", log->dir, ed_err_str(rc));
		goto remove_dir;
	}
	if ((rc = register_topic(log, topic))) {
		ed_log_fail(rc, err, errlen, "out of memory");
		goto remove_dir;
	}
	pthread_mutex_unlock(&log->mu);
	return 0;
remove_dir:
	ed_io_remove_tree(topic->dir);
	ed_topic_unref(topic);
unlock:
	pthread_mutex_unlock(&log->mu);
	return rc;
}

int ed_log_topic_delete(struct ed_log *log, const char *name)
{
	size_t at;
	int rc = 0;
	char trash[4096];
	pthread_mutex_lock(&log->mu);
	struct ed_topic *topic = find_topic(log, name, &at);
	if (!topic) {
		pthread_mutex_unlock(&log->mu);
		return ED_ENOENT;
	}
	snprintf(trash, sizeof trash, "%s/trash/%" PRIu64 "-%s", log->dir, ++log->trash_seq, name);
	if (rename(topic->dir, trash) != 0) {
		rc = ed_err_from_errno(errno);
		pthread_mutex_unlock(&log->mu);
		return rc;
	}
	atomic_store(&topic->deleted, true);
	memmove(&log->topics[at], &log->topics[at + 1],
		(log->ntopics - at - 1) * sizeof *log->topics);
	log->ntopics--;
	pthread_mutex_unlock(&log->mu);
	char *tdir = path_join(log->dir, "topics");
	if (tdir)
		ed_io_fsync_dir(tdir);
	ed_free(tdir);
	ed_io_remove_tree(trash);
	ed_topic_unref(topic);
	return 0;
}

struct ed_topic *ed_log_topic_get(struct ed_log *log, const char *name)
{
	pthread_mutex_lock(&log->mu);
	struct ed_topic *topic = find_topic(log, name, NULL);
	if (topic)
		ed_topic_ref(topic);
	pthread_mutex_unlock(&log->mu);
	return topic;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ed_log_topic_names(struct ed_log *log, char ***names, size_t *count)
{
	pthread_mutex_lock(&log->mu);
	size_t n = log->ntopics;
	char **v = ed_calloc(n ? n : 1, sizeof *v);
	if (!v) {
		pthread_mutex_unlock(&log->mu);
		return ED_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = ed_strdup(log->topics[i]->name);
		if (!v[i]) {
			pthread_mutex_unlock(&log->mu);
			ed_log_names_free(v, i);
			return ED_ENOMEM;
		}
	}
	pthread_mutex_unlock(&log->mu);
	qsort(v, n, sizeof *v, cmp_str);
	*names = v;
	*count = n;
	return 0;
}

size_t ed_log_topic_count(struct ed_log *log)
{
	pthread_mutex_lock(&log->mu);
	size_t n = log->ntopics;
	pthread_mutex_unlock(&log->mu);
	return n;
}

void ed_log_names_free(char **names, size_t count)
{
	if (!names)
		return;
	for (size_t i = 0; i < count; i++)
		ed_free(names[i]);
	ed_free(names);
}

int ed_log_topic_set_config(struct ed_log *log, const char *name, const char *key,
			    const char *value, char *err, size_t errlen)
{
	int rc;
	pthread_mutex_lock(&log->mu);
	struct ed_topic *topic = find_topic(log, name, NULL);
	if (!topic) {
		rc = ed_log_fail(ED_ENOENT, err, errlen, "no topic %s", name);
		goto unlock;
	}
	struct ed_topic_config cfg;
	ed_topic_config_get(topic, &cfg);
	if ((rc = ed_topic_config_set(&cfg, key, value, err, errlen)) ||
	    (rc = ed_topic_config_validate(&cfg, err, errlen)))
		goto unlock;
	if ((rc = write_topic_conf(topic, &cfg))) {
		ed_log_fail(rc, err, errlen, "cannot write %s/%s: %s", topic->dir, ED_TOPIC_CONF,
			    ed_err_str(rc));
		goto unlock;
	}
	pthread_mutex_lock(&topic->cfg_mu);
	topic->cfg = cfg;
	pthread_mutex_unlock(&topic->cfg_mu);
unlock:
	pthread_mutex_unlock(&log->mu);
	return rc;
}

int ed_log_topic_add_partitions(struct ed_log *log, const char *name, int32_t n, char *err,
				size_t errlen)
{
	int rc;
	pthread_mutex_lock(&log->mu);
	struct ed_topic *topic = find_topic(log, name, NULL);
	if (!topic) {
		rc = ed_log_fail(ED_ENOENT, err, errlen, "no topic %s", name);
		goto unlock;
	}
	struct ed_topic_config cfg;
	ed_topic_config_get(topic, &cfg);
	if (n <= cfg.partitions || n > 100000) {
		rc = ed_log_fail(ED_EINVAL, err, errlen,
				 "topic %s has %" PRId32 " partitions; the new count must be larger "
				 "(and at most 100000)",
				 name, cfg.partitions);
		goto unlock;
	}
	if ((rc = open_partitions(topic, cfg.partitions, n, true, true, err, errlen)))
		goto unlock;
	cfg.partitions = n;
	if ((rc = write_topic_conf(topic, &cfg))) {
		ed_log_fail(rc, err, errlen, "cannot write %s/%s: %s", topic->dir, ED_TOPIC_CONF,
			    ed_err_str(rc));
		goto unlock;
	}
	pthread_mutex_lock(&topic->cfg_mu);
	topic->cfg.partitions = n;
	pthread_mutex_unlock(&topic->cfg_mu);
unlock:
	pthread_mutex_unlock(&log->mu);
	return rc;
}

/* ---- open / close ---- */

static int load_topic(struct ed_log *log, const char *name, bool clean, char *err, size_t errlen)
{
	char *tdir = path_join(log->dir, "topics"), *dir = NULL, *conf = NULL, *text = NULL;
	struct ed_topic_config cfg;
	struct ed_topic *topic = NULL;
	char emsg[256];
	int rc = ED_ENOMEM;
	if (!tdir || !(dir = path_join(tdir, name)) || !(conf = path_join(dir, ED_TOPIC_CONF)))
		goto out;
	rc = ed_io_read_file(conf, ED_CONF_MAX_BYTES, &text, NULL);
	if (rc == ED_ENOENT) {
		ed_warn("log", "%s: no %s (interrupted create), removing it", dir, ED_TOPIC_CONF);
		rc = ed_io_remove_tree(dir);
		goto out;
	}
	if (rc) {
		ed_log_fail(rc, err, errlen, "%s: %s", conf, ed_err_str(rc));
		goto out;
	}
	if ((rc = ed_topic_config_parse(text, &cfg, emsg, sizeof emsg))) {
		ed_log_fail(ED_ECORRUPT, err, errlen, "%s: %s", conf, emsg);
		goto out;
	}
	topic = topic_alloc(log, name, &cfg);
	if (!topic) {
		rc = ED_ENOMEM;
		goto out;
	}
	if ((rc = open_partitions(topic, 0, cfg.partitions, false, clean, err, errlen)))
		goto out;
	if ((rc = register_topic(log, topic)))
		goto out;
	topic = NULL;
out:
	if (topic)
		ed_topic_unref(topic);
	ed_free(text);
	ed_free(conf);
	ed_free(dir);
	ed_free(tdir);
	return rc;
}

static int load_topics(struct ed_log *log, bool clean, char *err, size_t errlen)
{
	char *tdir = path_join(log->dir, "topics");
	int rc = 0;
	if (!tdir)
		return ED_ENOMEM;
	DIR *d = opendir(tdir);
	if (!d) {
		rc = ed_log_fail(ed_err_from_errno(errno), err, errlen, "%s: %s", tdir,
				 strerror(errno));
		ed_free(tdir);
		return rc;
	}
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ed_topic_name_validate(de->d_name, NULL, 0)) {
			ed_warn("log", "%s/%s: not a topic name, ignored", tdir, de->d_name);
			continue;
		}
		rc = load_topic(log, de->d_name, clean, err, errlen);
	}
	closedir(d);
	ed_free(tdir);
	return rc;
}

int ed_log_open(const char *dir, const struct ed_log_options *opts, struct ed_log **out, char *err,
		size_t errlen)
{
	struct ed_log *log = ed_calloc(1, sizeof *log);
	char *p = NULL;
	int rc;
	*out = NULL;
	if (!log)
		return ed_log_fail(ED_ENOMEM, err, errlen, "out of memory");
	log->lock_fd = -1;
	pthread_mutex_init(&log->mu, NULL);
	pthread_mutex_init(&log->fl_mu, NULL);
	pthread_cond_init(&log->fl_cv, NULL);
	pthread_cond_init(&log->done_cv, NULL);
	if (opts)
		log->opts = *opts;
	else
		ed_log_options_defaults(&log->opts);
	if (!(log->dir = ed_strdup(dir))) {
		rc = ed_log_fail(ED_ENOMEM, err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = ed_topic_config_validate(&log->opts.defaults, err, errlen)))
		goto fail;
	static const char *const subdirs[] = {"topics", "trash"};
	if ((rc = ed_io_mkdirs(dir, 0755))) {
		ed_log_fail(rc, err, errlen, "cannot create %s: %s", dir, ed_err_str(rc));
		goto fail;
	}
	if (!(p = path_join(dir, ".lock"))) {
		rc = ED_ENOMEM;
		goto fail;
	}
	log->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (log->lock_fd < 0 || flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? ED_EBUSY : ed_err_from_errno(errno);
		ed_log_fail(rc, err, errlen, "cannot lock %s: %s", p,
			    rc == ED_EBUSY ? "another process uses this data directory"
					   : strerror(errno));
		goto fail;
	}
	ed_free(p);
	p = path_join(dir, "trash");
	if (p)
		ed_io_remove_tree(p);
	for (size_t i = 0; i < 2; i++) {
		ed_free(p);
		if (!(p = path_join(dir, subdirs[i]))) {
			rc = ED_ENOMEM;
			goto fail;
		}
		if ((rc = ed_io_mkdirs(p, 0755))) {
			ed_log_fail(rc, err, errlen, "cannot create %s: %s", p, ed_err_str(rc));
			goto fail;
		}
	}
	ed_free(p);
	if (!(p = path_join(dir, ED_CLEAN_MARKER))) {
		rc = ED_ENOMEM;
		goto fail;
	}
	/* The marker goes before anything is written: a crash from here on
	 * must lead to a full recovery. */
	bool clean = access(p, F_OK) == 0;
	if (clean && (unlink(p) != 0 || (rc = ed_io_fsync_dir(dir)))) {
		rc = rc ? rc : ed_err_from_errno(errno);
		ed_log_fail(rc, err, errlen, "cannot remove %s: %s", p, ed_err_str(rc));
		goto fail;
	}
	if ((rc = load_topics(log, clean, err, errlen)))
		goto fail;
	if ((rc = ed_flusher_start(log))) {
		ed_log_fail(rc, err, errlen, "cannot start the flusher thread");
		goto fail;
	}
	ed_free(p);
	*out = log;
	return 0;
fail:
	ed_free(p);
	log->fl_stop = true;
	ed_log_close(log);
	return rc;
}

void ed_log_close(struct ed_log *log)
{
	if (!log)
		return;
	bool ok = !log->fl_stop; /* a failed open never writes the clean marker */
	ed_flusher_stop(log);
	for (size_t i = 0; i < log->ntopics && ok; i++) {
		struct ed_topic *topic = log->topics[i];
		for (int32_t j = 0; j < topic->nparts; j++)
			if (ed_partition_close(topic->parts[j]))
				ok = false;
	}
	if (ok && log->dir) {
		char *p = path_join(log->dir, ED_CLEAN_MARKER);
		if (p && ed_io_write_file_atomic(p, "", 0) != 0)
			ed_warn("log", "%s: cannot write the clean-shutdown marker", log->dir);
		ed_free(p);
	}
	for (size_t i = 0; i < log->ntopics; i++)
		ed_topic_unref(log->topics[i]);
	ed_free(log->topics);
	if (log->lock_fd >= 0)
		close(log->lock_fd);
	pthread_mutex_destroy(&log->mu);
	pthread_mutex_destroy(&log->fl_mu);
	pthread_cond_destroy(&log->fl_cv);
	pthread_cond_destroy(&log->done_cv);
	ed_free(log->dir);
	ed_free(log);
}

/* ---- maintenance ---- */

static int maintain_partition(struct ed_partition *part, const struct ed_topic_config *cfg,
			      int64_t now_ms)
{
	int rc = 0;
	pthread_mutex_lock(&part->append_lock);
	struct ed_segment *act = part->segs[part->nsegs - 1];
	if (!atomic_load(&part->failed) && atomic_load(&act->end_pos) > 0 &&
	    now_ms - act->created_ms >= cfg->segment_ms)
		rc = ed_partition_roll(part);
	pthread_mutex_unlock(&part->append_lock);
	if (rc || atomic_load(&part->failed))
		return rc;
	pthread_mutex_lock(&part->maint_lock);
	rc = ed_partition_seal(part);
	if (!rc && (cfg->cleanup_policy & ED_CLEANUP_DELETE))
		rc = ed_partition_retain(part, cfg, now_ms);
	if (!rc && (cfg->cleanup_policy & ED_CLEANUP_COMPACT))
		rc = ed_partition_compact(part, cfg, now_ms);
	pthread_mutex_unlock(&part->maint_lock);
	return rc;
}

int ed_log_maintain(struct ed_log *log, int64_t now_ms)
{
	int first = 0;
	pthread_mutex_lock(&log->mu);
	size_t n = log->ntopics;
	struct ed_topic **topics = ed_malloc((n ? n : 1) * sizeof *topics);
	if (!topics) {
		pthread_mutex_unlock(&log->mu);
		return ED_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		topics[i] = log->topics[i];
		ed_topic_ref(topics[i]);
	}
	pthread_mutex_unlock(&log->mu);
	for (size_t i = 0; i < n; i++) {
		struct ed_topic_config cfg;
		ed_topic_config_get(topics[i], &cfg);
		int32_t np = ed_topic_partition_count(topics[i]);
		for (int32_t j = 0; j < np && !atomic_load(&topics[i]->deleted); j++) {
			int rc = maintain_partition(ed_topic_partition(topics[i], j), &cfg, now_ms);
			if (rc && !first)
				first = rc;
		}
		ed_topic_unref(topics[i]);
	}
	ed_free(topics);
	return first;
}
