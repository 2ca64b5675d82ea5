/* Counting allocator. Each block carries a 16-byte header holding its size so
 * ed_free can account for it; counters are atomics, so any thread may
 * allocate. Fault injection: ed_mem_fail_at(n) fails the nth call from now. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define HDR 16

static _Atomic size_t mem_in_use;
static _Atomic size_t mem_live;
static _Atomic uint64_t fail_countdown; /* 0 = off */
static _Atomic int fail_sticky;
static _Atomic int fail_fired;

static int should_fail(void)
{
	uint64_t n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (n == 0)
		return 0;
	if (n == 1) {
		if (!atomic_load(&fail_sticky))
			atomic_store(&fail_countdown, 0);
		atomic_store(&fail_fired, 1);
		return 1;
	}
	/* Several threads may race here; an off-by-one under contention is fine
	 * for a test facility, the tests that use it are single-threaded. */
	atomic_fetch_sub(&fail_countdown, 1);
	return 0;
}

void ed_mem_fail_at(uint64_t nth, int sticky)
{
	atomic_store(&fail_sticky, sticky);
	atomic_store(&fail_fired, 0);
	atomic_store(&fail_countdown, nth);
}

int ed_mem_fail_fired(void)
{
	return atomic_load(&fail_fired);
}
size_t ed_mem_in_use(void)
{
	return atomic_load(&mem_in_use);
}
size_t ed_mem_live_count(void)
{
	return atomic_load(&mem_live);
}

void *ed_malloc(size_t n)
{
	if (should_fail() || n > SIZE_MAX - HDR)
		return NULL;
	unsigned char *p = malloc(n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	atomic_fetch_add_explicit(&mem_in_use, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&mem_live, 1, memory_order_relaxed);
	return p + HDR;
}

void *ed_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = ed_malloc(count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

void *ed_realloc(void *p, size_t n)
{
	if (!p)
		return ed_malloc(n);
	if (should_fail() || n > SIZE_MAX - HDR)
		return NULL;
	unsigned char *base = (unsigned char *)p - HDR;
	size_t old;
	memcpy(&old, base, sizeof old);
	unsigned char *nb = realloc(base, n + HDR);
	if (!nb)
		return NULL;
	memcpy(nb, &n, sizeof n);
	if (n >= old)
		atomic_fetch_add_explicit(&mem_in_use, n - old, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&mem_in_use, old - n, memory_order_relaxed);
	return nb + HDR;
}

void ed_free(void *p)
{
	if (!p)
		return;
	unsigned char *base = (unsigned char *)p - HDR;
	size_t n;
	memcpy(&n, base, sizeof n);
	atomic_fetch_sub_explicit(&mem_in_use, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&mem_live, 1, memory_order_relaxed);
	free(base);
}

/* s may be NULL when n is 0 (an empty request body, say). */
char *ed_strndup(const char *s, size_t n)
{
	size_t len = n ? strnlen(s, n) : 0;
	char *d = ed_malloc(len + 1);
	if (d) {
		if (len)
			memcpy(d, s, len);
		d[len] = 0;
	}
	return d;
}

char *ed_strdup(const char *s)
{
	return ed_strndup(s, strlen(s));
}
