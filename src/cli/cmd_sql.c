/* `eddy sql`: a SQL client for eddy's PostgreSQL protocol port (any
 * PostgreSQL server works too). Interactive with line editing and history
 * (libedit), or -e STATEMENT / -f FILE; results print as aligned tables like
 * psql's, errors with their SQLSTATE and a caret under the position.
 * SUBSCRIBE prints changes as they arrive until Ctrl-C (a CancelRequest).
 * The protocol is src/pgwire/client.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "cli/cli.h"
#include "pgwire/client.h"
#include "pgwire/pgwire.h"

/* Declared here (and in main.c's table) until cli.h lists it. */
int ed_cmd_sql(int argc, char **argv);

#define MAX_FILE (16u * 1024 * 1024)

enum {
	OPT_HOST = ED_OPT_FIRST_COMMAND_OPT,
	OPT_PORT,
	OPT_USER,
	OPT_DATABASE,
	OPT_PASSWORD,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eddy sql [--host HOST] [--port PORT] [--user U] [--database D]\n"
		"                [-e STATEMENT]... [-f FILE]\n"
		"\n"
		"Run SQL against eddy's PostgreSQL-protocol port. Without -e or -f, reads\n"
		"statements interactively (line editing, history in ~/.eddy_sql_history;\n"
		"a statement ends with ';'; \\q quits) or from standard input.\n"
		"\n"
		"  --host HOST         server address (default 127.0.0.1, or $EDDY_SQL_HOST)\n"
		"  --port PORT         SQL port (default %d, or $EDDY_SQL_PORT)\n"
		"  --user U            user name (default eddy)\n"
		"  --database D        database name (default: the user)\n"
		"  --password PW       password for SCRAM-SHA-256 (default $PGPASSWORD)\n"
		"  -e, --command SQL   run SQL and exit; repeatable, stops at the first error\n"
		"  -f, --file FILE     run the statements of FILE and exit\n"
		"  -h, --help          show this help\n"
		"\n"
		"SUBSCRIBE view prints each change as it happens until Ctrl-C.\n"
		"Exit status: 0 success, 1 a statement or the connection failed, 2 bad usage.\n",
		ED_PGWIRE_DEFAULT_PORT);
}

/* ---- result printing --------------------------------------------------------------------------- */

struct table {
	uint32_t ncols;
	char **names;
	uint32_t *oids;
	char **cells; /* nrows * ncols, NULL for SQL NULL */
	size_t nrows, cap;
	bool streaming; /* SUBSCRIBE: print rows as they come */
	bool failed;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static bool take_interrupt(void *arg)
{
	(void)arg;
	if (!interrupted)
		return false;
	interrupted = 0;
	return true;
}

static void table_clear(struct table *t)
{
	for (uint32_t i = 0; t->names && i < t->ncols; i++)
		ed_free(t->names[i]);
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		ed_free(t->cells[i]);
	ed_free(t->names);
	ed_free(t->oids);
	ed_free(t->cells);
	bool streaming = t->streaming;
	memset(t, 0, sizeof(*t));
	t->streaming = streaming;
}

/* Display width of UTF-8 text (code points). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static bool numeric_oid(uint32_t oid)
{
	return oid == 20 || oid == 21 || oid == 23 || oid == 700 || oid == 701 || oid == 1700;
}

static void on_columns(void *arg, uint32_t n, const char *const *names, const uint32_t *oids)
{
	struct table *t = arg;
	table_clear(t);
	t->ncols = n;
	t->names = ed_calloc(n + 1, sizeof(char *));
	t->oids = ed_calloc(n + 1, sizeof(uint32_t));
	if (!t->names || !t->oids) {
		t->failed = true;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		t->names[i] = ed_strdup(names[i]);
		t->oids[i] = oids[i];
	}
	if (t->streaming) {
		for (uint32_t i = 0; i < n; i++)
			printf("%s%s", i ? " | " : "", names[i]);
		printf("\n");
		fflush(stdout);
	}
}

static void on_row(void *arg, uint32_t n, const char *const *cells)
{
	struct table *t = arg;
	if (t->streaming) {
		for (uint32_t i = 0; i < n; i++)
			printf("%s%s", i ? " | " : "", cells[i] ? cells[i] : "");
		printf("\n");
		fflush(stdout);
		return;
	}
	if (n != t->ncols || t->failed)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **nc = ed_realloc(t->cells, cap * (t->ncols ? t->ncols : 1) * sizeof(char *));
		if (!nc) {
			t->failed = true;
			return;
		}
		t->cells = nc;
		t->cap = cap;
	}
	for (uint32_t i = 0; i < n; i++)
		t->cells[t->nrows * n + i] = cells[i] ? ed_strdup(cells[i]) : NULL;
	t->nrows++;
}

static void pad(size_t n)
{
	for (size_t i = 0; i < n; i++)
		putchar(' ');
}

static void print_table(const struct table *t)
{
	size_t *w = ed_calloc(t->ncols + 1, sizeof(size_t));
	if (!w)
		return;
	for (uint32_t j = 0; j < t->ncols; j++) {
		w[j] = width(t->names[j] ? t->names[j] : "");
		for (size_t i = 0; i < t->nrows; i++) {
			const char *c = t->cells[i * t->ncols + j];
			size_t cw = c ? width(c) : 0;
			if (cw > w[j])
				w[j] = cw;
		}
	}
	for (uint32_t j = 0; j < t->ncols; j++) {
		const char *name = t->names[j] ? t->names[j] : "";
		size_t left = (w[j] - width(name)) / 2;
		printf("%s ", j ? "|" : "");
		pad(left);
		printf("%s", name);
		pad(w[j] - width(name) - left);
		printf(" ");
	}
	printf("\n");
	for (uint32_t j = 0; j < t->ncols; j++) {
		printf("%s", j ? "+" : "");
		for (size_t k = 0; k < w[j] + 2; k++)
			putchar('-');
	}
	printf("\n");
	for (size_t i = 0; i < t->nrows; i++) {
		for (uint32_t j = 0; j < t->ncols; j++) {
			const char *c = t->cells[i * t->ncols + j];
			c = c ? c : "";
			size_t cw = width(c);
			printf("%s ", j ? "|" : "");
			if (numeric_oid(t->oids[j])) {
				pad(w[j] - cw);
				printf("%s", c);
			} else {
				printf("%s", c);
				if (j + 1 < t->ncols)
					pad(w[j] - cw);
			}
			if (j + 1 < t->ncols)
				printf(" ");
		}
		printf("\n");
	}
	printf("(%zu row%s)\n\n", t->nrows, t->nrows == 1 ? "" : "s");
	ed_free(w);
}

static void on_complete(void *arg, const char *tag)
{
	struct table *t = arg;
	if (t->ncols && !t->streaming)
		print_table(t);
	else if (!t->ncols)
		printf("%s\n", tag);
	table_clear(t);
	fflush(stdout);
}

static void print_error(const char *sql, const struct ed_pg_error *e)
{
	fprintf(stderr, "%s:  %s%s%s\n", e->severity[0] ? e->severity : "ERROR", e->sqlstate,
		e->sqlstate[0] ? ": " : "", e->msg);
	if (e->detail[0])
		fprintf(stderr, "DETAIL:  %s\n", e->detail);
	if (e->hint[0])
		fprintf(stderr, "HINT:  %s\n", e->hint);
	if (!e->pos || !sql)
		return;
	/* LINE n: the line holding the position, and a caret under it. */
	uint32_t ch = 0, line = 1;
	const char *ls = sql, *p = sql;
	for (; *p && ch + 1 < e->pos; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80)
			ch++;
		if (*p == '\n') {
			line++;
			ls = p + 1;
		}
	}
	const char *le = strchr(ls, '\n');
	int len = le ? (int)(le - ls) : (int)strlen(ls);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "LINE %u: ", line);
	fprintf(stderr, "%s%.*s\n", prefix, len, ls);
	size_t col = strlen(prefix);
	for (const char *q = ls; q < p; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	for (size_t i = 0; i < col; i++)
		fputc(' ', stderr);
	fprintf(stderr, "^\n");
}

static void on_notice(void *arg, const struct ed_pg_error *n)
{
	(void)arg;
	fprintf(stderr, "%s:  %s\n", n->severity, n->msg);
}

static bool starts_with_word(const char *s, const char *word)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(word);
	return strncasecmp(s, word, n) == 0 &&
	       (s[n] == 0 || s[n] == ' ' || s[n] == '\t' || s[n] == '\n');
}

/* Run one query string. 0, ED_EINVAL (SQL error, printed) or ED_EIO. */
static int run(struct ed_pg_client *c, const char *sql)
{
	struct table t;
	memset(&t, 0, sizeof(t));
	t.streaming = starts_with_word(sql, "subscribe");
	struct ed_pg_handler h = {on_columns, on_row, on_complete, on_notice, take_interrupt, &t};
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint; /* no SA_RESTART: recv returns EINTR */
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old);
	struct ed_pg_error err;
	int rc = ed_pg_client_query(c, sql, &h, &err);
	sigaction(SIGINT, &old, NULL);
	if (rc)
		print_error(rc == ED_EINVAL ? sql : NULL, &err);
	table_clear(&t);
	return rc;
}

/* ---- input ------------------------------------------------------------------------------------- */

/* True if buf holds a complete statement: its last non-space character is a
 * ';' outside quotes and comments. */
static bool complete_statement(const char *s)
{
	char q = 0;
	bool done = false;
	for (const char *p = s; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			q = *p;
			done = false;
		} else if (p[0] == '-' && p[1] == '-') {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (*p == ';') {
			done = true;
		} else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			done = false;
		}
	}
	return done && !q;
}

static int repl(struct ed_pg_client *c, bool tty)
{
	char hist[4200] = "";
	const char *home = getenv("HOME");
	if (tty && home) {
		snprintf(hist, sizeof(hist), "%s/.eddy_sql_history", home);
		using_history();
		read_history(hist);
		const char *v = ed_pg_client_param(c, "server_version");
		printf("eddy sql %s (server %s). Statements end with ';'; \\q quits.\n",
		       ED_CLI_VERSION, v ? v : "?");
	}
	struct ed_buf stmt;
	ed_buf_init(&stmt);
	int status = 0;
	for (;;) {
		char *line = NULL;
		if (tty) {
			line = readline(stmt.len ? "eddy-> " : "eddy=> ");
		} else {
			size_t cap = 0;
			if (getline(&line, &cap, stdin) < 0) {
				free(line);
				line = NULL;
			} else {
				line[strcspn(line, "\n")] = 0;
			}
		}
		if (!line)
			break;
		if (stmt.len == 0 && (strcmp(line, "\\q") == 0 || strcmp(line, "quit") == 0 ||
				      strcmp(line, "exit") == 0)) {
			free(line);
			break;
		}
		if (stmt.len)
			ed_buf_put_u8(&stmt, '\n');
		ed_buf_append(&stmt, line, strlen(line));
		free(line);
		ed_buf_put_u8(&stmt, 0);
		stmt.len--;
		if (stmt.err)
			break;
		if (!complete_statement((const char *)stmt.data))
			continue;
		if (tty)
			add_history((const char *)stmt.data);
		int rc = run(c, (const char *)stmt.data);
		ed_buf_reset(&stmt);
		if (rc == ED_EIO || rc == ED_EPROTO) {
			status = 1;
			break;
		}
		if (rc)
			status = 1;
	}
	if (stmt.len && status == 0) { /* a last statement without ';' */
		ed_buf_put_u8(&stmt, 0);
		if (!stmt.err && run(c, (const char *)stmt.data))
			status = 1;
	}
	if (tty && hist[0])
		write_history(hist);
	ed_buf_fini(&stmt);
	return tty ? 0 : status;
}

int ed_cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", required_argument, NULL, OPT_HOST},
		{"port", required_argument, NULL, OPT_PORT},
		{"user", required_argument, NULL, OPT_USER},
		{"database", required_argument, NULL, OPT_DATABASE},
		{"password", required_argument, NULL, OPT_PASSWORD},
		{"command", required_argument, NULL, 'e'},
		{"file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ed_pg_client_config cfg = {0};
	const char *cmds[64];
	int ncmds = 0;
	const char *file = NULL;
	cfg.host = getenv("EDDY_SQL_HOST") ? getenv("EDDY_SQL_HOST") : "127.0.0.1";
	cfg.port = getenv("EDDY_SQL_PORT") ? atoi(getenv("EDDY_SQL_PORT")) : ED_PGWIRE_DEFAULT_PORT;
	cfg.password = getenv("PGPASSWORD");
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "e:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_HOST:
			cfg.host = optarg;
			break;
		case OPT_PORT:
			cfg.port = atoi(optarg);
			if (cfg.port <= 0 || cfg.port > 65535) {
				fprintf(stderr, "eddy sql: bad --port %s\n", optarg);
				return ED_EXIT_USAGE;
			}
			break;
		case OPT_USER:
			cfg.user = optarg;
			break;
		case OPT_DATABASE:
			cfg.database = optarg;
			break;
		case OPT_PASSWORD:
			cfg.password = optarg;
			break;
		case 'e':
			if (ncmds == (int)(sizeof(cmds) / sizeof(cmds[0]))) {
				fprintf(stderr, "eddy sql: too many -e\n");
				return ED_EXIT_USAGE;
			}
			cmds[ncmds++] = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return ED_EXIT_OK;
		default:
			usage(stderr);
			return ED_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "eddy sql: unexpected argument %s\n", argv[optind]);
		return ED_EXIT_USAGE;
	}
	char err[512];
	struct ed_pg_client *c = NULL;
	int rc = ed_pg_client_connect(&cfg, &c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eddy sql: %s\n", err);
		return ED_EXIT_FAIL;
	}
	int status = ED_EXIT_OK;
	for (int i = 0; i < ncmds && status == ED_EXIT_OK; i++)
		if (run(c, cmds[i]))
			status = ED_EXIT_FAIL;
	if (file && status == ED_EXIT_OK) {
		char *text = NULL;
		size_t len = 0;
		rc = ed_io_read_file(file, MAX_FILE, &text, &len);
		if (rc) {
			fprintf(stderr, "eddy sql: cannot read %s: %s\n", file, ed_err_str(rc));
			status = ED_EXIT_FAIL;
		} else {
			char *z = ed_realloc(text, len + 1);
			if (z) {
				z[len] = 0;
				text = z;
				if (run(c, text))
					status = ED_EXIT_FAIL;
			} else {
				status = ED_EXIT_FAIL;
			}
			ed_free(text);
		}
	}
	if (ncmds == 0 && !file)
		status = repl(c, isatty(STDIN_FILENO)) ? ED_EXIT_FAIL : ED_EXIT_OK;
	ed_pg_client_free(c);
	return status;
}
