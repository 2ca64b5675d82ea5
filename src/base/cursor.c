/* Out-of-line part of the cursor (see cursor.h): multi-byte varints. */
#include "base/cursor.h"
#include "base/varint.h"

uint64_t ed_cur_uvarint_slow(struct ed_cur *c)
{
	uint64_t v = 0;
	if (c->err)
		return 0;
	size_t n = ed_uvarint_get(c->p, ed_cur_left(c), &v);
	if (n == 0) {
		c->err = true;
		return 0;
	}
	c->p += n;
	return v;
}
