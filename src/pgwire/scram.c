/* SCRAM-SHA-256 for PostgreSQL authentication (scram.h): both sides of the
 * exchange over libcrypto. Messages are parsed as comma-separated attr=value
 * lists with a length bound; nothing here allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/err.h"
#include "pgwire/scram.h"

static int hmac(const uint8_t *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
	unsigned int n = 32;
	return HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n) ? 0 : ED_EIO;
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Decode base64 of length n into out (capacity cap). -1 if invalid. */
static int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	if (in[n - 1] == '=')
		len--;
	if (in[n - 2] == '=')
		len--;
	return len;
}

/* Value of attribute a in a SCRAM message ("a=value,..."), with its length. */
static const char *attr(const char *msg, size_t len, char a, size_t *vlen)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && msg[j] != ',')
			j++;
		if (j - i >= 2 && msg[i] == a && msg[i + 1] == '=') {
			*vlen = j - i - 2;
			return msg + i + 2;
		}
		i = j + 1;
	}
	return NULL;
}

static int random_nonce(char *out, size_t nbytes)
{
	uint8_t raw[24];
	if (nbytes > sizeof(raw) || RAND_bytes(raw, (int)nbytes) != 1)
		return ED_EIO;
	b64_encode(raw, nbytes, out);
	return 0;
}

static int derive_keys(struct ed_scram *s)
{
	uint8_t ck[32];
	if (hmac(s->salted, 32, "Client Key", 10, ck) ||
	    hmac(s->salted, 32, "Server Key", 10, s->server_key))
		return ED_EIO;
	SHA256(ck, 32, s->stored_key);
	OPENSSL_cleanse(ck, sizeof(ck));
	return 0;
}

int ed_scram_server_init(struct ed_scram *s, const char *password)
{
	memset(s, 0, sizeof(*s));
	if (RAND_bytes(s->salt, sizeof(s->salt)) != 1)
		return ED_EIO;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), s->salt, sizeof(s->salt),
			      ED_SCRAM_ITERATIONS, EVP_sha256(), 32, s->salted) != 1)
		return ED_EIO;
	int rc = derive_keys(s);
	OPENSSL_cleanse(s->salted, sizeof(s->salted));
	return rc;
}

int ed_scram_server_first(struct ed_scram *s, const uint8_t *msg, size_t len, struct ed_buf *out)
{
	const char *m = (const char *)msg;
	/* gs2 header: "n,," or "y,," (client supports binding, we do not); "p=" refused. */
	if (len < 3 || len >= ED_SCRAM_MSG_MAX || (m[0] != 'n' && m[0] != 'y') || m[1] != ',')
		return ED_EPROTO;
	const char *comma = memchr(m + 2, ',', len - 2);
	if (!comma)
		return ED_EPROTO;
	const char *bare = comma + 1;
	size_t blen = len - (size_t)(bare - m);
	size_t nlen;
	const char *cnonce = attr(bare, blen, 'r', &nlen);
	if (!cnonce || nlen == 0 || nlen > 48 || memchr(bare, 0, blen))
		return ED_EPROTO;
	memcpy(s->client_first_bare, bare, blen);
	s->client_first_bare[blen] = 0;
	char snonce[40];
	if (random_nonce(snonce, 18))
		return ED_EPROTO;
	snprintf(s->nonce, sizeof(s->nonce), "%.*s%s", (int)nlen, cnonce, snonce);
	char salt64[32];
	b64_encode(s->salt, sizeof(s->salt), salt64);
	snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d", s->nonce, salt64,
		 ED_SCRAM_ITERATIONS);
	ed_buf_append(out, s->server_first, strlen(s->server_first));
	return out->err;
}

int ed_scram_server_final(struct ed_scram *s, const uint8_t *msg, size_t len, struct ed_buf *out)
{
	const char *m = (const char *)msg;
	if (len >= ED_SCRAM_MSG_MAX || memchr(m, 0, len))
		return ED_EPROTO;
	size_t nlen, plen, clen;
	const char *nonce = attr(m, len, 'r', &nlen);
	const char *proof = attr(m, len, 'p', &plen);
	const char *cb = attr(m, len, 'c', &clen);
	if (!nonce || !proof || !cb || nlen != strlen(s->nonce) || memcmp(nonce, s->nonce, nlen) != 0)
		return ED_EPROTO;
	/* "biws" = base64("n,,"); "eSws" = base64("y,,"). */
	if (!(clen == 4 && (memcmp(cb, "biws", 4) == 0 || memcmp(cb, "eSws", 4) == 0)))
		return ED_EPROTO;
	/* The proof is the last attribute: without it, the message up to ",p=". */
	size_t without = (size_t)(proof - m) - 3;
	int n = snprintf(s->auth_message, sizeof(s->auth_message), "%s,%s,%.*s",
			 s->client_first_bare, s->server_first, (int)without, m);
	if (n < 0 || (size_t)n >= sizeof(s->auth_message))
		return ED_EPROTO;
	uint8_t p[48], sig[32], ck[32], h[32];
	if (b64_decode(proof, plen, p, sizeof(p)) != 32)
		return ED_EPROTO;
	if (hmac(s->stored_key, 32, s->auth_message, (size_t)n, sig))
		return ED_EPROTO;
	for (int i = 0; i < 32; i++)
		ck[i] = p[i] ^ sig[i];
	SHA256(ck, 32, h);
	if (CRYPTO_memcmp(h, s->stored_key, 32) != 0)
		return ED_EINVAL;
	uint8_t ssig[32];
	char v[64];
	if (hmac(s->server_key, 32, s->auth_message, (size_t)n, ssig))
		return ED_EPROTO;
	b64_encode(ssig, 32, v);
	ed_buf_printf(out, "v=%s", v);
	return out->err;
}

int ed_scram_client_first(struct ed_scram *s, struct ed_buf *out)
{
	memset(s, 0, sizeof(*s));
	char cnonce[40];
	if (random_nonce(cnonce, 18))
		return ED_EIO;
	snprintf(s->client_first_bare, sizeof(s->client_first_bare), "n=,r=%s", cnonce);
	snprintf(s->nonce, sizeof(s->nonce), "%s", cnonce);
	ed_buf_printf(out, "n,,%s", s->client_first_bare);
	return out->err;
}

int ed_scram_client_final(struct ed_scram *s, const char *password, const uint8_t *msg, size_t len,
			  struct ed_buf *out)
{
	const char *m = (const char *)msg;
	if (len >= sizeof(s->server_first) || memchr(m, 0, len))
		return ED_EPROTO;
	memcpy(s->server_first, m, len);
	s->server_first[len] = 0;
	size_t nlen, slen, ilen;
	const char *nonce = attr(m, len, 'r', &nlen);
	const char *salt = attr(m, len, 's', &slen);
	const char *iter = attr(m, len, 'i', &ilen);
	size_t cn = strlen(s->nonce);
	if (!nonce || !salt || !iter || nlen <= cn || nlen >= sizeof(s->nonce) ||
	    memcmp(nonce, s->nonce, cn) != 0 || ilen == 0 || ilen > 7)
		return ED_EPROTO;
	char ibuf[8];
	memcpy(ibuf, iter, ilen);
	ibuf[ilen] = 0;
	int iterations = atoi(ibuf);
	uint8_t saltb[64];
	int saltn = b64_decode(salt, slen, saltb, sizeof(saltb));
	if (iterations < 1 || saltn <= 0)
		return ED_EPROTO;
	memcpy(s->nonce, nonce, nlen);
	s->nonce[nlen] = 0;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), saltb, saltn, iterations,
			      EVP_sha256(), 32, s->salted) != 1 ||
	    derive_keys(s))
		return ED_EIO;
	char without[128];
	snprintf(without, sizeof(without), "c=biws,r=%s", s->nonce);
	int n = snprintf(s->auth_message, sizeof(s->auth_message), "%s,%s,%s", s->client_first_bare,
			 s->server_first, without);
	if (n < 0 || (size_t)n >= sizeof(s->auth_message))
		return ED_EPROTO;
	uint8_t ck[32], sig[32], proof[32];
	if (hmac(s->salted, 32, "Client Key", 10, ck) ||
	    hmac(s->stored_key, 32, s->auth_message, (size_t)n, sig))
		return ED_EIO;
	for (int i = 0; i < 32; i++)
		proof[i] = ck[i] ^ sig[i];
	char p64[64];
	b64_encode(proof, 32, p64);
	ed_buf_printf(out, "%s,p=%s", without, p64);
	return out->err;
}

int ed_scram_client_verify(struct ed_scram *s, const uint8_t *msg, size_t len)
{
	size_t vlen;
	const char *v = attr((const char *)msg, len, 'v', &vlen);
	uint8_t got[48], want[32];
	if (!v || b64_decode(v, vlen, got, sizeof(got)) != 32)
		return ED_EPROTO;
	if (hmac(s->server_key, 32, s->auth_message, strlen(s->auth_message), want))
		return ED_EPROTO;
	return CRYPTO_memcmp(got, want, 32) == 0 ? 0 : ED_EPROTO;
}
