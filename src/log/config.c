/* Topic configuration: defaults, parsing and rendering by Kafka config name,
 * validation, topic name rules, and the topic.conf file format.
 *
 * topic.conf (text, one "key=value" per line, '#' starts a comment line):
 *
 *   format.version=1            required, first
 *   partitions=N                required
 *   <kafka config name>=<value> every config of ed_topic_config_each
 *
 * Unknown keys or bad values make the file corrupt: a topic is never opened
 * with a config it does not understand. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/log_int.h"

#define DAY_MS (24LL * 3600 * 1000)

int ed_log_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void ed_topic_config_defaults(struct ed_topic_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->partitions = 1;
	cfg->retention_ms = 7 * DAY_MS;
	cfg->retention_bytes = -1;
	cfg->segment_bytes = 1LL << 30;
	cfg->segment_ms = 7 * DAY_MS;
	cfg->max_message_bytes = 1048588;
	cfg->cleanup_policy = ED_CLEANUP_DELETE;
	cfg->delete_retention_ms = DAY_MS;
	cfg->min_compaction_lag_ms = 0;
	cfg->flush_policy = ED_FLUSH_ON_REQUEST;
	cfg->index_interval_bytes = 4096;
	cfg->log_append_time = false;
}

static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return ED_EINVAL;
	*out = v;
	return 0;
}

static const char *flush_name(int p)
{
	switch (p) {
	case ED_FLUSH_ALWAYS:
		return "always";
	case ED_FLUSH_NEVER:
		return "never";
	default:
		return "on-request";
	}
}

static const char *cleanup_name(int p)
{
	if (p == (ED_CLEANUP_DELETE | ED_CLEANUP_COMPACT))
		return "compact,delete";
	return p == ED_CLEANUP_COMPACT ? "compact" : "delete";
}

int ed_topic_config_set(struct ed_topic_config *cfg, const char *name, const char *value, char *err,
			size_t errlen)
{
	int64_t v;
	if (!name || !value)
		return ed_log_fail(ED_EINVAL, err, errlen, "missing config name or value");
#define I64(key, field, lo, hi)                                                               \
	if (strcmp(name, key) == 0) {                                                         \
		if (parse_i64(value, lo, hi, &v))                                             \
			return ed_log_fail(ED_EINVAL, err, errlen,                            \
					   "%s: '%s' is not an integer in [%lld, %lld]", key, \
					   value, (long long)(lo), (long long)(hi));          \
		cfg->field = (__typeof__(cfg->field))v;                                       \
		return 0;                                                                     \
	}
	I64("retention.ms", retention_ms, -1, INT64_MAX)
	I64("retention.bytes", retention_bytes, -1, INT64_MAX)
	I64("segment.bytes", segment_bytes, 4096, INT32_MAX)
	I64("segment.ms", segment_ms, 1, INT64_MAX)
	I64("max.message.bytes", max_message_bytes, ED_BATCH_HEADER_SIZE, INT32_MAX)
	I64("delete.retention.ms", delete_retention_ms, 0, INT64_MAX)
	I64("min.compaction.lag.ms", min_compaction_lag_ms, 0, INT64_MAX)
	I64("index.interval.bytes", index_interval_bytes, 0, INT32_MAX)
#undef I64
	if (strcmp(name, "cleanup.policy") == 0) {
		if (strcmp(value, "delete") == 0)
			cfg->cleanup_policy = ED_CLEANUP_DELETE;
		else if (strcmp(value, "compact") == 0)
			cfg->cleanup_policy = ED_CLEANUP_COMPACT;
		else if (strcmp(value, "compact,delete") == 0 || strcmp(value, "delete,compact") == 0)
			cfg->cleanup_policy = ED_CLEANUP_COMPACT | ED_CLEANUP_DELETE;
		else
			return ed_log_fail(ED_EINVAL, err, errlen,
					   "cleanup.policy: '%s' is not delete, compact or "
					   "compact,delete",
					   value);
		return 0;
	}
	if (strcmp(name, "eddy.flush.policy") == 0) {
		if (strcmp(value, "on-request") == 0)
			cfg->flush_policy = ED_FLUSH_ON_REQUEST;
		else if (strcmp(value, "always") == 0)
			cfg->flush_policy = ED_FLUSH_ALWAYS;
		else if (strcmp(value, "never") == 0)
			cfg->flush_policy = ED_FLUSH_NEVER;
		else
			return ed_log_fail(ED_EINVAL, err, errlen,
					   "eddy.flush.policy: '%s' is not on-request, always or never",
					   value);
		return 0;
	}
	if (strcmp(name, "message.timestamp.type") == 0) {
		if (strcmp(value, "CreateTime") == 0)
			cfg->log_append_time = false;
		else if (strcmp(value, "LogAppendTime") == 0)
			cfg->log_append_time = true;
		else
			return ed_log_fail(ED_EINVAL, err, errlen,
					   "message.timestamp.type: '%s' is not CreateTime or "
					   "LogAppendTime",
					   value);
		return 0;
	}
	return ed_log_fail(ED_ENOENT, err, errlen, "unknown topic config '%s'", name);
}

void ed_topic_config_each(const struct ed_topic_config *cfg,
			  void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	char v[32];
#define EMIT(key, fmt, val)                      \
	do {                                     \
		snprintf(v, sizeof v, fmt, val); \
		fn(arg, key, v);                 \
	} while (0)
	fn(arg, "cleanup.policy", cleanup_name(cfg->cleanup_policy));
	EMIT("delete.retention.ms", "%" PRId64, cfg->delete_retention_ms);
	fn(arg, "eddy.flush.policy", flush_name(cfg->flush_policy));
	EMIT("index.interval.bytes", "%" PRId32, cfg->index_interval_bytes);
	EMIT("max.message.bytes", "%" PRId32, cfg->max_message_bytes);
	fn(arg, "message.timestamp.type", cfg->log_append_time ? "LogAppendTime" : "CreateTime");
	EMIT("min.compaction.lag.ms", "%" PRId64, cfg->min_compaction_lag_ms);
	EMIT("retention.bytes", "%" PRId64, cfg->retention_bytes);
	EMIT("retention.ms", "%" PRId64, cfg->retention_ms);
	EMIT("segment.bytes", "%" PRId64, cfg->segment_bytes);
	EMIT("segment.ms", "%" PRId64, cfg->segment_ms);
#undef EMIT
}

int ed_topic_config_validate(const struct ed_topic_config *cfg, char *err, size_t errlen)
{
	if (cfg->partitions < 1 || cfg->partitions > 100000)
		return ed_log_fail(ED_EINVAL, err, errlen, "partitions must be in [1, 100000]");
	if (cfg->segment_bytes < 4096 || cfg->segment_bytes > INT32_MAX)
		return ed_log_fail(ED_EINVAL, err, errlen, "segment.bytes must be in [4096, %d]",
				   INT32_MAX);
	if (cfg->segment_ms < 1)
		return ed_log_fail(ED_EINVAL, err, errlen, "segment.ms must be >= 1");
	if (cfg->retention_ms < -1 || cfg->retention_bytes < -1)
		return ed_log_fail(ED_EINVAL, err, errlen, "retention must be >= -1");
	if (cfg->max_message_bytes < ED_BATCH_HEADER_SIZE)
		return ed_log_fail(ED_EINVAL, err, errlen, "max.message.bytes must be >= %d",
				   ED_BATCH_HEADER_SIZE);
	if (cfg->cleanup_policy < 1 || cfg->cleanup_policy > 3)
		return ed_log_fail(ED_EINVAL, err, errlen, "bad cleanup.policy");
	if (cfg->flush_policy < 0 || cfg->flush_policy > 2)
		return ed_log_fail(ED_EINVAL, err, errlen, "bad eddy.flush.policy");
	if (cfg->delete_retention_ms < 0 || cfg->min_compaction_lag_ms < 0 ||
	    cfg->index_interval_bytes < 0)
		return ed_log_fail(ED_EINVAL, err, errlen, "negative config value");
	return 0;
}

int ed_topic_name_validate(const char *name, char *err, size_t errlen)
{
	if (!name || !*name)
		return ed_log_fail(ED_EINVAL, err, errlen, "topic name is empty");
	size_t n = strlen(name);
	if (n > 249)
		return ed_log_fail(ED_EINVAL, err, errlen,
				   "topic name is %zu characters, the limit is 249", n);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ed_log_fail(ED_EINVAL, err, errlen, "topic name cannot be '.' or '..'");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return ed_log_fail(ED_EINVAL, err, errlen,
					   "topic name contains '%c' (0x%02x): only ASCII letters, "
					   "digits, '.', '_' and '-' are allowed",
					   (c >= 0x20 && c < 0x7f) ? c : '?', (unsigned char)c);
	}
	return 0;
}

static void render_one(void *arg, const char *name, const char *value)
{
	ed_buf_printf(arg, "%s=%s\n", name, value);
}

int ed_topic_config_render(const struct ed_topic_config *cfg, struct ed_buf *out)
{
	ed_buf_printf(out, "# eddy topic configuration\nformat.version=1\npartitions=%" PRId32 "\n",
		      cfg->partitions);
	ed_topic_config_each(cfg, render_one, out);
	return out->err;
}

int ed_topic_config_parse(const char *text, struct ed_topic_config *cfg, char *err, size_t errlen)
{
	char line[512], emsg[256];
	bool have_version = false, have_parts = false;
	int lineno = 0;
	ed_topic_config_defaults(cfg);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (n >= sizeof line)
			return ed_log_fail(ED_ECORRUPT, err, errlen, "line %d too long", lineno);
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (nl ? 1 : 0);
		if (n == 0 || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq)
			return ed_log_fail(ED_ECORRUPT, err, errlen, "line %d: no '='", lineno);
		*eq = 0;
		const char *key = line, *val = eq + 1;
		if (strcmp(key, "format.version") == 0) {
			if (strcmp(val, "1") != 0)
				return ed_log_fail(ED_ECORRUPT, err, errlen,
						   "line %d: unsupported format.version %s", lineno,
						   val);
			have_version = true;
			continue;
		}
		if (strcmp(key, "partitions") == 0) {
			int64_t v;
			if (parse_i64(val, 1, 100000, &v))
				return ed_log_fail(ED_ECORRUPT, err, errlen,
						   "line %d: bad partitions '%s'", lineno, val);
			cfg->partitions = (int32_t)v;
			have_parts = true;
			continue;
		}
		if (ed_topic_config_set(cfg, key, val, emsg, sizeof emsg))
			return ed_log_fail(ED_ECORRUPT, err, errlen, "line %d: %s", lineno, emsg);
	}
	if (!have_version || !have_parts)
		return ed_log_fail(ED_ECORRUPT, err, errlen, "missing %s",
				   have_version ? "partitions" : "format.version");
	if (ed_topic_config_validate(cfg, emsg, sizeof emsg))
		return ed_log_fail(ED_ECORRUPT, err, errlen, "%s", emsg);
	return 0;
}

void ed_log_options_defaults(struct ed_log_options *opts)
{
	memset(opts, 0, sizeof *opts);
	ed_topic_config_defaults(&opts->defaults);
	opts->flush_max_delay_ms = 0;
}
