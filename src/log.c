/* Logging: stderr (journald-aware) or syslog, OpenBSD log.c shape. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int	 log_to = LOG_TO_STDERR;
static int	 log_verbose = 1;
static int	 log_journal;		/* stderr is the journal: <N> prefixes */
static const char *log_ident = "epmdx";

static void	 vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	 logit(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Set the destination and verbosity; call again to change them. */
void
log_init(int to, int verbose, const char *ident)
{
	log_to = to;
	log_verbose = verbose;
	if (ident != NULL)
		log_ident = ident;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (log_to == LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Change the verbosity (config reload). */
void
log_setverbose(int v)
{
	log_verbose = v;
}

/* Current verbosity. */
int
log_getverbose(void)
{
	return log_verbose;
}

/* Write one message at priority pri. */
static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to == LOG_TO_SYSLOG) {
		syslog(pri, "%s", msg);
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", pri, msg);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
	fflush(stderr);
}

/* Write one message at priority pri, printf style. */
static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved));
	errno = saved;
}

/* Warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Informational message, shown at verbosity 1 and above. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Debug message, shown at verbosity 2 and above. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log "fatal: msg[: strerror(code)]" at LOG_CRIT and exit 1. */
static void __attribute__((noreturn))
fatal_msg(int code, const char *msg)
{
	if (code != 0)
		logit(LOG_CRIT, "fatal: %s: %s", msg, strerror(code));
	else
		logit(LOG_CRIT, "fatal: %s", msg);
	exit(1);
}

/* Fatal error with strerror(errno). */
void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatal_msg(saved, buf);
}

/* Fatal error. */
void
fatalx(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatal_msg(0, buf);
}

/* Whether one more line may be logged now under r. */
int
log_rate_ok(struct log_rate *r)
{
	struct timespec	 ts;
	time_t		 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec;
	if (r->start == 0 || now - r->start >= (time_t)r->period) {
		if (r->suppressed > 0)
			log_warnx("%s: %u more not logged", r->what,
			    r->suppressed);
		r->start = now;
		r->count = r->suppressed = 0;
	}
	if (r->count < r->burst) {
		r->count++;
		return 1;
	}
	r->suppressed++;
	return 0;
}

/* log_warnx() under r. */
void
log_rate_warnx(struct log_rate *r, const char *fmt, ...)
{
	va_list	 ap;

	if (!log_rate_ok(r))
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}
