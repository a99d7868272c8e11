/*
 * The monotonic clock in whole seconds, for every duration the daemon
 * measures (connection ages, uptime, sync expiry and backends): wall-clock
 * steps do not move it.  Its own file so tests can swap it at link time.
 */
#ifndef MONO_H
#define MONO_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
time_t	mono_now(void);

#endif /* MONO_H */
