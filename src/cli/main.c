/* Entry point of the `eddy` binary: global flags (--help, --version) and the
 * dispatch to one subcommand. Each subcommand lives in its own cmd_*.c and
 * gets argv starting at its own name; `eddy server` belongs to src/server. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"

int ed_cmd_sql(int argc, char **argv); /* cmd_sql.c */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"server", ed_server_main, "run the broker (Kafka protocol) on a data directory"},
	{"topic", ed_cmd_topic, "create, list, describe, alter and delete topics"},
	{"produce", ed_cmd_produce, "append lines from stdin to a topic"},
	{"consume", ed_cmd_consume, "print the records of a topic"},
	{"sql", ed_cmd_sql, "run SQL against a server's PostgreSQL-protocol port"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"eddy %s: a Kafka-compatible durable log and streaming SQL engine\n\n"
		"usage: eddy [--help | --version]\n"
		"       eddy COMMAND [FLAGS] [ARGS]\n\n"
		"commands:\n",
		ED_CLI_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'eddy COMMAND --help' documents the flags of a command;\n"
		     "'eddy help COMMAND' does the same.\n"
		     "The data directory is --data-dir DIR, else $EDDY_DATA_DIR, else ./data.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return ED_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return ED_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("eddy %s\n", ED_CLI_VERSION);
		return ED_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return ED_EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd) {
			fprintf(stderr, "eddy: unknown command '%s' (see 'eddy --help')\n", argv[2]);
			return ED_EXIT_USAGE;
		}
		char *help_argv[] = {(char *)cmd->name, (char *)"--help", NULL};
		return cmd->run(2, help_argv);
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "eddy: unknown command '%s' (see 'eddy --help')\n", argv[1]);
		return ED_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
