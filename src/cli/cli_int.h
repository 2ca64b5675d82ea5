/* Internals shared by the CLI's two modes: the data-directory code in
 * cmd_*.c and the --server code in remote_*.c. The parsed flags of produce
 * and consume, the stdin line reader, key splitting, partition choice and
 * record printing live here so both modes read and write text the same way.
 * Nothing outside src/cli includes this file. */
#ifndef ED_CLI_INT_H
#define ED_CLI_INT_H

#include "cli/cli.h"

/* ---- produce ---------------------------------------------------------- */

enum { ED_ACKS_NONE = 0, ED_ACKS_LEADER = 1, ED_ACKS_ALL = -1 };

struct ed_produce_args {
	struct ed_cli_target target;
	const char *topic;
	int key_sep;       /* -1: no keys */
	int64_t partition; /* -1: by key / round robin */
	int64_t batch_records;
	int codec; /* ED_CODEC_* */
	int acks;  /* ED_ACKS_* */
	int64_t linger_ms;
	bool report_acks;
	bool quiet;
};

/* Reads a file descriptor in large chunks and hands out lines without
 * copying them. Owned by one thread. */
struct ed_cli_lines {
	int fd;
	char *buf;
	size_t cap, start, end, scan;
	size_t limit;           /* longest line accepted */
	const char *limit_name; /* what the limit is, for the error message */
	const char *topic;      /* for the error message */
	bool eof;
	int64_t lineno; /* lines handed out */
	/* Called before each read(2) of fd; non-zero stops the reader. */
	int (*before_read)(void *ctx, int fd);
	void *ctx;
};

/* fd, limit and the names must be set by the caller after init; the buffer
 * starts at min(1 MiB, limit + 2) and grows up to limit + 2. -1 on ENOMEM. */
int ed_cli_lines_init(struct ed_cli_lines *lr, int fd, size_t limit, const char *limit_name,
		      const char *topic);
void ed_cli_lines_fini(struct ed_cli_lines *lr);
/* Next line (without its newline) into (*line, *len), valid until the next
 * call: 1, 0 at the end of input, -1 after printing an error (a read error,
 * a line over the limit, or before_read failing). */
int ed_cli_lines_next(struct ed_cli_lines *lr, const char **line, size_t *len);

/* Split a line at the first sep (sep < 0: no keys). A line without sep gets
 * a null key: *key = NULL, *klen = -1. */
void ed_cli_split_key(int sep, const char *line, size_t len, const char **key, int32_t *klen,
		      const char **value, int32_t *vlen);

/* The partition of a record when --partition is not given: Kafka's default
 * partitioner for keys (ed_log_key_partition, log/writer.h), round robin
 * through *rr for null keys (klen < 0). */
int32_t ed_cli_key_partition(const char *key, int32_t klen, int32_t nparts, uint32_t *rr);

/* The one-line summary on stderr at the end of a produce. */
void ed_cli_produce_summary(const struct ed_produce_args *a, const char *via, int64_t records,
			    int64_t batches, int64_t bytes, int64_t acked, int64_t failed,
			    int64_t elapsed_ns);

/* `eddy produce --server`: the whole command once flags are parsed. */
int ed_cli_remote_produce(struct ed_produce_args *a);

/* ---- consume ---------------------------------------------------------- */

enum ed_start_kind { ED_START_BEGINNING, ED_START_END, ED_START_OFFSET, ED_START_TIMESTAMP };

struct ed_consume_args {
	struct ed_cli_target target;
	const char *topic;
	int64_t partition; /* -1 = all */
	enum ed_start_kind start;
	int64_t start_value; /* offset or timestamp */
	int64_t max;         /* -1 = no limit */
	bool print_key, print_offset, print_timestamp;
	int separator;
	const char *group; /* --server only: consumer group, NULL = assign */
	bool follow;       /* --server only: wait for new records at the end */
};

/* Print one record as the print flags say. key == NULL (or klen < 0) is a
 * null key, value == NULL a null value; both print as nothing. */
void ed_cli_print_record(const struct ed_consume_args *a, FILE *out, int32_t p, int64_t offset,
			 int64_t timestamp, const void *key, int32_t klen, const void *value,
			 int32_t vlen);

/* Where --from-beginning/--from-end/--offset start in a partition storing
 * [first, end): true with *off set, false after printing why not (an
 * offset no longer stored). Not for ED_START_TIMESTAMP. */
bool ed_cli_start_offset(const struct ed_consume_args *a, int32_t p, int64_t first, int64_t end,
			 int64_t *off);

/* `eddy consume --server`. */
int ed_cli_remote_consume(struct ed_consume_args *a);

/* ---- topic ------------------------------------------------------------ */

struct ed_topic_args {
	struct ed_cli_target target;
	int64_t partitions; /* 0 = not given */
	const char **configs;
	size_t nconfigs;
	bool if_not_exists;
	bool if_exists;
};

/* Split "KEY=VALUE" into key (copied, NUL-terminated) and *value (points
 * into kv); -1 when there is no '=' or an empty or too long key. */
int ed_cli_split_config(const char *kv, char *key, size_t keylen, const char **value);

/* `eddy topic SUB --server`: each returns an ED_EXIT_* status. */
int ed_cli_remote_topic_create(struct ed_topic_args *a, const char *name);
int ed_cli_remote_topic_list(struct ed_topic_args *a);
int ed_cli_remote_topic_describe(struct ed_topic_args *a, const char *name);
int ed_cli_remote_topic_delete(struct ed_topic_args *a, const char *name);

#endif
