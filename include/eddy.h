/* eddy embedding API: run eddy's log and streaming SQL in-process, the way
 * SQLite embeds a database. The server itself is built on it. Today it carries
 * the version; the log is reachable through src/log/log.h until the embedding
 * surface is settled with the SQL engine. */
#ifndef EDDY_H
#define EDDY_H

#define EDDY_VERSION_MAJOR 0
#define EDDY_VERSION_MINOR 1
#define EDDY_VERSION_PATCH 0
#define EDDY_VERSION_STRING "0.1.0"

#endif
