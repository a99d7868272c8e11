/*
 * Logging in the OpenBSD shape.  Foreground: stderr, with sd-daemon
 * priority prefixes ("<3>") when stderr is the journal (JOURNAL_STREAM);
 * daemonised: syslog.  Events are written as key=value.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <time.h>

#define LOG_TO_STDERR	0
#define LOG_TO_SYSLOG	1

/* Verbosity: 0 warnings and notices, 1 info (default), 2+ debug. */
void	log_init(int to, int verbose, const char *ident);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A rate limit for one kind of warning: at most burst lines in each
 * period of seconds (monotonic clock); the lines held back are counted and
 * reported as "<what>: N more not logged" when the next period starts.
 * Declare one per kind: static struct log_rate r = LOG_RATE("x", 10, 1);
 */
struct log_rate {
	const char	*what;
	unsigned int	 burst;
	unsigned int	 period;	/* seconds */
	time_t		 start;		/* of the current period */
	unsigned int	 count;		/* lines logged in it */
	unsigned int	 suppressed;	/* lines held back in it */
};
#define LOG_RATE(what, burst, period)	{ (what), (burst), (period), 0, 0, 0 }

/* Whether one more line may be logged now under r. */
int	log_rate_ok(struct log_rate *r);
/* log_warnx() under r. */
void	log_rate_warnx(struct log_rate *r, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* LOG_H */
