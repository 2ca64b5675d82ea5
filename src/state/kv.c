/* Keyed state store (kv.h): open addressing with linear probing and
 * backward-shift deletion (slots carry the hash), one allocation per entry
 * reused through a small pool of deleted entries, dirty list and deleted
 * key log for incremental checkpoints. */
#include "state/kv.h"

#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/mem.h"

void ed_kv_init(struct ed_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	ed_buf_init(&kv->deleted);
}

void ed_kv_fini(struct ed_kv *kv)
{
	if (!kv)
		return;
	for (size_t i = 0; i < kv->nslots; i++)
		ed_free(kv->slots[i].e);
	ed_free(kv->slots);
	ed_free(kv->dirty);
	ed_buf_fini(&kv->deleted);
	while (kv->pool) {
		struct ed_kv_entry *n;
		memcpy(&n, kv->pool->data, sizeof(n));
		ed_free(kv->pool);
		kv->pool = n;
	}
	memset(kv, 0, sizeof(*kv));
}

uint64_t ed_kv_hash(const void *key, size_t klen)
{
	return ed_hash64(key, klen);
}

static size_t probe_start(const struct ed_kv *kv, uint64_t hash)
{
	return (size_t)hash & (kv->nslots - 1);
}

struct ed_kv_entry *ed_kv_find(const struct ed_kv *kv, const void *key, uint32_t klen, uint64_t hash)
{
	if (kv->nslots == 0)
		return NULL;
	size_t mask = kv->nslots - 1;
	for (size_t i = probe_start(kv, hash);; i = (i + 1) & mask) {
		const struct ed_kv_slot *s = &kv->slots[i];
		if (!s->e)
			return NULL;
		if (s->hash == hash && s->e->klen == klen &&
		    (klen == 0 || memcmp(s->e->data, key, klen) == 0))
			return s->e;
	}
}

static size_t find_slot(const struct ed_kv *kv, const struct ed_kv_entry *e)
{
	for (size_t i = probe_start(kv, e->hash);; i = (i + 1) & (kv->nslots - 1))
		if (kv->slots[i].e == e)
			return i;
}

static int grow(struct ed_kv *kv)
{
	size_t n = kv->nslots ? kv->nslots * 2 : 64;
	struct ed_kv_slot *slots = ed_calloc(n, sizeof(*slots));
	if (!slots)
		return ED_ENOMEM;
	for (size_t i = 0; i < kv->nslots; i++) {
		struct ed_kv_slot s = kv->slots[i];
		if (!s.e)
			continue;
		size_t j = (size_t)s.hash & (n - 1);
		while (slots[j].e)
			j = (j + 1) & (n - 1);
		slots[j] = s;
	}
	ed_free(kv->slots);
	kv->slots = slots;
	kv->nslots = n;
	return 0;
}

void ed_kv_mark_dirty(struct ed_kv *kv, struct ed_kv_entry *e)
{
	if (e->dirty >= 0)
		return;
	if (kv->ndirty == kv->dirty_cap) {
		size_t cap = kv->dirty_cap ? kv->dirty_cap * 2 : 64;
		struct ed_kv_entry **d = ed_realloc(kv->dirty, cap * sizeof(*d));
		if (!d)
			return; /* stays clean: the next checkpoint must be full (see kv.h) */
		kv->dirty = d;
		kv->dirty_cap = cap;
	}
	e->dirty = (int32_t)kv->ndirty;
	kv->dirty[kv->ndirty++] = e;
}

static void unmark_dirty(struct ed_kv *kv, struct ed_kv_entry *e)
{
	if (e->dirty < 0)
		return;
	struct ed_kv_entry *last = kv->dirty[--kv->ndirty];
	kv->dirty[e->dirty] = last;
	last->dirty = e->dirty;
	e->dirty = -1;
}

/* A pooled entry whose allocation holds need bytes after the header, or
 * NULL. Only the first is tried; one too small is freed (sizes of one
 * store's entries are mostly alike). */
static struct ed_kv_entry *pool_take(struct ed_kv *kv, size_t need)
{
	struct ed_kv_entry *e = kv->pool;
	if (!e)
		return NULL;
	memcpy(&kv->pool, e->data, sizeof(kv->pool));
	kv->npool--;
	if (ed_kv_value_off(e->klen) + e->vcap >= need)
		return e;
	ed_free(e);
	return NULL;
}

static void pool_put(struct ed_kv *kv, struct ed_kv_entry *e)
{
	if (kv->npool >= ED_KV_POOL_MAX || ed_kv_value_off(e->klen) + e->vcap < sizeof(kv->pool)) {
		ed_free(e);
		return;
	}
	memcpy(e->data, &kv->pool, sizeof(kv->pool));
	kv->pool = e;
	kv->npool++;
}

int ed_kv_upsert(struct ed_kv *kv, const void *key, uint32_t klen, uint64_t hash, uint32_t vlen,
		 struct ed_kv_entry **out, bool *created)
{
	struct ed_kv_entry *e = ed_kv_find(kv, key, klen, hash);
	*created = false;
	if (!e) {
		if ((kv->count + 1) * 2 > kv->nslots && grow(kv) != 0)
			return ED_ENOMEM;
		size_t voff = ed_kv_value_off(klen);
		e = pool_take(kv, voff + vlen);
		uint32_t vcap = e ? (uint32_t)(ed_kv_value_off(e->klen) + e->vcap - voff) : vlen;
		if (!e && !(e = ed_malloc(sizeof(*e) + voff + vlen)))
			return ED_ENOMEM;
		e->hash = hash;
		e->klen = klen;
		e->vlen = vlen;
		e->vcap = vcap;
		e->dirty = -1;
		e->user = 0;
		if (klen) /* the empty key (a global aggregate) may come as NULL */
			memcpy(e->data, key, klen);
		memset(e->data + klen, 0, voff - klen + vlen);
		size_t i = probe_start(kv, hash);
		while (kv->slots[i].e)
			i = (i + 1) & (kv->nslots - 1);
		kv->slots[i] = (struct ed_kv_slot){hash, e};
		kv->count++;
		kv->bytes += klen + vlen;
		*created = true;
	}
	ed_kv_mark_dirty(kv, e);
	*out = e;
	return 0;
}

int ed_kv_value_reserve(struct ed_kv *kv, struct ed_kv_entry **ep, uint32_t vlen)
{
	struct ed_kv_entry *e = *ep;
	if (vlen <= e->vcap) {
		kv->bytes += vlen;
		kv->bytes -= e->vlen;
		e->vlen = vlen;
		return 0;
	}
	uint32_t cap = e->vcap * 2 > vlen ? e->vcap * 2 : vlen;
	size_t slot = find_slot(kv, e);
	struct ed_kv_entry *n = ed_realloc(e, sizeof(*e) + ed_kv_value_off(e->klen) + cap);
	if (!n)
		return ED_ENOMEM;
	kv->slots[slot].e = n;
	if (n->dirty >= 0)
		kv->dirty[n->dirty] = n;
	kv->bytes += vlen;
	kv->bytes -= n->vlen;
	n->vcap = cap;
	n->vlen = vlen;
	*ep = n;
	return 0;
}

int ed_kv_delete(struct ed_kv *kv, struct ed_kv_entry *e)
{
	size_t i = find_slot(kv, e);
	unmark_dirty(kv, e);
	if (!kv->changes_dropped) {
		ed_buf_put_be32(&kv->deleted, e->klen);
		ed_buf_append(&kv->deleted, e->data, e->klen);
		kv->ndeleted++;
		/* Without checkpoints the log would grow forever (every closed
		 * window deletes its groups): once it outweighs a snapshot of
		 * the store, drop it; the next checkpoint must be a full one. */
		if (kv->deleted.len > ED_KV_DELETED_MIN && kv->deleted.len > kv->bytes) {
			ed_buf_fini(&kv->deleted);
			ed_buf_init(&kv->deleted);
			kv->ndeleted = 0;
			kv->changes_dropped = true;
		}
	}
	kv->bytes -= e->klen + e->vlen;
	kv->slots[i] = (struct ed_kv_slot){0, NULL};
	kv->count--;
	/* Backward shift: move later entries of the run into the hole when
	 * their home slot does not lie cyclically in (hole, j]. */
	size_t mask = kv->nslots - 1, hole = i;
	for (size_t j = (i + 1) & mask; kv->slots[j].e; j = (j + 1) & mask) {
		size_t home = (size_t)kv->slots[j].hash & mask;
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
		if (!stays) {
			kv->slots[hole] = kv->slots[j];
			kv->slots[j] = (struct ed_kv_slot){0, NULL};
			hole = j;
		}
	}
	pool_put(kv, e);
	return kv->deleted.err ? ED_ENOMEM : 0;
}

struct ed_kv_entry *ed_kv_next(const struct ed_kv *kv, size_t *pos)
{
	while (*pos < kv->nslots) {
		struct ed_kv_entry *e = kv->slots[(*pos)++].e;
		if (e)
			return e;
	}
	return NULL;
}

int ed_kv_changes(const struct ed_kv *kv, ed_kv_change_fn fn, void *arg)
{
	int rc = 0;
	if (kv->changes_dropped)
		return ED_ERANGE;
	for (size_t i = 0; i < kv->ndirty && rc == 0; i++) {
		struct ed_kv_entry *e = kv->dirty[i];
		rc = fn(arg, e->data, e->klen, ed_kv_value(e), e->vlen);
	}
	const uint8_t *p = kv->deleted.data, *end = p + kv->deleted.len;
	while (rc == 0 && p + 4 <= end) {
		uint32_t klen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
				p[3];
		p += 4;
		/* A key deleted and then re-inserted is reported by its upsert only. */
		if (!ed_kv_find(kv, p, klen, ed_kv_hash(p, klen)))
			rc = fn(arg, p, klen, NULL, 0);
		p += klen;
	}
	return rc;
}

void ed_kv_checkpoint_done(struct ed_kv *kv)
{
	for (size_t i = 0; i < kv->ndirty; i++)
		kv->dirty[i]->dirty = -1;
	kv->ndirty = 0;
	ed_buf_reset(&kv->deleted);
	kv->ndeleted = 0;
	kv->changes_dropped = false;
}
