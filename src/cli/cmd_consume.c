/* `eddy consume TOPIC`: prints the records of a topic, one value per line,
 * partition after partition, each in offset order. Reads whole batches with
 * ed_partition_read, validates each one (stored bytes are input too) and
 * walks its records with ed_record_iter. Control batches (transaction
 * markers) are skipped. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "cli/cli_int.h"
#include "log/batch.h"
#include "log/log.h"

static const char *const CMD = "consume";

#define READ_MAX_BYTES (1024 * 1024)

enum {
	OPT_PARTITION = ED_OPT_FIRST_COMMAND_OPT,
	OPT_FROM_BEGINNING,
	OPT_FROM_END,
	OPT_OFFSET,
	OPT_TIMESTAMP,
	OPT_MAX,
	OPT_PRINT_KEY,
	OPT_PRINT_OFFSET,
	OPT_PRINT_TIMESTAMP,
	OPT_SEPARATOR,
	OPT_GROUP,
	OPT_FOLLOW,
	OPT_EXIT_AT_END,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eddy consume TOPIC [FLAGS]\n"
		"\n"
		"Print the records of TOPIC on stdout, one value per line, partition 0\n"
		"first, each partition in offset order, and stop at the end of the log.\n"
		"With --server the partitions are read together, so their records\n"
		"interleave (each partition still in offset order), and the end is the\n"
		"end of each partition when the consumer reaches it.\n"
		"\n"
		"  --partition N         only partition N\n"
		"  --from-beginning      start at the first stored offset (the default)\n"
		"  --offset N            start at offset N in each partition read (an offset\n"
		"                        no longer stored is an error; past the end prints nothing)\n"
		"  --timestamp MS        start at the first record with timestamp >= MS\n"
		"                        (milliseconds since the epoch)\n"
		"  --from-end            start at the end (prints nothing on a data directory;\n"
		"                        with --server --follow, prints what arrives)\n"
		"  --max N               stop after N records in all\n"
		"  --exit-at-end         stop at the end of every partition read (the default,\n"
		"                        as kcat -e)\n"
		"  --follow              with --server: at the end, wait for new records until\n"
		"                        --max records were printed or SIGINT/SIGTERM\n"
		"  --group G             with --server: read as a member of consumer group G\n"
		"                        (subscribe; the group assigns the partitions) and\n"
		"                        commit the offsets of the records printed. A committed\n"
		"                        offset wins over --from-beginning/--from-end, which then\n"
		"                        only say where a partition without one starts;\n"
		"                        not with --partition, --offset or --timestamp.\n"
		"                        Without --group the partitions are assigned directly\n"
		"                        and nothing is committed\n"
		"  --print-key           print the key and the separator before the value\n"
		"                        (a null key prints as nothing)\n"
		"  --print-offset        print PARTITION:OFFSET and the separator first\n"
		"  --print-timestamp     print the record timestamp and the separator first\n"
		"  --separator C         separator of the printed fields (default tab;\n"
		"                        '\\t' is accepted for a tab)\n"
		"\n"
		"A null value (tombstone) prints as an empty line.\n"
		"\n" ED_CLI_TARGET_HELP);
}

struct consumer {
	const struct ed_consume_args *args;
	struct ed_buf buf;
	int64_t printed;
	FILE *out;
};

static void print_record(struct consumer *c, int32_t p, const struct ed_record *rec)
{
	ed_cli_print_record(c->args, c->out, p, rec->offset, rec->timestamp, rec->key, rec->key_len,
			    rec->value, rec->value_len);
	c->printed++;
}

static bool done(const struct consumer *c)
{
	return c->args->max >= 0 && c->printed >= c->args->max;
}

/* Where to start in partition p; false after printing why not. */
static bool start_offset(struct consumer *c, struct ed_partition *part, int32_t p, int64_t *off)
{
	const struct ed_consume_args *a = c->args;
	int64_t first = ed_partition_start_offset(part);
	int64_t end = ed_partition_hwm(part);
	int rc;

	if (a->start != ED_START_TIMESTAMP)
		return ed_cli_start_offset(a, p, first, end, off);
	rc = ed_partition_offset_for_time(part, a->start_value, off);
	if (rc == ED_ENOENT) {
		*off = end;
		return true;
	}
	if (rc != 0) {
		ed_cli_error(CMD, "cannot look up timestamp %lld in %s partition %d: %s",
			     (long long)a->start_value, a->topic, p, ed_err_str(rc));
		return false;
	}
	return true;
}

/* Print partition p from its start position up to its high-water mark. */
static int consume_partition(struct consumer *c, struct ed_partition *part, int32_t p)
{
	struct ed_record_iter it;
	struct ed_batch_info bi;
	struct ed_record rec;
	char err[256];
	int64_t off;
	int rc;

	if (!start_offset(c, part, p, &off))
		return -1;
	while (!done(c) && off < ed_partition_hwm(part)) {
		int64_t before = off;
		size_t pos = 0;

		ed_buf_reset(&c->buf);
		rc = ed_partition_read(part, off, READ_MAX_BYTES, &c->buf);
		if (rc != 0) {
			ed_cli_error(CMD, "read of %s partition %d at offset %lld failed: %s",
				     c->args->topic, p, (long long)off, ed_err_str(rc));
			return -1;
		}
		if (c->buf.len == 0)
			break;
		while (pos < c->buf.len && !done(c)) {
			const uint8_t *b = c->buf.data + pos;
			size_t left = c->buf.len - pos;

			err[0] = '\0';
			rc = ed_batch_validate(b, left, 0, &bi, err, sizeof(err));
			if (rc != 0) {
				ed_cli_error(CMD, "bad batch in %s partition %d near offset %lld: %s",
					     c->args->topic, p, (long long)off,
					     *err ? err : ed_err_str(rc));
				return -1;
			}
			pos += (size_t)bi.size;
			if (ed_batch_last_offset(&bi) < off)
				continue;
			if (bi.attributes & ED_BATCH_ATTR_CONTROL) {
				off = ed_batch_last_offset(&bi) + 1;
				continue;
			}
			rc = ed_record_iter_init(&it, b, (size_t)bi.size, 0);
			if (rc != 0) {
				ed_cli_error(CMD,
					     "cannot read the records of %s partition %d at "
					     "offset %lld: %s",
					     c->args->topic, p, (long long)bi.base_offset,
					     ed_err_str(rc));
				return -1;
			}
			while (!done(c) && (rc = ed_record_iter_next(&it, &rec)) > 0) {
				if (rec.offset < off)
					continue;
				print_record(c, p, &rec);
				off = rec.offset + 1;
			}
			ed_record_iter_fini(&it);
			if (rc < 0) {
				ed_cli_error(CMD,
					     "malformed record in %s partition %d batch at "
					     "offset %lld: %s",
					     c->args->topic, p, (long long)bi.base_offset,
					     ed_err_str(rc));
				return -1;
			}
			if (!done(c) && off <= ed_batch_last_offset(&bi))
				off = ed_batch_last_offset(&bi) + 1;
		}
		if (off == before && !done(c)) {
			ed_cli_error(CMD,
				     "%s partition %d: no records at offset %lld below the "
				     "end of the log (%lld)",
				     c->args->topic, p, (long long)off,
				     (long long)ed_partition_hwm(part));
			return -1;
		}
		if (ferror(c->out)) {
			ed_cli_error(CMD, "cannot write the output");
			return -1;
		}
	}
	return 0;
}

static int run(struct ed_consume_args *a)
{
	static char outbuf[1 << 20];
	struct consumer c;
	struct ed_topic *topic;
	int32_t n, first, last;
	int status = ED_EXIT_OK;

	memset(&c, 0, sizeof(c));
	c.args = a;
	c.out = stdout;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	ed_buf_init(&c.buf);
	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	topic = ed_log_topic_get(a->target.log, a->topic);
	if (!topic) {
		ed_cli_error(CMD, "topic '%s' does not exist", a->topic);
		return ED_EXIT_FAIL;
	}
	n = ed_topic_partition_count(topic);
	first = 0;
	last = n - 1;
	if (a->partition >= 0) {
		if (a->partition >= n) {
			ed_cli_error(CMD,
				     "--partition %lld is out of range: topic %s has %d partition%s",
				     (long long)a->partition, a->topic, n, n == 1 ? "" : "s");
			status = ED_EXIT_FAIL;
			goto out;
		}
		first = last = (int32_t)a->partition;
	}
	for (int32_t p = first; p <= last && !done(&c); p++) {
		struct ed_partition *part = ed_topic_partition(topic, p);

		if (!part || consume_partition(&c, part, p) != 0) {
			status = ED_EXIT_FAIL;
			break;
		}
	}
out:
	if (fflush(stdout) != 0 && status == ED_EXIT_OK) {
		ed_cli_error(CMD, "cannot write the output");
		status = ED_EXIT_FAIL;
	}
	ed_buf_fini(&c.buf);
	ed_topic_unref(topic);
	return status;
}

int ed_cmd_consume(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"partition", required_argument, NULL, OPT_PARTITION},
		{"from-beginning", no_argument, NULL, OPT_FROM_BEGINNING},
		{"from-end", no_argument, NULL, OPT_FROM_END},
		{"offset", required_argument, NULL, OPT_OFFSET},
		{"timestamp", required_argument, NULL, OPT_TIMESTAMP},
		{"max", required_argument, NULL, OPT_MAX},
		{"print-key", no_argument, NULL, OPT_PRINT_KEY},
		{"print-offset", no_argument, NULL, OPT_PRINT_OFFSET},
		{"print-timestamp", no_argument, NULL, OPT_PRINT_TIMESTAMP},
		{"separator", required_argument, NULL, OPT_SEPARATOR},
		{"group", required_argument, NULL, OPT_GROUP},
		{"follow", no_argument, NULL, OPT_FOLLOW},
		{"exit-at-end", no_argument, NULL, OPT_EXIT_AT_END},
		ED_CLI_TARGET_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct ed_consume_args a;
	int starts = 0;
	int opt, rc, status;

	memset(&a, 0, sizeof(a));
	ed_cli_target_init(&a.target);
	a.partition = -1;
	a.start = ED_START_BEGINNING;
	a.max = -1;
	a.separator = '\t';
	argv[0] = (char *)"eddy consume";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return ED_EXIT_OK;
		case OPT_PARTITION:
			if (!ed_cli_parse_i64(optarg, 0, INT32_MAX, &a.partition))
				return ed_cli_usage_error(
					CMD, "--partition wants a partition number >= 0, got '%s'",
					optarg);
			break;
		case OPT_FROM_BEGINNING:
			a.start = ED_START_BEGINNING;
			starts++;
			break;
		case OPT_FROM_END:
			a.start = ED_START_END;
			starts++;
			break;
		case OPT_OFFSET:
			if (!ed_cli_parse_i64(optarg, 0, INT64_MAX, &a.start_value))
				return ed_cli_usage_error(CMD,
							  "--offset wants an offset >= 0, got '%s'",
							  optarg);
			a.start = ED_START_OFFSET;
			starts++;
			break;
		case OPT_TIMESTAMP:
			if (!ed_cli_parse_i64(optarg, 0, INT64_MAX, &a.start_value))
				return ed_cli_usage_error(
					CMD,
					"--timestamp wants milliseconds since the epoch, got '%s'",
					optarg);
			a.start = ED_START_TIMESTAMP;
			starts++;
			break;
		case OPT_MAX:
			if (!ed_cli_parse_i64(optarg, 0, INT64_MAX, &a.max))
				return ed_cli_usage_error(CMD, "--max wants a count >= 0, got '%s'",
							  optarg);
			break;
		case OPT_PRINT_KEY:
			a.print_key = true;
			break;
		case OPT_PRINT_OFFSET:
			a.print_offset = true;
			break;
		case OPT_PRINT_TIMESTAMP:
			a.print_timestamp = true;
			break;
		case OPT_SEPARATOR:
			if (strcmp(optarg, "\\t") == 0)
				a.separator = '\t';
			else if (strlen(optarg) == 1)
				a.separator = (unsigned char)optarg[0];
			else
				return ed_cli_usage_error(CMD,
							  "--separator wants one character, got '%s'",
							  optarg);
			break;
		case OPT_GROUP:
			if (!*optarg)
				return ed_cli_usage_error(CMD, "--group wants a group name");
			a.group = optarg;
			break;
		case OPT_FOLLOW:
			a.follow = true;
			break;
		case OPT_EXIT_AT_END:
			a.follow = false;
			break;
		case '?':
			return ed_cli_bad_flag(CMD);
		default:
			rc = ed_cli_target_opt(&a.target, CMD, opt, optarg);
			if (rc <= 0)
				return ED_EXIT_USAGE;
			break;
		}
	}
	if (starts > 1)
		return ed_cli_usage_error(
			CMD, "choose one of --from-beginning, --offset, --timestamp, --from-end");
	if (optind >= argc)
		return ed_cli_usage_error(CMD, "which topic? usage: eddy consume TOPIC");
	a.topic = argv[optind++];
	if (optind < argc)
		return ed_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (ed_cli_target_remote(&a.target)) {
		if (a.group && (a.partition >= 0 || a.start == ED_START_OFFSET ||
				a.start == ED_START_TIMESTAMP))
			return ed_cli_usage_error(
				CMD, "--group does not go with --partition, --offset or --timestamp");
		return ed_cli_remote_consume(&a);
	}
	if (a.group || a.follow)
		return ed_cli_usage_error(CMD, "--group and --follow need --server");
	status = run(&a);
	ed_cli_target_close(&a.target);
	return status;
}
