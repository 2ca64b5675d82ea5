/* Records as text, the same in both CLI modes: stdin lines read in large
 * chunks, split into key and value, given a partition; records printed with
 * the consume print flags; start positions; the produce summary. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "cli/cli_int.h"
#include "log/writer.h"

#define READ_CHUNK (1024 * 1024)

int ed_cli_lines_init(struct ed_cli_lines *lr, int fd, size_t limit, const char *limit_name,
		      const char *topic)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->limit = limit;
	lr->limit_name = limit_name;
	lr->topic = topic;
	lr->cap = limit + 2 < READ_CHUNK ? limit + 2 : READ_CHUNK;
	lr->buf = ed_malloc(lr->cap);
	return lr->buf ? 0 : -1;
}

void ed_cli_lines_fini(struct ed_cli_lines *lr)
{
	ed_free(lr->buf);
	lr->buf = NULL;
}

int ed_cli_lines_next(struct ed_cli_lines *lr, const char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
		ssize_t n;

		if (nl) {
			*line = lr->buf + lr->start;
			*len = (size_t)(nl - (lr->buf + lr->start));
			lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
			break;
		}
		lr->scan = lr->end;
		if (lr->end - lr->start > lr->limit)
			goto too_long;
		if (lr->eof) {
			if (lr->start == lr->end)
				return 0;
			*line = lr->buf + lr->start;
			*len = lr->end - lr->start;
			lr->start = lr->scan = lr->end;
			break;
		}
		if (lr->start > 0 && (lr->start == lr->end || lr->end == lr->cap)) {
			memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
			lr->end -= lr->start;
			lr->scan = lr->end;
			lr->start = 0;
		}
		if (lr->end == lr->cap) {
			size_t ncap = lr->cap * 2;
			char *nbuf;

			if (ncap > lr->limit + 2)
				ncap = lr->limit + 2;
			if (ncap <= lr->cap)
				goto too_long;
			nbuf = ed_realloc(lr->buf, ncap);
			if (!nbuf) {
				ed_cli_error("produce", "out of memory for a %zu-byte line", ncap);
				return -1;
			}
			lr->buf = nbuf;
			lr->cap = ncap;
		}
		if (lr->before_read && lr->before_read(lr->ctx, lr->fd) != 0)
			return -1;
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ed_cli_error("produce", "cannot read stdin: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			lr->eof = true;
		lr->end += (size_t)n;
	}
	lr->lineno++;
	return 1;
too_long:
	ed_cli_error("produce", "line %lld is longer than %s (%zu) of topic %s",
		     (long long)lr->lineno + 1, lr->limit_name, lr->limit, lr->topic);
	return -1;
}

void ed_cli_split_key(int sep, const char *line, size_t len, const char **key, int32_t *klen,
		      const char **value, int32_t *vlen)
{
	const char *s = sep >= 0 ? memchr(line, sep, len) : NULL;

	if (s) {
		*key = line;
		*klen = (int32_t)(s - line);
		*value = s + 1;
		*vlen = (int32_t)(len - (size_t)*klen - 1);
	} else {
		*key = NULL;
		*klen = -1;
		*value = line;
		*vlen = (int32_t)len;
	}
}

int32_t ed_cli_key_partition(const char *key, int32_t klen, int32_t nparts, uint32_t *rr)
{
	if (klen >= 0)
		return ed_log_key_partition(key, klen, nparts);
	return (int32_t)((*rr)++ % (uint32_t)nparts);
}

void ed_cli_produce_summary(const struct ed_produce_args *a, const char *via, int64_t records,
			    int64_t batches, int64_t bytes, int64_t acked, int64_t failed,
			    int64_t elapsed_ns)
{
	double secs = (double)elapsed_ns / 1e9;
	const char *acks = a->acks == ED_ACKS_ALL ? "all" : a->acks == ED_ACKS_LEADER ? "1" : "0";

	fprintf(stderr, "eddy produce: %lld records", (long long)records);
	if (batches >= 0)
		fprintf(stderr, " in %lld batches (%.1f MB)", (long long)batches,
			(double)bytes / 1e6);
	fprintf(stderr, " to %s%s%s, %lld acknowledged (acks=%s%s)", a->topic, via ? " via " : "",
		via ? via : "", (long long)acked, acks,
		a->acks != ED_ACKS_ALL ? ""
		: via                  ? ", idempotent"
				       : ", fsynced");
	if (failed > 0)
		fprintf(stderr, ", %lld FAILED", (long long)failed);
	fprintf(stderr, ", %.2f s, %.0f records/s", secs, secs > 0 ? (double)records / secs : 0.0);
	if (batches >= 0)
		fprintf(stderr, ", %.1f MB/s", secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	fputc('\n', stderr);
}

void ed_cli_print_record(const struct ed_consume_args *a, FILE *out, int32_t p, int64_t offset,
			 int64_t timestamp, const void *key, int32_t klen, const void *value,
			 int32_t vlen)
{
	if (a->print_offset)
		fprintf(out, "%d:%lld%c", p, (long long)offset, a->separator);
	if (a->print_timestamp)
		fprintf(out, "%lld%c", (long long)timestamp, a->separator);
	if (a->print_key) {
		if (key && klen > 0)
			fwrite(key, 1, (size_t)klen, out);
		putc(a->separator, out);
	}
	if (value && vlen > 0)
		fwrite(value, 1, (size_t)vlen, out);
	putc('\n', out);
}

bool ed_cli_start_offset(const struct ed_consume_args *a, int32_t p, int64_t first, int64_t end,
			 int64_t *off)
{
	switch (a->start) {
	case ED_START_BEGINNING:
		*off = first;
		return true;
	case ED_START_END:
		*off = end;
		return true;
	case ED_START_OFFSET:
		if (a->start_value < first) {
			ed_cli_error("consume",
				     "offset %lld is no longer stored in %s partition %d "
				     "(offsets %lld to %lld)",
				     (long long)a->start_value, a->topic, p, (long long)first,
				     (long long)end);
			return false;
		}
		*off = a->start_value < end ? a->start_value : end;
		return true;
	case ED_START_TIMESTAMP:
		break;
	}
	return false;
}

int ed_cli_split_config(const char *kv, char *key, size_t keylen, const char **value)
{
	const char *eq = strchr(kv, '=');
	size_t n;

	if (!eq || eq == kv)
		return -1;
	n = (size_t)(eq - kv);
	if (n >= keylen)
		return -1;
	memcpy(key, kv, n);
	key[n] = '\0';
	*value = eq + 1;
	return 0;
}
