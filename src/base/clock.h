/* Clocks: monotonic for durations and timeouts, wall for record timestamps. */
#ifndef ED_CLOCK_H
#define ED_CLOCK_H

#include <stdint.h>

int64_t ed_mono_ns(void);
int64_t ed_mono_ms(void);
int64_t ed_wall_ms(void); /* milliseconds since the Unix epoch */

#endif
