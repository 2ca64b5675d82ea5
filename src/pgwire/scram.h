/* SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it: the server side
 * for pgwire's password authentication and the client side for `eddy sql`.
 * No channel binding ("n,," / "biws"); the SCRAM user name is ignored, the
 * startup packet's user counts, as in PostgreSQL. Built on libcrypto (HMAC,
 * SHA-256, PBKDF2, RAND_bytes).
 *
 * Server exchange:
 *   client-first  "n,,n=USER,r=CNONCE"
 *   server-first  "r=CNONCE SNONCE,s=BASE64(salt),i=4096"
 *   client-final  "c=biws,r=CNONCE SNONCE,p=BASE64(ClientKey XOR HMAC(StoredKey, AuthMessage))"
 *   server-final  "v=BASE64(HMAC(ServerKey, AuthMessage))"
 * with AuthMessage = client-first-bare "," server-first "," client-final-without-proof. */
#ifndef ED_PGW_SCRAM_H
#define ED_PGW_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define ED_SCRAM_ITERATIONS 4096
#define ED_SCRAM_MSG_MAX 1024 /* longest SCRAM message accepted */

struct ed_scram {
	uint8_t salted[32];     /* SaltedPassword (client, and server before keys) */
	uint8_t stored_key[32]; /* server */
	uint8_t server_key[32];
	uint8_t salt[16];
	char nonce[80]; /* full nonce (client + server part) */
	char client_first_bare[ED_SCRAM_MSG_MAX];
	char server_first[ED_SCRAM_MSG_MAX];
	char auth_message[3 * ED_SCRAM_MSG_MAX];
};

/* Server: derive the keys for password with a fresh random salt. 0 or ED_EIO
 * (libcrypto failed). */
int ed_scram_server_init(struct ed_scram *s, const char *password);
/* Server: read client-first, append server-first to out. 0 or ED_EPROTO. */
int ed_scram_server_first(struct ed_scram *s, const uint8_t *msg, size_t len, struct ed_buf *out);
/* Server: read client-final, verify the proof, append server-final to out.
 * 0, ED_EPROTO (malformed, nonce mismatch) or ED_EINVAL (wrong password). */
int ed_scram_server_final(struct ed_scram *s, const uint8_t *msg, size_t len, struct ed_buf *out);

/* Client: append client-first to out. 0 or ED_EIO. */
int ed_scram_client_first(struct ed_scram *s, struct ed_buf *out);
/* Client: read server-first, append client-final to out. 0 or ED_EPROTO. */
int ed_scram_client_final(struct ed_scram *s, const char *password, const uint8_t *msg, size_t len,
			  struct ed_buf *out);
/* Client: check server-final's signature. 0 or ED_EPROTO. */
int ed_scram_client_verify(struct ed_scram *s, const uint8_t *msg, size_t len);

#endif
