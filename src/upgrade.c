/*
 * Live upgrade, the old process's half: check the new binary (it must
 * accept our command line with -n), stop accepting (connections wait in
 * the listen backlog), let requests under way finish, write a snapshot to
 * a memfd, clear close-on-exec on every socket handed over (only then:
 * until the exec every descriptor is close-on-exec, so the -n check
 * inherits none), leave a standby and exec.  If anything fails before the
 * exec succeeds, this process keeps serving.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "carry.h"
#include "conn.h"
#include "control.h"
#include "epmdx.h"
#include "fdstore.h"
#include "handover.h"
#include "listen.h"
#include "log.h"
#include "registry.h"
#include "sd.h"
#include "sync.h"
#include "upgrade.h"
#include "xmalloc.h"

#define UPGRADE_CHECK_SECS	10	/* the new binary's -n check */
#define UPGRADE_DRAIN_MSECS	2000	/* requests under way may finish */
#define UPGRADE_STANDBY_SECS	60	/* for the new process to serve */

static char	 *upgrade_path;		/* our binary, resolved at start */
static char	**upgrade_argv;
static char	  upgrade_dash_n[] = "-n";
static pid_t	  upgrade_checker = -1;
static enum {
	UPGRADE_IDLE,
	UPGRADE_CHECK,		/* the new binary runs -n */
	UPGRADE_DRAIN,		/* listeners paused, requests finish */
} upgrade_phase;
static int	  upgrade_reply = -1;
static struct event *upgrade_timer;
static struct timespec upgrade_deadline;

static void	upgrade_timer_cb(evutil_socket_t, short, void *);
static void	upgrade_cloexec_all(void);

/* Remember where we came from: the path on disk, and argv. */
void
upgrade_init(int argc, char **argv)
{
	char	 buf[PATH_MAX];
	ssize_t	 n;
	int	 i;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		upgrade_path = xstrdup(buf);
	} else if ((upgrade_path = realpath(argv[0], NULL)) == NULL)
		upgrade_path = xstrdup(argv[0]);
	upgrade_argv = xcalloc((size_t)argc + 1, sizeof(*upgrade_argv));
	for (i = 0; i < argc; i++)
		upgrade_argv[i] = xstrdup(argv[i]);
}

/* Answer the epmdxctl client, if any, and close its socket. */
void
upgrade_answer(int *fd, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	if (*fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(*fd, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1) == -1)
		log_debug("upgrade: answering: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

/* Set or clear close-on-exec, as a foreach callback. */
static void
upgrade_cloexec(int fd, void *arg)
{
	carry_cloexec(fd, *(int *)arg);
}

/* carry_put() for sync's records. */
static void
upgrade_put_rec(void *arg, const struct handover_rec *r)
{
	carry_put(arg, r);
}

/* Append "fd," to the listener list string. */
static void
upgrade_listen_list(int fd, void *arg)
{
	char	**lst = arg, *n;

	xasprintf(&n, "%s%s%d", *lst != NULL ? *lst : "", *lst != NULL ?
	    "," : "", fd);
	free(*lst);
	*lst = n;
}

/* listen_foreach_fd() callback. */
static void
upgrade_put_listen(int fd, void *arg)
{
	carry_put_fd(arg, HANDOVER_LISTEN, fd);
}

/* conn_foreach_kept() callback. */
static void
upgrade_put_kept(int fd, void *arg)
{
	carry_put_fd(arg, HANDOVER_KEPT, fd);
}

/* The whole state as a snapshot. */
static void
upgrade_snapshot(struct server *srv, struct carry_buf *b)
{
	struct handover_rec	 r;

	carry_begin(b, 1);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_META;
	r.names_port = srv->names_port;
	r.started = srv->started;
	sync_handover_origin(srv, &r.incarnation, &r.version);
	carry_put(b, &r);
	listen_foreach_fd(srv, upgrade_put_listen, b);
	carry_put_registry(b, srv->reg, 0);
	conn_foreach_kept(srv, upgrade_put_kept, b);
	sync_handover_origins(srv, upgrade_put_rec, b);
	if (upgrade_reply != -1)
		carry_put_fd(b, HANDOVER_REPLY, upgrade_reply);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_END;
	carry_put(b, &r);
}

/* Set the deadline ms milliseconds from now. */
static void
upgrade_set_deadline(unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, &upgrade_deadline);
	upgrade_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	upgrade_deadline.tv_sec += ms / 1000 +
	    upgrade_deadline.tv_nsec / 1000000000L;
	upgrade_deadline.tv_nsec %= 1000000000L;
}

/* Whether the deadline has passed. */
static int
upgrade_past_deadline(void)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > upgrade_deadline.tv_sec ||
	    (now.tv_sec == upgrade_deadline.tv_sec &&
	    now.tv_nsec >= upgrade_deadline.tv_nsec);
}

/*
 * Start checking the new binary: it must accept our command line with
 * -n.  The child runs while the loop goes on serving; the timer reaps it.
 */
static int
upgrade_check_start(char **cause)
{
	char		**argv;
	int		  i, argc, fd;

	if (access(upgrade_path, X_OK) == -1) {
		xasprintf(cause, "%s: %s", upgrade_path, strerror(errno));
		return -1;
	}
	for (argc = 0; upgrade_argv[argc] != NULL; argc++)
		;
	argv = xcalloc((size_t)argc + 2, sizeof(*argv));
	argv[0] = upgrade_path;
	argv[1] = upgrade_dash_n;
	for (i = 1; i < argc; i++)
		argv[i + 1] = upgrade_argv[i];
	switch ((upgrade_checker = fork())) {
	case -1:
		xasprintf(cause, "fork: %s", strerror(errno));
		free(argv);
		return -1;
	case 0:
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		unsetenv("NOTIFY_SOCKET");
		execv(upgrade_path, argv);
		_exit(127);
	}
	free(argv);
	upgrade_set_deadline(UPGRADE_CHECK_SECS * 1000);
	return 0;
}

/* Is the check done?  1 passed, 0 not yet, -1 failed (*cause). */
static int
upgrade_check_poll(char **cause)
{
	int	 status;

	if (waitpid(upgrade_checker, &status, WNOHANG) == upgrade_checker) {
		upgrade_checker = -1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 1;
		if (WIFEXITED(status))
			xasprintf(cause, "new binary %s failed its check "
			    "(-n exited %d)", upgrade_path,
			    WEXITSTATUS(status));
		else
			xasprintf(cause, "new binary %s died in its check "
			    "(signal %d)", upgrade_path, WTERMSIG(status));
		return -1;
	}
	if (!upgrade_past_deadline())
		return 0;
	kill(upgrade_checker, SIGKILL);
	waitpid(upgrade_checker, &status, 0);
	upgrade_checker = -1;
	xasprintf(cause, "new binary %s did not finish its check in %d s",
	    upgrade_path, UPGRADE_CHECK_SECS);
	return -1;
}

/* Give up: keep serving as we were. */
static void
upgrade_abort(struct server *srv, const char *why)
{
	log_warnx("upgrade refused: %s; still serving", why);
	upgrade_answer(&upgrade_reply, "ERR %s\n", why);
	if (upgrade_timer != NULL)
		event_del(upgrade_timer);
	listen_enable_all(srv, 1);
	upgrade_phase = UPGRADE_IDLE;
	sd_notifyf_state("READY=1");
}

/* Start an upgrade. */
void
upgrade_start(struct server *srv, int reply_fd)
{
	struct timeval	 tv = { 0, 10 * 1000 };
	char		*cause = NULL;

	if (upgrade_phase != UPGRADE_IDLE) {
		upgrade_answer(&reply_fd, "ERR an upgrade is under way\n");
		return;
	}
	/* However it was made (a dup), the -n check must not inherit it. */
	if (reply_fd != -1)
		carry_cloexec(reply_fd, 1);
	upgrade_reply = reply_fd;
	log_info("upgrade requested binary=%s", upgrade_path);
	sd_notifyf_state("RELOADING=1\nSTATUS=Upgrading");
	if (upgrade_check_start(&cause) == -1) {
		upgrade_abort(srv, cause);
		free(cause);
		return;
	}
	upgrade_phase = UPGRADE_CHECK;
	if (upgrade_timer == NULL)
		upgrade_timer = event_new(srv->base, -1, EV_PERSIST,
		    upgrade_timer_cb, srv);
	event_add(upgrade_timer, &tv);
}

/*
 * The standby: a fork of this process holding every socket, waiting for
 * the new process to say it serves.  If the new process dies first (the
 * pipe closes without a word), the standby takes over with the state it
 * has, so a new binary that cannot start loses nothing.  Returns in the
 * standby only when it takes over.
 */
static pid_t
upgrade_standby(struct server *srv, int *wfd)
{
	struct pollfd	 pfd;
	pid_t		 pid;
	int		 p[2], n;
	char		 c = 0, why[160];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	switch ((pid = fork())) {
	case -1:
		close(p[0]);
		close(p[1]);
		return -1;
	case 0:
		break;
	default:
		close(p[0]);
		*wfd = p[1];
		return pid;
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	do {
		n = poll(&pfd, 1, UPGRADE_STANDBY_SECS * 1000);
	} while (n == -1 && errno == EINTR);
	if (n == 1 && read(p[0], &c, 1) == 1 && c == 'R')
		_exit(0);		/* the new process serves */
	close(p[0]);
	/* Take over: this is now the daemon. */
	if (event_reinit(srv->base) == -1)
		fatalx("upgrade: standby cannot restart its event loop");
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_LISTEN);
	unsetenv(UPGRADE_ENV_READY);
	snprintf(why, sizeof(why), "new binary %s failed to start; pid %ld "
	    "took over and serves", upgrade_path, (long)getpid());
	upgrade_abort(srv, why);
	sd_notifyf_state("MAINPID=%ld", (long)getpid());
	return 0;
}

/* Write the snapshot and exec; returns only on failure or takeover. */
static void
upgrade_exec(struct server *srv)
{
	struct carry_buf	 o;
	char			 fdstr[16], *lst = NULL, *tmp;
	int			 fd, jfd, wfd = -1, cloexec = 0;
	pid_t			 standby;

	upgrade_snapshot(srv, &o);
	if (o.err) {
		carry_free(&o);
		upgrade_abort(srv, "state does not fit the handover format");
		return;
	}
	if ((fd = memfd_create("epmdx-handover", MFD_CLOEXEC)) == -1 ||
	    write(fd, o.p, o.len) != (ssize_t)o.len) {
		if (fd != -1)
			close(fd);
		carry_free(&o);
		upgrade_abort(srv, "cannot write the handover memfd");
		return;
	}
	carry_free(&o);
	if ((standby = upgrade_standby(srv, &wfd)) == 0) {
		close(fd);
		return;			/* the standby, taking over */
	}
	if (standby == -1)
		log_warn("upgrade: no standby (fork)");

	/* Nothing but what we hand over survives the exec. */
	upgrade_cloexec_all();
	carry_cloexec(fd, 0);
	if (wfd != -1)
		carry_cloexec(wfd, 0);
	listen_foreach_fd(srv, upgrade_cloexec, &cloexec);
	registry_foreach_fd(srv->reg, upgrade_cloexec, &cloexec);
	conn_foreach_kept(srv, upgrade_cloexec, &cloexec);
	if (upgrade_reply != -1)
		carry_cloexec(upgrade_reply, 0);
	if ((jfd = fdstore_export()) != -1)
		carry_cloexec(jfd, 0);
	control_handover(1);		/* the control socket goes on */
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	setenv(UPGRADE_ENV_FD, fdstr, 1);
	listen_foreach_fd(srv, upgrade_listen_list, &lst);
	setenv(UPGRADE_ENV_LISTEN, lst != NULL ? lst : "", 1);
	free(lst);
	if (wfd != -1) {
		snprintf(fdstr, sizeof(fdstr), "%d,%ld", wfd, (long)standby);
		setenv(UPGRADE_ENV_READY, fdstr, 1);
	}

	log_info("upgrade: exec %s registrations=%zu", upgrade_path,
	    registry_count(srv->reg));
	execv(upgrade_path, upgrade_argv);

	/* Still here: the exec failed; put everything back. */
	tmp = strerror(errno);
	log_warnx("upgrade: exec %s: %s", upgrade_path, tmp);
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_LISTEN);
	unsetenv(UPGRADE_ENV_READY);
	close(fd);
	if (wfd != -1) {
		/* The standby must go: we serve on. */
		if (write(wfd, "R", 1) != 1)
			kill(standby, SIGKILL);
		close(wfd);
		waitpid(standby, NULL, 0);
	}
	/* Close-on-exec again: the reply and the journal included. */
	upgrade_cloexec_all();
	control_handover(0);
	upgrade_abort(srv, "exec failed");
}

/* Drive the upgrade: check the binary, drain requests, exec. */
static void
upgrade_timer_cb(evutil_socket_t unused, short what, void *arg)
{
	struct server	*srv = arg;
	char		*cause = NULL;

	switch (upgrade_phase) {
	case UPGRADE_IDLE:
		event_del(upgrade_timer);
		return;
	case UPGRADE_CHECK:
		switch (upgrade_check_poll(&cause)) {
		case 0:
			return;
		case -1:
			upgrade_abort(srv, cause);
			free(cause);
			return;
		}
		/* New connections wait in the backlog from here. */
		listen_enable_all(srv, 0);
		upgrade_set_deadline(UPGRADE_DRAIN_MSECS);
		upgrade_phase = UPGRADE_DRAIN;
		/* FALLTHROUGH */
	case UPGRADE_DRAIN:
		if (conn_count_requests(srv) > 0 && !upgrade_past_deadline())
			return;
		event_del(upgrade_timer);
		conn_close_requests(srv,
		    "upgrade: request did not finish in time");
		upgrade_exec(srv);
		return;
	}
}

/* Mark every descriptor from 3 up close-on-exec. */
static void
upgrade_cloexec_all(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if ((fd = atoi(de->d_name)) >= 3 && fd != dirfd(d))
			carry_cloexec(fd, 1);
	closedir(d);
}
