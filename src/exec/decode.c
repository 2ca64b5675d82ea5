/* Record decoders for sources (decode.h): a dispatcher over the JSON and CSV
 * codecs, so that pipelines decode with exactly the code the unit tests,
 * the fuzzer and bench/exec_json.c exercise. */
#include "exec/decode.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

int ed_decoder_init(struct ed_decoder *d, enum ed_record_format format, const char *const *names,
		    uint32_t n, char delim)
{
	memset(d, 0, sizeof *d);
	d->format = format;
	uint32_t *cols = ed_malloc((n ? n : 1) * sizeof *cols);
	int rc;
	if (!cols) {
		rc = ED_ENOMEM;
		snprintf(d->init_err.message, sizeof d->init_err.message, "out of memory");
		memcpy(d->init_err.sqlstate, "53200", 6);
		goto out;
	}
	for (uint32_t k = 0; k < n; k++)
		cols[k] = k;
	if (format == ED_RECORD_CSV) {
		rc = ed_csv_decoder_init(&d->csv, cols, n, delim ? delim : ',', &d->init_err);
		if (rc == 0)
			rc = ed_csv_decoder_set_names(&d->csv, names);
	} else
		rc = ed_json_decoder_init(&d->json, names, cols, n, &d->init_err);
	if (rc == ED_ENOMEM && !d->init_err.sqlstate[0]) {
		snprintf(d->init_err.message, sizeof d->init_err.message, "out of memory");
		memcpy(d->init_err.sqlstate, "53200", 6);
	}
	ed_free(cols);
	/* The log bounds a record (the topic's max.message.bytes). */
	d->json.max_bytes = UINT32_MAX;
	d->csv.max_bytes = UINT32_MAX;
out:
	d->init_rc = rc;
	return rc;
}

void ed_decoder_fini(struct ed_decoder *d)
{
	if (!d)
		return;
	ed_json_decoder_fini(&d->json);
	ed_csv_decoder_fini(&d->csv);
}

int ed_decode_record(struct ed_decoder *d, const uint8_t *p, size_t n, struct ed_chunk *out,
		     uint32_t row, char *err, size_t errlen)
{
	struct ed_expr_error e; /* set by the codec; not zeroed per record */
	int rc;
	if (d->init_rc) {
		snprintf(err, errlen, "%s", d->init_err.message);
		return d->init_rc;
	}
	if (!p) {
		snprintf(err, errlen, "null record value");
		return ED_EINVAL;
	}
	if (d->format == ED_RECORD_CSV)
		rc = ed_csv_decode(&d->csv, (const char *)p, n, out, row, &e);
	else
		rc = ed_json_decode(&d->json, (const char *)p, n, out, row, &e);
	if (rc)
		snprintf(err, errlen, "%s", e.message);
	return rc;
}
