/* `eddy server`: configuration (file, then flags), the libuv loop, the log,
 * periodic log maintenance (on the loop's thread pool so the loop never waits
 * for a compaction), the Kafka front end, and clean shutdown on SIGINT or
 * SIGTERM. Threads: the loop thread, the log's flusher, and libuv's pool for
 * maintenance. The front ends run on src/net on the loop thread; SQL
 * statements run on the engine's statement threads. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"
#include "engine/engine.h"
#include "http/http.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "pgwire/pgwire.h"
#include "server/server.h"

#define MOD "server"
#define MAINTAIN_EVERY_MS 5000

struct server_config {
	char data_dir[4096];
	char bind[256];
	int kafka_port;
	char advertise_host[256];
	int advertise_port;
	bool auto_create_topics;
	int32_t default_partitions;
	size_t max_frame_bytes;
	int log_level;
	int sql_port;       /* PostgreSQL protocol; 0 = any free port */
	char sql_user[128]; /* with sql_password: SCRAM-SHA-256 instead of trust */
	char sql_password[256];
	int http_port;                 /* HTTP API, metrics; 0 = any free port */
	size_t max_body_bytes;         /* HTTP request body limit */
	char init_file[4096];          /* statements run at start (--init) */
	int workers;                   /* engine pipeline threads */
	int stmt_threads;              /* engine statement threads */
	int64_t startup_timeout_ms;    /* every port: handshake / first request */
	int64_t kafka_idle_timeout_ms; /* 0 = never */
	int64_t sql_idle_timeout_ms;
	int64_t http_idle_timeout_ms;
};

struct server {
	struct server_config cfg;
	uv_loop_t loop;
	struct ed_log *log;
	struct ed_kafka *kafka;
	struct ed_engine *engine;
	struct ed_pgwire *pgwire;
	struct ed_http *http;
	uv_signal_t sigint, sigterm;
	uv_timer_t maintain_timer;
	uv_work_t maintain_work;
	bool maintaining;
	bool stopping;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: eddy server [flags]\n"
		"\n"
		"Runs eddy: the durable log served over the Kafka protocol, and the\n"
		"streaming SQL engine served over the PostgreSQL protocol.\n"
		"\n"
		"  --data-dir DIR            data directory (default ./data)\n"
		"  --bind HOST               address to listen on (default 127.0.0.1)\n"
		"  --kafka-port PORT         Kafka protocol port (default 9092; 0 = any free port)\n"
		"  --sql-port PORT           PostgreSQL protocol port for SQL (default 5433;\n"
		"                            0 = any free port)\n"
		"  --sql-user USER           with --sql-password: require SCRAM-SHA-256\n"
		"  --sql-password PASSWORD   authentication (default: trust, any user)\n"
		"  --http-port PORT          HTTP API, /metrics, /healthz (default 8080;\n"
		"                            0 = any free port)\n"
		"  --max-body-bytes N        largest HTTP request body (default 33554432)\n"
		"  --advertise HOST:PORT     address given to clients in metadata\n"
		"                            (default: the bind address and Kafka port)\n"
		"  --config FILE             key=value file with these same keys (without --);\n"
		"                            flags given on the command line win\n"
		"  --auto-create-topics[=true|false]\n"
		"                            create unknown topics on metadata and produce\n"
		"                            requests (default true)\n"
		"  --no-auto-create-topics   same as --auto-create-topics=false\n"
		"  --default-partitions N    partitions of auto-created topics, 1-1000 (default 1)\n"
		"  --max-frame-bytes N       largest request accepted (default 104857600)\n"
		"  --log-level LEVEL         debug, info, warn, error or silent (default info)\n"
		"  --init FILE.sql           run these SQL statements at start (pipelines as\n"
		"                            code; IF NOT EXISTS makes them idempotent)\n"
		"  --workers N               streaming SQL worker threads (default 2)\n"
		"  --statement-threads N     threads that run SQL statements for pgwire and\n"
		"                            HTTP clients, off the network loop (default 2)\n"
		"  --startup-timeout-ms N    close a connection (any port) that has not\n"
		"                            completed its startup or first request by then\n"
		"                            (default 10000; 0 = never)\n"
		"  --kafka-idle-timeout-ms N close a Kafka connection idle this long\n"
		"                            (default 600000; 0 = never)\n"
		"  --sql-idle-timeout-ms N   the same for PostgreSQL sessions (default\n"
		"                            3600000; 0 = never)\n"
		"  --http-idle-timeout-ms N  the same for HTTP keep-alive connections, and\n"
		"                            the time to send a request (default 60000)\n"
		"  --help                    this text\n"
		"\n"
		"Committed offsets and producer ids are kept in DIR/kafka/. SIGINT or\n"
		"SIGTERM shut the server down cleanly.\n");
}

static void config_defaults(struct server_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "./data");
	snprintf(c->bind, sizeof(c->bind), "127.0.0.1");
	c->kafka_port = 9092;
	c->auto_create_topics = true;
	c->default_partitions = 1;
	c->max_frame_bytes = 100u * 1024 * 1024;
	c->log_level = ED_INFO;
	c->workers = 2;
	c->stmt_threads = 2;
	c->startup_timeout_ms = 10000;
	c->kafka_idle_timeout_ms = 600000;
	c->sql_idle_timeout_ms = 3600000;
	c->http_idle_timeout_ms = 60000;
	c->sql_port = ED_PGWIRE_DEFAULT_PORT;
	c->http_port = 8080;
	c->max_body_bytes = 32u * 1024 * 1024;
}

static bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !end || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return false;
	return true;
}

/* Apply one setting by name (flag name without "--"). 0, or -1 with err set. */
static int config_set(struct server_config *c, const char *key, const char *val, char *err,
		      size_t errlen)
{
	int64_t n;
	if (!strcmp(key, "data-dir")) {
		if (!*val || strlen(val) >= sizeof(c->data_dir))
			goto bad;
		snprintf(c->data_dir, sizeof(c->data_dir), "%s", val);
	} else if (!strcmp(key, "bind")) {
		if (!*val || strlen(val) >= sizeof(c->bind))
			goto bad;
		snprintf(c->bind, sizeof(c->bind), "%s", val);
	} else if (!strcmp(key, "init")) {
		if (!*val || strlen(val) >= sizeof(c->init_file))
			goto bad;
		snprintf(c->init_file, sizeof(c->init_file), "%s", val);
	} else if (!strcmp(key, "workers")) {
		if (!parse_i64(val, 1, 64, &n))
			goto bad;
		c->workers = (int)n;
	} else if (!strcmp(key, "statement-threads")) {
		if (!parse_i64(val, 1, 64, &n))
			goto bad;
		c->stmt_threads = (int)n;
	} else if (!strcmp(key, "startup-timeout-ms")) {
		if (!parse_i64(val, 0, INT32_MAX, &c->startup_timeout_ms))
			goto bad;
	} else if (!strcmp(key, "kafka-idle-timeout-ms")) {
		if (!parse_i64(val, 0, INT32_MAX, &c->kafka_idle_timeout_ms))
			goto bad;
	} else if (!strcmp(key, "sql-idle-timeout-ms")) {
		if (!parse_i64(val, 0, INT32_MAX, &c->sql_idle_timeout_ms))
			goto bad;
	} else if (!strcmp(key, "http-idle-timeout-ms")) {
		if (!parse_i64(val, 100, INT32_MAX, &c->http_idle_timeout_ms))
			goto bad;
	} else if (!strcmp(key, "sql-port")) {
		if (!parse_i64(val, 0, 65535, &n))
			goto bad;
		c->sql_port = (int)n;
	} else if (!strcmp(key, "http-port")) {
		if (!parse_i64(val, 0, 65535, &n))
			goto bad;
		c->http_port = (int)n;
	} else if (!strcmp(key, "max-body-bytes")) {
		if (!parse_i64(val, 1024, (int64_t)1 << 32, &n))
			goto bad;
		c->max_body_bytes = (size_t)n;
	} else if (!strcmp(key, "sql-user")) {
		if (strlen(val) >= sizeof(c->sql_user))
			goto bad;
		snprintf(c->sql_user, sizeof(c->sql_user), "%s", val);
	} else if (!strcmp(key, "sql-password")) {
		if (strlen(val) >= sizeof(c->sql_password))
			goto bad;
		snprintf(c->sql_password, sizeof(c->sql_password), "%s", val);
	} else if (!strcmp(key, "kafka-port")) {
		if (!parse_i64(val, 0, 65535, &n))
			goto bad;
		c->kafka_port = (int)n;
	} else if (!strcmp(key, "advertise")) {
		const char *colon = strrchr(val, ':');
		if (!colon || colon == val || (size_t)(colon - val) >= sizeof(c->advertise_host) ||
		    !parse_i64(colon + 1, 1, 65535, &n))
			goto bad;
		snprintf(c->advertise_host, sizeof(c->advertise_host), "%.*s", (int)(colon - val),
			 val);
		if (c->advertise_host[0] == '[') { /* [ipv6]:port */
			size_t l = strlen(c->advertise_host);
			if (l < 3 || c->advertise_host[l - 1] != ']')
				goto bad;
			memmove(c->advertise_host, c->advertise_host + 1, l - 2);
			c->advertise_host[l - 2] = 0;
		}
		c->advertise_port = (int)n;
	} else if (!strcmp(key, "auto-create-topics")) {
		if (!parse_bool(val, &c->auto_create_topics))
			goto bad;
	} else if (!strcmp(key, "default-partitions")) {
		if (!parse_i64(val, 1, 1000, &n))
			goto bad;
		c->default_partitions = (int32_t)n;
	} else if (!strcmp(key, "max-frame-bytes")) {
		if (!parse_i64(val, 1024, INT32_MAX, &n))
			goto bad;
		c->max_frame_bytes = (size_t)n;
	} else if (!strcmp(key, "log-level")) {
		int lvl = ed_diag_parse_level(val);
		if (lvl < 0)
			goto bad;
		c->log_level = lvl;
	} else {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad value '%s' for %s", val, key);
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static int config_load_file(struct server_config *c, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc = ed_io_read_file(path, 1u << 20, &text, &len);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, ed_err_str(rc));
		return -1;
	}
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key=value", path, lineno);
			ed_free(text);
			return -1;
		}
		*eq = 0;
		char sub[256];
		if (config_set(c, trim(l), trim(eq + 1), sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
			ed_free(text);
			return -1;
		}
	}
	ed_free(text);
	return 0;
}

/* Parse argv: --config first (so that flags win), then every flag.
 * Returns 0, 1 for --help, -1 on error (message printed). */
static int parse_args(struct server_config *c, int argc, char **argv)
{
	char err[512];
	config_defaults(c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		const char *path = NULL;
		if (!strcmp(a, "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(a, "--config=", 9))
			path = a + 9;
		if (path && config_load_file(c, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "eddy server: %s\n", err);
			return -1;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "eddy server: unexpected argument '%s' (see --help)\n", a);
			return -1;
		}
		char key[128];
		const char *val = NULL;
		const char *eq = strchr(a, '=');
		if (eq) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - a - 2), a + 2);
			val = eq + 1;
		} else {
			snprintf(key, sizeof(key), "%s", a + 2);
		}
		if (!strcmp(key, "config")) {
			if (!val)
				i++;
			continue;
		}
		if (!strcmp(key, "no-auto-create-topics") && !val) {
			c->auto_create_topics = false;
			continue;
		}
		if (!strcmp(key, "auto-create-topics") && !val) {
			c->auto_create_topics = true;
			continue;
		}
		static const char *const known[] = {"data-dir",
						    "bind",
						    "kafka-port",
						    "advertise",
						    "auto-create-topics",
						    "default-partitions",
						    "max-frame-bytes",
						    "log-level",
						    "init",
						    "workers",
						    "sql-port",
						    "sql-user",
						    "sql-password",
						    "http-port",
						    "max-body-bytes",
						    "statement-threads",
						    "startup-timeout-ms",
						    "kafka-idle-timeout-ms",
						    "sql-idle-timeout-ms",
						    "http-idle-timeout-ms",
						    NULL};
		bool is_known = false;
		for (int j = 0; known[j]; j++)
			is_known |= strcmp(key, known[j]) == 0;
		if (!is_known) {
			fprintf(stderr, "eddy server: unknown flag --%s (see --help)\n", key);
			return -1;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "eddy server: --%s needs a value (see --help)\n",
					key);
				return -1;
			}
			val = argv[++i];
		}
		if (config_set(c, key, val, err, sizeof(err)) < 0) {
			fprintf(stderr, "eddy server: %s (see --help)\n", err);
			return -1;
		}
	}
	return 0;
}

/* ---- maintenance on the thread pool ---- */

static void maintain_work(uv_work_t *w)
{
	struct server *s = w->data;
	int rc = ed_log_maintain(s->log, ed_wall_ms());
	if (rc < 0)
		ed_warn(MOD, "log maintenance: %s", ed_err_str(rc));
}

static void maintain_done(uv_work_t *w, int status)
{
	struct server *s = w->data;
	(void)status;
	s->maintaining = false;
}

static void on_maintain_timer(uv_timer_t *t)
{
	struct server *s = t->data;
	if (s->maintaining || s->stopping)
		return;
	s->maintaining = true;
	s->maintain_work.data = s;
	if (uv_queue_work(&s->loop, &s->maintain_work, maintain_work, maintain_done) < 0)
		s->maintaining = false;
}

/* ---- consumer-group lag on GET /metrics (loop thread) ---- */

struct lag_walk {
	struct server *s;
	struct ed_http_prom *w;
	bool lag; /* which family this pass writes */
};

static void lag_sample(void *arg, const char *group, const char *topic, int32_t partition,
		       int64_t offset)
{
	struct lag_walk *lw = arg;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", partition);
	const char *labels[] = {"group", group, "topic", topic, "partition", ps, NULL};
	if (!lw->lag) {
		ed_http_prom_sample(lw->w, "eddy_consumer_group_committed_offset", labels,
				    (double)offset);
		return;
	}
	struct ed_topic *t = ed_log_topic_get(lw->s->log, topic);
	struct ed_partition *part = t ? ed_topic_partition(t, partition) : NULL;
	if (part) {
		int64_t end = ed_partition_hwm(part);
		ed_http_prom_sample(lw->w, "eddy_consumer_group_lag", labels,
				    (double)(end > offset ? end - offset : 0));
	}
	ed_topic_unref(t);
}

static void kafka_metrics(void *arg, struct ed_http_prom *w)
{
	struct lag_walk lw = {arg, w, false};
	ed_http_prom_family(w, "eddy_consumer_group_committed_offset", "gauge",
			    "Offset committed by a Kafka consumer group.");
	ed_kafka_each_committed(lw.s->kafka, lag_sample, &lw);
	lw.lag = true;
	ed_http_prom_family(w, "eddy_consumer_group_lag", "gauge",
			    "Records between the partition's end and the group's committed offset.");
	ed_kafka_each_committed(lw.s->kafka, lag_sample, &lw);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	if (s->stopping)
		return;
	ed_info(MOD, "%s received: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	s->stopping = true;
	ed_kafka_stop(s->kafka);
	ed_pgwire_stop(s->pgwire);
	ed_http_set_ready(s->http, false);
	ed_http_stop(s->http);
	uv_timer_stop(&s->maintain_timer);
	uv_close((uv_handle_t *)&s->maintain_timer, NULL);
	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->sigterm, NULL);
}

int ed_server_main(int argc, char **argv)
{
	struct server s;
	char err[512] = "";
	int status = 1;
	memset(&s, 0, sizeof(s));
	int prc = parse_args(&s.cfg, argc, argv);
	if (prc == 1) {
		usage(stdout);
		return 0;
	}
	if (prc < 0)
		return 2;
	if (!getenv("EDDY_LOG_LEVEL"))
		ed_diag_set_level((enum ed_level)s.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	int rc = ed_io_mkdirs(s.cfg.data_dir, 0755);
	if (rc < 0) {
		ed_error(MOD, "cannot create %s: %s", s.cfg.data_dir, ed_err_str(rc));
		return 1;
	}
	struct ed_log_options opts;
	ed_log_options_defaults(&opts);
	opts.defaults.partitions = s.cfg.default_partitions;
	rc = ed_log_open(s.cfg.data_dir, &opts, &s.log, err, sizeof(err));
	if (rc < 0) {
		ed_error(MOD, "cannot open data directory %s: %s (%s)", s.cfg.data_dir, err,
			 ed_err_str(rc));
		return 1;
	}
	struct ed_engine_options eopts;
	ed_engine_options_defaults(&eopts);
	eopts.workers = s.cfg.workers;
	eopts.stmt_threads = s.cfg.stmt_threads;
	rc = ed_engine_open(s.log, &eopts, &s.engine, err, sizeof(err));
	if (rc < 0) {
		ed_error(MOD, "cannot start the SQL engine: %s (%s)", err, ed_err_str(rc));
		goto close_log;
	}
	if (s.cfg.init_file[0]) {
		struct ed_sql_error serr;
		memset(&serr, 0, sizeof(serr));
		rc = ed_engine_run_file(s.engine, s.cfg.init_file, &serr);
		if (rc < 0) {
			ed_error(MOD, "%s: %s (SQLSTATE %s at character %u)", s.cfg.init_file,
				 serr.msg, serr.sqlstate, serr.pos);
			goto close_engine;
		}
		ed_info(MOD, "ran %s", s.cfg.init_file);
	}
	if (uv_loop_init(&s.loop) < 0) {
		ed_error(MOD, "cannot create the event loop");
		goto close_engine;
	}
	char state_dir[4200];
	snprintf(state_dir, sizeof(state_dir), "%s/kafka", s.cfg.data_dir);
	struct ed_kafka_config kc;
	ed_kafka_config_defaults(&kc);
	kc.bind_host = s.cfg.bind;
	kc.port = s.cfg.kafka_port;
	kc.advertise_host = s.cfg.advertise_host[0] ? s.cfg.advertise_host : NULL;
	kc.advertise_port = s.cfg.advertise_port;
	kc.auto_create_topics = s.cfg.auto_create_topics;
	kc.default_partitions = s.cfg.default_partitions;
	kc.max_frame_bytes = s.cfg.max_frame_bytes;
	kc.state_dir = state_dir;
	kc.startup_timeout_ms = s.cfg.startup_timeout_ms;
	kc.idle_timeout_ms = s.cfg.kafka_idle_timeout_ms;
	rc = ed_kafka_new(&s.loop, s.log, &kc, &s.kafka, err, sizeof(err));
	if (rc < 0) {
		ed_error(MOD, "kafka: %s", err);
		goto close_loop;
	}
	if (!!s.cfg.sql_user[0] != !!s.cfg.sql_password[0]) {
		ed_error(MOD, "--sql-user and --sql-password go together");
		goto stop_listeners;
	}
	struct ed_pgwire_config pc;
	ed_pgwire_config_defaults(&pc);
	pc.bind_host = s.cfg.bind;
	pc.port = s.cfg.sql_port;
	pc.startup_timeout_ms = s.cfg.startup_timeout_ms;
	pc.idle_timeout_ms = s.cfg.sql_idle_timeout_ms;
	if (s.cfg.sql_user[0]) {
		pc.auth = ED_PGWIRE_AUTH_SCRAM;
		pc.user = s.cfg.sql_user;
		pc.password = s.cfg.sql_password;
	}
	rc = ed_pgwire_new(&s.loop, s.engine, &pc, &s.pgwire, err, sizeof(err));
	if (rc < 0) {
		ed_error(MOD, "pgwire: %s", err);
		goto stop_listeners;
	}
	struct ed_http_config hc;
	ed_http_config_defaults(&hc);
	hc.bind_host = s.cfg.bind;
	hc.port = s.cfg.http_port;
	hc.max_body_bytes = s.cfg.max_body_bytes;
	hc.startup_timeout_ms = (int)s.cfg.startup_timeout_ms;
	hc.idle_timeout_ms = (int)s.cfg.http_idle_timeout_ms;
	rc = ed_http_new(&s.loop, s.log, s.engine, &hc, &s.http, err, sizeof(err));
	if (rc < 0) {
		ed_error(MOD, "http: %s", err);
		goto stop_listeners;
	}
	ed_http_add_metrics(s.http, kafka_metrics, &s);
	uv_signal_init(&s.loop, &s.sigint);
	uv_signal_init(&s.loop, &s.sigterm);
	s.sigint.data = s.sigterm.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_timer_init(&s.loop, &s.maintain_timer);
	s.maintain_timer.data = &s;
	uv_timer_start(&s.maintain_timer, on_maintain_timer, MAINTAIN_EVERY_MS, MAINTAIN_EVERY_MS);

	ed_info(MOD, "eddy listening for Kafka clients on %s:%d (advertised as %s:%d), data in %s",
		s.cfg.bind, ed_kafka_port(s.kafka),
		s.cfg.advertise_host[0] ? s.cfg.advertise_host : s.cfg.bind,
		s.cfg.advertise_port ? s.cfg.advertise_port : ed_kafka_port(s.kafka), s.cfg.data_dir);
	ed_info(MOD, "listening for PostgreSQL clients on %s:%d", s.cfg.bind,
		ed_pgwire_port(s.pgwire));
	ed_info(MOD, "listening for HTTP clients on %s:%d", s.cfg.bind, ed_http_port(s.http));
	ed_http_set_ready(s.http, true);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	status = 0;
stop_listeners:
	/* On an error path some listeners are up: stop them (each stop is
	 * NULL-safe and idempotent) and let the loop close their handles. */
	ed_http_stop(s.http);
	ed_pgwire_stop(s.pgwire);
	ed_kafka_stop(s.kafka);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	ed_http_free(s.http);
	ed_pgwire_free(s.pgwire);
	ed_kafka_free(s.kafka);
close_loop:
	if (uv_loop_close(&s.loop) == UV_EBUSY)
		ed_warn(MOD, "event loop closed with handles still open");
close_engine:
	ed_engine_close(s.engine);
close_log:
	ed_log_close(s.log);
	if (status == 0)
		ed_info(MOD, "stopped cleanly");
	return status;
}
