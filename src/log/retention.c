/* Retention: delete whole closed, sealed segments from the front of a
 * partition once they are older than retention.ms (by the segment's largest
 * record timestamp, or its file time when no record has one) or while the
 * partition without them would still hold at least retention.bytes. The
 * active segment is never deleted (segment.ms rolls it first). The partition's
 * start offset advances to the base of the first remaining segment. */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/log_int.h"

void ed_partition_drop_first(struct ed_partition *part)
{
	pthread_mutex_lock(&part->seg_lock);
	struct ed_segment *seg = part->segs[0];
	memmove(&part->segs[0], &part->segs[1], (part->nsegs - 1) * sizeof *part->segs);
	part->nsegs--;
	atomic_store_explicit(&part->start_offset, part->segs[0]->base_offset, memory_order_release);
	pthread_mutex_unlock(&part->seg_lock);
	/* Readers holding a ref keep reading the unlinked file until they drop it. */
	ed_segment_unlink(seg);
	ed_segment_unref(seg);
}

int ed_partition_retain(struct ed_partition *part, const struct ed_topic_config *cfg, int64_t now_ms)
{
	for (;;) {
		bool drop = false;
		pthread_mutex_lock(&part->seg_lock);
		if (part->nsegs >= 2 && part->segs[0]->closed && part->segs[0]->sealed) {
			struct ed_segment *seg = part->segs[0];
			int64_t mx = atomic_load(&seg->max_ts);
			int64_t t = mx >= 0 ? mx : seg->mtime_ms;
			if (cfg->retention_ms >= 0 && t < now_ms - cfg->retention_ms)
				drop = true;
			if (!drop && cfg->retention_bytes >= 0) {
				int64_t total = 0;
				for (size_t i = 0; i < part->nsegs; i++)
					total += atomic_load(&part->segs[i]->end_pos);
				if (total - atomic_load(&seg->end_pos) >= cfg->retention_bytes)
					drop = true;
			}
		}
		pthread_mutex_unlock(&part->seg_lock);
		if (!drop)
			return 0;
		ed_partition_drop_first(part);
	}
}
