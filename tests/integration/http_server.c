/* Test harness for the HTTP front end until `eddy server --http-port` is
 * wired: opens a log and the SQL engine over a data directory, serves HTTP
 * on a libuv loop, writes the bound port to a file, and shuts down cleanly
 * on SIGTERM or SIGINT.
 * Usage: it_http_server DATA_DIR PORT_FILE [--port N] [--max-body N]
 *        [--auto-create] [--sse-max N] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/diag.h"
#include "engine/engine.h"
#include "http/http.h"
#include "log/log.h"

static struct ed_http *g_http;

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	ed_http_stop(g_http);
	uv_close((uv_handle_t *)s, NULL);
	uv_signal_t *other = s->data;
	if (other && !uv_is_closing((uv_handle_t *)other))
		uv_close((uv_handle_t *)other, NULL);
}

static void extra_metrics(void *arg, struct ed_http_prom *w)
{
	(void)arg;
	ed_http_prom_family(w, "eddy_test_hook", "gauge", "A sample added by a metrics hook.");
	const char *l[] = {"label", "va\"lue\\with\nescapes", NULL};
	ed_http_prom_sample(w, "eddy_test_hook", l, 1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s DATA_DIR PORT_FILE [--port N] [--max-body N] [--auto-create] [--sse-max N]\n",
			argv[0]);
		return 2;
	}
	struct ed_http_config cfg;
	ed_http_config_defaults(&cfg);
	cfg.port = 0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			cfg.port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-body") && i + 1 < argc)
			cfg.max_body_bytes = (size_t)strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sse-max") && i + 1 < argc)
			cfg.sse_max_queued_bytes = (size_t)strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--auto-create"))
			cfg.auto_create_topics = true;
		else {
			fprintf(stderr, "unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	const char *lvl = getenv("EDDY_LOG_LEVEL");
	if (lvl && ed_diag_parse_level(lvl) >= 0)
		ed_diag_set_level((enum ed_level)ed_diag_parse_level(lvl));
	signal(SIGPIPE, SIG_IGN);

	char err[512] = "";
	struct ed_log *log = NULL;
	struct ed_engine *eng = NULL;
	int rc = ed_log_open(argv[1], NULL, &log, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "log: %s\n", err);
		return 1;
	}
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	rc = ed_engine_open(log, &eo, &eng, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "engine: %s\n", err);
		ed_log_close(log);
		return 1;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	rc = ed_http_new(&loop, log, eng, &cfg, &g_http, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "http: %s\n", err);
		ed_engine_close(eng);
		ed_log_close(log);
		return 1;
	}
	ed_http_add_metrics(g_http, extra_metrics, NULL);
	uv_signal_t sigterm, sigint;
	uv_signal_init(&loop, &sigterm);
	uv_signal_init(&loop, &sigint);
	sigterm.data = &sigint;
	sigint.data = &sigterm;
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);

	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", ed_http_port(g_http)) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "cannot write %s\n", argv[2]);
		return 1;
	}
	ed_http_set_ready(g_http, true);
	uv_run(&loop, UV_RUN_DEFAULT);
	ed_http_free(g_http);
	rc = uv_loop_close(&loop);
	if (rc != 0)
		fprintf(stderr, "loop close: %s\n", uv_strerror(rc));
	ed_engine_close(eng);
	ed_log_close(log);
	return rc == 0 ? 0 : 1;
}
