/* Golden tests of the streaming engine: every tests/golden/<name>.test file is
 * run in-process against a fresh log in a temporary directory (engine with
 * an injected manual clock), and what the engine answers is compared with
 * what the file expects. One cmocka test per file.
 *
 * File format. A file is a sequence of blocks separated by blank lines;
 * lines starting with '#' between blocks are comments. Each block starts
 * with a directive line:
 *
 *   statement ok               the SQL text that follows (up to the blank
 *                              line; several statements separated by ';'
 *                              are fine) must succeed.
 *   statement error SQLSTATE   the SQL that follows must fail with SQLSTATE.
 *   produce TOPIC PARTITION    every following line is one record value,
 *                              appended verbatim as one batch to that
 *                              partition of TOPIC (which must exist: a
 *                              CREATE SOURCE creates its topic). A line
 *                              "key=K<TAB>value" sets the record key.
 *   settle                     wait until every pipeline has consumed its
 *                              input (so the next produce is a later read).
 *   clock +MS                  advance the engine's clock by MS
 *                              milliseconds (idle partitions), then wait
 *                              for the pipelines to act on it.
 *   query [rowsort]            SQL, a line "----", then the expected rows,
 *                              one per line, cells joined by '|', SQL NULL
 *                              as NULL (ed_value_format for the rest);
 *                              rowsort compares the rows sorted as text.
 *                              A statement without rows gives its tag.
 *   records TOPIC [rowsort]    a line "----", then the expected records of
 *                              TOPIC, all partitions in order, offsets in
 *                              order, each as "PARTITION VALUE" or
 *                              "PARTITION key=KEY VALUE" when it has a key.
 *
 * Before every query, records and clock step the runner waits until every
 * pipeline has consumed its input (ed_engine_wait_idle). The clock starts
 * at 0 and the engine's default idle timeout is 1000 ms.
 *
 * Environment: GOLDEN_DIR overrides the directory (default tests/golden
 * found from this file's path); GOLDEN_FILTER runs only files whose name
 * contains it; GOLDEN_UPDATE=1 rewrites each file with the actual results
 * in place of the expected ones (review the diff before committing). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/io.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "log/batch.h"
#include "log/log.h"

#define MAX_FILES 256

struct golden {
	const char *path;
	char dir[256];
	struct ed_log *lg;
	struct ed_engine *eng;
	struct ed_session *ses;
	int64_t now;
	char *text; /* the file, NUL-terminated, split into lines in place */
	char **lines;
	size_t nlines;
	size_t at;
	struct ed_buf actual;  /* rendered result of the current block */
	struct ed_buf rewrite; /* GOLDEN_UPDATE: the file as it should be */
	bool update;
	char failure[8192];
};

static char golden_dir[1024];
static char *file_names[MAX_FILES];
static size_t nfiles;

static int64_t golden_clock(void *arg)
{
	return ((struct golden *)arg)->now;
}

static void gfail(struct golden *g, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void gfail(struct golden *g, size_t line, const char *fmt, ...)
{
	if (g->failure[0])
		return;
	int n = snprintf(g->failure, sizeof(g->failure), "%s:%zu: ", g->path, line + 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->failure + n, sizeof(g->failure) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- rendering ----------------------------------------------------------------------- */

static int render_result(void *arg, const struct ed_result *r)
{
	struct ed_buf *b = arg;
	for (uint32_t i = 0; i < r->nrows; i++) {
		for (uint32_t c = 0; c < r->ncols; c++) {
			const struct ed_value *v = &r->rows[(size_t)i * r->ncols + c];
			if (c)
				ed_buf_put_u8(b, '|');
			if (v->null)
				ed_buf_append(b, "NULL", 4);
			else
				ed_value_format(v, b);
		}
		ed_buf_put_u8(b, '\n');
	}
	if (r->ncols == 0)
		ed_buf_printf(b, "%s\n", r->tag);
	return 0;
}

static void render_records(struct golden *g, const char *topic, size_t line)
{
	struct ed_topic *t = ed_log_topic_get(g->lg, topic);
	if (!t) {
		gfail(g, line, "topic %s does not exist", topic);
		return;
	}
	struct ed_buf rb;
	ed_buf_init(&rb);
	for (int32_t p = 0; p < ed_topic_partition_count(t); p++) {
		struct ed_partition *part = ed_topic_partition(t, p);
		int64_t next = ed_partition_start_offset(part);
		while (next < ed_partition_hwm(part)) {
			ed_buf_reset(&rb);
			if (ed_partition_read(part, next, 1u << 20, &rb) != 0 || rb.len == 0)
				break;
			size_t off = 0;
			while (off + ED_BATCH_LOG_OVERHEAD <= rb.len) {
				struct ed_record_iter it;
				if (ed_record_iter_init(&it, rb.data + off, rb.len - off, 0) != 0)
					break;
				struct ed_record rec;
				while (ed_record_iter_next(&it, &rec) == 1) {
					if (rec.offset < next)
						continue;
					ed_buf_printf(&g->actual, "%d ", (int)p);
					if (rec.key_len >= 0)
						ed_buf_printf(&g->actual, "key=%.*s ",
							      (int)rec.key_len,
							      (const char *)rec.key);
					ed_buf_printf(&g->actual, "%.*s\n",
						      rec.value_len < 0 ? 0 : (int)rec.value_len,
						      rec.value_len < 0 ? ""
									: (const char *)rec.value);
				}
				int64_t last = ed_batch_last_offset(&it.bi);
				off += (size_t)it.bi.size;
				ed_record_iter_fini(&it);
				if (last + 1 > next)
					next = last + 1;
			}
		}
	}
	ed_buf_fini(&rb);
	ed_topic_unref(t);
}

/* ---- engine lifecycle ------------------------------------------------------------------- */

static int golden_open(struct golden *g)
{
	char err[256] = "";
	struct ed_log_options lo;
	ed_log_options_defaults(&lo);
	lo.defaults.flush_policy = ED_FLUSH_NEVER;
	if (ed_log_open(g->dir, &lo, &g->lg, err, sizeof(err)) != 0) {
		gfail(g, 0, "log open: %s", err);
		return -1;
	}
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	eo.clock_ms = golden_clock;
	eo.clock_arg = g;
	eo.idle_timeout_ms = 1000;
	eo.no_catalog = true;
	if (ed_engine_open(g->lg, &eo, &g->eng, err, sizeof(err)) != 0) {
		gfail(g, 0, "engine open: %s", err);
		return -1;
	}
	g->ses = ed_session_new(g->eng);
	return g->ses ? 0 : -1;
}

static void golden_close(struct golden *g)
{
	ed_session_free(g->ses);
	ed_engine_close(g->eng);
	if (g->lg)
		ed_log_close(g->lg);
	ed_io_remove_tree(g->dir);
}

static void settle(struct golden *g, size_t line)
{
	if (ed_engine_wait_idle(g->eng, 20000) != 0)
		gfail(g, line, "pipelines did not become idle within 20 s");
}

/* ---- the file -------------------------------------------------------------------------------- */

static void split_lines(struct golden *g)
{
	size_t cap = 64;
	g->lines = malloc(cap * sizeof(char *));
	for (char *s = g->text; s && *s;) {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = 0;
		if (g->nlines == cap)
			g->lines = realloc(g->lines, (cap *= 2) * sizeof(char *));
		g->lines[g->nlines++] = s;
		s = nl ? nl + 1 : NULL;
	}
}

static bool blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == 0;
}

static void keep_line(struct golden *g, const char *s)
{
	if (g->update)
		ed_buf_printf(&g->rewrite, "%s\n", s);
}

/* Lines from g->at up to a blank line or a line equal to stop (not
 * consumed when stop is NULL; consumed when it is "----"). */
static void gather(struct golden *g, const char *stop, struct ed_buf *out, bool as_sql)
{
	while (g->at < g->nlines && !blank(g->lines[g->at]) &&
	       !(stop && strcmp(g->lines[g->at], stop) == 0)) {
		keep_line(g, g->lines[g->at]);
		ed_buf_printf(out, "%s%s", g->lines[g->at], as_sql ? "\n" : "\n");
		g->at++;
	}
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_text(const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = 0;
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof(char *));
	for (char *p = copy; *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(char *));
		v[n++] = p;
		p = nl ? nl + 1 : p + strlen(p);
	}
	qsort(v, n, sizeof(char *), cmp_lines);
	char *outp = malloc(len + 2);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(outp + k, "%s\n", v[i]);
	outp[k] = 0;
	free(v);
	free(copy);
	return outp;
}

/* Compare g->actual with the expected lines that follow "----". */
static void expect(struct golden *g, size_t line, bool rowsort, const char *what)
{
	if (g->at >= g->nlines || strcmp(g->lines[g->at], "----") != 0) {
		gfail(g, g->at, "expected a line \"----\" after the %s", what);
		return;
	}
	keep_line(g, "----");
	g->at++;
	struct ed_buf want;
	ed_buf_init(&want);
	while (g->at < g->nlines && !blank(g->lines[g->at]))
		ed_buf_printf(&want, "%s\n", g->lines[g->at++]);
	char *a = rowsort ? sorted_text((const char *)g->actual.data, g->actual.len)
			  : strndup(g->actual.len ? (const char *)g->actual.data : "", g->actual.len);
	char *w = rowsort ? sorted_text((const char *)want.data, want.len)
			  : strndup(want.len ? (const char *)want.data : "", want.len);
	if (g->update)
		ed_buf_append(&g->rewrite, a, strlen(a));
	else if (strcmp(a, w) != 0)
		gfail(g, line, "%s differs\n--- expected\n%s--- actual\n%s", what, w, a);
	free(a);
	free(w);
	ed_buf_fini(&want);
}

static void run_statement(struct golden *g, size_t line, const char *sqlstate)
{
	struct ed_buf sql;
	ed_buf_init(&sql);
	gather(g, NULL, &sql, true);
	struct ed_sql_error err;
	int rc = ed_session_execute(g->ses, (const char *)sql.data, sql.len, NULL, NULL, &err);
	if (!sqlstate && rc)
		gfail(g, line, "statement failed: %s (position %u) %s", err.sqlstate, err.pos,
		      err.msg);
	else if (sqlstate && rc == 0)
		gfail(g, line, "statement succeeded, expected error %s", sqlstate);
	else if (sqlstate && strcmp(sqlstate, err.sqlstate) != 0)
		gfail(g, line, "expected error %s, got %s %s", sqlstate, err.sqlstate, err.msg);
	ed_buf_fini(&sql);
}

static void run_produce(struct golden *g, size_t line, const char *topic, int part)
{
	struct ed_topic *t = ed_log_topic_get(g->lg, topic);
	struct ed_partition *p = t ? ed_topic_partition(t, part) : NULL;
	if (!p) {
		gfail(g, line, "no partition %d of topic %s (create the source first)", part, topic);
		if (t)
			ed_topic_unref(t);
		return;
	}
	struct ed_batch_builder bb;
	ed_batch_builder_init(&bb, ED_CODEC_NONE);
	while (g->at < g->nlines && !blank(g->lines[g->at])) {
		const char *s = g->lines[g->at];
		keep_line(g, s);
		g->at++;
		const char *key = NULL, *tab;
		int32_t klen = -1;
		if (strncmp(s, "key=", 4) == 0 && (tab = strchr(s, '\t'))) {
			key = s + 4;
			klen = (int32_t)(tab - key);
			s = tab + 1;
		}
		if (ed_batch_builder_add(&bb, 0, key, klen, s, (int32_t)strlen(s), NULL, 0) != 0)
			gfail(g, line, "batch builder failed");
	}
	uint8_t *b;
	size_t len;
	struct ed_append_result res;
	char err[128];
	if (bb.count && (ed_batch_builder_finish(&bb, &b, &len) != 0 ||
			 ed_partition_append(p, b, len, &res, err, sizeof(err)) != 0))
		gfail(g, line, "append to %s/%d failed", topic, part);
	ed_batch_builder_fini(&bb);
	ed_topic_unref(t);
}

static void run_file(struct golden *g)
{
	while (g->at < g->nlines && !g->failure[0]) {
		size_t line = g->at;
		char *d = g->lines[g->at];
		if (blank(d) || d[0] == '#') {
			keep_line(g, d);
			g->at++;
			continue;
		}
		keep_line(g, d);
		g->at++;
		char w1[64] = "", w2[256] = "", w3[64] = "";
		sscanf(d, "%63s %255s %63s", w1, w2, w3);
		ed_buf_reset(&g->actual);
		if (strcmp(w1, "statement") == 0 && strcmp(w2, "ok") == 0) {
			run_statement(g, line, NULL);
		} else if (strcmp(w1, "statement") == 0 && strcmp(w2, "error") == 0 && w3[0]) {
			run_statement(g, line, w3);
		} else if (strcmp(w1, "produce") == 0 && w2[0] && w3[0]) {
			run_produce(g, line, w2, atoi(w3));
		} else if (strcmp(w1, "settle") == 0) {
			settle(g, line);
		} else if (strcmp(w1, "clock") == 0 && w2[0] == '+') {
			g->now += atoll(w2 + 1);
			settle(g, line);
		} else if (strcmp(w1, "query") == 0) {
			struct ed_buf sql;
			ed_buf_init(&sql);
			gather(g, "----", &sql, true);
			settle(g, line);
			struct ed_sql_error err;
			if (ed_session_execute(g->ses, (const char *)sql.data, sql.len,
					       render_result, &g->actual, &err) != 0)
				gfail(g, line, "query failed: %s (position %u) %s", err.sqlstate,
				      err.pos, err.msg);
			else
				expect(g, line, strcmp(w2, "rowsort") == 0, "query result");
			ed_buf_fini(&sql);
		} else if (strcmp(w1, "records") == 0 && w2[0]) {
			settle(g, line);
			render_records(g, w2, line);
			expect(g, line, strcmp(w3, "rowsort") == 0, "topic records");
		} else {
			gfail(g, line, "unknown directive: %s", d);
		}
	}
}

static void test_file(void **state)
{
	const char *name = *state;
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	struct golden *g = calloc(1, sizeof(*g));
	g->path = path;
	g->update = getenv("GOLDEN_UPDATE") && strcmp(getenv("GOLDEN_UPDATE"), "1") == 0;
	snprintf(g->dir, sizeof(g->dir), "/tmp/eddy-golden-%d-%s", (int)getpid(), name);
	ed_io_remove_tree(g->dir);
	ed_buf_init(&g->actual);
	ed_buf_init(&g->rewrite);
	size_t len;
	if (ed_io_read_file(path, 1u << 24, &g->text, &len) != 0)
		fail_msg("cannot read %s", path);
	split_lines(g);
	if (golden_open(g) == 0)
		run_file(g);
	golden_close(g);
	if (g->update && !g->failure[0]) {
		FILE *f = fopen(path, "w");
		if (f) {
			fwrite(g->rewrite.data, 1, g->rewrite.len, f);
			fclose(f);
		}
	}
	char failure[sizeof(g->failure)];
	snprintf(failure, sizeof(failure), "%s", g->failure);
	ed_buf_fini(&g->actual);
	ed_buf_fini(&g->rewrite);
	free(g->lines);
	ed_free(g->text);
	free(g);
	if (failure[0])
		fail_msg("%s", failure);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_files(void)
{
	const char *env = getenv("GOLDEN_DIR");
	if (env) {
		snprintf(golden_dir, sizeof(golden_dir), "%s", env);
	} else {
		/* __FILE__ is .../tests/unit/engine/test_golden.c */
		snprintf(golden_dir, sizeof(golden_dir), "%s", __FILE__);
		char *p = strstr(golden_dir, "tests/unit/engine/test_golden.c");
		if (p)
			snprintf(p, sizeof(golden_dir) - (size_t)(p - golden_dir), "tests/golden");
	}
	const char *filter = getenv("GOLDEN_FILTER");
	DIR *d = opendir(golden_dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && nfiles < MAX_FILES) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".test") != 0)
			continue;
		if (filter && !strstr(de->d_name, filter))
			continue;
		file_names[nfiles++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(file_names, nfiles, sizeof(char *), cmp_names);
}

int main(void)
{
	find_files();
	if (nfiles == 0) {
		fprintf(stderr, "no golden files in %s\n", golden_dir);
		return 1;
	}
	struct CMUnitTest *tests = calloc(nfiles, sizeof(*tests));
	for (size_t i = 0; i < nfiles; i++) {
		tests[i].name = file_names[i];
		tests[i].test_func = test_file;
		tests[i].initial_state = file_names[i];
	}
	int rc = _cmocka_run_group_tests("golden", tests, nfiles, NULL, NULL);
	for (size_t i = 0; i < nfiles; i++)
		free(file_names[i]);
	free(tests);
	return rc;
}
