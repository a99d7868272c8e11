/*
 * The sync core's clock: monotonic seconds, for every duration sync keeps
 * (origins' last heard, ages, expiry).  Never the wall clock, which an
 * operator or NTP may step.  Its own file so tests can swap it.
 */
#include <time.h>

#include "sync_int.h"

/* Seconds on a clock that never steps. */
time_t
sync_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}
