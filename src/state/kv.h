/* Keyed state store: a hash table from byte-string keys to byte-string
 * values, the one container behind grouped aggregation and materialized
 * views. It remembers which keys changed (upserted or deleted) since the last
 * checkpoint, so a checkpoint (DESIGN.md) can either snapshot the whole store
 * or log only its changes to a changelog topic.
 *
 * Invariants:
 *  1. Keys are compared as bytes. Callers encode SQL values canonically
 *     (src/exec/row.h) so byte equality is SQL group equality.
 *  2. An entry is one allocation: header, key, then the value area (16-byte
 *     aligned, so aggregate states can live inline); vcap is what the
 *     allocation holds after the key (a reused entry may hold more). An entry's address is
 *     stable until the entry is deleted or its value area grows
 *     (ed_kv_value_reserve may move it and says so).
 *  3. The table is open-addressed with linear probing and backward-shift
 *     deletion: no tombstones, load factor <= 0.5. Each slot holds the
 *     entry's hash next to its pointer, so a probe touches entries only
 *     when the hashes match.
 *  4. Every entry upserted since the last ed_kv_checkpoint_done is on the
 *     dirty list exactly once; every key deleted since then (and not
 *     re-inserted) is in the deleted-key log.
 *
 * Threads: owned by the pipeline's worker thread. Readers on other threads
 * (pull queries) must be serialised by the owner's lock (see exec/view.c). */
#ifndef ED_STATE_KV_H
#define ED_STATE_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct ed_kv_entry {
	uint64_t hash;
	uint32_t klen;
	uint32_t vlen;
	uint32_t vcap;
	int32_t dirty;  /* index in the dirty list, -1 if clean */
	uint64_t user;  /* free for the owner (e.g. a sequence or a window id) */
	uint8_t data[]; /* key, padding to 16, value */
};

static inline const uint8_t *ed_kv_key(const struct ed_kv_entry *e)
{
	return e->data;
}
static inline size_t ed_kv_value_off(uint32_t klen)
{
	return ((size_t)klen + 15) & ~(size_t)15;
}
static inline uint8_t *ed_kv_value(struct ed_kv_entry *e)
{
	return e->data + ed_kv_value_off(e->klen);
}

struct ed_kv_slot {
	uint64_t hash;         /* the entry's hash */
	struct ed_kv_entry *e; /* NULL: empty */
};

struct ed_kv {
	struct ed_kv_slot *slots;
	size_t nslots; /* power of two, or 0 */
	size_t count;
	struct ed_kv_entry **dirty;
	size_t ndirty, dirty_cap;
	struct ed_buf deleted; /* [u32 klen][key] records since the checkpoint */
	size_t ndeleted;
	size_t bytes; /* key + value bytes held (metrics) */
	/* The deleted-key log outgrew the store (ED_KV_DELETED_MIN and
	 * kv->bytes) and was dropped: changes cannot be listed until the next
	 * full snapshot (ed_kv_changes says ED_ERANGE). Keeps a store whose
	 * keys come and go (closed windows) bounded without checkpoints. */
	bool changes_dropped;
	/* Deleted entries kept for reuse (linked through their data area),
	 * at most ED_KV_POOL_MAX: closed windows delete their groups and the
	 * next window creates as many, without going to malloc. */
	struct ed_kv_entry *pool;
	size_t npool;
};
#define ED_KV_POOL_MAX 32
#define ED_KV_DELETED_MIN (64u << 10)

void ed_kv_init(struct ed_kv *kv);
/* Frees every entry (callers release what values point to first). */
void ed_kv_fini(struct ed_kv *kv);
uint64_t ed_kv_hash(const void *key, size_t klen);

/* The entry for key or NULL. */
struct ed_kv_entry *ed_kv_find(const struct ed_kv *kv, const void *key, uint32_t klen, uint64_t hash);
/* Find or create key. A new entry gets a zeroed value area of vlen bytes and
 * *created = true. 0 or ED_ENOMEM (nothing changed). Marks the entry dirty. */
int ed_kv_upsert(struct ed_kv *kv, const void *key, uint32_t klen, uint64_t hash, uint32_t vlen,
		 struct ed_kv_entry **out, bool *created);
/* Make room for vlen value bytes (keeping the first min(vlen, old) bytes);
 * *e may move. Sets e->vlen. 0 or ED_ENOMEM (entry unchanged). */
int ed_kv_value_reserve(struct ed_kv *kv, struct ed_kv_entry **e, uint32_t vlen);
void ed_kv_mark_dirty(struct ed_kv *kv, struct ed_kv_entry *e);
/* Remove and free e, logging its key as deleted. 0 or ED_ENOMEM (the delete
 * log could not grow; the entry is removed anyway and the next checkpoint
 * must be a full snapshot: kv->deleted.err is left set). */
int ed_kv_delete(struct ed_kv *kv, struct ed_kv_entry *e);

/* Iterate: start with *pos = 0; NULL at the end. Do not modify while
 * iterating except through ed_kv_delete of the returned entry, after which
 * iteration must restart. */
struct ed_kv_entry *ed_kv_next(const struct ed_kv *kv, size_t *pos);

/* Changes since the last checkpoint: fn(arg, key, klen, value, vlen) for
 * each upserted entry (value non-NULL) and each deleted key (value NULL). */
typedef int (*ed_kv_change_fn)(void *arg, const uint8_t *key, uint32_t klen, const uint8_t *value,
			       uint32_t vlen);
/* 0, fn's first non-zero return, or ED_ERANGE when the changes were dropped
 * (changes_dropped): take a full snapshot instead. */
int ed_kv_changes(const struct ed_kv *kv, ed_kv_change_fn fn, void *arg);
/* Forget the change lists (after a checkpoint captured them). */
void ed_kv_checkpoint_done(struct ed_kv *kv);

#endif
