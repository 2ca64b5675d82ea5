/* Schemas and record formats: the names and types of a chunk's columns as
 * sources, views and operators describe them, and the formats source records
 * and sink rows are written in. Defined in exec (not plan) so that decoders
 * and operators, below the planner, can take them. */
#ifndef ED_EXEC_SCHEMA_H
#define ED_EXEC_SCHEMA_H

#include <stdint.h>

#include "exec/types.h"

struct ed_schema {
	uint32_t n;
	const char **names;
	struct ed_type *types;
};

enum ed_format { ED_FORMAT_JSON = 1, ED_FORMAT_CSV };

#endif
