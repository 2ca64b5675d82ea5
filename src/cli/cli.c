/* Shared helpers of the eddy subcommands: the target flags (--data-dir,
 * --server, --log-level), opening the local log with a clear message, error
 * printing and strict number parsing. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/err.h"
#include "cli/cli.h"
#include "log/log.h"

void ed_cli_target_init(struct ed_cli_target *t)
{
	const char *env = getenv("EDDY_DATA_DIR");
	const char *srv = getenv("EDDY_SERVER");
	const char *lvl = getenv("EDDY_LOG_LEVEL");

	t->data_dir = (env && *env) ? env : "./data";
	t->server = (srv && *srv) ? srv : NULL;
	t->data_dir_given = false;
	t->server_given = false;
	t->timeout_ms = 30000;
	t->log = NULL;
	/* Commands print their own results; the log's info chatter (recovery
	 * progress) is for the server unless asked for. */
	if (!lvl || ed_diag_parse_level(lvl) < 0)
		ed_diag_set_level(ED_WARN);
}

int ed_cli_target_opt(struct ed_cli_target *t, const char *cmd, int opt, const char *arg)
{
	int lvl;

	switch (opt) {
	case ED_OPT_DATA_DIR:
		if (!*arg) {
			ed_cli_error(cmd, "--data-dir needs a directory");
			return -1;
		}
		t->data_dir = arg;
		t->data_dir_given = true;
		return 1;
	case ED_OPT_SERVER:
		if (!strchr(arg, ':')) {
			ed_cli_error(cmd, "--server wants HOST:PORT, got '%s'", arg);
			return -1;
		}
		t->server = arg;
		t->server_given = true;
		return 1;
	case ED_OPT_TIMEOUT:
		if (!ed_cli_parse_i64(arg, 1, 3600000, &t->timeout_ms)) {
			ed_cli_error(cmd,
				     "--timeout-ms wants milliseconds from 1 to 3600000, got '%s'",
				     arg);
			return -1;
		}
		return 1;
	case ED_OPT_LOG_LEVEL:
		lvl = ed_diag_parse_level(arg);
		if (lvl < 0) {
			ed_cli_error(cmd, "unknown log level '%s' (debug|info|warn|error|silent)",
				     arg);
			return -1;
		}
		ed_diag_set_level((enum ed_level)lvl);
		return 1;
	default:
		return 0;
	}
}

bool ed_cli_target_remote(const struct ed_cli_target *t)
{
	if (t->server_given)
		return true;
	return t->server && !t->data_dir_given;
}

int ed_cli_target_open(struct ed_cli_target *t, const char *cmd)
{
	char err[512] = "";
	int rc;

	rc = ed_log_open(t->data_dir, NULL, &t->log, err, sizeof(err));
	if (rc != 0) {
		t->log = NULL;
		if (rc == ED_EBUSY)
			ed_cli_error(cmd,
				     "data directory %s is locked by another process (a running "
				     "eddy server or another eddy command)",
				     t->data_dir);
		else
			ed_cli_error(cmd, "cannot open data directory %s: %s", t->data_dir,
				     *err ? err : ed_err_str(rc));
		return -1;
	}
	return 0;
}

void ed_cli_target_close(struct ed_cli_target *t)
{
	ed_log_close(t->log);
	t->log = NULL;
}

void ed_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "eddy %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ed_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "eddy %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun 'eddy %s --help' for its flags\n", cmd);
	return ED_EXIT_USAGE;
}

int ed_cli_bad_flag(const char *cmd)
{
	fprintf(stderr, "run 'eddy %s --help' for its flags\n", cmd);
	return ED_EXIT_USAGE;
}

bool ed_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ed_cli_parse_size(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 'k':
			mult = 1024;
			break;
		case 'm':
			mult = 1024 * 1024;
			break;
		case 'g':
			mult = 1024 * 1024 * 1024;
			break;
		default:
			return false;
		}
		end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return false;
	}
	if (v > max / mult)
		return false;
	v *= mult;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}
