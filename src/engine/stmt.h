/* Engine-internal: the statement threads behind ed_engine_submit (stmt.c),
 * started by ed_engine_open and stopped by ed_engine_close. */
#ifndef ED_ENGINE_STMT_H
#define ED_ENGINE_STMT_H

struct ed_engine;
struct ed_stmt_pool;

/* Start nthreads (<= 0: 2) statement threads. 0 or ED_ENOMEM. */
int ed_stmt_pool_start(struct ed_engine *eng, int nthreads, struct ed_stmt_pool **out);
/* The engine's pool (engine.c). */
struct ed_stmt_pool *ed_engine_stmt_pool(struct ed_engine *eng);
/* Run every job already submitted, then join the threads. NULL is fine. */
void ed_stmt_pool_stop(struct ed_stmt_pool *p);

#endif
