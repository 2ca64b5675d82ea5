/* Kafka cluster and topic administration APIs: ApiVersions, Metadata,
 * CreateTopics, DeleteTopics, DescribeConfigs, FindCoordinator and
 * InitProducerId. eddy is a single-node cluster whose one broker leads every
 * partition. */
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"
#include "log/log.h"

#define MOD "kafka"
/* Each partition holds open files and is created on the loop thread: one
 * request must not be able to stall the broker or exhaust descriptors. */
#define ED_KAFKA_MAX_PARTITIONS 1000

void ed_kafka_handle_api_versions(struct ed_kreq *req, int16_t error)
{
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	size_t n;
	const struct ed_kapi_range *r = ed_kafka_api_ranges(&n);
	ed_kput_i16(b, error);
	ed_kput_i32(b, (int32_t)n);
	for (size_t i = 0; i < n; i++) {
		ed_kput_i16(b, r[i].key);
		ed_kput_i16(b, r[i].min);
		ed_kput_i16(b, r[i].max);
	}
	if (v >= 1)
		ed_kput_i32(b, 0); /* throttle */
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

struct ed_topic *ed_kafka_topic_get_or_create(struct ed_kafka *k, const char *name, bool allow,
					      int *budget, int16_t *kerr)
{
	char err[256];
	*kerr = ED_KERR_NONE;
	struct ed_topic *topic = ed_log_topic_get(k->log, name);
	if (topic)
		return topic;
	if (ed_topic_name_validate(name, err, sizeof(err)) < 0) {
		*kerr = ED_KERR_INVALID_TOPIC_EXCEPTION;
		return NULL;
	}
	if (!allow || !k->cfg.auto_create_topics) {
		*kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return NULL;
	}
	if (*budget <= 0 || ed_log_topic_count(k->log) >= ED_KAFKA_AUTO_CREATE_MAX_TOPICS) {
		ed_warn(MOD, "auto-create of topic '%s' refused: over the auto-creation limit", name);
		*kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return NULL;
	}
	(*budget)--;
	struct ed_topic_config cfg;
	ed_topic_config_defaults(&cfg);
	cfg.partitions = k->cfg.default_partitions;
	int rc = ed_log_topic_create(k->log, name, &cfg, err, sizeof(err));
	if (rc < 0 && rc != ED_EEXIST) {
		ed_warn(MOD, "auto-create of topic '%s' failed: %s", name, err);
		*kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return NULL;
	}
	if (rc == 0)
		ed_info(MOD, "auto-created topic '%s' with %d partitions", name, cfg.partitions);
	topic = ed_log_topic_get(k->log, name);
	if (!topic)
		*kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
	return topic;
}

static void put_topic_metadata(struct ed_buf *b, int16_t v, int32_t node, const char *name,
			       struct ed_topic *topic, int16_t kerr)
{
	ed_kput_i16(b, kerr);
	ed_kput_str(b, name);
	if (v >= 1)
		ed_buf_put_u8(b, name[0] == '_' && name[1] == '_'); /* is_internal */
	int32_t np = topic ? ed_topic_partition_count(topic) : 0;
	ed_kput_i32(b, np);
	for (int32_t i = 0; i < np; i++) {
		ed_kput_i16(b, ED_KERR_NONE);
		ed_kput_i32(b, i);
		ed_kput_i32(b, node); /* leader */
		if (v >= 7)
			ed_kput_i32(b, 0); /* leader epoch */
		ed_kput_i32(b, 1);
		ed_kput_i32(b, node); /* replicas */
		ed_kput_i32(b, 1);
		ed_kput_i32(b, node); /* isr */
		if (v >= 5)
			ed_kput_i32(b, 0); /* offline replicas */
	}
	if (v >= 8)
		ed_kput_i32(b, INT32_MIN); /* topic authorized operations: not asked */
}

void ed_kafka_handle_metadata(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_metadata *m = &req->msg.u.metadata;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	int32_t node = k->cfg.node_id;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 3)
		ed_kput_i32(b, 0); /* throttle */
	ed_kput_i32(b, 1);
	ed_kput_i32(b, node);
	ed_kput_str(b, ed_kafka_adv_host(k));
	ed_kput_i32(b, ed_kafka_adv_port(k));
	if (v >= 1)
		ed_kput_str(b, NULL); /* rack */
	if (v >= 2)
		ed_kput_str(b, k->cluster_id);
	if (v >= 1)
		ed_kput_i32(b, node); /* controller */
	if (m->all_topics) {
		char **names = NULL;
		size_t count = 0;
		if (ed_log_topic_names(k->log, &names, &count) < 0)
			count = 0;
		ed_kput_i32(b, (int32_t)count);
		for (size_t i = 0; i < count; i++) {
			struct ed_topic *topic = ed_log_topic_get(k->log, names[i]);
			put_topic_metadata(b, v, node, names[i], topic,
					   topic ? ED_KERR_NONE : ED_KERR_UNKNOWN_TOPIC_OR_PARTITION);
			ed_topic_unref(topic);
		}
		ed_log_names_free(names, count);
	} else {
		ed_kput_i32(b, m->ntopics);
		int budget = ED_KAFKA_AUTO_CREATE_PER_REQUEST;
		for (int32_t i = 0; i < m->ntopics; i++) {
			int16_t kerr;
			struct ed_topic *topic = ed_kafka_topic_get_or_create(k, m->topics[i],
									      m->allow_auto_create,
									      &budget, &kerr);
			put_topic_metadata(b, v, node, m->topics[i], topic, kerr);
			ed_topic_unref(topic);
		}
	}
	if (v >= 8)
		ed_kput_i32(b, INT32_MIN); /* cluster authorized operations */
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_create_topics(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_create_topics *m = &req->msg.u.create_topics;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 2)
		ed_kput_i32(b, 0);
	ed_kput_i32(b, m->ntopics);
	for (int32_t i = 0; i < m->ntopics; i++) {
		struct ed_kcreate_topic *t = &m->topics[i];
		char err[256] = "";
		int16_t kerr = ED_KERR_NONE;
		struct ed_topic_config cfg;
		ed_topic_config_defaults(&cfg);
		cfg.partitions = t->num_partitions == -1 ? k->cfg.default_partitions
							 : t->num_partitions;
		if (t->nassignments > 0 && t->num_partitions == -1)
			cfg.partitions = t->nassignments;
		if (ed_topic_name_validate(t->name, err, sizeof(err)) < 0) {
			kerr = ED_KERR_INVALID_TOPIC_EXCEPTION;
		} else if (cfg.partitions < 1 || cfg.partitions > ED_KAFKA_MAX_PARTITIONS) {
			kerr = ED_KERR_INVALID_PARTITIONS;
			snprintf(err, sizeof(err), "number of partitions must be 1..%d",
				 ED_KAFKA_MAX_PARTITIONS);
		} else if (t->replication_factor > 1) {
			kerr = ED_KERR_INVALID_REPLICATION_FACTOR;
			snprintf(err, sizeof(err), "replication factor %d larger than the 1 broker",
				 t->replication_factor);
		} else if (t->replication_factor == 0 || t->replication_factor < -1) {
			kerr = ED_KERR_INVALID_REPLICATION_FACTOR;
			snprintf(err, sizeof(err), "replication factor must be 1 or -1");
		}
		for (int32_t j = 0; kerr == ED_KERR_NONE && j < t->nconfigs; j++) {
			if (!t->configs[j].value)
				continue;
			if (ed_topic_config_set(&cfg, t->configs[j].name, t->configs[j].value, err,
						sizeof(err)) < 0)
				kerr = ED_KERR_INVALID_CONFIG;
		}
		if (kerr == ED_KERR_NONE) {
			struct ed_topic *existing = ed_log_topic_get(k->log, t->name);
			if (existing) {
				kerr = ED_KERR_TOPIC_ALREADY_EXISTS;
				snprintf(err, sizeof(err), "topic '%s' already exists", t->name);
				ed_topic_unref(existing);
			}
		}
		if (kerr == ED_KERR_NONE && !m->validate_only) {
			int rc = ed_log_topic_create(k->log, t->name, &cfg, err, sizeof(err));
			if (rc == ED_EEXIST)
				kerr = ED_KERR_TOPIC_ALREADY_EXISTS;
			else if (rc == ED_EINVAL)
				kerr = ED_KERR_INVALID_CONFIG;
			else if (rc < 0)
				kerr = ED_KERR_UNKNOWN_SERVER_ERROR;
			else
				ed_info(MOD, "created topic '%s' with %d partitions", t->name,
					cfg.partitions);
		}
		ed_kput_str(b, t->name);
		ed_kput_i16(b, kerr);
		if (v >= 1)
			ed_kput_str(b, kerr ? err : NULL);
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_delete_topics(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_delete_topics *m = &req->msg.u.delete_topics;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i32(b, m->ntopics);
	for (int32_t i = 0; i < m->ntopics; i++) {
		int rc = ed_log_topic_delete(k->log, m->topics[i]);
		int16_t kerr = ED_KERR_NONE;
		if (rc == ED_ENOENT)
			kerr = ED_KERR_UNKNOWN_TOPIC_OR_PARTITION;
		else if (rc < 0)
			kerr = ED_KERR_UNKNOWN_SERVER_ERROR;
		else {
			ed_kprodstate_drop_topic(k->prodstate, m->topics[i]);
			ed_info(MOD, "deleted topic '%s'", m->topics[i]);
		}
		ed_kput_str(b, m->topics[i]);
		ed_kput_i16(b, kerr);
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

/* DescribeConfigs: topic configs come from the log; the few broker configs
 * clients ask about are answered from the server configuration. */
struct cfg_walk {
	struct ed_buf *b;
	int16_t v;
	const struct ed_kdescribe_resource *res;
	const struct ed_topic_config *defaults;
	int32_t count;
	bool counting;
	const char *lookup; /* for default comparison */
	char found[256];
};

static void find_default(void *arg, const char *name, const char *value)
{
	struct cfg_walk *w = arg;
	if (strcmp(name, w->lookup) == 0)
		snprintf(w->found, sizeof(w->found), "%s", value);
}

static bool key_wanted(const struct ed_kdescribe_resource *res, const char *name)
{
	if (res->nkeys < 0)
		return true;
	for (int32_t i = 0; i < res->nkeys; i++)
		if (strcmp(res->keys[i], name) == 0)
			return true;
	return false;
}

static void put_config(struct cfg_walk *w, const char *name, const char *value, bool is_default)
{
	if (!key_wanted(w->res, name))
		return;
	w->count++;
	if (w->counting)
		return;
	struct ed_buf *b = w->b;
	ed_kput_str(b, name);
	ed_kput_str(b, value);
	ed_buf_put_u8(b, 0); /* read only */
	if (w->v == 0)
		ed_buf_put_u8(b, is_default);
	else
		ed_kput_i8(b, is_default ? 5 : 1); /* DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG */
	ed_buf_put_u8(b, 0);                       /* sensitive */
	if (w->v >= 1)
		ed_kput_i32(b, 0); /* synonyms */
	if (w->v >= 3) {
		ed_kput_i8(b, 0);     /* config type unknown */
		ed_kput_str(b, NULL); /* documentation */
	}
}

static void topic_config_cb(void *arg, const char *name, const char *value)
{
	struct cfg_walk *w = arg;
	w->lookup = name;
	w->found[0] = 0;
	ed_topic_config_each(w->defaults, find_default, w);
	put_config(w, name, value, strcmp(w->found, value) == 0);
}

void ed_kafka_handle_describe_configs(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_describe_configs *m = &req->msg.u.describe_configs;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	struct ed_topic_config defaults;
	ed_topic_config_defaults(&defaults);
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	ed_kput_i32(b, 0);
	ed_kput_i32(b, m->nresources);
	for (int32_t i = 0; i < m->nresources; i++) {
		struct ed_kdescribe_resource *res = &m->resources[i];
		struct cfg_walk w = {.b = b, .v = v, .res = res, .defaults = &defaults};
		if (res->type == 2) {
			struct ed_topic *topic = ed_log_topic_get(k->log, res->name);
			ed_kput_i16(b, topic ? ED_KERR_NONE : ED_KERR_UNKNOWN_TOPIC_OR_PARTITION);
			ed_kput_str(b, topic ? NULL : "unknown topic");
			ed_kput_i8(b, res->type);
			ed_kput_str(b, res->name);
			if (!topic) {
				ed_kput_i32(b, 0);
				continue;
			}
			struct ed_topic_config cfg;
			ed_topic_config_get(topic, &cfg);
			ed_topic_unref(topic);
			w.counting = true;
			ed_topic_config_each(&cfg, topic_config_cb, &w);
			ed_kput_i32(b, w.count);
			w.counting = false;
			ed_topic_config_each(&cfg, topic_config_cb, &w);
		} else if (res->type == 4) {
			char parts[16], frame[32];
			snprintf(parts, sizeof(parts), "%d", k->cfg.default_partitions);
			snprintf(frame, sizeof(frame), "%zu", k->cfg.max_frame_bytes);
			ed_kput_i16(b, ED_KERR_NONE);
			ed_kput_str(b, NULL);
			ed_kput_i8(b, res->type);
			ed_kput_str(b, res->name);
			for (int pass = 0; pass < 2; pass++) {
				w.counting = pass == 0;
				if (pass == 1)
					ed_kput_i32(b, w.count);
				w.count = 0;
				put_config(&w, "auto.create.topics.enable",
					   k->cfg.auto_create_topics ? "true" : "false", false);
				put_config(&w, "num.partitions", parts, false);
				put_config(&w, "socket.request.max.bytes", frame, false);
				put_config(&w, "default.replication.factor", "1", true);
			}
		} else {
			ed_kput_i16(b, ED_KERR_INVALID_REQUEST);
			ed_kput_str(b, "unsupported resource type");
			ed_kput_i8(b, res->type);
			ed_kput_str(b, res->name);
			ed_kput_i32(b, 0);
		}
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_find_coordinator(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, ED_KERR_NONE);
	if (v >= 1)
		ed_kput_str(b, NULL);
	ed_kput_i32(b, k->cfg.node_id);
	ed_kput_str(b, ed_kafka_adv_host(k));
	ed_kput_i32(b, ed_kafka_adv_port(k));
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_init_producer_id(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_buf *b = &req->resp;
	int16_t kerr = ED_KERR_NONE;
	int64_t pid = -1;
	if (req->msg.u.init_producer_id.transactional_id) {
		kerr = ED_KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED; /* no transactions yet */
	} else if (ed_kprodstate_new_pid(k->prodstate, &pid) < 0) {
		kerr = ED_KERR_COORDINATOR_NOT_AVAILABLE;
		pid = -1;
	}
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	ed_kput_i32(b, 0);
	ed_kput_i16(b, kerr);
	ed_kput_i64(b, pid);
	ed_kput_i16(b, kerr ? -1 : 0);
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}
