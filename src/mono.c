/* The monotonic clock in whole seconds (see mono.h). */
#include <time.h>

#include "mono.h"

/* Seconds on CLOCK_MONOTONIC. */
time_t
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}
