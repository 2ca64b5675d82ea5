/* Allocation wrappers. Every allocation in eddy goes through these: they count
 * bytes in use (for metrics and limits) and can be told to fail the Nth call
 * from now (for fault-injection tests). Thread-safe. */
#ifndef ED_MEM_H
#define ED_MEM_H

#include <stddef.h>
#include <stdint.h>

void *ed_malloc(size_t n);
void *ed_calloc(size_t count, size_t size);
void *ed_realloc(void *p, size_t n);
void ed_free(void *p);
char *ed_strdup(const char *s);
char *ed_strndup(const char *s, size_t n);

/* Bytes currently allocated through ed_malloc and friends. */
size_t ed_mem_in_use(void);
/* Number of live allocations. */
size_t ed_mem_live_count(void);

/* Make the nth allocation call from now fail (1 = the next one); 0 disables.
 * With sticky set, every call from the nth on fails until ed_mem_fail_at(0). */
void ed_mem_fail_at(uint64_t nth, int sticky);
/* True if an injected failure fired since the last ed_mem_fail_at(). */
int ed_mem_fail_fired(void);

#endif
