/* SQL lexer: turns text into tokens on demand for the parser (parser.c), with
 * a small lookahead ring. Also holds the keyword table and error helpers.
 *
 * Lexical rules (PostgreSQL's, minus what eddy does not need):
 *  - whitespace, `-- comment` to end of line, nested block comments;
 *  - words [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]* folded to ASCII lower
 *    case; "quoted identifiers" kept as written ("" is a quote);
 *  - 'strings' ('' is a quote), E'strings' with backslash escapes;
 *  - numbers: 12, 1.5, .5, 5., 1e10, 1.5E-3 (a letter right after a number
 *    is an error: "trailing junk");
 *  - $n parameters; operators ( ) , ; . + - * / % = <> != < <= > >= || :: -> ->>.
 * The input has been checked to be UTF-8 without NUL bytes before lexing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_int.h"

/* ---- keywords -------------------------------------------------------------- */

struct kw_entry {
	const char *name; /* upper case; words are matched case-insensitively */
	enum ed_sql_kw_cat cat;
};

#define ED_KWC_R ED_KWC_RESERVED
#define ED_KWC_U ED_KWC_UNRESERVED
#define ED_KWC_F ED_KWC_FUNC
static const struct kw_entry kw_table[] = {{"", ED_KWC_UNRESERVED}, /* ED_KW_NONE */
#define KW_ROW(n, c) {#n, ED_KWC_##c},
					   ED_SQL_KEYWORDS(KW_ROW)
#undef KW_ROW
};

/* Compares a lower-case word with an upper-case keyword name, like strcmp. */
static int kw_cmp(const char *word, size_t len, const char *upper)
{
	size_t i = 0;
	for (; i < len && upper[i]; i++) {
		char u = upper[i];
		char l = (char)(u >= 'A' && u <= 'Z' ? u - 'A' + 'a' : u);
		if (word[i] != l)
			return (unsigned char)word[i] < (unsigned char)l ? -1 : 1;
	}
	if (i == len && !upper[i])
		return 0;
	return i == len ? -1 : 1;
}

enum ed_sql_kw ed_sql_kw_lookup(const char *word, size_t len)
{
	size_t lo = 1, hi = ED_KW_COUNT_;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = kw_cmp(word, len, kw_table[mid].name);
		if (c == 0)
			return (enum ed_sql_kw)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return ED_KW_NONE;
}

enum ed_sql_kw_cat ed_sql_kw_category(enum ed_sql_kw kw)
{
	return kw > ED_KW_NONE && kw < ED_KW_COUNT_ ? kw_table[kw].cat : ED_KWC_UNRESERVED;
}

const char *ed_sql_kw_name(enum ed_sql_kw kw)
{
	return kw > ED_KW_NONE && kw < ED_KW_COUNT_ ? kw_table[kw].name : "";
}

bool ed_sql_kw_table_sorted(void)
{
	for (int i = 2; i < ED_KW_COUNT_; i++)
		if (strcmp(kw_table[i - 1].name, kw_table[i].name) >= 0)
			return false;
	return true;
}

/* ---- errors ---------------------------------------------------------------- */

uint32_t ed_sql_char_pos(const char *text, size_t len, uint32_t loc)
{
	uint32_t chars = 0;
	if (loc > len)
		loc = (uint32_t)len;
	for (uint32_t i = 0; i < loc; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			chars++;
	return chars + 1;
}

static void error_vset(struct ed_sql_error *err, const char *text, size_t len, uint32_t loc,
		       const char *sqlstate, const char *fmt, va_list ap)
{
	snprintf(err->sqlstate, sizeof err->sqlstate, "%s", sqlstate);
	err->pos = loc == UINT32_MAX ? 0 : ed_sql_char_pos(text, len, loc);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

void ed_sql_error_set(struct ed_sql_error *err, const char *text, size_t len, uint32_t loc,
		      const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, text, len, loc, sqlstate, fmt, ap);
	va_end(ap);
}

void *ed_sql_fail(struct ed_sql_parser *p, uint32_t loc, int rc, const char *sqlstate,
		  const char *fmt, ...)
{
	if (p->rc)
		return NULL;
	p->rc = rc;
	va_list ap;
	va_start(ap, fmt);
	error_vset(p->err, p->text, p->len, loc, sqlstate, fmt, ap);
	va_end(ap);
	return NULL;
}

void *ed_sql_nomem(struct ed_sql_parser *p)
{
	return ed_sql_fail(p, UINT32_MAX, ED_ENOMEM, ED_SQLSTATE_OUT_OF_MEMORY,
			   "out of memory while parsing");
}

uint32_t ed_sql_utf8_check(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c == 0)
			return (uint32_t)i;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, min = 0x10000;
		} else {
			return (uint32_t)i;
		}
		if (len - i <= n)
			return (uint32_t)i;
		unsigned cp = c & (0x3F >> n);
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return (uint32_t)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (uint32_t)i;
		i += n + 1;
	}
	return UINT32_MAX;
}

/* ---- lexing ---------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Skips whitespace and comments. False (error recorded) on an unterminated
 * block comment. */
static bool skip_space(struct ed_sql_parser *p)
{
	const char *s = p->text;
	uint32_t i = p->pos, n = p->len;
	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
			uint32_t start = i;
			unsigned nest = 0;
			do {
				if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
					nest++;
					i += 2;
				} else if (i + 1 < n && s[i] == '*' && s[i + 1] == '/') {
					nest--;
					i += 2;
				} else if (i >= n) {
					p->pos = n;
					ed_sql_fail(p, start, ED_EINVAL, ED_SQLSTATE_SYNTAX,
						    "unterminated /* comment");
					return false;
				} else {
					i++;
				}
			} while (nest > 0);
			continue;
		}
		break;
	}
	p->pos = i;
	return true;
}

static int utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Offset of the quote closing the quoted text opened at start (doubled
 * quotes and, with escapes, backslash pairs inside), or len if there is none. */
static uint32_t quoted_end(const char *s, uint32_t len, uint32_t start, char quote, bool escapes)
{
	uint32_t i = start + 1;
	while (i < len) {
		if (escapes && s[i] == '\\') {
			i += 2;
		} else if (s[i] == quote) {
			if (i + 1 < len && s[i + 1] == quote)
				i += 2;
			else
				return i;
		} else {
			i++;
		}
	}
	return len;
}

/* Lexes a quoted string starting at the opening quote p->pos (escapes: E''
 * backslash escapes). The decoded value is never longer than the source, so
 * the buffer is sized by the literal itself. */
static void lex_string(struct ed_sql_parser *p, struct ed_sql_token *tok, bool escapes)
{
	const char *s = p->text;
	uint32_t i = p->pos + 1, n = quoted_end(s, p->len, p->pos, '\'', escapes);
	if (n >= p->len) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX, "unterminated quoted string");
		return;
	}
	n++; /* the closing quote is inside [pos, n) */
	char *out = ed_arena_alloc(p->arena, n - p->pos + 1);
	size_t o = 0;
	if (!out) {
		ed_sql_nomem(p);
		return;
	}
	for (;;) {
		if (i >= n) {
			ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
				    "unterminated quoted string");
			return;
		}
		char c = s[i];
		if (c == '\'') {
			if (i + 1 < n && s[i + 1] == '\'') {
				out[o++] = '\'';
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (c != '\\' || !escapes) {
			out[o++] = c;
			i++;
			continue;
		}
		/* Backslash escape. */
		uint32_t esc = i;
		if (i + 1 >= n) {
			i++;
			continue; /* reported as unterminated above */
		}
		char e = s[i + 1];
		i += 2;
		uint32_t cp = 0;
		int digits = 0;
		switch (e) {
		case 'b':
			out[o++] = '\b';
			continue;
		case 'f':
			out[o++] = '\f';
			continue;
		case 'n':
			out[o++] = '\n';
			continue;
		case 'r':
			out[o++] = '\r';
			continue;
		case 't':
			out[o++] = '\t';
			continue;
		case 'x':
			while (digits < 2 && i < n && hexval(s[i]) >= 0)
				cp = cp * 16 + (uint32_t)hexval(s[i++]), digits++;
			if (digits == 0) {
				out[o++] = 'x';
				continue;
			}
			break;
		case 'u':
		case 'U': {
			int want = e == 'u' ? 4 : 8;
			while (digits < want && i < n && hexval(s[i]) >= 0)
				cp = cp * 16 + (uint32_t)hexval(s[i++]), digits++;
			if (digits != want || cp == 0 || cp > 0x10FFFF ||
			    (cp >= 0xD800 && cp <= 0xDFFF)) {
				ed_sql_fail(p, esc, ED_EINVAL, ED_SQLSTATE_BAD_ESCAPE,
					    "invalid Unicode escape value");
				return;
			}
			o += (size_t)utf8_put(out + o, cp);
			continue;
		}
		default:
			if (e >= '0' && e <= '7') {
				cp = (uint32_t)(e - '0');
				digits = 1;
				while (digits < 3 && i < n && s[i] >= '0' && s[i] <= '7')
					cp = cp * 8 + (uint32_t)(s[i++] - '0'), digits++;
				break;
			}
			out[o++] = e; /* \\, \', and any other character stands for itself */
			continue;
		}
		/* \xHH or \ooo: one byte. */
		if (cp == 0 || cp > 0xFF) {
			ed_sql_fail(p, esc, ED_EINVAL, ED_SQLSTATE_BAD_ESCAPE,
				    "invalid escape: byte value must be 1..255");
			return;
		}
		out[o++] = (char)cp;
	}
	out[o] = 0;
	if (escapes) {
		uint32_t bad = ed_sql_utf8_check(out, o);
		if (bad != UINT32_MAX) {
			ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_BAD_ENCODING,
				    "invalid byte sequence for encoding \"UTF8\" in string literal");
			return;
		}
	}
	tok->type = ED_TOK_STRING;
	tok->str = out;
	tok->slen = o;
	p->pos = i;
}

static void lex_quoted_ident(struct ed_sql_parser *p, struct ed_sql_token *tok)
{
	const char *s = p->text;
	uint32_t i = p->pos + 1, n = quoted_end(s, p->len, p->pos, '"', false);
	if (n >= p->len) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "unterminated quoted identifier");
		return;
	}
	n++;
	char *out = ed_arena_alloc(p->arena, n - p->pos + 1);
	size_t o = 0;
	if (!out) {
		ed_sql_nomem(p);
		return;
	}
	for (;;) {
		if (i >= n) {
			ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
				    "unterminated quoted identifier");
			return;
		}
		if (s[i] == '"') {
			if (i + 1 < n && s[i + 1] == '"') {
				out[o++] = '"';
				i += 2;
				continue;
			}
			i++;
			break;
		}
		out[o++] = s[i++];
	}
	out[o] = 0;
	if (o == 0) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "zero-length delimited identifier");
		return;
	}
	if (o > ED_SQL_MAX_IDENT) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_NAME_TOO_LONG,
			    "identifier is longer than %d bytes", ED_SQL_MAX_IDENT);
		return;
	}
	tok->type = ED_TOK_IDENT;
	tok->quoted = true;
	tok->str = out;
	tok->slen = o;
	p->pos = i;
}

static void lex_word(struct ed_sql_parser *p, struct ed_sql_token *tok)
{
	const char *s = p->text;
	uint32_t n = p->len, i = p->pos;
	while (i < n && is_ident_char(s[i]))
		i++;
	size_t wl = i - p->pos;
	if (wl > ED_SQL_MAX_IDENT) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_NAME_TOO_LONG,
			    "identifier is longer than %d bytes", ED_SQL_MAX_IDENT);
		return;
	}
	char *out = ed_arena_alloc(p->arena, wl + 1);
	if (!out) {
		ed_sql_nomem(p);
		return;
	}
	for (size_t k = 0; k < wl; k++) {
		char c = s[p->pos + k];
		out[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[wl] = 0;
	tok->type = ED_TOK_IDENT;
	tok->str = out;
	tok->slen = wl;
	tok->kw = ed_sql_kw_lookup(out, wl);
	p->pos = i;
}

static void lex_number(struct ed_sql_parser *p, struct ed_sql_token *tok)
{
	const char *s = p->text;
	uint32_t n = p->len, i = p->pos;
	bool decimal = false;
	while (i < n && is_digit(s[i]))
		i++;
	if (i < n && s[i] == '.' && !(i + 1 < n && s[i + 1] == '.')) {
		decimal = true;
		i++;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		uint32_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && is_digit(s[j])) {
			decimal = true;
			i = j;
			while (i < n && is_digit(s[i]))
				i++;
		}
	}
	if (i < n && is_ident_start(s[i])) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "trailing junk after numeric literal at or near \"%.*s\"",
			    (int)(i + 1 - p->pos), s + p->pos);
		return;
	}
	tok->type = decimal ? ED_TOK_DECIMAL : ED_TOK_INTEGER;
	p->pos = i;
}

static void lex_param(struct ed_sql_parser *p, struct ed_sql_token *tok)
{
	const char *s = p->text;
	uint32_t n = p->len, i = p->pos + 1;
	uint64_t v = 0;
	if (i >= n || !is_digit(s[i])) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "syntax error at or near \"$\"");
		return;
	}
	while (i < n && is_digit(s[i])) {
		if (v <= 65535)
			v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i < n && is_ident_start(s[i])) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_SYNTAX,
			    "trailing junk after parameter");
		return;
	}
	if (v == 0 || v > 65535) {
		ed_sql_fail(p, tok->loc, ED_EINVAL, ED_SQLSTATE_UNDEFINED_PARAM,
			    "there is no parameter $%.*s", (int)(i - p->pos - 1), s + p->pos + 1);
		return;
	}
	tok->type = ED_TOK_PARAM;
	tok->param = (uint32_t)v;
	p->pos = i;
}

void ed_sql_lex(struct ed_sql_parser *p, struct ed_sql_token *tok)
{
	memset(tok, 0, sizeof *tok);
	tok->type = ED_TOK_EOF;
	if (p->rc || !skip_space(p)) {
		tok->loc = p->len;
		return;
	}
	const char *s = p->text;
	uint32_t n = p->len, i = p->pos;
	tok->loc = i;
	if (i >= n)
		return;
	char c = s[i], d = i + 1 < n ? s[i + 1] : 0;
	enum ed_sql_tok_type t = ED_TOK_EOF;
	uint32_t w = 1;
	if ((c == 'e' || c == 'E') && d == '\'') {
		p->pos = i + 1;
		lex_string(p, tok, true);
	} else if (is_ident_start(c)) {
		lex_word(p, tok);
	} else if (is_digit(c) || (c == '.' && is_digit(d))) {
		lex_number(p, tok);
	} else if (c == '\'') {
		lex_string(p, tok, false);
	} else if (c == '"') {
		lex_quoted_ident(p, tok);
	} else if (c == '$') {
		lex_param(p, tok);
	} else {
		switch (c) {
		case '(':
			t = ED_TOK_LPAREN;
			break;
		case ')':
			t = ED_TOK_RPAREN;
			break;
		case ',':
			t = ED_TOK_COMMA;
			break;
		case ';':
			t = ED_TOK_SEMI;
			break;
		case '.':
			t = ED_TOK_DOT;
			break;
		case '+':
			t = ED_TOK_PLUS;
			break;
		case '*':
			t = ED_TOK_STAR;
			break;
		case '/':
			t = ED_TOK_SLASH;
			break;
		case '%':
			t = ED_TOK_PERCENT;
			break;
		case '=':
			t = ED_TOK_EQ;
			break;
		case '-':
			if (d == '>') {
				bool two = i + 2 < n && s[i + 2] == '>';
				t = two ? ED_TOK_ARROW2 : ED_TOK_ARROW;
				w = two ? 3 : 2;
			} else {
				t = ED_TOK_MINUS;
			}
			break;
		case '<':
			if (d == '=')
				t = ED_TOK_LE, w = 2;
			else if (d == '>')
				t = ED_TOK_NE, w = 2;
			else
				t = ED_TOK_LT;
			break;
		case '>':
			if (d == '=')
				t = ED_TOK_GE, w = 2;
			else
				t = ED_TOK_GT;
			break;
		case '!':
			if (d == '=')
				t = ED_TOK_NE, w = 2;
			break;
		case '|':
			if (d == '|')
				t = ED_TOK_CONCAT, w = 2;
			break;
		case ':':
			if (d == ':')
				t = ED_TOK_CAST, w = 2;
			break;
		default:
			break;
		}
		if (t == ED_TOK_EOF) {
			uint32_t cl = 1;
			while (i + cl < n && ((unsigned char)s[i + cl] & 0xC0) == 0x80)
				cl++;
			ed_sql_fail(p, i, ED_EINVAL, ED_SQLSTATE_SYNTAX,
				    "syntax error at or near \"%.*s\"", (int)cl, s + i);
			tok->loc = n;
			return;
		}
		tok->type = t;
		p->pos = i + w;
	}
	if (p->rc) {
		memset(tok, 0, sizeof *tok);
		tok->type = ED_TOK_EOF;
		tok->loc = n;
		return;
	}
	tok->len = p->pos - tok->loc;
}

const struct ed_sql_token *ed_sql_peek(struct ed_sql_parser *p, unsigned k)
{
	while (p->count <= k) {
		ed_sql_lex(p, &p->ring[(p->head + p->count) % ED_SQL_LOOKAHEAD]);
		p->count++;
	}
	return &p->ring[(p->head + k) % ED_SQL_LOOKAHEAD];
}

void ed_sql_advance(struct ed_sql_parser *p)
{
	const struct ed_sql_token *t = ed_sql_peek(p, 0);
	if (t->type == ED_TOK_EOF)
		return;
	p->prev_end = t->loc + t->len;
	p->head = (p->head + 1) % ED_SQL_LOOKAHEAD;
	p->count--;
}
