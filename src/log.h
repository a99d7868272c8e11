/*
 * Logging in the OpenBSD shape.  Foreground: stderr, with sd-daemon
 * priority prefixes ("<3>") when stderr is the journal (JOURNAL_STREAM);
 * daemonised: syslog.  Events are written as key=value.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

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

#endif /* LOG_H */
