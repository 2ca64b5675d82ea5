/* libFuzzer target for the Kafka request decoder: any byte string is a frame
 * (without its size field) handed to ed_kafka_decode_request, exactly as the
 * server does. Decoding must never crash, read out of bounds or allocate
 * more than a small multiple of the frame; every records blob of a decoded
 * Produce request then goes through ed_batch_validate, the one batch
 * validator. The corpus holds frames captured from kcat, librdkafka and
 * kafkajs sessions (every API and version eddy serves) plus malformed ones. */
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "kafka/proto.h"
#include "log/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_arena arena;
	struct ed_kreq_msg msg;
	char err[256];
	ed_arena_init(&arena, 4096);
	int rc = ed_kafka_decode_request(data, size, &arena, &msg);
	if (rc == 0 && msg.api_key == ED_KAPI_PRODUCE) {
		const struct ed_kreq_produce *p = &msg.u.produce;
		for (int32_t i = 0; i < p->ntopics; i++)
			for (int32_t j = 0; j < p->topics[i].nparts; j++) {
				const struct ed_kbytes *r = &p->topics[i].parts[j].records;
				size_t off = 0;
				while (r->p && r->len > 0 && off < (size_t)r->len) {
					struct ed_batch_info bi;
					if (ed_batch_validate(r->p + off, (size_t)r->len - off,
							      1 << 20, &bi, err, sizeof(err)) < 0)
						break;
					off += (size_t)bi.size;
				}
			}
	}
	/* Bound on decoded memory: counts are checked against the bytes left. */
	if (arena.total > 64 * size + 65536)
		__builtin_trap();
	ed_arena_fini(&arena);
	return 0;
}
