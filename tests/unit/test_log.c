/*
 * Unit tests for log.c's rate limit: burst lines a period, the rest held
 * back and reported once when the next period starts.  The clock is
 * replaced at link time (clock_gettime), stderr read back from a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static time_t	 fake_now = 1000;

int	clock_gettime(clockid_t, struct timespec *);

/* The monotonic clock, as the test sets it. */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	(void)id;
	ts->tv_sec = fake_now;
	ts->tv_nsec = 0;
	return 0;
}

static char	 logpath[] = "/tmp/epmdx-test-log.XXXXXX";

/* How many lines of the captured stderr hold s. */
static int
lines_with(const char *s)
{
	char	 line[512];
	FILE	*f;
	int	 n = 0;

	fflush(stderr);
	if ((f = fopen(logpath, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, s) != NULL)
			n++;
	fclose(f);
	return n;
}

/* Three a second: the fourth and fifth held back, then reported. */
static void
test_rate(void **state)
{
	static struct log_rate	 r = LOG_RATE("bad things", 3, 1);
	int			 i, fd, saved;

	(void)state;
	assert_true((fd = mkstemp(logpath)) != -1);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
	log_init(LOG_TO_STDERR, 1, "test");
	for (i = 0; i < 5; i++)
		log_rate_warnx(&r, "bad thing %d", i);
	assert_int_equal(lines_with("bad thing"), 3);
	assert_int_equal(lines_with("more not logged"), 0);
	fake_now++;
	assert_true(log_rate_ok(&r));
	assert_int_equal(lines_with("bad things: 2 more not logged"), 1);
	/* A quiet period reports nothing more. */
	fake_now += 5;
	log_rate_warnx(&r, "bad thing again");
	assert_int_equal(lines_with("more not logged"), 1);
	assert_int_equal(lines_with("bad thing again"), 1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unlink(logpath);
}

/* A period of ten seconds counts ten seconds, not calendar ones. */
static void
test_period(void **state)
{
	static struct log_rate	 r = LOG_RATE("slow", 1, 10);

	(void)state;
	assert_true(log_rate_ok(&r));
	fake_now += 9;
	assert_false(log_rate_ok(&r));
	fake_now += 1;
	assert_true(log_rate_ok(&r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
