/* systemd socket activation and notify, or stubs without libsystemd. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "sd.h"
#include "xmalloc.h"

#if WITH_SYSTEMD
/* Sockets from systemd; unsets LISTEN_* so children do not inherit them. */
int
sd_listen(char **cause)
{
	int	 n;

	if ((n = sd_listen_fds(1)) < 0) {
		xasprintf(cause, "sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n > SD_MAX_LISTEN_FDS) {
		xasprintf(cause, "systemd provides %d sockets, at most %d "
		    "supported", n, SD_MAX_LISTEN_FDS);
		return -1;
	}
	return n;
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
/* Built without systemd: no sockets are ever passed. */
int
sd_listen(char **cause)
{
	return 0;
}

/* Built without systemd: nothing to notify. */
void
sd_notifyf_state(const char *fmt, ...)
{
}
#endif
