/* String functions: lower, upper, length, octet_length, substring, concat,
 * btrim/ltrim/rtrim, replace, split_part, strpos. Text is UTF-8; lengths and
 * positions count characters; lower/upper fold ASCII letters only (the
 * session collation is C). Results that are a slice of an argument point
 * into it; new text goes to the evaluation's text arena. */
#include <string.h>

#include "base/err.h"
#include "exec/exec_int.h"

#define N_ (cx->rows)
#define ACT_ (cx->act)
#define STR(v) ((const struct ed_str *)(v)->data)

static int oom(struct ed_eval *cx, uint32_t i)
{
	return ed_expr_fail(cx->err, (int32_t)i, "53200", "out of memory");
}

static int case_kernel(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]);
	struct ed_str *r = out->data;
	bool up = e->name[0] == 'u';
	struct ed_textw w;
	ed_textw_init(&w, cx->text);
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		char *d = ed_textw_reserve(&w, s[i].len);
		if (!d)
			return oom(cx, i);
		for (uint32_t k = 0; k < s[i].len; k++) {
			char c = s[i].ptr[k];
			if (up && c >= 'a' && c <= 'z')
				c = (char)(c - 32);
			else if (!up && c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			d[k] = c;
		}
		ed_textw_commit(&w, s[i].len);
		r[i].ptr = d;
		r[i].len = s[i].len;
	}
	return 0;
}

static int length_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]);
	bool octets = e->name[0] == 'o';
	for (uint32_t i = 0; i < N_; i++)
		if (ACT_[i])
			ED_VEC(out, int32_t)[i] = (int32_t)(octets ? s[i].len
								   : ed_utf8_len(s[i].ptr, s[i].len));
	return 0;
}

/* Byte offset of character index ci (0-based) in s, or len. */
static uint32_t char_off(const char *s, uint32_t len, int64_t ci)
{
	uint32_t i = 0;
	int64_t c = 0;
	if (ci <= 0)
		return 0;
	while (i < len) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (c == ci)
				return i;
			c++;
		}
		i++;
	}
	return len;
}

static int substring_kernel(const struct ed_expr *e, struct ed_eval *cx,
			    const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]);
	struct ed_str *r = out->data;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		int64_t start = ED_VEC(args[1], int32_t)[i]; /* 1-based */
		int64_t end = INT64_MAX;                     /* exclusive, 1-based */
		if (e->nargs == 3) {
			int64_t cnt = ED_VEC(args[2], int32_t)[i];
			if (cnt < 0)
				return ed_expr_fail(cx->err, (int32_t)i, "22011",
						    "negative substring length not allowed");
			end = start + cnt;
		}
		if (start < 1)
			start = 1;
		if (end <= start) {
			r[i].ptr = s[i].ptr;
			r[i].len = 0;
			continue;
		}
		uint32_t b0 = char_off(s[i].ptr, s[i].len, start - 1);
		uint32_t b1 = end == INT64_MAX
				      ? s[i].len
				      : b0 + char_off(s[i].ptr + b0, s[i].len - b0, end - start);
		r[i].ptr = s[i].ptr + b0;
		r[i].len = b1 - b0;
	}
	return 0;
}

/* concat(any, ...): NULL arguments are skipped; never NULL. */
static int concat_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	struct ed_str *r = out->data;
	struct ed_textw w;
	char tmp[ED_VALUE_TEXT_MAX];
	ed_textw_init(&w, cx->text);
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		size_t total = 0;
		for (uint32_t k = 0; k < e->nargs; k++)
			if (!args[k]->nulls[i])
				total += args[k]->type.id == ED_TYPE_TEXT ? STR(args[k])[i].len
									  : ED_VALUE_TEXT_MAX;
		if (total > UINT32_MAX / 2)
			return ed_expr_fail(cx->err, (int32_t)i, "54000", "string too long");
		char *d = ed_textw_reserve(&w, total);
		if (!d)
			return oom(cx, i);
		size_t len = 0;
		for (uint32_t k = 0; k < e->nargs; k++) {
			if (args[k]->nulls[i] || args[k]->type.id == ED_TYPE_NULL)
				continue;
			const char *src;
			size_t n = ed_vec_text(args[k], i, tmp, &src);
			memcpy(d + len, src, n);
			len += n;
		}
		ed_textw_commit(&w, len);
		r[i].ptr = d;
		r[i].len = (uint32_t)len;
		out->nulls[i] = 0;
	}
	return 0;
}

static bool in_set(const char *set, uint32_t setlen, const char *c, uint32_t clen)
{
	for (uint32_t k = 0; k + clen <= setlen;) {
		uint32_t l = 1;
		while (k + l < setlen && ((unsigned char)set[k + l] & 0xC0) == 0x80)
			l++;
		if (l == clen && memcmp(set + k, c, clen) == 0)
			return true;
		k += l;
	}
	return false;
}

static uint32_t u8len_at(const char *s, uint32_t i, uint32_t len)
{
	uint32_t l = 1;
	while (i + l < len && ((unsigned char)s[i + l] & 0xC0) == 0x80)
		l++;
	return l;
}

static int trim_kernel(const struct ed_expr *e, struct ed_eval *cx,
		       const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]);
	struct ed_str *r = out->data;
	bool left = e->name[0] != 'r', right = e->name[0] != 'l';
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		const char *set = " ";
		uint32_t setlen = 1;
		if (e->nargs == 2) {
			set = STR(args[1])[i].ptr;
			setlen = STR(args[1])[i].len;
		}
		uint32_t b = 0, en = s[i].len;
		const char *p = s[i].ptr;
		while (left && b < en) {
			uint32_t l = u8len_at(p, b, en);
			if (!in_set(set, setlen, p + b, l))
				break;
			b += l;
		}
		while (right && en > b) {
			uint32_t k = en - 1;
			while (k > b && ((unsigned char)p[k] & 0xC0) == 0x80)
				k--;
			if (!in_set(set, setlen, p + k, en - k))
				break;
			en = k;
		}
		r[i].ptr = p + b;
		r[i].len = en - b;
	}
	return 0;
}

static const char *find(const char *h, uint32_t hn, const char *n, uint32_t nn)
{
	if (nn == 0)
		return h;
	if (nn > hn)
		return NULL;
	return memmem(h, hn, n, nn);
}

static int replace_kernel(const struct ed_expr *e, struct ed_eval *cx,
			  const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]), *f = STR(args[1]), *t = STR(args[2]);
	struct ed_str *r = out->data;
	struct ed_textw w;
	(void)e;
	ed_textw_init(&w, cx->text);
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		if (f[i].len == 0) {
			r[i] = s[i];
			continue;
		}
		uint32_t cnt = 0;
		for (const char *p = s[i].ptr, *end = s[i].ptr + s[i].len;
		     (p = find(p, (uint32_t)(end - p), f[i].ptr, f[i].len)); p += f[i].len)
			cnt++;
		size_t total = s[i].len + (size_t)cnt * t[i].len - (size_t)cnt * f[i].len;
		if (total > UINT32_MAX / 2)
			return ed_expr_fail(cx->err, (int32_t)i, "54000", "string too long");
		char *d = ed_textw_reserve(&w, total);
		if (!d)
			return oom(cx, i);
		size_t o = 0;
		const char *p = s[i].ptr, *end = s[i].ptr + s[i].len;
		for (;;) {
			const char *q = find(p, (uint32_t)(end - p), f[i].ptr, f[i].len);
			size_t run = q ? (size_t)(q - p) : (size_t)(end - p);
			memcpy(d + o, p, run);
			o += run;
			if (!q)
				break;
			memcpy(d + o, t[i].ptr, t[i].len);
			o += t[i].len;
			p = q + f[i].len;
		}
		ed_textw_commit(&w, o);
		r[i].ptr = d;
		r[i].len = (uint32_t)o;
	}
	return 0;
}

static int split_part_kernel(const struct ed_expr *e, struct ed_eval *cx,
			     const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]), *dl = STR(args[1]);
	struct ed_str *r = out->data;
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		int32_t n = ED_VEC(args[2], int32_t)[i];
		if (n == 0)
			return ed_expr_fail(cx->err, (int32_t)i, "22023",
					    "field position must not be zero");
		r[i].ptr = s[i].ptr;
		r[i].len = 0;
		if (dl[i].len == 0) {
			if (n == 1 || n == -1)
				r[i] = s[i];
			continue;
		}
		/* Count fields, then pick the n-th (negative: from the end). */
		int64_t fields = 1;
		for (const char *p = s[i].ptr, *end = s[i].ptr + s[i].len;
		     (p = find(p, (uint32_t)(end - p), dl[i].ptr, dl[i].len)); p += dl[i].len)
			fields++;
		int64_t want = n > 0 ? n : fields + n + 1;
		if (want < 1 || want > fields)
			continue;
		const char *p = s[i].ptr, *end = s[i].ptr + s[i].len;
		for (int64_t k = 1; k < want; k++)
			p = find(p, (uint32_t)(end - p), dl[i].ptr, dl[i].len) + dl[i].len;
		const char *q = find(p, (uint32_t)(end - p), dl[i].ptr, dl[i].len);
		r[i].ptr = p;
		r[i].len = (uint32_t)((q ? q : end) - p);
	}
	return 0;
}

static int strpos_kernel(const struct ed_expr *e, struct ed_eval *cx,
			 const struct ed_vector *const *args, struct ed_vector *out)
{
	const struct ed_str *s = STR(args[0]), *sub = STR(args[1]);
	(void)e;
	for (uint32_t i = 0; i < N_; i++) {
		if (!ACT_[i])
			continue;
		const char *q = find(s[i].ptr, s[i].len, sub[i].ptr, sub[i].len);
		ED_VEC(out,
		       int32_t)[i] = q ? (int32_t)ed_utf8_len(s[i].ptr, (uint32_t)(q - s[i].ptr)) + 1
				       : 0;
	}
	return 0;
}

#define TX ED_TYPE_TEXT
#define I4 ED_TYPE_INT32
#define FR ED_FN_FRESH

static const struct ed_fn fns[] = {
	{"lower", 1, FR, {TX}, TX, case_kernel, NULL, NULL},
	{"upper", 1, FR, {TX}, TX, case_kernel, NULL, NULL},
	{"length", 1, 0, {TX}, I4, length_kernel, NULL, NULL},
	{"octet_length", 1, 0, {TX}, I4, length_kernel, NULL, NULL},
	{"substring", 2, 0, {TX, I4}, TX, substring_kernel, NULL, NULL},
	{"substring", 3, 0, {TX, I4, I4}, TX, substring_kernel, NULL, NULL},
	{"concat", 1, FR | ED_FN_NULLS | ED_FN_VARIADIC, {ED_ARG_ANY}, TX, concat_kernel, NULL, NULL},
	{"btrim", 1, 0, {TX}, TX, trim_kernel, NULL, NULL},
	{"btrim", 2, 0, {TX, TX}, TX, trim_kernel, NULL, NULL},
	{"ltrim", 1, 0, {TX}, TX, trim_kernel, NULL, NULL},
	{"ltrim", 2, 0, {TX, TX}, TX, trim_kernel, NULL, NULL},
	{"rtrim", 1, 0, {TX}, TX, trim_kernel, NULL, NULL},
	{"rtrim", 2, 0, {TX, TX}, TX, trim_kernel, NULL, NULL},
	{"replace", 3, FR, {TX, TX, TX}, TX, replace_kernel, NULL, NULL},
	{"split_part", 3, 0, {TX, TX, I4}, TX, split_part_kernel, NULL, NULL},
	{"strpos", 2, 0, {TX, TX}, I4, strpos_kernel, NULL, NULL},
};

const struct ed_fn_table ed_fn_string = {fns, sizeof fns / sizeof fns[0]};
