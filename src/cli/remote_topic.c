/* `eddy topic create|list|describe|delete --server`: topic administration
 * through librdkafka's Admin API (CreateTopics, DeleteTopics,
 * DescribeConfigs), metadata and ListOffsets (watermarks). Output has the
 * shape of the data-directory mode. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cli/remote.h"
#include "log/log.h"

static const char *const CMD = "topic";

static int open_admin(struct ed_cli_rk *c, struct ed_topic_args *a)
{
	rd_kafka_conf_t *conf = ed_cli_rk_conf(&a->target, CMD);

	if (!conf)
		return -1;
	return ed_cli_rk_open(c, &a->target, CMD, RD_KAFKA_PRODUCER, conf);
}

/* Admin options with --timeout-ms as request and operation timeout; NULL
 * after printing why. */
static rd_kafka_AdminOptions_t *admin_options(struct ed_cli_rk *c, rd_kafka_admin_op_t op)
{
	rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(c->rk, op);
	char errstr[256];

	if (!opts) {
		ed_cli_error(CMD, "out of memory");
		return NULL;
	}
	if (rd_kafka_AdminOptions_set_request_timeout(opts, (int)c->timeout_ms, errstr,
						      sizeof(errstr)) ||
	    (op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS &&
	     rd_kafka_AdminOptions_set_operation_timeout(opts, (int)c->timeout_ms, errstr,
							 sizeof(errstr)))) {
		ed_cli_error(CMD, "admin options: %s", errstr);
		rd_kafka_AdminOptions_destroy(opts);
		return NULL;
	}
	return opts;
}

/* The result event of the admin request on q, or NULL after printing the
 * request-level error (timeout, transport). */
static rd_kafka_event_t *admin_wait(struct ed_cli_rk *c, rd_kafka_queue_t *q, const char *what)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)c->timeout_ms + 5000);

	if (!ev) {
		ed_cli_error(CMD, "%s: no answer from %s within %lld ms", what, c->server,
			     (long long)c->timeout_ms);
		return NULL;
	}
	if (rd_kafka_event_error(ev)) {
		ed_cli_error(CMD, "%s on %s failed: %s", what, c->server,
			     rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

int ed_cli_remote_topic_create(struct ed_topic_args *a, const char *name)
{
	struct ed_cli_rk c = {0};
	rd_kafka_NewTopic_t *nt = NULL;
	rd_kafka_AdminOptions_t *opts = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_topic_result_t **res;
	size_t nres = 0;
	int32_t partitions = a->partitions ? (int32_t)a->partitions : 1;
	char err[512] = "";
	char key[256];
	const char *value;
	int status = ED_EXIT_FAIL;

	if (ed_topic_name_validate(name, err, sizeof(err)) != 0) {
		ed_cli_error(CMD, "invalid topic name '%s': %s", name, err);
		return ED_EXIT_FAIL;
	}
	for (size_t i = 0; i < a->nconfigs; i++) {
		if (ed_cli_split_config(a->configs[i], key, sizeof(key), &value) != 0) {
			ed_cli_error(CMD, "--config wants KEY=VALUE, got '%s'", a->configs[i]);
			return ED_EXIT_USAGE;
		}
	}
	if (open_admin(&c, a) != 0)
		return ED_EXIT_FAIL;
	/* Replication factor 1: eddy is one broker. */
	nt = rd_kafka_NewTopic_new(name, partitions, 1, err, sizeof(err));
	if (!nt) {
		ed_cli_error(CMD, "cannot create topic '%s': %s", name, err);
		goto out;
	}
	for (size_t i = 0; i < a->nconfigs; i++) {
		ed_cli_split_config(a->configs[i], key, sizeof(key), &value);
		if (rd_kafka_NewTopic_set_config(nt, key, value) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(CMD, "bad config '%s'", a->configs[i]);
			goto out;
		}
	}
	opts = admin_options(&c, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	q = rd_kafka_queue_new(c.rk);
	if (!opts || !q)
		goto out;
	rd_kafka_CreateTopics(c.rk, &nt, 1, opts, q);
	ev = admin_wait(&c, q, "CreateTopics");
	if (!ev)
		goto out;
	res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nres);
	if (nres != 1) {
		ed_cli_error(CMD, "CreateTopics: the server answered for %zu topics, not 1", nres);
		goto out;
	}
	switch (rd_kafka_topic_result_error(res[0])) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		printf("created topic %s with %d partition%s\n", name, partitions,
		       partitions == 1 ? "" : "s");
		status = ED_EXIT_OK;
		break;
	case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
		if (a->if_not_exists)
			status = ED_EXIT_OK;
		else
			ed_cli_error(CMD, "topic '%s' already exists", name);
		break;
	default:
		ed_cli_error(CMD, "cannot create topic '%s': %s%s%s", name,
			     rd_kafka_err2str(rd_kafka_topic_result_error(res[0])),
			     rd_kafka_topic_result_error_string(res[0]) ? ": " : "",
			     rd_kafka_topic_result_error_string(res[0])
				     ? rd_kafka_topic_result_error_string(res[0])
				     : "");
		break;
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	if (nt)
		rd_kafka_NewTopic_destroy(nt);
	ed_cli_rk_close(&c);
	return status;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int ed_cli_remote_topic_list(struct ed_topic_args *a)
{
	struct ed_cli_rk c = {0};
	const struct rd_kafka_metadata *md = NULL;
	const char **names = NULL;
	int n = 0, status = ED_EXIT_FAIL;

	if (open_admin(&c, a) != 0)
		return ED_EXIT_FAIL;
	if (ed_cli_rk_metadata(&c, &md) != 0)
		goto out;
	names = ed_calloc((size_t)md->topic_cnt + 1, sizeof(*names));
	if (!names) {
		ed_cli_error(CMD, "out of memory");
		goto out;
	}
	for (int i = 0; i < md->topic_cnt; i++) {
		if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			names[n++] = md->topics[i].topic;
	}
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	for (int i = 0; i < n; i++)
		printf("%s\n", names[i]);
	status = ED_EXIT_OK;
out:
	ed_free(names);
	if (md)
		rd_kafka_metadata_destroy(md);
	ed_cli_rk_close(&c);
	return status;
}

/* Print the topic configs the server reports, as "  name=value". */
static int describe_configs(struct ed_cli_rk *c, const char *name)
{
	rd_kafka_ConfigResource_t *cr = NULL;
	rd_kafka_AdminOptions_t *opts = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_ConfigResource_t **res;
	const rd_kafka_ConfigEntry_t **entries;
	size_t nres = 0, nent = 0;
	int rc = -1;

	cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
	opts = admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	q = rd_kafka_queue_new(c->rk);
	if (!cr || !opts || !q)
		goto out;
	rd_kafka_DescribeConfigs(c->rk, &cr, 1, opts, q);
	ev = admin_wait(c, q, "DescribeConfigs");
	if (!ev)
		goto out;
	res = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
							&nres);
	if (nres != 1) {
		ed_cli_error(CMD, "DescribeConfigs: the server answered for %zu resources, not 1",
			     nres);
		goto out;
	}
	if (rd_kafka_ConfigResource_error(res[0])) {
		ed_cli_error(CMD, "DescribeConfigs of '%s': %s", name,
			     rd_kafka_ConfigResource_error_string(res[0])
				     ? rd_kafka_ConfigResource_error_string(res[0])
				     : rd_kafka_err2str(rd_kafka_ConfigResource_error(res[0])));
		goto out;
	}
	entries = rd_kafka_ConfigResource_configs(res[0], &nent);
	for (size_t i = 0; i < nent; i++) {
		const char *v = rd_kafka_ConfigEntry_value(entries[i]);

		if (rd_kafka_ConfigEntry_is_sensitive(entries[i]))
			v = "(sensitive)";
		printf("  %s=%s\n", rd_kafka_ConfigEntry_name(entries[i]), v ? v : "");
	}
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	if (cr)
		rd_kafka_ConfigResource_destroy(cr);
	return rc;
}

int ed_cli_remote_topic_describe(struct ed_topic_args *a, const char *name)
{
	struct ed_cli_rk c = {0};
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_metadata_topic *mt;
	int status = ED_EXIT_FAIL;

	if (open_admin(&c, a) != 0)
		return ED_EXIT_FAIL;
	if (ed_cli_rk_metadata(&c, &md) != 0)
		goto out;
	mt = ed_cli_rk_find_topic(&c, md, name);
	if (!mt)
		goto out;
	printf("topic: %s\npartitions: %d\nconfigs:\n", mt->topic, mt->partition_cnt);
	if (describe_configs(&c, name) != 0)
		goto out;
	printf("%-9s %14s %14s %8s\n", "partition", "start_offset", "end_offset", "leader");
	/* Metadata lists partitions in any order; print them by id. */
	for (int32_t p = 0; p < mt->partition_cnt; p++) {
		const struct rd_kafka_metadata_partition *mp = NULL;
		rd_kafka_resp_err_t err;
		int64_t lo = -1, hi = -1;

		for (int i = 0; i < mt->partition_cnt; i++) {
			if (mt->partitions[i].id == p)
				mp = &mt->partitions[i];
		}
		err = rd_kafka_query_watermark_offsets(c.rk, name, p, &lo, &hi, (int)c.timeout_ms);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			ed_cli_error(CMD, "offsets of %s partition %d: %s", name, p,
				     rd_kafka_err2str(err));
			goto out;
		}
		printf("%-9d %14lld %14lld %8d\n", p, (long long)lo, (long long)hi,
		       mp ? mp->leader : -1);
	}
	status = ED_EXIT_OK;
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	ed_cli_rk_close(&c);
	return status;
}

int ed_cli_remote_topic_delete(struct ed_topic_args *a, const char *name)
{
	struct ed_cli_rk c = {0};
	rd_kafka_DeleteTopic_t *dt = NULL;
	rd_kafka_AdminOptions_t *opts = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_topic_result_t **res;
	size_t nres = 0;
	rd_kafka_resp_err_t err;
	int status = ED_EXIT_FAIL;

	if (open_admin(&c, a) != 0)
		return ED_EXIT_FAIL;
	dt = rd_kafka_DeleteTopic_new(name);
	opts = admin_options(&c, RD_KAFKA_ADMIN_OP_DELETETOPICS);
	q = rd_kafka_queue_new(c.rk);
	if (!dt || !opts || !q)
		goto out;
	rd_kafka_DeleteTopics(c.rk, &dt, 1, opts, q);
	ev = admin_wait(&c, q, "DeleteTopics");
	if (!ev)
		goto out;
	res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &nres);
	if (nres != 1) {
		ed_cli_error(CMD, "DeleteTopics: the server answered for %zu topics, not 1", nres);
		goto out;
	}
	err = rd_kafka_topic_result_error(res[0]);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		printf("deleted topic %s\n", name);
		status = ED_EXIT_OK;
	} else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
		if (a->if_exists)
			status = ED_EXIT_OK;
		else
			ed_cli_error(CMD, "topic '%s' does not exist on %s", name, c.server);
	} else {
		ed_cli_error(CMD, "cannot delete topic '%s': %s%s%s", name, rd_kafka_err2str(err),
			     rd_kafka_topic_result_error_string(res[0]) ? ": " : "",
			     rd_kafka_topic_result_error_string(res[0])
				     ? rd_kafka_topic_result_error_string(res[0])
				     : "");
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (opts)
		rd_kafka_AdminOptions_destroy(opts);
	if (dt)
		rd_kafka_DeleteTopic_destroy(dt);
	ed_cli_rk_close(&c);
	return status;
}
