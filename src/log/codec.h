/* Kafka batch codecs: gzip (zlib), snappy (raw and xerial framing on input),
 * lz4 (LZ4 frame), zstd. Used to read records out of compressed batches and
 * by local writers that want compressed batches. */
#ifndef ED_CODEC_H
#define ED_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Decompression limit used when a caller has none of its own (e.g. the
 * record iterator given 0). */
#define ED_CODEC_DEFAULT_LIMIT ((size_t)64 << 20)

/* Append the decompressed form of in[0..n) to out. Fails with ED_ETOOBIG
 * (checked while inflating, before the memory is taken) when it would exceed
 * limit bytes, ED_ECORRUPT on malformed input, ED_EINVAL for an unknown codec.
 * Codec none copies. On failure out is left as it was on entry. Output room grows in chunks and
 * is never reserved for more than limit bytes of output. */
int ed_codec_decompress(int codec, const uint8_t *in, size_t n, struct ed_buf *out, size_t limit);
/* Append the compressed form of in[0..n) to out (none copies; snappy uses the
 * xerial framing Java clients read; lz4 an LZ4 frame with 64 KiB independent
 * blocks). 0, ED_ENOMEM or ED_EINVAL. */
int ed_codec_compress(int codec, const uint8_t *in, size_t n, struct ed_buf *out);
const char *ed_codec_name(int codec);
/* "none", "gzip", "snappy", "lz4", "zstd" -> codec; -1 if unknown. */
int ed_codec_parse(const char *name);

#endif
