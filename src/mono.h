/*
 * The monotonic clock in whole seconds, for every duration the daemon
 * measures outside sync (connection ages, uptime): wall-clock steps do
 * not move it.
 */
#ifndef MONO_H
#define MONO_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
time_t	mono_now(void);

#endif /* MONO_H */
