/* What every fuzz harness shares: an invariant check and a bounds test. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Abort (a crash libFuzzer reports) when an invariant does not hold. */
static inline void
check(int ok)
{
	if (!ok)
		abort();
}

/* Is p[0..n) within buf[0..len)?  Empty strings may point anywhere. */
static inline int
inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 1;
	return p != NULL && p >= buf && n <= len &&
	    (size_t)(p - buf) <= len - n;
}

#endif /* FUZZ_H */
