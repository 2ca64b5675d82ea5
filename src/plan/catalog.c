/* The SQL catalog (catalog.h): objects in creation order, persisted as a
 * file of canonical CREATE statements. */
#include "plan/catalog.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"

#define CATALOG_HEADER "-- eddy catalog v1\n"
#define CATALOG_FILE "catalog.sql"
#define CATALOG_MAX_BYTES (64u << 20)

int ed_catalog_init(struct ed_catalog *cat, const char *dir)
{
	memset(cat, 0, sizeof(*cat));
	if (dir && !(cat->dir = ed_strdup(dir)))
		return ED_ENOMEM;
	return 0;
}

void ed_catalog_fini(struct ed_catalog *cat)
{
	struct ed_catalog_obj *o = cat->head;
	while (o) {
		struct ed_catalog_obj *next = o->next;
		ed_catalog_obj_free(o);
		o = next;
	}
	ed_free(cat->dir);
	memset(cat, 0, sizeof(*cat));
}

static int file_path(const struct ed_catalog *cat, char *out, size_t n)
{
	int w = snprintf(out, n, "%s/%s", cat->dir, CATALOG_FILE);
	return w < 0 || (size_t)w >= n ? ED_ETOOBIG : 0;
}

int ed_catalog_load(struct ed_catalog *cat, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (!cat->dir)
		return 0;
	char path[4096];
	int rc = file_path(cat, path, sizeof(path));
	if (rc)
		return rc;
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	char *buf;
	size_t n;
	rc = ed_io_read_file(path, CATALOG_MAX_BYTES, &buf, &n);
	if (rc)
		return rc;
	size_t hl = strlen(CATALOG_HEADER);
	if (n < hl || memcmp(buf, CATALOG_HEADER, hl) != 0) {
		ed_free(buf);
		return ED_ECORRUPT;
	}
	*text = buf;
	*len = n;
	return 0;
}

int ed_catalog_save(const struct ed_catalog *cat)
{
	if (!cat->dir)
		return 0;
	int rc = ed_io_mkdirs(cat->dir, 0755);
	if (rc)
		return rc;
	struct ed_buf b;
	ed_buf_init(&b);
	ed_buf_append(&b, CATALOG_HEADER, strlen(CATALOG_HEADER));
	for (const struct ed_catalog_obj *o = cat->head; o; o = o->next) {
		ed_buf_append(&b, o->sql, strlen(o->sql));
		ed_buf_append(&b, ";\n", 2);
	}
	char path[4096];
	rc = b.err ? b.err : file_path(cat, path, sizeof(path));
	if (rc == 0)
		rc = ed_io_write_file_atomic(path, b.data, b.len);
	ed_buf_fini(&b);
	return rc;
}

struct ed_catalog_obj *ed_catalog_find(const struct ed_catalog *cat, const char *name)
{
	for (struct ed_catalog_obj *o = cat->head; o; o = o->next)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

struct ed_catalog_obj *ed_catalog_obj_new(enum ed_obj_kind kind)
{
	struct ed_catalog_obj *o = ed_calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->kind = kind;
	o->source.time_col = -1;
	ed_arena_init(&o->arena, 0);
	return o;
}

void ed_catalog_obj_free(struct ed_catalog_obj *obj)
{
	if (!obj)
		return;
	ed_arena_fini(&obj->arena);
	ed_free(obj);
}

void ed_catalog_add(struct ed_catalog *cat, struct ed_catalog_obj *obj)
{
	struct ed_catalog_obj **pp = &cat->head;
	while (*pp)
		pp = &(*pp)->next;
	obj->next = NULL;
	*pp = obj;
}

void ed_catalog_remove(struct ed_catalog *cat, struct ed_catalog_obj *obj)
{
	for (struct ed_catalog_obj **pp = &cat->head; *pp; pp = &(*pp)->next)
		if (*pp == obj) {
			*pp = obj->next;
			obj->next = NULL;
			return;
		}
}

struct ed_catalog_obj *ed_catalog_dependent(const struct ed_catalog *cat,
					    const struct ed_catalog_obj *obj)
{
	for (struct ed_catalog_obj *o = cat->head; o; o = o->next)
		if (o->input == obj)
			return o;
	return NULL;
}

const char *ed_obj_kind_name(enum ed_obj_kind kind)
{
	switch (kind) {
	case ED_OBJ_SOURCE:
		return "source";
	case ED_OBJ_VIEW:
		return "materialized view";
	case ED_OBJ_SINK:
		return "sink";
	}
	return "object";
}
