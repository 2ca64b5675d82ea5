/* SQL math functions (placeholder table until the kernels land). */
#include "exec/exec_int.h"

static const struct ed_fn fns[] = {{"", 0, 0, {0}, 0, NULL, NULL, NULL}};
const struct ed_fn_table ed_fn_math = {fns, 0};
