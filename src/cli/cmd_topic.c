/* `eddy topic create|list|describe|alter|delete`: topic administration on a
 * data directory through log.h. Names and configs are validated by the log
 * (Kafka's rules); this file only turns flags into calls and results into
 * text. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "cli/cli_int.h"
#include "log/log.h"

static const char *const CMD = "topic";

enum {
	OPT_PARTITIONS = ED_OPT_FIRST_COMMAND_OPT,
	OPT_CONFIG,
	OPT_IF_NOT_EXISTS,
	OPT_IF_EXISTS,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eddy topic create NAME [--partitions N] [--config KEY=VALUE]... [--if-not-exists]\n"
		"       eddy topic list\n"
		"       eddy topic describe NAME\n"
		"       eddy topic alter NAME [--partitions N] [--config KEY=VALUE]...\n"
		"       eddy topic delete NAME [--if-exists]\n"
		"\n"
		"Manage the topics of a data directory, or with --server those of a\n"
		"running server (through the Kafka Admin API; alter is data-directory\n"
		"only). --if-not-exists and --if-exists work the same in both modes.\n"
		"\n"
		"  --partitions N        create: number of partitions (default 1);\n"
		"                        alter: grow to N partitions (never shrinks)\n"
		"  --config KEY=VALUE    a topic config, by its Kafka name; repeatable:\n"
		"                        retention.ms, retention.bytes, segment.bytes, segment.ms,\n"
		"                        max.message.bytes, cleanup.policy (delete|compact|compact,delete),\n"
		"                        delete.retention.ms, min.compaction.lag.ms,\n"
		"                        index.interval.bytes, message.timestamp.type\n"
		"                        (CreateTime|LogAppendTime),\n"
		"                        eddy.flush.policy (on-request|always|never)\n"
		"  --if-not-exists       create: succeed when the topic already exists\n"
		"  --if-exists           delete: succeed when the topic does not exist\n"
		"\n"
		"Topic names: 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'.\n"
		"describe prints the configs and, per partition, the start and end\n"
		"offsets, bytes stored, segment count and state; with --server, the\n"
		"configs the server reports and, per partition, the start and end\n"
		"offsets (watermarks) and the leader.\n"
		"\n" ED_CLI_TARGET_HELP);
}

static int topic_create(struct ed_topic_args *a, const char *name)
{
	struct ed_log_options opts;
	struct ed_topic_config cfg;
	char err[512] = "";
	char key[256];
	const char *value = NULL;
	int rc;

	if (ed_topic_name_validate(name, err, sizeof(err)) != 0) {
		ed_cli_error(CMD, "invalid topic name '%s': %s", name, err);
		return ED_EXIT_FAIL;
	}
	ed_log_options_defaults(&opts);
	cfg = opts.defaults;
	cfg.partitions = a->partitions ? (int32_t)a->partitions : 1;
	for (size_t i = 0; i < a->nconfigs; i++) {
		if (ed_cli_split_config(a->configs[i], key, sizeof(key), &value) != 0) {
			ed_cli_error(CMD, "--config wants KEY=VALUE, got '%s'", a->configs[i]);
			return ED_EXIT_USAGE;
		}
		err[0] = '\0';
		rc = ed_topic_config_set(&cfg, key, value, err, sizeof(err));
		if (rc == ED_ENOENT) {
			ed_cli_error(CMD, "unknown topic config '%s' (see 'eddy topic --help')", key);
			return ED_EXIT_FAIL;
		}
		if (rc != 0) {
			ed_cli_error(CMD, "bad value '%s' for %s: %s", value, key,
				     *err ? err : ed_err_str(rc));
			return ED_EXIT_FAIL;
		}
	}
	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	err[0] = '\0';
	rc = ed_log_topic_create(a->target.log, name, &cfg, err, sizeof(err));
	if (rc == ED_EEXIST && a->if_not_exists)
		return ED_EXIT_OK;
	if (rc == ED_EEXIST) {
		ed_cli_error(CMD, "topic '%s' already exists", name);
		return ED_EXIT_FAIL;
	}
	if (rc != 0) {
		ed_cli_error(CMD, "cannot create topic '%s': %s", name, *err ? err : ed_err_str(rc));
		return ED_EXIT_FAIL;
	}
	printf("created topic %s with %d partition%s\n", name, cfg.partitions,
	       cfg.partitions == 1 ? "" : "s");
	return ED_EXIT_OK;
}

static int topic_list(struct ed_topic_args *a)
{
	char **names = NULL;
	size_t count = 0;
	int rc;

	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	rc = ed_log_topic_names(a->target.log, &names, &count);
	if (rc != 0) {
		ed_cli_error(CMD, "cannot list topics: %s", ed_err_str(rc));
		return ED_EXIT_FAIL;
	}
	for (size_t i = 0; i < count; i++)
		printf("%s\n", names[i]);
	ed_log_names_free(names, count);
	return ED_EXIT_OK;
}

static void print_config(void *arg, const char *name, const char *value)
{
	(void)arg;
	printf("  %s=%s\n", name, value);
}

static int topic_describe(struct ed_topic_args *a, const char *name)
{
	struct ed_topic *topic;
	struct ed_topic_config cfg;
	int32_t n;
	int64_t total = 0;

	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	topic = ed_log_topic_get(a->target.log, name);
	if (!topic) {
		ed_cli_error(CMD, "topic '%s' does not exist", name);
		return ED_EXIT_FAIL;
	}
	ed_topic_config_get(topic, &cfg);
	n = ed_topic_partition_count(topic);
	printf("topic: %s\npartitions: %d\nconfigs:\n", ed_topic_name(topic), n);
	ed_topic_config_each(&cfg, print_config, NULL);
	printf("%-9s %14s %14s %14s %8s  %s\n", "partition", "start_offset", "end_offset",
	       "size_bytes", "segments", "state");
	for (int32_t i = 0; i < n; i++) {
		struct ed_partition *part = ed_topic_partition(topic, i);
		int64_t size;

		if (!part)
			continue;
		size = ed_partition_size(part);
		total += size;
		printf("%-9d %14lld %14lld %14lld %8d  %s\n", i,
		       (long long)ed_partition_start_offset(part), (long long)ed_partition_hwm(part),
		       (long long)size, ed_partition_segment_count(part),
		       ed_partition_failed(part) ? "FAILED (read-only)" : "ok");
	}
	printf("total_size_bytes: %lld\n", (long long)total);
	ed_topic_unref(topic);
	return ED_EXIT_OK;
}

static int topic_alter(struct ed_topic_args *a, const char *name)
{
	char err[512] = "";
	char key[256];
	const char *value = NULL;
	struct ed_topic *topic;
	int rc;

	if (!a->partitions && !a->nconfigs)
		return ed_cli_usage_error(CMD, "alter needs --partitions or --config");
	for (size_t i = 0; i < a->nconfigs; i++) {
		if (ed_cli_split_config(a->configs[i], key, sizeof(key), &value) != 0)
			return ed_cli_usage_error(CMD, "--config wants KEY=VALUE, got '%s'",
						  a->configs[i]);
	}
	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	topic = ed_log_topic_get(a->target.log, name);
	if (!topic) {
		ed_cli_error(CMD, "topic '%s' does not exist", name);
		return ED_EXIT_FAIL;
	}
	ed_topic_unref(topic);
	for (size_t i = 0; i < a->nconfigs; i++) {
		ed_cli_split_config(a->configs[i], key, sizeof(key), &value);
		err[0] = '\0';
		rc = ed_log_topic_set_config(a->target.log, name, key, value, err, sizeof(err));
		if (rc != 0) {
			ed_cli_error(CMD, "cannot set %s=%s on '%s': %s", key, value, name,
				     *err ? err : ed_err_str(rc));
			return ED_EXIT_FAIL;
		}
	}
	if (a->partitions) {
		err[0] = '\0';
		rc = ed_log_topic_add_partitions(a->target.log, name, (int32_t)a->partitions, err,
						 sizeof(err));
		if (rc != 0) {
			ed_cli_error(CMD, "cannot grow '%s' to %lld partitions: %s", name,
				     (long long)a->partitions, *err ? err : ed_err_str(rc));
			return ED_EXIT_FAIL;
		}
	}
	printf("altered topic %s\n", name);
	return ED_EXIT_OK;
}

static int topic_delete(struct ed_topic_args *a, const char *name)
{
	int rc;

	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	rc = ed_log_topic_delete(a->target.log, name);
	if (rc == ED_ENOENT && a->if_exists)
		return ED_EXIT_OK;
	if (rc == ED_ENOENT) {
		ed_cli_error(CMD, "topic '%s' does not exist", name);
		return ED_EXIT_FAIL;
	}
	if (rc != 0) {
		ed_cli_error(CMD, "cannot delete topic '%s': %s", name, ed_err_str(rc));
		return ED_EXIT_FAIL;
	}
	printf("deleted topic %s\n", name);
	return ED_EXIT_OK;
}

int ed_cmd_topic(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"partitions", required_argument, NULL, OPT_PARTITIONS},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS},
		{"if-exists", no_argument, NULL, OPT_IF_EXISTS},
		ED_CLI_TARGET_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct ed_topic_args a;
	const char *sub, *name = NULL;
	int opt, rc, status;
	bool remote;

	memset(&a, 0, sizeof(a));
	ed_cli_target_init(&a.target);
	a.configs = ed_calloc((size_t)argc + 1, sizeof(*a.configs));
	if (!a.configs) {
		ed_cli_error(CMD, "out of memory");
		return ED_EXIT_FAIL;
	}
	argv[0] = (char *)"eddy topic";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			status = ED_EXIT_OK;
			goto out;
		case OPT_PARTITIONS:
			if (!ed_cli_parse_i64(optarg, 1, 1000000, &a.partitions)) {
				status = ed_cli_usage_error(
					CMD,
					"--partitions wants a number from 1 to 1000000, got '%s'",
					optarg);
				goto out;
			}
			break;
		case OPT_CONFIG:
			a.configs[a.nconfigs++] = optarg;
			break;
		case OPT_IF_NOT_EXISTS:
			a.if_not_exists = true;
			break;
		case OPT_IF_EXISTS:
			a.if_exists = true;
			break;
		case '?':
			status = ed_cli_bad_flag(CMD);
			goto out;
		default:
			rc = ed_cli_target_opt(&a.target, CMD, opt, optarg);
			if (rc <= 0) {
				status = ED_EXIT_USAGE;
				goto out;
			}
			break;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		status = ED_EXIT_USAGE;
		goto out;
	}
	sub = argv[optind++];
	if (strcmp(sub, "list") != 0) {
		if (optind >= argc) {
			status = ed_cli_usage_error(CMD, "%s needs a topic name", sub);
			goto out;
		}
		name = argv[optind++];
	}
	if (optind < argc) {
		status = ed_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if ((a.partitions || a.nconfigs) && strcmp(sub, "create") != 0 && strcmp(sub, "alter") != 0) {
		status = ed_cli_usage_error(CMD,
					    "--partitions and --config apply to create and alter only");
		goto out;
	}
	remote = ed_cli_target_remote(&a.target);
	if (strcmp(sub, "create") == 0) {
		status = remote ? ed_cli_remote_topic_create(&a, name) : topic_create(&a, name);
	} else if (strcmp(sub, "list") == 0) {
		status = remote ? ed_cli_remote_topic_list(&a) : topic_list(&a);
	} else if (strcmp(sub, "describe") == 0) {
		status = remote ? ed_cli_remote_topic_describe(&a, name) : topic_describe(&a, name);
	} else if (strcmp(sub, "alter") == 0) {
		if (remote) {
			ed_cli_error(CMD, "alter is not available with --server yet; stop the "
					  "server and use --data-dir");
			status = ED_EXIT_FAIL;
		} else {
			status = topic_alter(&a, name);
		}
	} else if (strcmp(sub, "delete") == 0) {
		status = remote ? ed_cli_remote_topic_delete(&a, name) : topic_delete(&a, name);
	} else {
		status = ed_cli_usage_error(
			CMD, "unknown subcommand '%s' (create|list|describe|alter|delete)", sub);
	}
out:
	ed_cli_target_close(&a.target);
	ed_free(a.configs);
	if (fflush(stdout) != 0 && status == ED_EXIT_OK) {
		ed_cli_error(CMD, "cannot write the output");
		status = ED_EXIT_FAIL;
	}
	return status;
}
