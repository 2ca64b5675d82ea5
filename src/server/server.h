/* eddy server: wires the log to the protocol front ends (Kafka; later
 * PostgreSQL and HTTP) on a small fixed set of threads. */
#ifndef ED_SERVER_H
#define ED_SERVER_H

/* Entry point of `eddy server`: parses flags (argv[0] is "server"), runs until
 * SIGINT/SIGTERM, shuts down cleanly. Returns a process exit status. */
int ed_server_main(int argc, char **argv);

#endif
