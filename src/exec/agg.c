/* Aggregate functions (agg.h) with exact retraction and checkpointable
 * state. Every state starts with `rows`, the number of input rows (NULL or
 * not) it holds, so count() can tell when a group is empty whatever the
 * aggregate. States must be 8-byte aligned; 128-bit fields are read and
 * written through memcpy so no 16-byte alignment is assumed.
 *
 * Sums of integers and decimals are exact (128-bit accumulators; SUM over
 * integers is BIGINT and fails with 22003 when the result does not fit);
 * float sums use compensated (Kahan-Babuska) addition, so retraction drifts
 * by at most a few ulps. MIN, MAX, COUNT(DISTINCT), FIRST_VALUE and
 * LAST_VALUE keep a per-group multiset: an open-addressing hash table of
 * distinct values with their multiplicity, the sequence number of their
 * first and latest insertion. FIRST_VALUE is the live value inserted
 * earliest, LAST_VALUE the live value inserted latest.
 *
 * Serialized state (version 1), all integers big-endian:
 *   u8 version, i64 rows, i64 n (non-NULL rows), then per kind:
 *   sum/avg:   16 bytes accumulator (or f64 sum, f64 compensation)
 *   var:       16+16 bytes exact sums or f64 mean, f64 m2
 *   multiset:  i64 seq, u32 entries, each: i64 count, i64 first, i64 last,
 *              value (text: u32 length + bytes; others: their width) */
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/mem.h"
#include "exec/agg.h"
#include "exec/exec_int.h"

#define STATE_VERSION 1

enum agg_kind {
	K_COUNT_STAR,
	K_COUNT,
	K_SUM,
	K_AVG,
	K_VAR, /* variance / stddev, sample or population */
	K_MIN,
	K_MAX,
	K_COUNT_DISTINCT,
	K_FIRST,
	K_LAST,
};

/* ---- multiset ---------------------------------------------------------------- */

struct mentry {
	uint64_t hash; /* 0 = empty slot */
	int64_t count;
	int64_t first, last; /* insertion sequence numbers */
	_Alignas(16) uint8_t val[16];
};

struct mset {
	uint32_t cap; /* power of two */
	uint32_t len;
	struct mentry *e;
};

static uint64_t fix_hash(uint64_t h)
{
	return h ? h : 1;
}

static struct ed_vector entry_vec(const struct ed_type *t, struct mentry *m)
{
	static uint8_t zero;
	struct ed_vector v = {*t, &zero, m->val};
	return v;
}

static void mset_free(struct mset *s, enum ed_type_id t)
{
	if (!s)
		return;
	if (t == ED_TYPE_TEXT)
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->e[i].hash)
				ed_free((void *)((struct ed_str *)s->e[i].val)->ptr);
	ed_free(s->e);
	ed_free(s);
}

static struct mset *mset_new(uint32_t cap)
{
	struct mset *s = ed_malloc(sizeof *s);
	if (!s)
		return NULL;
	s->cap = cap;
	s->len = 0;
	s->e = ed_calloc(cap, sizeof *s->e);
	if (!s->e) {
		ed_free(s);
		return NULL;
	}
	return s;
}

static int mset_grow(struct mset *s)
{
	uint32_t ncap = s->cap * 2;
	struct mentry *ne = ed_calloc(ncap, sizeof *ne);
	if (!ne)
		return ED_ENOMEM;
	for (uint32_t i = 0; i < s->cap; i++) {
		if (!s->e[i].hash)
			continue;
		uint32_t j = (uint32_t)s->e[i].hash & (ncap - 1);
		while (ne[j].hash)
			j = (j + 1) & (ncap - 1);
		ne[j] = s->e[i];
	}
	ed_free(s->e);
	s->e = ne;
	s->cap = ncap;
	return 0;
}

/* Slot of the value at row i of v, or of the empty slot where it would go. */
static uint32_t mset_find(const struct mset *s, const struct ed_vector *v, uint32_t i, uint64_t h)
{
	uint32_t j = (uint32_t)h & (s->cap - 1);
	while (s->e[j].hash) {
		if (s->e[j].hash == h) {
			struct ed_vector ev = entry_vec(&v->type, &s->e[j]);
			if (ed_vec_eq(&ev, 0, v, i))
				return j;
		}
		j = (j + 1) & (s->cap - 1);
	}
	return j;
}

/* Adds one occurrence (count may be > 1 when restoring). */
static int mset_add(struct mset *s, const struct ed_vector *v, uint32_t i, int64_t count,
		    int64_t first, int64_t last)
{
	if ((s->len + 1) * 4 > s->cap * 3 && mset_grow(s))
		return ED_ENOMEM;
	uint64_t h = fix_hash(ed_vec_hash(v, i));
	uint32_t j = mset_find(s, v, i, h);
	struct mentry *m = &s->e[j];
	if (m->hash) {
		m->count += count;
		if (last > m->last)
			m->last = last;
		return 0;
	}
	size_t w = ed_type_width(v->type.id);
	memset(m->val, 0, sizeof m->val);
	if (v->type.id == ED_TYPE_TEXT) {
		struct ed_str str = ED_VEC(v, struct ed_str)[i];
		char *p = ed_malloc(str.len ? str.len : 1);
		if (!p)
			return ED_ENOMEM;
		if (str.len)
			memcpy(p, str.ptr, str.len);
		str.ptr = p;
		memcpy(m->val, &str, sizeof str);
	} else {
		memcpy(m->val, (const uint8_t *)v->data + (size_t)i * w, w);
	}
	m->hash = h;
	m->count = count;
	m->first = first;
	m->last = last;
	s->len++;
	return 0;
}

/* Removes one occurrence. Returns 1 if the value left the set, 0 if it is
 * still there, -1 if it was not there (a retraction of a row never added). */
static int mset_remove(struct mset *s, const struct ed_vector *v, uint32_t i)
{
	uint64_t h = fix_hash(ed_vec_hash(v, i));
	uint32_t j = mset_find(s, v, i, h);
	if (!s->e[j].hash)
		return -1;
	if (--s->e[j].count > 0)
		return 0;
	if (v->type.id == ED_TYPE_TEXT)
		ed_free((void *)((struct ed_str *)s->e[j].val)->ptr);
	/* Backward-shift deletion keeps probe sequences intact. */
	uint32_t mask = s->cap - 1, hole = j, k = j;
	for (;;) {
		k = (k + 1) & mask;
		if (!s->e[k].hash)
			break;
		uint32_t home = (uint32_t)s->e[k].hash & mask;
		bool movable = hole <= k ? (home <= hole || home > k) : (home <= hole && home > k);
		if (movable) {
			s->e[hole] = s->e[k];
			hole = k;
		}
	}
	memset(&s->e[hole], 0, sizeof s->e[hole]);
	s->len--;
	return 1;
}

/* ---- states ------------------------------------------------------------------ */

struct st_head {
	int64_t rows;
	int64_t n; /* non-NULL inputs */
};

struct st_sum {
	struct st_head h;
	uint8_t acc[16]; /* __int128 for integers and decimals */
	double f, c;     /* float sum and compensation */
};

struct st_var {
	struct st_head h;
	uint8_t sx[16], sxx[16]; /* exact sums for small integers */
	double mean, m2;
};

struct st_set {
	struct st_head h;
	struct mset *m;
	int64_t seq;
};

static __int128 get128(const uint8_t *p)
{
	__int128 v;
	memcpy(&v, p, sizeof v);
	return v;
}

static void put128(uint8_t *p, __int128 v)
{
	memcpy(p, &v, sizeof v);
}

static enum agg_kind kind_of(const struct ed_agg *agg)
{
	/* The kind rides in the name's table entry; see resolve. */
	const char *n = agg->name;
	if (strcmp(n, "count") == 0)
		return agg->arg_type.id == ED_TYPE_NULL ? K_COUNT_STAR
		       : agg->distinct                  ? K_COUNT_DISTINCT
							: K_COUNT;
	if (strcmp(n, "sum") == 0)
		return K_SUM;
	if (strcmp(n, "avg") == 0)
		return K_AVG;
	if (strcmp(n, "min") == 0)
		return K_MIN;
	if (strcmp(n, "max") == 0)
		return K_MAX;
	if (strcmp(n, "first_value") == 0)
		return K_FIRST;
	if (strcmp(n, "last_value") == 0)
		return K_LAST;
	return K_VAR;
}

static bool uses_set(enum agg_kind k)
{
	return k == K_MIN || k == K_MAX || k == K_COUNT_DISTINCT || k == K_FIRST || k == K_LAST;
}

static void agg_init(const struct ed_agg *agg, void *state)
{
	memset(state, 0, agg->state_size);
}

static void agg_fini(const struct ed_agg *agg, void *state)
{
	if (uses_set(kind_of(agg))) {
		struct st_set *s = state;
		mset_free(s->m, agg->arg_type.id);
		s->m = NULL;
	}
}

static int64_t agg_count(const struct ed_agg *agg, const void *state)
{
	(void)agg;
	return ((const struct st_head *)state)->rows;
}

static inline bool is_retract(const uint8_t *ops, uint32_t i)
{
	return ops && (ops[i] == ED_OP_DELETE || ops[i] == ED_OP_UPDATE_BEFORE);
}

/* Integer value of row i as int64 (smallint, integer, bigint). */
static inline int64_t int_at(const struct ed_vector *v, uint32_t i)
{
	switch (v->type.id) {
	case ED_TYPE_INT16:
		return ED_VEC(v, int16_t)[i];
	case ED_TYPE_INT32:
		return ED_VEC(v, int32_t)[i];
	default:
		return ED_VEC(v, int64_t)[i];
	}
}

static inline double float_at(const struct ed_vector *v, uint32_t i)
{
	return v->type.id == ED_TYPE_FLOAT32 ? ED_VEC(v, float)[i] : ED_VEC(v, double)[i];
}

/* Kahan-Babuska (Neumaier) compensated addition. */
static inline void kadd(double *sum, double *c, double x)
{
	double t = *sum + x;
	if (fabs(*sum) >= fabs(x))
		*c += (*sum - t) + x;
	else
		*c += (x - t) + *sum;
	*sum = t;
}

static int agg_update(const struct ed_agg *agg, void **states, const struct ed_vector *arg,
		      const uint8_t *ops, const uint8_t *sel, uint32_t rows,
		      struct ed_expr_error *err)
{
	enum agg_kind k = kind_of(agg);
	enum ed_type_id t = agg->arg_type.id;
	for (uint32_t i = 0; i < rows; i++) {
		if (sel && !sel[i])
			continue;
		struct st_head *h = states[i];
		bool r = is_retract(ops, i);
		int64_t d = r ? -1 : 1;
		h->rows += d;
		if (k == K_COUNT_STAR || arg->nulls[i])
			continue;
		h->n += d;
		switch (k) {
		case K_COUNT:
		case K_COUNT_STAR:
			break;
		case K_SUM:
		case K_AVG: {
			struct st_sum *s = states[i];
			if (t == ED_TYPE_FLOAT32 || t == ED_TYPE_FLOAT64) {
				kadd(&s->f, &s->c, r ? -float_at(arg, i) : float_at(arg, i));
				if (s->h.n == 0)
					s->f = s->c = 0; /* exact again when empty */
				break;
			}
			__int128 x = t == ED_TYPE_DECIMAL ? ED_VEC(arg, ed_dec)[i] : int_at(arg, i);
			__int128 acc = get128(s->acc), nacc;
			if (__builtin_add_overflow(acc, r ? -x : x, &nacc))
				return ed_expr_fail(err, (int32_t)i, "22003",
						    t == ED_TYPE_DECIMAL ? "numeric field overflow"
									 : "bigint out of range");
			put128(s->acc, nacc);
			break;
		}
		case K_VAR: {
			struct st_var *s = states[i];
			if (ed_type_is_integer(t) || t == ED_TYPE_DECIMAL) {
				/* Exact sums of x and x^2 (decimals unscaled). */
				__int128 x = t == ED_TYPE_DECIMAL ? ED_VEC(arg, ed_dec)[i]
								  : int_at(arg, i);
				__int128 xx, sx, sxx;
				if (__builtin_mul_overflow(x, x, &xx) ||
				    __builtin_add_overflow(get128(s->sx), r ? -x : x, &sx) ||
				    __builtin_add_overflow(get128(s->sxx), r ? -xx : xx, &sxx))
					return ed_expr_fail(err, (int32_t)i, "22003",
							    "value out of range for %s", agg->name);
				put128(s->sx, sx);
				put128(s->sxx, sxx);
				break;
			}
			double x = float_at(arg, i);
			if (s->h.n == 0) {
				s->mean = s->m2 = 0;
			} else if (!r) {
				double dx = x - s->mean;
				s->mean += dx / (double)s->h.n;
				s->m2 += dx * (x - s->mean);
			} else {
				double dx = x - s->mean;
				s->mean -= dx / (double)s->h.n;
				s->m2 -= dx * (x - s->mean);
				if (s->m2 < 0 || s->h.n == 1)
					s->m2 = 0;
			}
			break;
		}
		default: {
			struct st_set *s = states[i];
			if (!s->m && !(s->m = mset_new(8)))
				return ed_expr_fail(err, (int32_t)i, "53200", "out of memory");
			if (!r) {
				s->seq++;
				if (mset_add(s->m, arg, i, 1, s->seq, s->seq))
					return ed_expr_fail(err, (int32_t)i, "53200",
							    "out of memory");
			} else if (mset_remove(s->m, arg, i) < 0) {
				return ed_expr_fail(err, (int32_t)i, "XX000",
						    "%s: retraction of a value never added",
						    agg->name);
			}
			break;
		}
		}
	}
	return 0;
}

/* The entry of the set that MIN/MAX/FIRST/LAST report. */
static struct mentry *set_pick(const struct ed_agg *agg, const struct st_set *s, enum agg_kind k)
{
	struct mentry *best = NULL;
	if (!s->m)
		return NULL;
	for (uint32_t j = 0; j < s->m->cap; j++) {
		struct mentry *m = &s->m->e[j];
		if (!m->hash)
			continue;
		if (!best) {
			best = m;
			continue;
		}
		bool better;
		if (k == K_FIRST)
			better = m->first < best->first;
		else if (k == K_LAST)
			better = m->last > best->last;
		else {
			struct ed_vector a = entry_vec(&agg->arg_type, m);
			struct ed_vector b = entry_vec(&agg->arg_type, best);
			int c = ed_vec_cmp(&a, 0, &b, 0);
			better = k == K_MIN ? c < 0 : c > 0;
		}
		if (better)
			best = m;
	}
	return best;
}

static int agg_result(const struct ed_agg *agg, const void *state, struct ed_vector *out,
		      uint32_t i, struct ed_arena *arena, struct ed_expr_error *err)
{
	enum agg_kind k = kind_of(agg);
	const struct st_head *h = state;
	enum ed_type_id t = agg->arg_type.id;
	out->nulls[i] = 0;
	if (k == K_COUNT_STAR || k == K_COUNT) {
		ED_VEC(out, int64_t)[i] = k == K_COUNT_STAR ? h->rows : h->n;
		return 0;
	}
	if (k == K_COUNT_DISTINCT) {
		const struct st_set *s = state;
		ED_VEC(out, int64_t)[i] = s->m ? s->m->len : 0;
		return 0;
	}
	if (h->n <= 0) {
		out->nulls[i] = 1;
		return 0;
	}
	switch (k) {
	case K_SUM: {
		const struct st_sum *s = state;
		if (t == ED_TYPE_FLOAT32) {
			ED_VEC(out, float)[i] = (float)(s->f + s->c);
		} else if (t == ED_TYPE_FLOAT64) {
			ED_VEC(out, double)[i] = s->f + s->c;
		} else if (t == ED_TYPE_DECIMAL) {
			__int128 a = get128(s->acc);
			if (!ed_dec_fits(a, 38))
				return ed_expr_fail(err, (int32_t)i, "22003",
						    "numeric field overflow");
			ED_VEC(out, ed_dec)[i] = a;
		} else {
			__int128 a = get128(s->acc);
			if (a > INT64_MAX || a < INT64_MIN)
				return ed_expr_fail(err, (int32_t)i, "22003", "bigint out of range");
			ED_VEC(out, int64_t)[i] = (int64_t)a;
		}
		return 0;
	}
	case K_AVG: {
		const struct st_sum *s = state;
		if (t == ED_TYPE_FLOAT32 || t == ED_TYPE_FLOAT64) {
			ED_VEC(out, double)[i] = (s->f + s->c) / (double)h->n;
			return 0;
		}
		int sa = t == ED_TYPE_DECIMAL ? agg->arg_type.scale : 0;
		if (!ed_dec_div(get128(s->acc), sa, h->n, 0, out->type.scale, &ED_VEC(out, ed_dec)[i]))
			return ed_expr_fail(err, (int32_t)i, "22003", "numeric field overflow");
		return 0;
	}
	case K_VAR: {
		const struct st_var *s = state;
		bool samp = !strstr(agg->name, "pop");
		bool sd = strncmp(agg->name, "stddev", 6) == 0;
		double var;
		if (samp && h->n < 2) {
			out->nulls[i] = 1;
			return 0;
		}
		if (ed_type_is_integer(t) || t == ED_TYPE_DECIMAL) {
			/* n*sxx - sx^2 in long double: sx^2 may exceed 128 bits. */
			long double sx = (long double)get128(s->sx),
				    sxx = (long double)get128(s->sxx);
			long double n = (long double)h->n;
			long double num = n * sxx - sx * sx;
			if (num < 0)
				num = 0;
			long double v = num / (n * (samp ? n - 1 : n));
			if (t == ED_TYPE_DECIMAL)
				v /= powl(10.0L, 2 * agg->arg_type.scale);
			var = (double)v;
		} else {
			var = s->m2 / (double)(samp ? h->n - 1 : h->n);
		}
		ED_VEC(out, double)[i] = sd ? sqrt(var) : var;
		return 0;
	}
	default: {
		const struct st_set *s = state;
		struct mentry *m = set_pick(agg, s, k);
		if (!m) {
			out->nulls[i] = 1;
			return 0;
		}
		size_t w = ed_type_width(t);
		if (t == ED_TYPE_TEXT) {
			struct ed_str str;
			memcpy(&str, m->val, sizeof str);
			char *p = ed_arena_memdup(arena, str.ptr, str.len ? str.len : 1);
			if (!p)
				return ed_expr_fail(err, (int32_t)i, "53200", "out of memory");
			str.ptr = p;
			ED_VEC(out, struct ed_str)[i] = str;
		} else {
			memcpy((uint8_t *)out->data + (size_t)i * w, m->val, w);
		}
		return 0;
	}
	}
}

/* ---- serialization --------------------------------------------------------------- */

static void put_i128(struct ed_buf *b, __int128 v)
{
	ed_buf_put_be64(b, (uint64_t)((unsigned __int128)v >> 64));
	ed_buf_put_be64(b, (uint64_t)v);
}

static __int128 get_i128(struct ed_cur *c)
{
	uint64_t hi = (uint64_t)ed_cur_i64(c), lo = (uint64_t)ed_cur_i64(c);
	return (__int128)(((unsigned __int128)hi << 64) | lo);
}

static void put_f64(struct ed_buf *b, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	ed_buf_put_be64(b, u);
}

static double get_f64(struct ed_cur *c)
{
	uint64_t u = (uint64_t)ed_cur_i64(c);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

static int agg_serialize(const struct ed_agg *agg, const void *state, struct ed_buf *out)
{
	enum agg_kind k = kind_of(agg);
	const struct st_head *h = state;
	ed_buf_put_u8(out, STATE_VERSION);
	ed_buf_put_be64(out, (uint64_t)h->rows);
	ed_buf_put_be64(out, (uint64_t)h->n);
	if (k == K_SUM || k == K_AVG) {
		const struct st_sum *s = state;
		put_i128(out, get128(s->acc));
		put_f64(out, s->f);
		put_f64(out, s->c);
	} else if (k == K_VAR) {
		const struct st_var *s = state;
		put_i128(out, get128(s->sx));
		put_i128(out, get128(s->sxx));
		put_f64(out, s->mean);
		put_f64(out, s->m2);
	} else if (uses_set(k)) {
		const struct st_set *s = state;
		ed_buf_put_be64(out, (uint64_t)s->seq);
		ed_buf_put_be32(out, s->m ? s->m->len : 0);
		for (uint32_t j = 0; s->m && j < s->m->cap; j++) {
			const struct mentry *m = &s->m->e[j];
			if (!m->hash)
				continue;
			ed_buf_put_be64(out, (uint64_t)m->count);
			ed_buf_put_be64(out, (uint64_t)m->first);
			ed_buf_put_be64(out, (uint64_t)m->last);
			if (agg->arg_type.id == ED_TYPE_TEXT) {
				struct ed_str str;
				memcpy(&str, m->val, sizeof str);
				ed_buf_put_be32(out, str.len);
				ed_buf_append(out, str.ptr, str.len);
			} else {
				ed_buf_append(out, m->val, ed_type_width(agg->arg_type.id));
			}
		}
	}
	return out->err;
}

static int agg_deserialize(const struct ed_agg *agg, void *state, struct ed_cur *in)
{
	enum agg_kind k = kind_of(agg);
	struct st_head *h = state;
	agg_fini(agg, state);
	agg_init(agg, state);
	if (ed_cur_u8(in) != STATE_VERSION)
		return ED_ECORRUPT;
	h->rows = ed_cur_i64(in);
	h->n = ed_cur_i64(in);
	if (k == K_SUM || k == K_AVG) {
		struct st_sum *s = state;
		put128(s->acc, get_i128(in));
		s->f = get_f64(in);
		s->c = get_f64(in);
	} else if (k == K_VAR) {
		struct st_var *s = state;
		put128(s->sx, get_i128(in));
		put128(s->sxx, get_i128(in));
		s->mean = get_f64(in);
		s->m2 = get_f64(in);
	} else if (uses_set(k)) {
		struct st_set *s = state;
		s->seq = ed_cur_i64(in);
		uint32_t n = ed_cur_u32(in);
		if (in->err || n > ed_cur_left(in) / 24)
			return ED_ECORRUPT;
		uint32_t cap = 8;
		while (cap * 3 < n * 4 + 4)
			cap *= 2;
		if (!(s->m = mset_new(cap)))
			return ED_ENOMEM;
		size_t w = ed_type_width(agg->arg_type.id);
		for (uint32_t j = 0; j < n; j++) {
			int64_t count = ed_cur_i64(in), first = ed_cur_i64(in), last = ed_cur_i64(in);
			_Alignas(16) uint8_t val[16] = {0};
			uint8_t zero = 0;
			if (agg->arg_type.id == ED_TYPE_TEXT) {
				struct ed_str str;
				str.len = ed_cur_u32(in);
				str.ptr = (const char *)ed_cur_bytes(in, str.len);
				memcpy(val, &str, sizeof str);
			} else {
				const uint8_t *p = ed_cur_bytes(in, w);
				if (p)
					memcpy(val, p, w);
			}
			if (in->err || count <= 0)
				goto corrupt;
			struct ed_vector v = {agg->arg_type, &zero, val};
			if (mset_add(s->m, &v, 0, count, first, last)) {
				agg_fini(agg, state);
				return ED_ENOMEM;
			}
		}
	}
	if (in->err)
		goto corrupt;
	return 0;
corrupt:
	agg_fini(agg, state);
	agg_init(agg, state);
	return ED_ECORRUPT;
}

/* ---- resolution ---------------------------------------------------------------- */

static const char *const agg_names[] = {"count",     "sum",      "avg",         "min",
					"max",       "stddev",   "stddev_samp", "stddev_pop",
					"variance",  "var_samp", "var_pop",     "first_value",
					"last_value"};

bool ed_agg_is_aggregate(const char *name)
{
	for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
		if (strcmp(agg_names[i], name) == 0)
			return true;
	return false;
}

int ed_agg_resolve(const char *name, const struct ed_type *arg, bool distinct, struct ed_agg *out,
		   struct ed_expr_error *err)
{
	if (err) {
		err->row = -1;
		err->sqlstate[0] = 0;
	}
	const char *canon = NULL;
	for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
		if (strcmp(agg_names[i], name) == 0)
			canon = agg_names[i];
	if (!canon) {
		ed_expr_fail(err, -1, "42883", "function %s does not exist", name);
		return ED_ENOENT;
	}
	memset(out, 0, sizeof *out);
	out->name = canon;
	out->arg_type = arg ? *arg : ed_type_make(ED_TYPE_NULL);
	out->distinct = distinct;
	out->retractable = true;
	out->init = agg_init;
	out->fini = agg_fini;
	out->update = agg_update;
	out->result = agg_result;
	out->count = agg_count;
	out->serialize = agg_serialize;
	out->deserialize = agg_deserialize;
	if (!arg && strcmp(canon, "count") != 0) {
		ed_expr_fail(err, -1, "42883", "function %s(*) does not exist", name);
		return ED_ENOENT;
	}
	enum ed_type_id t = out->arg_type.id;
	if (t == ED_TYPE_NULL && arg) {
		/* count(NULL) etc.: treat the argument as text. */
		out->arg_type = ed_type_make(ED_TYPE_TEXT);
		t = ED_TYPE_TEXT;
	}
	enum agg_kind k = kind_of(out);
	if (distinct && k != K_COUNT_DISTINCT && k != K_MIN && k != K_MAX) {
		ed_expr_fail(err, -1, "0A000", "%s(DISTINCT ...) is not supported", name);
		return ED_EINVAL;
	}
	struct ed_type rt = out->arg_type;
	if (rt.id == ED_TYPE_TEXT)
		rt.max_len = -1;
	switch (k) {
	case K_COUNT_STAR:
	case K_COUNT:
	case K_COUNT_DISTINCT:
		rt = ed_type_make(ED_TYPE_INT64);
		out->state_size = k == K_COUNT_DISTINCT ? sizeof(struct st_set)
							: sizeof(struct st_head);
		break;
	case K_SUM:
	case K_AVG:
		if (!ed_type_is_numeric(t))
			goto mismatch;
		out->state_size = sizeof(struct st_sum);
		if (k == K_SUM) {
			if (ed_type_is_integer(t))
				rt = ed_type_make(ED_TYPE_INT64);
			else if (t == ED_TYPE_DECIMAL)
				rt.precision = 38;
		} else if (t == ED_TYPE_FLOAT32 || t == ED_TYPE_FLOAT64) {
			rt = ed_type_make(ED_TYPE_FLOAT64);
		} else {
			int s = t == ED_TYPE_DECIMAL ? out->arg_type.scale : 0;
			rt = ed_type_make(ED_TYPE_DECIMAL);
			rt.scale = (int16_t)(s > 16 ? s : 16);
		}
		break;
	case K_VAR:
		if (!ed_type_is_numeric(t))
			goto mismatch;
		out->state_size = sizeof(struct st_var);
		rt = ed_type_make(ED_TYPE_FLOAT64);
		break;
	default:
		if (t == ED_TYPE_NULL)
			goto mismatch;
		out->state_size = sizeof(struct st_set);
		break;
	}
	out->result_type = rt;
	return 0;
mismatch:
	ed_expr_fail(err, -1, "42883", "function %s(%s) does not exist", name, ed_type_name(t));
	return ED_ENOENT;
}
