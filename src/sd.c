/* systemd: passed descriptors, notify, fd store; stubs without it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "sd.h"
#include "xmalloc.h"

/* What systemd passed: fds from 3, their names, whether claimed. */
static int	  sd_n = -1;
static char	**sd_names;
static int	 *sd_claimed;

#if WITH_SYSTEMD
/* Collect LISTEN_FDS and LISTEN_FDNAMES once; unset them for children. */
int
sd_collect(char **cause)
{
	int	 n;

	if (sd_n >= 0)
		return sd_n;
	if ((n = sd_listen_fds_with_names(1, &sd_names)) < 0) {
		xasprintf(cause, "sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	sd_n = n;
	sd_claimed = xcalloc((size_t)n + 1, sizeof(*sd_claimed));
	return n;
}

/* Store fd under name in the service's fd store. */
int
sd_store_fd(int fd, const char *name)
{
	char	 state[300];
	int	 rc;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return -1;
	snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=%s", name);
	if ((rc = sd_pid_notify_with_fds(0, 0, state, &fd, 1)) <= 0) {
		log_warnx("fd store: storing %s: %s", name, rc < 0 ?
		    strerror(-rc) : "no notify socket");
		return -1;
	}
	return 0;
}

/* Drop stored descriptors named name. */
void
sd_store_remove(const char *name)
{
	sd_notifyf_state("FDSTOREREMOVE=1\nFDNAME=%s", name);
}

/* WatchdogSec= for us, in microseconds; 0 when off. */
unsigned long long
sd_watchdog_usec(void)
{
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

/* Send a state string to the service manager. */
void
sd_notifyf_state(const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 rc;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((rc = sd_notify(0, buf)) < 0)
		log_warnx("sd_notify: %s", strerror(-rc));
}
#else
/* Built without systemd: nothing is ever passed. */
int
sd_collect(char **cause)
{
	sd_n = 0;
	return 0;
}

/* Built without systemd: no fd store. */
int
sd_store_fd(int fd, const char *name)
{
	return -1;
}

/* Built without systemd: no fd store. */
void
sd_store_remove(const char *name)
{
}

/* Built without systemd: no watchdog. */
unsigned long long
sd_watchdog_usec(void)
{
	return 0;
}

/* Built without systemd: nothing to notify. */
void
sd_notifyf_state(const char *fmt, ...)
{
}
#endif

/* Claim the passed descriptors named prefix*. */
int
sd_take(const char *prefix, int *fds, char **names, int max)
{
	size_t	 plen = strlen(prefix);
	int	 i, n = 0;

	for (i = 0; i < sd_n && n < max; i++) {
		if (sd_claimed[i] || sd_names == NULL || sd_names[i] == NULL ||
		    strncmp(sd_names[i], prefix, plen) != 0)
			continue;
		sd_claimed[i] = 1;
		fds[n] = SD_FDS_START + i;
		/* libsystemd sets it too; a child of ours inherits none. */
		fcntl(fds[n], F_SETFD, FD_CLOEXEC);
		if (names != NULL)
			names[n] = xstrdup(sd_names[i]);
		n++;
	}
	return n;
}

/* The descriptors nobody claimed: the listening sockets. */
int
sd_listen(int *fds, int max, char **cause)
{
	int	 i, n = 0;

	if (sd_collect(cause) == -1)
		return -1;
	for (i = 0; i < sd_n; i++) {
		if (sd_claimed[i])
			continue;
		if (n == max) {
			xasprintf(cause, "systemd passes more than %d "
			    "listening sockets", max);
			return -1;
		}
		sd_claimed[i] = 1;
		fds[n++] = SD_FDS_START + i;
	}
	return n;
}
