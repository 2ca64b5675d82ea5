/* Monotonic and wall clocks (see clock.h). */
#include <time.h>

#include "base/clock.h"

int64_t ed_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ed_mono_ms(void)
{
	return ed_mono_ns() / 1000000;
}

int64_t ed_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
