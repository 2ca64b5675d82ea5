/* Row encoding for state: a row (or the group-key columns of a row) of a
 * chunk as one byte string, used as hash key and as stored value by the
 * aggregation operators and the materialized-view store. Also value
 * comparison for ORDER BY and key lookups.
 *
 * Format (in-memory only, native byte order; checkpoints re-encode it with a
 * version, see DESIGN.md), per column in order:
 *
 *   size  field
 *   ----  -------------------------------------------------------------
 *      1  0 = NULL (nothing follows), 1 = value
 *      w  fixed-width types: the value's bytes (ed_type_width)
 *   4+len TEXT: uint32 length, then the bytes
 *
 * Equal SQL values of one type encode to equal bytes (floats: -0.0 is
 * normalised to 0.0), so byte equality is group equality. */
#ifndef ED_EXEC_ROW_H
#define ED_EXEC_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "exec/chunk.h"
#include "exec/types.h"

/* Append the encoding of row i of columns cols[0..n) of c (cols NULL: the
 * first n columns) to out. Allocation failure is left in out->err. */
void ed_row_encode(struct ed_buf *out, const struct ed_chunk *c, uint32_t i, const uint32_t *cols,
		   uint32_t n);
/* Append the encoding of n values. */
void ed_row_encode_values(struct ed_buf *out, const struct ed_value *v, uint32_t n);
/* Decode n columns from p[0..len) into row i of c's columns first..first+n.
 * Text is copied into arena when arena is not NULL, otherwise it points into
 * p. Returns the bytes consumed, or 0 if the bytes are malformed. */
size_t ed_row_decode(const uint8_t *p, size_t len, struct ed_chunk *c, uint32_t i, uint32_t first,
		     uint32_t n, struct ed_arena *arena);
/* Decode one row into values (text points into p). Bytes consumed or 0. */
size_t ed_row_decode_values(const uint8_t *p, size_t len, const struct ed_type *types, uint32_t n,
			    struct ed_value *out);

/* Copy row src_row of src into row dst_row of dst (same column types); text
 * is referenced, not copied (both chunks must be alive). */
void ed_row_copy(struct ed_chunk *dst, uint32_t dst_row, const struct ed_chunk *src,
		 uint32_t src_row);

/* Compare two non-NULL values of the same type family: <0, 0, >0. */
int ed_value_cmp(const struct ed_value *a, const struct ed_value *b);
/* Value of row i of v (fast path that does not need exec/types.c). */
void ed_row_get(const struct ed_vector *v, uint32_t i, struct ed_value *out);
/* Store val into row i of v; text referenced (copied into arena if given). 0 or ED_ENOMEM. */
int ed_row_set(struct ed_vector *v, uint32_t i, const struct ed_value *val, struct ed_arena *arena);

#endif
