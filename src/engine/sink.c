/* A sink: the terminal operator that writes each row as one JSON object to
 * the sink's topic through the log's writer, placed by Kafka's default
 * partitioner on its key columns. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

int sink_push(struct ed_operator *op, const struct ed_chunk *in)
{
	struct ed_sink_rt *s = (struct ed_sink_rt *)op;
	int rc = 0;
	char err[128];
	int64_t ts = ed_wall_ms();
	for (uint32_t i = 0; i < in->rows && rc == 0; i++) {
		ed_buf_reset(&s->line);
		ed_buf_reset(&s->key);
		ed_buf_put_u8(&s->line, '{');
		for (uint32_t c = 0; c < in->ncols; c++) {
			struct ed_value v;
			ed_row_get(&in->cols[c], i, &v);
			if (c)
				ed_buf_put_u8(&s->line, ',');
			ed_json_put_string(&s->line, s->schema->names[c],
					   strlen(s->schema->names[c]));
			ed_buf_put_u8(&s->line, ':');
			ed_json_put_value(&s->line, &v);
		}
		if (s->changelog)
			ed_buf_printf(&s->line, ",\"op\":\"%s\"", ed_op_name(in->ops[i]));
		ed_buf_put_u8(&s->line, '}');
		if (s->nkey) {
			ed_buf_put_u8(&s->key, '{');
			for (uint32_t k = 0; k < s->nkey; k++) {
				struct ed_value v;
				uint32_t c = s->keycols[k];
				ed_row_get(&in->cols[c], i, &v);
				if (k)
					ed_buf_put_u8(&s->key, ',');
				ed_json_put_string(&s->key, s->schema->names[c],
						   strlen(s->schema->names[c]));
				ed_buf_put_u8(&s->key, ':');
				ed_json_put_value(&s->key, &v);
			}
			ed_buf_put_u8(&s->key, '}');
		}
		if (s->line.err || s->key.err) {
			rc = ED_ENOMEM;
			break;
		}
		rc = ed_log_writer_add(&s->w, -1, ts, s->nkey ? s->key.data : NULL,
				       s->nkey ? (int32_t)s->key.len : -1, s->line.data,
				       (int32_t)s->line.len, NULL, 0, NULL, err, sizeof(err));
	}
	int frc = ed_log_writer_flush(&s->w, err, sizeof(err));
	if (rc == 0)
		rc = frc;
	atomic_fetch_add(&op->stats->rows_out, in->rows);
	if (rc)
		snprintf(op->stats->last_error, sizeof(op->stats->last_error), "sink append: %s",
			 ed_err_str(rc));
	return 0; /* a failing sink partition is reported, the pipeline goes on */
}

void sink_free(struct ed_operator *op)
{
	struct ed_sink_rt *s = (struct ed_sink_rt *)op;
	ed_log_writer_fini(&s->w);
	ed_buf_fini(&s->line);
	ed_buf_fini(&s->key);
	if (s->topic)
		ed_topic_unref(s->topic);
	ed_free(s);
}

int noop_watermark(struct ed_operator *op, int64_t wm)
{
	(void)op;
	(void)wm;
	return 0;
}
