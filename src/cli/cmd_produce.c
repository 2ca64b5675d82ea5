/* `eddy produce TOPIC`: appends the lines of stdin to a topic, one record per
 * line, through the log's writer (log/writer.h): lines are batched per
 * partition in reused ed_batch_builders (no allocation per record) and each
 * finished batch is appended. With --acks all, records count as acknowledged only
 * once ed_partition_sync returned for every partition written. Open batches
 * are appended (and with acks=all synced) when full, when the oldest
 * unacknowledged line has waited --linger-ms and stdin has nothing more
 * right now or never pauses, every ACK_SYNC_BYTES of appends, and at the
 * end.
 *
 * Record partitioning is the writer's: Kafka's default partitioner for keyed
 * records, (murmur2(key) & 0x7fffffff) % partitions, and round robin for
 * null keys (as --server mode does, see remote_produce.c). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "cli/cli_int.h"
#include "log/batch.h"
#include "log/codec.h"
#include "log/log.h"
#include "log/writer.h"

static const char *const CMD = "produce";

/* Appended but not yet fsynced bytes after which acks=all syncs anyway. */
#define ACK_SYNC_BYTES (32 * 1024 * 1024)
/* Bytes held in all open batches after which every batch is flushed. */
#define PENDING_MAX_BYTES (64 * 1024 * 1024)

enum {
	OPT_KEY_SEP = ED_OPT_FIRST_COMMAND_OPT,
	OPT_PARTITION,
	OPT_BATCH_RECORDS,
	OPT_COMPRESSION,
	OPT_ACKS,
	OPT_REPORT_ACKS,
	OPT_QUIET,
	OPT_LINGER,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eddy produce TOPIC [FLAGS] < lines\n"
		"\n"
		"Append each line of stdin to TOPIC as one record (the newline is not\n"
		"stored). A line may be as long as the topic's max.message.bytes minus\n"
		"the batch and record overhead; a longer one stops the command with an\n"
		"error after the lines before it were produced.\n"
		"\n"
		"  --key-separator C     the text before the first C of a line is the record key,\n"
		"                        the rest its value; a line without C has a null key.\n"
		"                        C is one character ('\\t' is accepted for a tab)\n"
		"  --partition N         write every record to partition N; otherwise keyed\n"
		"                        records go to (murmur2(key) & 0x7fffffff) %% partitions\n"
		"                        (Kafka's default) and null keys round robin\n"
		"  --batch-records N     records per batch, at most (default 1000); a batch is\n"
		"                        also closed before it would pass max.message.bytes\n"
		"  --compression CODEC   none|gzip|snappy|lz4|zstd (default none)\n"
		"  --acks 0|1|all        all (default): records are acknowledged once fsynced\n"
		"                        (grouped fdatasync); 1 and 0: once appended and visible\n"
		"                        to readers, left to the OS page cache.\n"
		"                        With --server: the Kafka acks setting; all also turns\n"
		"                        on the idempotent producer\n"
		"  --linger-ms MS        how long a line may wait for more lines to share its\n"
		"                        batch and fsync before it is acknowledged (default 5)\n"
		"  --report-acks         print 'acked N' on stdout each time the first N lines\n"
		"                        are acknowledged (durable with --acks all); with\n"
		"                        --server, N counts delivered records, which may finish\n"
		"                        out of line order across partitions\n"
		"  -q, --quiet           no summary on stderr\n"
		"\n"
		"A summary (records, batches, bytes, rate) goes to stderr at the end.\n"
		"With --server, every delivery report is checked: the exit status is 1 if\n"
		"any record failed, or was not acknowledged within --timeout-ms; the CLI\n"
		"never auto-creates the topic; lines may be up to 1000000 bytes.\n"
		"\n" ED_CLI_TARGET_HELP);
}

/* Per partition: what the writer's open batch and appends mean for acks. */
struct pstate {
	bool unsynced;  /* appended since the last sync */
	size_t pending; /* record bytes in the open batch */
};

struct producer {
	const struct ed_produce_args *args;
	struct ed_topic *topic;
	int32_t nparts;
	struct pstate *parts;
	struct ed_log_writer w;
	size_t max_batch;     /* max.message.bytes of the topic */
	size_t pending_bytes; /* record bytes in open batches (headers not counted) */
	size_t unsynced_bytes;
	int64_t lines;            /* read and added to a batch */
	int64_t appended;         /* lines whose batch was appended */
	int64_t acked;            /* lines acknowledged */
	int64_t reported;         /* last count printed by --report-acks */
	int64_t first_unacked_ms; /* when the oldest unacknowledged line was read */
	int64_t batches;
	int64_t bytes;  /* batch bytes appended */
	bool failed;    /* storage or memory error: nothing more is appended */
	bool bad_input; /* stopped at a bad line: what came before is produced */
};

static int zz_len(int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	int n = 1;

	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

/* Exact bytes of a batch holding only this record (deltas 0, no headers). */
static size_t single_batch_size(int32_t klen, int32_t vlen)
{
	int64_t body = 1 + 1 + 1 + zz_len(klen) + (klen > 0 ? klen : 0) + zz_len(vlen) + vlen + 1;

	return ED_BATCH_HEADER_SIZE + (size_t)zz_len(body) + (size_t)body;
}

static void report(struct producer *pr)
{
	if (pr->args->report_acks && pr->acked != pr->reported) {
		printf("acked %lld\n", (long long)pr->acked);
		fflush(stdout);
		pr->reported = pr->acked;
	}
}

/* The writer appended a batch of count records to partition p. */
static void on_append(void *arg, int32_t p, const struct ed_append_result *res, int32_t count)
{
	struct producer *pr = arg;
	struct pstate *ps = &pr->parts[p];
	size_t len = pr->w.parts[p].last_len;
	(void)res;
	pr->pending_bytes -= ps->pending;
	ps->pending = 0;
	ps->unsynced = true;
	pr->unsynced_bytes += len;
	pr->appended += count;
	pr->batches++;
	pr->bytes += (int64_t)len;
}

/* Report a failed append of partition p's batch (rc from the writer). */
static int append_failed(struct producer *pr, int32_t p, int rc, const char *err)
{
	if (rc == ED_ETOOBIG)
		ed_cli_error(CMD,
			     "a %s batch for partition %d is over max.message.bytes (%zu); use "
			     "fewer --batch-records or another --compression",
			     ed_codec_name(pr->args->codec), p, pr->max_batch);
	else
		ed_cli_error(CMD, "append to %s partition %d failed: %s", pr->args->topic, p,
			     *err ? err : ed_err_str(rc));
	pr->pending_bytes -= pr->parts[p].pending;
	pr->parts[p].pending = 0;
	pr->failed = true;
	return -1;
}

/* Close partition p's batch and append it. */
static int flush_partition(struct producer *pr, int32_t p)
{
	char err[512] = "";
	int rc = ed_log_writer_flush_part(&pr->w, p, err, sizeof(err));
	return rc ? append_failed(pr, p, rc, err) : 0;
}

/* Append every open batch, then acknowledge: fsync first with acks=all. */
static int flush_all(struct producer *pr)
{
	int rc;

	for (int32_t p = 0; p < pr->nparts; p++) {
		if (flush_partition(pr, p) != 0)
			return -1;
	}
	if (pr->args->acks == ED_ACKS_ALL) {
		for (int32_t p = 0; p < pr->nparts; p++) {
			struct pstate *ps = &pr->parts[p];

			if (!ps->unsynced)
				continue;
			rc = ed_partition_sync(ed_topic_partition(pr->topic, p), pr->w.parts[p].next);
			if (rc != 0) {
				ed_cli_error(CMD,
					     "fsync of %s partition %d failed (%s): records since the "
					     "last acknowledgement may be lost; the partition is now "
					     "read-only",
					     pr->args->topic, p, ed_err_str(rc));
				pr->failed = true;
				return -1;
			}
			ps->unsynced = false;
		}
		pr->unsynced_bytes = 0;
	}
	pr->acked = pr->appended;
	report(pr);
	return 0;
}

static int32_t choose_partition(struct producer *pr, const char *key, int32_t klen)
{
	if (pr->args->partition >= 0)
		return (int32_t)pr->args->partition;
	return ed_log_writer_place(&pr->w, key, klen);
}

static int add_line(struct producer *pr, const char *line, size_t len)
{
	const char *key, *value;
	int32_t klen, vlen;
	struct pstate *ps;
	int32_t p;
	char err[512] = "";
	int rc;

	ed_cli_split_key(pr->args->key_sep, line, len, &key, &klen, &value, &vlen);
	if (single_batch_size(klen, vlen) > pr->max_batch) {
		ed_cli_error(CMD,
			     "line %lld is too long: as a record it needs a %zu-byte batch, over "
			     "max.message.bytes (%zu) of topic %s",
			     (long long)pr->lines + 1, single_batch_size(klen, vlen), pr->max_batch,
			     pr->args->topic);
		pr->bad_input = true;
		return -1;
	}
	p = choose_partition(pr, key, klen);
	ps = &pr->parts[p];
	/* The writer appends the open batch first when this record would take
	 * it past --batch-records or max.message.bytes (on_append counts it). */
	rc = ed_log_writer_add(&pr->w, p, ed_wall_ms(), key, klen, value, vlen, NULL, 0, NULL, err,
			       sizeof(err));
	if (rc != 0) {
		if (rc == ED_ENOMEM || rc == ED_EINVAL) {
			ed_cli_error(CMD, "cannot add a record: %s", ed_err_str(rc));
			pr->failed = true;
			return -1;
		}
		return append_failed(pr, p, rc, err);
	}
	size_t now_size = ed_batch_builder_size(&pr->w.parts[p].bb) - ED_BATCH_HEADER_SIZE;
	pr->pending_bytes += now_size - ps->pending;
	ps->pending = now_size;
	if (pr->lines == pr->acked)
		pr->first_unacked_ms = ed_mono_ms();
	pr->lines++;
	if (pr->pending_bytes > PENDING_MAX_BYTES) {
		for (int32_t i = 0; i < pr->nparts; i++) {
			if (flush_partition(pr, i) != 0)
				return -1;
		}
	}
	if (pr->args->acks == ED_ACKS_ALL && pr->unsynced_bytes > ACK_SYNC_BYTES)
		return flush_all(pr);
	return 0;
}

/* Called before each read of stdin (ed_cli_lines.before_read): acknowledge
 * the lines read so far once the oldest has lingered long enough, or as soon
 * as stdin has no data within what is left of its linger time. So a slow
 * writer sees its lines acknowledged within about --linger-ms. */
static int before_read(void *ctx, int fd)
{
	struct producer *pr = ctx;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t wait;

	if (pr->lines == pr->acked)
		return 0;
	wait = pr->first_unacked_ms + pr->args->linger_ms - ed_mono_ms();
	if (wait > 0 && poll(&pfd, 1, (int)wait) > 0)
		return 0;
	return flush_all(pr);
}

static int run(struct ed_produce_args *a)
{
	struct producer pr;
	struct ed_cli_lines lr;
	struct ed_topic_config cfg;
	const char *line;
	size_t len;
	int64_t t0 = ed_mono_ns();
	int status = ED_EXIT_FAIL;
	int rc = -1;

	memset(&pr, 0, sizeof(pr));
	memset(&lr, 0, sizeof(lr));
	pr.args = a;
	if (ed_cli_target_open(&a->target, CMD) != 0)
		return ED_EXIT_FAIL;
	pr.topic = ed_log_topic_get(a->target.log, a->topic);
	if (!pr.topic) {
		ed_cli_error(CMD, "topic '%s' does not exist (create it with 'eddy topic create %s')",
			     a->topic, a->topic);
		return ED_EXIT_FAIL;
	}
	ed_topic_config_get(pr.topic, &cfg);
	pr.nparts = ed_topic_partition_count(pr.topic);
	pr.max_batch = cfg.max_message_bytes > 0 ? (size_t)cfg.max_message_bytes : 1048588;
	if (a->partition >= pr.nparts) {
		ed_cli_error(CMD, "--partition %lld is out of range: topic %s has %d partition%s",
			     (long long)a->partition, a->topic, pr.nparts, pr.nparts == 1 ? "" : "s");
		goto out;
	}
	pr.parts = ed_calloc((size_t)pr.nparts, sizeof(*pr.parts));
	if (ed_log_writer_init(&pr.w, pr.topic, a->codec, pr.max_batch, 0) == 0) {
		pr.w.max_records = (int32_t)a->batch_records;
		pr.w.cb = on_append;
		pr.w.cb_arg = &pr;
	}
	if (!pr.parts || !pr.w.parts ||
	    ed_cli_lines_init(&lr, STDIN_FILENO, pr.max_batch, "max.message.bytes", a->topic) != 0) {
		ed_cli_error(CMD, "out of memory");
		goto out;
	}
	lr.before_read = before_read;
	lr.ctx = &pr;
	while ((rc = ed_cli_lines_next(&lr, &line, &len)) > 0) {
		if (add_line(&pr, line, len) != 0)
			break;
	}
	/* The lines before a bad one are still produced and acknowledged. */
	if (!pr.failed)
		flush_all(&pr);
	if (rc == 0 && !pr.failed && !pr.bad_input)
		status = ED_EXIT_OK;
out:
	if (!a->quiet && pr.topic)
		ed_cli_produce_summary(a, NULL, pr.appended, pr.batches, pr.bytes, pr.acked, 0,
				       ed_mono_ns() - t0);
	ed_log_writer_fini(&pr.w);
	ed_free(pr.parts);
	ed_cli_lines_fini(&lr);
	ed_topic_unref(pr.topic);
	return status;
}

int ed_cmd_produce(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key-separator", required_argument, NULL, OPT_KEY_SEP},
		{"partition", required_argument, NULL, OPT_PARTITION},
		{"batch-records", required_argument, NULL, OPT_BATCH_RECORDS},
		{"compression", required_argument, NULL, OPT_COMPRESSION},
		{"acks", required_argument, NULL, OPT_ACKS},
		{"report-acks", no_argument, NULL, OPT_REPORT_ACKS},
		{"linger-ms", required_argument, NULL, OPT_LINGER},
		{"quiet", no_argument, NULL, OPT_QUIET},
		ED_CLI_TARGET_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct ed_produce_args a;
	int opt, rc, status;

	memset(&a, 0, sizeof(a));
	ed_cli_target_init(&a.target);
	a.key_sep = -1;
	a.partition = -1;
	a.batch_records = 1000;
	a.codec = ED_CODEC_NONE;
	a.acks = ED_ACKS_ALL;
	a.linger_ms = 5;
	argv[0] = (char *)"eddy produce";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return ED_EXIT_OK;
		case 'q':
		case OPT_QUIET:
			a.quiet = true;
			break;
		case OPT_KEY_SEP:
			if (strcmp(optarg, "\\t") == 0)
				a.key_sep = '\t';
			else if (strlen(optarg) == 1 && optarg[0] != '\n')
				a.key_sep = (unsigned char)optarg[0];
			else
				return ed_cli_usage_error(
					CMD, "--key-separator wants one character, got '%s'", optarg);
			break;
		case OPT_PARTITION:
			if (!ed_cli_parse_i64(optarg, 0, INT32_MAX, &a.partition))
				return ed_cli_usage_error(
					CMD, "--partition wants a partition number >= 0, got '%s'",
					optarg);
			break;
		case OPT_BATCH_RECORDS:
			if (!ed_cli_parse_i64(optarg, 1, 1000000, &a.batch_records))
				return ed_cli_usage_error(
					CMD,
					"--batch-records wants a number from 1 to 1000000, got '%s'",
					optarg);
			break;
		case OPT_COMPRESSION:
			a.codec = ed_codec_parse(optarg);
			if (a.codec < 0)
				return ed_cli_usage_error(
					CMD, "unknown --compression '%s' (none|gzip|snappy|lz4|zstd)",
					optarg);
			break;
		case OPT_ACKS:
			if (strcmp(optarg, "all") == 0 || strcmp(optarg, "-1") == 0)
				a.acks = ED_ACKS_ALL;
			else if (strcmp(optarg, "1") == 0)
				a.acks = ED_ACKS_LEADER;
			else if (strcmp(optarg, "0") == 0)
				a.acks = ED_ACKS_NONE;
			else
				return ed_cli_usage_error(CMD, "--acks wants 0, 1 or all, got '%s'",
							  optarg);
			break;
		case OPT_LINGER:
			if (!ed_cli_parse_i64(optarg, 0, 3600000, &a.linger_ms))
				return ed_cli_usage_error(
					CMD,
					"--linger-ms wants milliseconds from 0 to 3600000, got '%s'",
					optarg);
			break;
		case OPT_REPORT_ACKS:
			a.report_acks = true;
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
	if (optind >= argc)
		return ed_cli_usage_error(CMD, "which topic? usage: eddy produce TOPIC < lines");
	a.topic = argv[optind++];
	if (optind < argc)
		return ed_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (ed_cli_target_remote(&a.target))
		return ed_cli_remote_produce(&a);
	status = run(&a);
	ed_cli_target_close(&a.target);
	return status;
}
