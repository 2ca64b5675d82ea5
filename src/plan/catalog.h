/* The SQL catalog: sources, materialized views and sinks by name (one name
 * space, like PostgreSQL relations), each with its canonical CREATE text, its
 * column schema and the bound definition the engine runs. Persisted as one
 * file of canonical SQL in creation order, so re-executing it re-creates
 * every object in dependency order.
 *
 * On-disk format (<data>/catalog/catalog.sql, version 1, written atomically
 * with ed_io_write_file_atomic on every change):
 *
 *   line 1        "-- eddy catalog v1"
 *   then          one canonical CREATE statement per object, in creation
 *                 order, each terminated by ";\n"
 *
 * Threads: owned by the engine; every call is made under the engine's
 * catalog lock (engine/engine.c). Objects are immutable once added, except
 * their runtime pointer. */
#ifndef ED_SQL_CATALOG_H
#define ED_SQL_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "plan/plan.h"

enum ed_obj_kind { ED_OBJ_SOURCE = 1, ED_OBJ_VIEW, ED_OBJ_SINK };

struct ed_catalog_obj {
	enum ed_obj_kind kind;
	const char *name;
	const char *sql;              /* canonical CREATE statement */
	struct ed_schema schema;      /* sources and views */
	struct ed_source_def source;  /* ED_OBJ_SOURCE */
	struct ed_sink_def sink;      /* ED_OBJ_SINK */
	struct ed_query *query;       /* views and AS SELECT sinks */
	struct ed_catalog_obj *input; /* what a view or sink reads */
	uint32_t nkey;                /* views: primary key columns */
	uint32_t *key;
	bool append_only;      /* views: only inserts ever */
	void *rt;              /* the engine's runtime object */
	struct ed_arena arena; /* owns everything above */
	struct ed_catalog_obj *next;
};

struct ed_catalog {
	struct ed_catalog_obj *head; /* creation order */
	char *dir;                   /* NULL: not persisted */
};

/* dir NULL keeps the catalog in memory only. 0 or ED_ENOMEM. */
int ed_catalog_init(struct ed_catalog *cat, const char *dir);
void ed_catalog_fini(struct ed_catalog *cat);
/* The persisted statements (ed_malloc'd, NUL-terminated; NULL if none). 0,
 * ED_EIO, ED_ECORRUPT (bad header). */
int ed_catalog_load(struct ed_catalog *cat, char **text, size_t *len);
/* Write the catalog file. 0 or ED_EIO/ED_ENOSPC/ED_ENOMEM. */
int ed_catalog_save(const struct ed_catalog *cat);

struct ed_catalog_obj *ed_catalog_find(const struct ed_catalog *cat, const char *name);
/* New object with its own arena (not yet in the catalog). */
struct ed_catalog_obj *ed_catalog_obj_new(enum ed_obj_kind kind);
void ed_catalog_obj_free(struct ed_catalog_obj *obj);
/* Append obj (name unique: caller checked). */
void ed_catalog_add(struct ed_catalog *cat, struct ed_catalog_obj *obj);
/* Unlink obj (not freed). */
void ed_catalog_remove(struct ed_catalog *cat, struct ed_catalog_obj *obj);
/* First object that reads obj, or NULL (DROP refuses while one exists). */
struct ed_catalog_obj *ed_catalog_dependent(const struct ed_catalog *cat,
					    const struct ed_catalog_obj *obj);
const char *ed_obj_kind_name(enum ed_obj_kind kind); /* "source", "materialized view", "sink" */

#endif
