/* libFuzzer target for the PostgreSQL protocol decoders (src/pgwire/proto.c):
 * the first byte picks the phase. 0: the input is a startup packet body
 * (after its length word: StartupMessage, SSLRequest, GSSENCRequest,
 * CancelRequest). Otherwise the input is a stream of frontend messages
 * (type byte, int32 self-inclusive length, body) framed as the server
 * frames them, each decoded with ed_pgw_decode_frontend; a Bind's
 * parameters then go through ed_pgw_param_sql with every oid eddy knows in
 * both formats, and a Query's text through the $n scanner. Decoding must
 * never crash or read out of bounds, and arrays are bounded by the message.
 * The corpus holds messages captured from psql and node-postgres sessions
 * plus malformed ones. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "pgwire/proto.h"
#include "pgwire/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t oids[] = {0, 16, 20, 21, 23, 25, 700, 701, 1043, 1114, 1184, 1186, 1700};

static int count_param(void *arg, size_t off, size_t len, uint32_t n)
{
	(void)off;
	(void)len;
	(void)n;
	(*(int *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0) {
		struct ed_pgw_startup st;
		ed_pgw_decode_startup(data + 1, size - 1, &st);
		return 0;
	}
	struct ed_arena arena;
	ed_arena_init(&arena, 4096);
	size_t off = 1;
	while (size - off >= 5) {
		const uint8_t *p = data + off;
		uint32_t len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 |
			       p[4];
		if (len < 4 || len - 4 > size - off - 5)
			break;
		struct ed_pgw_msg m;
		ed_arena_reset(&arena);
		int rc = ed_pgw_decode_frontend((char)p[0], p + 5, len - 4, &arena, &m);
		if (rc == 0 && m.type == 'B') {
			for (uint16_t i = 0; i < m.u.bind.nparams; i++)
				for (size_t k = 0; k < sizeof(oids) / sizeof(oids[0]); k++)
					for (int16_t f = 0; f < 2; f++) {
						struct ed_buf sql;
						char st[6], err[160];
						ed_buf_init(&sql);
						ed_pgw_param_sql(oids[k], f, &m.u.bind.params[i],
								 &sql, st, err, sizeof(err));
						ed_buf_fini(&sql);
					}
		} else if (rc == 0 && m.type == 'Q') {
			int n = 0;
			uint32_t maxn;
			ed_pgw_scan_params(m.u.query.sql, m.u.query.len, count_param, &n, &maxn);
		} else if (rc == 0 && m.type == 'p') {
			const char *mech;
			const uint8_t *d;
			size_t dl;
			if (ed_pgw_decode_sasl_initial(m.u.raw.data, m.u.raw.len, &mech, &d, &dl) ==
				    0 &&
			    d) {
				struct ed_scram s;
				struct ed_buf out;
				memset(&s, 0, sizeof(s));
				ed_buf_init(&out);
				if (ed_scram_server_first(&s, d, dl, &out) == 0)
					ed_scram_server_final(&s, m.u.raw.data, m.u.raw.len, &out);
				ed_buf_fini(&out);
			}
		}
		off += (size_t)len + 1;
	}
	ed_arena_fini(&arena);
	return 0;
}
