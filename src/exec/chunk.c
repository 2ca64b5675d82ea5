/* Column chunks and vectors (chunk.h). A vector is one allocation: cap
 * values of the type's width, then cap null bytes. Chunks keep their vectors
 * across ed_chunk_reset so steady-state processing allocates nothing. */
#include <pthread.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "exec/chunk.h"

#define CHUNK_ARENA_BLOCK (64 * 1024)

int ed_vector_init(struct ed_vector *v, struct ed_type type, uint32_t cap)
{
	size_t w = ed_type_width(type.id);
	if (cap == 0)
		cap = 1;
	v->type = type;
	v->data = ed_malloc(w * cap + cap);
	if (!v->data) {
		v->nulls = NULL;
		return ED_ENOMEM;
	}
	v->nulls = (uint8_t *)v->data + w * cap;
	memset(v->nulls, 1, cap);
	return 0;
}

void ed_vector_fini(struct ed_vector *v)
{
	if (!v)
		return;
	ed_free(v->data);
	v->data = NULL;
	v->nulls = NULL;
}

int ed_chunk_init(struct ed_chunk *c, const struct ed_type *types, uint32_t ncols, uint32_t cap)
{
	memset(c, 0, sizeof *c);
	ed_arena_init(&c->arena, CHUNK_ARENA_BLOCK);
	if (cap == 0)
		cap = ED_CHUNK_DEFAULT_ROWS;
	c->cap = cap;
	c->ncols = ncols;
	c->ops = ed_calloc(cap, 1);
	if (!c->ops)
		goto fail;
	if (ncols) {
		c->cols = ed_calloc(ncols, sizeof *c->cols);
		if (!c->cols)
			goto fail;
	}
	for (uint32_t i = 0; i < ncols; i++)
		if (ed_vector_init(&c->cols[i], types[i], cap))
			goto fail;
	return 0;
fail:
	ed_chunk_fini(c);
	return ED_ENOMEM;
}

void ed_chunk_fini(struct ed_chunk *c)
{
	if (!c)
		return;
	if (c->cols && !c->scratch)
		for (uint32_t i = 0; i < c->ncols; i++)
			ed_vector_fini(&c->cols[i]);
	ed_free(c->cols);
	if (!c->scratch)
		ed_free(c->ops);
	ed_arena_fini(&c->arena);
	c->cols = NULL;
	c->ops = NULL;
	c->rows = 0;
	c->ncols = 0;
}

/* ---- scratch stack ------------------------------------------------------------------ */

#define SCRATCH_BLOCK (256 * 1024)

struct scratch_block {
	struct scratch_block *next; /* the block above, kept for reuse */
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

#define SCRATCH_SPARE_ARENAS 8

struct scratch_stack {
	struct scratch_block *bottom, *cur;
	/* Chunks borrowed and not yet released, oldest first: release hands
	 * their arenas to spare, borrow takes them from there. */
	struct ed_chunk **lent;
	size_t nlent, lent_cap;
	struct ed_arena spare[SCRATCH_SPARE_ARENAS];
	size_t nspare;
};

static _Thread_local struct scratch_stack scratch;

/* Free the thread's blocks when it exits. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free_blocks(void *arg)
{
	struct scratch_block *b = arg;
	while (b) {
		struct scratch_block *next = b->next;
		ed_free(b);
		b = next;
	}
}

/* Thread exit: the blocks, the spare arenas and the lent list. */
static void scratch_thread_exit(void *arg)
{
	scratch_free_blocks(arg);
	while (scratch.nspare)
		ed_arena_fini(&scratch.spare[--scratch.nspare]);
	ed_free(scratch.lent);
	scratch.lent = NULL;
	scratch.nlent = scratch.lent_cap = 0;
}

static void scratch_key_init(void)
{
	pthread_key_create(&scratch_key, scratch_thread_exit);
}

void ed_scratch_mark(struct ed_scratch_mark *m)
{
	m->block = scratch.cur;
	m->used = scratch.cur ? scratch.cur->used : 0;
	m->nlent = scratch.nlent;
}

void ed_scratch_release(const struct ed_scratch_mark *m)
{
	while (scratch.nlent > m->nlent) {
		struct ed_chunk *c = scratch.lent[--scratch.nlent];
		if (!c->arena.head)
			continue;
		ed_arena_reset(&c->arena);
		if (scratch.nspare < SCRATCH_SPARE_ARENAS)
			scratch.spare[scratch.nspare++] = c->arena;
		else
			ed_arena_fini(&c->arena);
		ed_arena_init(&c->arena, CHUNK_ARENA_BLOCK);
	}
	struct scratch_block *b = m->block ? m->block : scratch.bottom;
	if (!b)
		return;
	b->used = m->block ? m->used : 0;
	scratch.cur = b;
}

void *ed_scratch_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct scratch_block *b = scratch.cur;
	if (b && b->size - b->used >= n)
		goto take;
	/* The next block above (kept from earlier calls) if it is large
	 * enough, else a new one in its place. */
	struct scratch_block **slot = b ? &b->next : &scratch.bottom;
	if (*slot && (*slot)->size < n) {
		struct scratch_block *small = *slot;
		*slot = small->next;
		small->next = NULL;
		scratch_free_blocks(small);
	}
	if (!*slot) {
		size_t size = n > SCRATCH_BLOCK ? n : SCRATCH_BLOCK;
		struct scratch_block *nb = ed_malloc(sizeof(*nb) + size);
		if (!nb)
			return NULL;
		nb->size = size;
		nb->next = NULL;
		*slot = nb;
	}
	if (slot == &scratch.bottom) {
		pthread_once(&scratch_once, scratch_key_init);
		pthread_setspecific(scratch_key, scratch.bottom);
	}
	b = *slot;
	b->used = 0;
	scratch.cur = b;
take:;
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

int ed_chunk_init_scratch(struct ed_chunk *c, const struct ed_type *types, uint32_t ncols,
			  uint32_t cap)
{
	memset(c, 0, sizeof *c);
	ed_arena_init(&c->arena, CHUNK_ARENA_BLOCK);
	c->scratch = true;
	c->cap = cap ? cap : ED_CHUNK_DEFAULT_ROWS;
	c->ncols = ncols;
	c->cols = ed_calloc(ncols + 1, sizeof *c->cols);
	if (!c->cols)
		return ED_ENOMEM;
	for (uint32_t i = 0; i < ncols; i++)
		c->cols[i].type = types[i];
	return 0;
}

int ed_chunk_borrow(struct ed_chunk *c)
{
	c->rows = 0;
	if (scratch.nlent == scratch.lent_cap) {
		size_t cap = scratch.lent_cap ? scratch.lent_cap * 2 : 32;
		struct ed_chunk **n = ed_realloc(scratch.lent, cap * sizeof(*n));
		if (!n)
			return ED_ENOMEM;
		scratch.lent = n;
		scratch.lent_cap = cap;
	}
	scratch.lent[scratch.nlent++] = c;
	if (!c->arena.head && scratch.nspare)
		c->arena = scratch.spare[--scratch.nspare];
	if (!(c->ops = ed_scratch_alloc(c->cap)))
		return ED_ENOMEM;
	memset(c->ops, 0, c->cap);
	for (uint32_t i = 0; i < c->ncols; i++) {
		struct ed_vector *v = &c->cols[i];
		size_t w = ed_type_width(v->type.id);
		if (!(v->data = ed_scratch_alloc(w * c->cap + c->cap)))
			return ED_ENOMEM;
		v->nulls = (uint8_t *)v->data + w * c->cap;
		memset(v->nulls, 1, c->cap);
	}
	return 0;
}

void ed_chunk_reset(struct ed_chunk *c)
{
	c->rows = 0;
	ed_arena_reset(&c->arena);
}

void ed_vector_get(const struct ed_vector *v, uint32_t i, struct ed_value *out)
{
	out->type = v->type;
	out->null = v->nulls[i] != 0;
	memset(&out->v, 0, sizeof out->v);
	if (out->null)
		return;
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		out->v.b = ED_VEC(v, uint8_t)[i] != 0;
		break;
	case ED_TYPE_INT16:
		out->v.i = ED_VEC(v, int16_t)[i];
		break;
	case ED_TYPE_INT32:
		out->v.i = ED_VEC(v, int32_t)[i];
		break;
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		out->v.i = ED_VEC(v, int64_t)[i];
		break;
	case ED_TYPE_FLOAT32:
		out->v.f32 = ED_VEC(v, float)[i];
		break;
	case ED_TYPE_FLOAT64:
		out->v.f64 = ED_VEC(v, double)[i];
		break;
	case ED_TYPE_DECIMAL:
		out->v.dec = ED_VEC(v, ed_dec)[i];
		break;
	case ED_TYPE_TEXT:
		out->v.s = ED_VEC(v, struct ed_str)[i];
		break;
	case ED_TYPE_INTERVAL:
		out->v.iv = ED_VEC(v, struct ed_interval)[i];
		break;
	default:
		out->null = true;
		break;
	}
}

int ed_vector_set(struct ed_vector *v, uint32_t i, const struct ed_value *val, struct ed_arena *arena)
{
	if (val->null || val->type.id == ED_TYPE_NULL) {
		v->nulls[i] = 1;
		return 0;
	}
	v->nulls[i] = 0;
	switch (v->type.id) {
	case ED_TYPE_BOOL:
		ED_VEC(v, uint8_t)[i] = val->v.b;
		break;
	case ED_TYPE_INT16:
		ED_VEC(v, int16_t)[i] = (int16_t)val->v.i;
		break;
	case ED_TYPE_INT32:
		ED_VEC(v, int32_t)[i] = (int32_t)val->v.i;
		break;
	case ED_TYPE_INT64:
	case ED_TYPE_TIMESTAMP:
	case ED_TYPE_TIMESTAMPTZ:
		ED_VEC(v, int64_t)[i] = val->v.i;
		break;
	case ED_TYPE_FLOAT32:
		ED_VEC(v, float)[i] = val->v.f32;
		break;
	case ED_TYPE_FLOAT64:
		ED_VEC(v, double)[i] = val->v.f64;
		break;
	case ED_TYPE_DECIMAL:
		ED_VEC(v, ed_dec)[i] = val->v.dec;
		break;
	case ED_TYPE_TEXT: {
		struct ed_str s = {"", 0};
		if (val->v.s.len) {
			char *p = ed_arena_memdup(arena, val->v.s.ptr, val->v.s.len);
			if (!p) {
				v->nulls[i] = 1;
				return ED_ENOMEM;
			}
			s.ptr = p;
			s.len = val->v.s.len;
		}
		ED_VEC(v, struct ed_str)[i] = s;
		break;
	}
	case ED_TYPE_INTERVAL:
		ED_VEC(v, struct ed_interval)[i] = val->v.iv;
		break;
	default:
		v->nulls[i] = 1;
		break;
	}
	return 0;
}

const char *ed_op_name(uint8_t op)
{
	switch (op) {
	case ED_OP_INSERT:
		return "insert";
	case ED_OP_DELETE:
		return "delete";
	case ED_OP_UPDATE_BEFORE:
		return "update_before";
	case ED_OP_UPDATE_AFTER:
		return "update_after";
	}
	return "unknown";
}
