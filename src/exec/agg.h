/* Aggregate functions: COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM, AVG, MIN,
 * MAX, STDDEV (samp), VARIANCE (samp), FIRST_VALUE, LAST_VALUE, and what
 * docs/SQL.md adds. Vectorised: update takes one state pointer per input row
 * (the hash aggregation operator has already found each row's group).
 *
 * Retraction: updating (non-windowed) GROUP BY receives deletes; each
 * aggregate either retracts exactly (COUNT, SUM, AVG, STDDEV, VARIANCE, and
 * MIN/MAX/FIRST/LAST/COUNT DISTINCT through a per-group multiset) or says it
 * cannot (retractable = false) and the planner refuses the plan.
 *
 * State: state_size bytes inline in the group's slot; aggregates that need
 * more (multisets, distinct sets) keep a pointer there and free it in fini.
 * serialize/deserialize make state checkpointable (see DESIGN.md). */
#ifndef ED_AGG_H
#define ED_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/cursor.h"
#include "exec/chunk.h"
#include "exec/expr.h"
#include "exec/types.h"

struct ed_agg {
	const char *name;
	struct ed_type arg_type; /* ED_TYPE_NULL for COUNT(*) */
	struct ed_type result_type;
	size_t state_size;
	bool distinct;
	bool retractable;
	void (*init)(const struct ed_agg *agg, void *state);
	void (*fini)(const struct ed_agg *agg, void *state);
	/* For rows i < rows with (sel == NULL || sel[i]): fold arg row i into
	 * states[i], adding it (ops[i] INSERT/UPDATE_AFTER) or retracting it
	 * (DELETE/UPDATE_BEFORE). arg is NULL for COUNT(*). */
	int (*update)(const struct ed_agg *agg, void **states, const struct ed_vector *arg,
		      const uint8_t *ops, const uint8_t *sel, uint32_t rows,
		      struct ed_expr_error *err);
	/* Write the current result of state into out row i (text into arena). */
	int (*result)(const struct ed_agg *agg, const void *state, struct ed_vector *out,
		      uint32_t i, struct ed_arena *arena, struct ed_expr_error *err);
	/* Number of input rows the state currently holds (groups with 0 are gone). */
	int64_t (*count)(const struct ed_agg *agg, const void *state);
	int (*serialize)(const struct ed_agg *agg, const void *state, struct ed_buf *out);
	int (*deserialize)(const struct ed_agg *agg, void *state, struct ed_cur *in);
};

/* Resolve an aggregate by name for an argument type (arg NULL: COUNT(*)).
 * Fills *out. 0, or ED_ENOENT / ED_EINVAL with err (42883, 42804). */
int ed_agg_resolve(const char *name, const struct ed_type *arg, bool distinct, struct ed_agg *out,
		   struct ed_expr_error *err);
bool ed_agg_is_aggregate(const char *name);

#endif
