/* The `eddy` command line: pieces shared by the subcommands (topic, produce,
 * consume; server is dispatched to src/server). Every subcommand parses its
 * own flags with getopt_long and includes ED_CLI_TARGET_OPTIONS, the flags
 * that say where the data lives: a data directory (--data-dir, opened with
 * ed_cli_target_open) or a running server (--server HOST:PORT, spoken to
 * over the Kafka protocol through librdkafka by remote_*.c). A command asks
 * ed_cli_target_remote which one it is.
 *
 * Exit statuses: 0 success, 1 the operation failed, 2 bad usage. */
#ifndef ED_CLI_H
#define ED_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ed_log;

#define ED_CLI_VERSION "0.1.0"

enum {
	ED_EXIT_OK = 0,
	ED_EXIT_FAIL = 1,
	ED_EXIT_USAGE = 2,
};

/* getopt_long codes of the shared flags (above any single-character code). */
enum {
	ED_OPT_DATA_DIR = 1000,
	ED_OPT_SERVER,
	ED_OPT_LOG_LEVEL,
	ED_OPT_TIMEOUT,
	ED_OPT_FIRST_COMMAND_OPT = 1100, /* commands number their own flags from here */
};

/* clang-format off */
#define ED_CLI_TARGET_OPTIONS                                                  \
	{ "data-dir", required_argument, NULL, ED_OPT_DATA_DIR },              \
	{ "server", required_argument, NULL, ED_OPT_SERVER },                 \
	{ "log-level", required_argument, NULL, ED_OPT_LOG_LEVEL },           \
	{ "timeout-ms", required_argument, NULL, ED_OPT_TIMEOUT },            \
	{ "help", no_argument, NULL, 'h' }
/* clang-format on */

/* Help text of the shared flags, to append to each command's usage. */
#define ED_CLI_TARGET_HELP                                                               \
	"  --data-dir DIR      data directory (default: $EDDY_DATA_DIR, else ./data)\n"  \
	"  --server HOST:PORT  talk to a running eddy server (or any Kafka broker)\n"    \
	"                      over the Kafka protocol instead (default: $EDDY_SERVER\n" \
	"                      when set and --data-dir is not given)\n"                  \
	"  --timeout-ms MS     with --server: how long to wait for the server to\n"      \
	"                      answer or acknowledge before failing (default 30000)\n"   \
	"  --log-level LEVEL   debug|info|warn|error|silent (default: warn)\n"           \
	"  -h, --help          show this help\n"

/* Where a command operates. Exactly one of data_dir / server is used:
 * --server wins, then --data-dir, then $EDDY_SERVER, then the data dir. */
struct ed_cli_target {
	const char *data_dir; /* from --data-dir, $EDDY_DATA_DIR or "./data" */
	const char *server;   /* --server HOST:PORT or $EDDY_SERVER, NULL when local */
	bool data_dir_given;  /* --data-dir was on the command line */
	bool server_given;    /* --server was on the command line */
	int64_t timeout_ms;   /* --timeout-ms, for --server */
	struct ed_log *log;   /* open local log after ed_cli_target_open */
};

/* Defaults from the environment. */
void ed_cli_target_init(struct ed_cli_target *t);
/* Handle one shared flag: 1 if opt was one (and was valid), 0 if it is not a
 * shared flag, -1 after printing an error for a bad value. */
int ed_cli_target_opt(struct ed_cli_target *t, const char *cmd, int opt, const char *arg);
/* After the flags: true when the command talks to a server (t->server is
 * then its address). */
bool ed_cli_target_remote(const struct ed_cli_target *t);
/* Open the data directory. Prints the reason and returns non-zero on
 * failure (a locked or damaged data directory). Local mode only. */
int ed_cli_target_open(struct ed_cli_target *t, const char *cmd);
void ed_cli_target_close(struct ed_cli_target *t);

/* "eddy CMD: message" on stderr. */
void ed_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: the message plus a hint to run --help; returns ED_EXIT_USAGE. */
int ed_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After getopt_long printed why it rejected a flag: the hint; ED_EXIT_USAGE. */
int ed_cli_bad_flag(const char *cmd);
/* Strict decimal integer in [min, max]; false on anything else. */
bool ed_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* A byte count with an optional k/m/g suffix (powers of 1024). */
bool ed_cli_parse_size(const char *s, int64_t min, int64_t max, int64_t *out);

int ed_cmd_topic(int argc, char **argv);
int ed_cmd_produce(int argc, char **argv);
int ed_cmd_consume(int argc, char **argv);

#endif
