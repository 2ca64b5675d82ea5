/* Test harness for the PostgreSQL front end until `eddy server --sql-port`
 * is wired: opens a data directory's log, the SQL engine, the Kafka front
 * end (so kcat and `eddy produce --server` can feed sources) and pgwire on
 * one libuv loop. Prints "ready kafka=PORT sql=PORT" once listening and
 * stops cleanly on SIGINT or SIGTERM.
 *
 * usage: it_test_pg_server --data-dir DIR [--sql-port P] [--kafka-port P]
 *                          [--user U --password PW] [--max-subscribe-bytes N] */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/io.h"
#include "engine/engine.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "pgwire/pgwire.h"

struct harness {
	uv_loop_t loop;
	struct ed_kafka *kafka;
	struct ed_pgwire *pg;
	uv_signal_t sigint, sigterm;
};

static void on_signal(uv_signal_t *h, int signum)
{
	struct harness *hs = h->data;
	(void)signum;
	ed_pgwire_stop(hs->pg);
	ed_kafka_stop(hs->kafka);
	uv_close((uv_handle_t *)&hs->sigint, NULL);
	uv_close((uv_handle_t *)&hs->sigterm, NULL);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	struct ed_pgwire_config pc;
	struct ed_kafka_config kc;
	ed_pgwire_config_defaults(&pc);
	ed_kafka_config_defaults(&kc);
	pc.port = 0;
	kc.port = 0;
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"sql-port", required_argument, NULL, 's'},
		{"kafka-port", required_argument, NULL, 'k'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"max-subscribe-bytes", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			pc.port = atoi(optarg);
			break;
		case 'k':
			kc.port = atoi(optarg);
			break;
		case 'u':
			pc.user = optarg;
			break;
		case 'p':
			pc.password = optarg;
			pc.auth = ED_PGWIRE_AUTH_SCRAM;
			break;
		case 'm':
			pc.max_subscribe_bytes = (size_t)atoll(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "--data-dir is required\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char err[512] = "";
	struct ed_log *log = NULL;
	struct ed_engine *eng = NULL;
	struct harness hs;
	memset(&hs, 0, sizeof(hs));
	ed_io_mkdirs(dir, 0755);
	if (ed_log_open(dir, NULL, &log, err, sizeof(err)) < 0) {
		fprintf(stderr, "log: %s\n", err);
		return 1;
	}
	struct ed_engine_options eo;
	ed_engine_options_defaults(&eo);
	if (ed_engine_open(log, &eo, &eng, err, sizeof(err)) < 0) {
		fprintf(stderr, "engine: %s\n", err);
		ed_log_close(log);
		return 1;
	}
	uv_loop_init(&hs.loop);
	char state[4200];
	snprintf(state, sizeof(state), "%s/kafka", dir);
	kc.state_dir = state;
	if (ed_kafka_new(&hs.loop, log, &kc, &hs.kafka, err, sizeof(err)) < 0 ||
	    ed_pgwire_new(&hs.loop, eng, &pc, &hs.pg, err, sizeof(err)) < 0) {
		fprintf(stderr, "listen: %s\n", err);
		return 1;
	}
	uv_signal_init(&hs.loop, &hs.sigint);
	uv_signal_init(&hs.loop, &hs.sigterm);
	hs.sigint.data = hs.sigterm.data = &hs;
	uv_signal_start(&hs.sigint, on_signal, SIGINT);
	uv_signal_start(&hs.sigterm, on_signal, SIGTERM);
	printf("ready kafka=%d sql=%d\n", ed_kafka_port(hs.kafka), ed_pgwire_port(hs.pg));
	fflush(stdout);
	uv_run(&hs.loop, UV_RUN_DEFAULT);
	ed_pgwire_free(hs.pg);
	ed_kafka_free(hs.kafka);
	uv_loop_close(&hs.loop);
	ed_engine_close(eng);
	ed_log_close(log);
	return 0;
}
