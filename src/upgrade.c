/*
 * Live upgrade by re-exec.  The old process checks the new binary (it
 * must accept our command line with -n), stops accepting (connections
 * wait in the listen backlog), lets requests under way finish, writes a
 * snapshot to a memfd, clears close-on-exec on every socket it hands
 * over (only then: until the exec every descriptor is close-on-exec, so
 * the -n check inherits none) and execs.  The new process validates the
 * whole snapshot before using any of it, then adopts it (close-on-exec
 * again); a damaged one is logged and the daemon starts clean, every
 * handed-over connection shut down (nodes re-register by themselves).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

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

#define UPGRADE_ENV_FD		"EPMDX_HANDOVER_FD"
#define UPGRADE_ENV_LISTEN	"EPMDX_HANDOVER_LISTEN"
#define UPGRADE_CHECK_SECS	10	/* the new binary's -n check */
#define UPGRADE_DRAIN_MSECS	2000	/* requests under way may finish */
#define UPGRADE_STATE_MAX	(256 * 1024 * 1024)
#define UPGRADE_ENV_READY	"EPMDX_UPGRADE_READY"
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

/* What upgrade_adopt() keeps for upgrade_finish(). */
static uint8_t	 *adopt_buf;
static size_t	  adopt_len;
static int	  adopt_reply = -1;
static int	  adopt_valid;
static int	 *adopt_fds;		/* validated sockets, or listeners */
static int	  adopt_nfds;
static struct registry *adopt_reg;
static struct ho_rec adopt_meta;

/* A growing byte buffer for the snapshot. */
struct upgrade_out {
	uint8_t		*p;
	size_t		 len;
	size_t		 size;
	int		 err;
};

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
static void
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

/* Set or clear close-on-exec. */
static void
upgrade_cloexec(int fd, void *arg)
{
	int	 on = *(int *)arg, flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return;
	fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

/* Append one record to the snapshot. */
static void
upgrade_put(struct upgrade_out *o, const struct ho_rec *r)
{
	int	 n;

	if (o->err)
		return;
	if (o->size - o->len < HO_RECORD_MAX + 16) {
		o->size = o->size == 0 ? 65536 : o->size * 2;
		o->p = xreallocarray(o->p, 1, o->size);
	}
	if ((n = ho_encode(o->p + o->len, o->size - o->len, r)) < 0)
		o->err = 1;
	else
		o->len += (size_t)n;
}

/* upgrade_put() for sync's records. */
static void
upgrade_put_rec(void *arg, const struct ho_rec *r)
{
	upgrade_put(arg, r);
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

/* A LISTEN or KEPT record for fd. */
static void
upgrade_put_fd(struct upgrade_out *o, uint8_t type, int fd)
{
	struct ho_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.fd = fd;
	upgrade_put(o, &r);
}

/* listen_foreach_fd() callback. */
static void
upgrade_put_listen(int fd, void *arg)
{
	upgrade_put_fd(arg, HO_LISTEN, fd);
}

/* conn_foreach_kept() callback. */
static void
upgrade_put_kept(int fd, void *arg)
{
	upgrade_put_fd(arg, HO_KEPT, fd);
}

/* The whole state as a snapshot. */
static void
upgrade_snapshot(struct server *srv, struct upgrade_out *o)
{
	struct ho_rec	 r;
	struct node	*n;
	uint8_t		 hdr[HO_HEADER_LEN];

	ho_encode_header(hdr, sizeof(hdr), 1);
	o->size = 65536;
	o->p = xmalloc(o->size);
	memcpy(o->p, hdr, sizeof(hdr));
	o->len = sizeof(hdr);

	memset(&r, 0, sizeof(r));
	r.type = HO_META;
	r.names_port = srv->names_port;
	r.started = srv->started;
	sync_handover_origin(srv, &r.incarnation, &r.version);
	upgrade_put(o, &r);
	listen_foreach_fd(srv, upgrade_put_listen, o);
	for (n = registry_unreg_first(srv->reg); n != NULL;
	    n = registry_next(n)) {
		memset(&r, 0, sizeof(r));
		r.type = HO_UNREG;
		r.cr_counter = n->cr_counter;
		r.fd = n->fd;
		r.node.port = n->port;
		r.node.name = n->name;
		r.node.namelen = n->namelen;
		upgrade_put(o, &r);
	}
	for (n = registry_last(srv->reg); n != NULL; n = registry_prev(n)) {
		memset(&r, 0, sizeof(r));
		r.type = HO_ADD;
		r.id = n->sid;
		r.fd = n->fd;
		r.cr_counter = n->cr_counter;
		registry_node_view(n, &r.node);
		upgrade_put(o, &r);
	}
	conn_foreach_kept(srv, upgrade_put_kept, o);
	sync_handover_origins(srv, upgrade_put_rec, o);
	if (upgrade_reply != -1)
		upgrade_put_fd(o, HO_REPLY, upgrade_reply);
	memset(&r, 0, sizeof(r));
	r.type = HO_END;
	upgrade_put(o, &r);
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
	int		 on = 1;

	if (upgrade_phase != UPGRADE_IDLE) {
		upgrade_answer(&reply_fd, "ERR an upgrade is under way\n");
		return;
	}
	/* However it was made (a dup), the -n check must not inherit it. */
	if (reply_fd != -1)
		upgrade_cloexec(reply_fd, &on);
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
	struct upgrade_out	 o;
	char			 fdstr[16], *lst = NULL, *tmp;
	int			 fd, jfd, wfd = -1, cloexec = 0;
	pid_t			 standby;

	memset(&o, 0, sizeof(o));
	upgrade_snapshot(srv, &o);
	if (o.err) {
		free(o.p);
		upgrade_abort(srv, "state does not fit the handover format");
		return;
	}
	if ((fd = memfd_create("epmdx-handover", MFD_CLOEXEC)) == -1 ||
	    write(fd, o.p, o.len) != (ssize_t)o.len) {
		if (fd != -1)
			close(fd);
		free(o.p);
		upgrade_abort(srv, "cannot write the handover memfd");
		return;
	}
	free(o.p);
	if ((standby = upgrade_standby(srv, &wfd)) == 0) {
		close(fd);
		return;			/* the standby, taking over */
	}
	if (standby == -1)
		log_warn("upgrade: no standby (fork)");

	/* Nothing but what we hand over survives the exec. */
	upgrade_cloexec_all();
	upgrade_cloexec(fd, &cloexec);
	if (wfd != -1)
		upgrade_cloexec(wfd, &cloexec);
	listen_foreach_fd(srv, upgrade_cloexec, &cloexec);
	registry_foreach_fd(srv->reg, upgrade_cloexec, &cloexec);
	conn_foreach_kept(srv, upgrade_cloexec, &cloexec);
	if (upgrade_reply != -1)
		upgrade_cloexec(upgrade_reply, &cloexec);
	if ((jfd = fdstore_export()) != -1)
		upgrade_cloexec(jfd, &cloexec);
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

/* The new process serves: release the standby. */
void
upgrade_ready(void)
{
	const char	*s;
	int		 fd;
	long		 pid;

	if ((s = getenv(UPGRADE_ENV_READY)) == NULL)
		return;
	unsetenv(UPGRADE_ENV_READY);
	if (sscanf(s, "%d,%ld", &fd, &pid) != 2 || fd < 3 || pid <= 0)
		return;
	if (write(fd, "R", 1) != 1)
		log_warn("upgrade: telling the standby");
	close(fd);
	waitpid((pid_t)pid, NULL, 0);
}

/* Whether fd is an open socket (a listening one when listening). */
static int
upgrade_is_socket(int fd, int listening)
{
	struct stat	 st;
	socklen_t	 len;
	int		 v;

	if (fd < 3 || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_STREAM)
		return 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
		return 0;
	return listening ? v == 1 : v == 0;
}

/* Mark every descriptor from 3 up close-on-exec. */
static void
upgrade_cloexec_all(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, on = 1;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if ((fd = atoi(de->d_name)) >= 3 && fd != dirfd(d))
			upgrade_cloexec(fd, &on);
	closedir(d);
}

/*
 * Close every descriptor from 3 up but those in keep[].  A connected
 * socket is shut down first: another copy of it (in systemd's fd store,
 * in the standby) would otherwise keep its node connected, registered
 * nowhere.  Shut down, its node sees EOF and registers again, and systemd
 * drops its stored copy.
 */
static void
upgrade_close_others(const int *keep, int nkeep)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, i, dfd;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd < 3 || fd == dfd)
			continue;
		for (i = 0; i < nkeep; i++)
			if (keep[i] == fd)
				break;
		if (i < nkeep)
			continue;
		if (upgrade_is_socket(fd, 0))
			shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	closedir(d);
}

/* Read the memfd whole. */
static int
upgrade_read_state(int fd, char **cause)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;

	if (fstat(fd, &st) == -1 || st.st_size < HO_HEADER_LEN ||
	    st.st_size > UPGRADE_STATE_MAX) {
		xasprintf(cause, "state memfd missing or of a bad size");
		return -1;
	}
	adopt_len = (size_t)st.st_size;
	adopt_buf = xmalloc(adopt_len);
	while (got < adopt_len) {
		n = pread(fd, adopt_buf + got, adopt_len - got, (off_t)got);
		if (n <= 0) {
			xasprintf(cause, "reading state: %s", n == 0 ?
			    "short" : strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * Validate the whole snapshot and build its registry, using nothing yet.
 * Fills reg, the listener and kept fds; -1 with *cause if damaged.
 * seen[] marks descriptors met (maxfds entries, zeroed).
 */
static int
upgrade_validate_with(struct registry *reg, int *fds, int *nfds,
    int maxfds, struct ho_rec *meta, char *seen, char **cause)
{
	struct ho_rec	 r;
	struct node	*node;
	const char	*why = NULL;
	uint64_t	 gen;
	size_t		 off = HO_HEADER_LEN;
	long		 n;
	int		 have_meta = 0, end = 0;

	*nfds = 0;
	if (ho_decode_header(adopt_buf, adopt_len, &gen) == -1) {
		xasprintf(cause, "bad header (another format version?)");
		return -1;
	}
	while (off < adopt_len && !end) {
		if ((n = ho_decode(adopt_buf + off, adopt_len - off, &r,
		    &why)) <= 0) {
			xasprintf(cause, "record at byte %zu: %s", off,
			    n == 0 ? "truncated" : why);
			return -1;
		}
		off += (size_t)n;
		if (!have_meta && r.type != HO_META) {
			xasprintf(cause, "state does not start with META");
			return -1;
		}
		switch (r.type) {
		case HO_META:
			if (have_meta++) {
				xasprintf(cause, "two META records");
				return -1;
			}
			*meta = r;
			continue;
		case HO_LISTEN:
		case HO_KEPT:
		case HO_REPLY:
		case HO_ADD:
			if (!upgrade_is_socket(r.fd, r.type == HO_LISTEN)) {
				xasprintf(cause, "descriptor %d is not the "
				    "socket the state says", (int)r.fd);
				return -1;
			}
			if (r.fd >= maxfds || *nfds == maxfds) {
				xasprintf(cause, "descriptor %d out of range",
				    (int)r.fd);
				return -1;
			}
			if (seen[r.fd]) {
				xasprintf(cause, "descriptor %d twice",
				    (int)r.fd);
				return -1;
			}
			seen[r.fd] = 1;
			fds[(*nfds)++] = r.fd;
			if (r.type == HO_ADD && (node = registry_restore(reg,
			    &r.node, r.cr_counter, r.fd, NULL)) == NULL) {
				xasprintf(cause, "name registered twice");
				return -1;
			}
			if (r.type == HO_ADD)
				node->sid = r.id;
			continue;
		case HO_UNREG:
			if (registry_restore_unreg(reg, r.node.name,
			    r.node.namelen, r.node.port, r.fd,
			    r.cr_counter) == -1) {
				xasprintf(cause, "remembered name twice");
				return -1;
			}
			continue;
		case HO_ORIGIN:
		case HO_ONODE:
			continue;	/* checked by the codec; used later */
		case HO_END:
			end = 1;
			continue;
		default:
			xasprintf(cause, "record type %u not expected here",
			    r.type);
			return -1;
		}
	}
	if (!end) {
		xasprintf(cause, "state ends without END (truncated)");
		return -1;
	}
	return 0;
}

/* upgrade_validate_with() and its scratch map of descriptors. */
static int
upgrade_validate(struct registry *reg, int *fds, int *nfds, int maxfds,
    struct ho_rec *meta, char **cause)
{
	char	*seen = xcalloc((size_t)maxfds, 1);
	int	 rc;

	rc = upgrade_validate_with(reg, fds, nfds, maxfds, meta, seen, cause);
	free(seen);
	return rc;
}

/* The pipe to the standby an exec handed over, or -1. */
static int
upgrade_ready_fd(void)
{
	const char	*s;
	int		 fd;
	long		 pid;

	if ((s = getenv(UPGRADE_ENV_READY)) == NULL ||
	    sscanf(s, "%d,%ld", &fd, &pid) != 2 || fd < 3 || pid <= 0)
		return -1;
	return fd;
}

/*
 * Early at start, before any descriptor of ours is open: read and
 * validate a handed-over state.  A damaged one (or one of a format we do
 * not know) is dropped whole: every inherited descriptor but the
 * listeners the environment names is shut down and closed, and the fd
 * store forgets the registrations it journaled, so every node sees EOF
 * and registers again; none stays registered nowhere.
 */
void
upgrade_load(struct server *srv)
{
	const char	*s, *lst;
	char		*cause = NULL, *copy, *p, *tok;
	int		 statefd, maxfds, i, on = 1, *keep, nkeep;

	if ((s = getenv(UPGRADE_ENV_FD)) == NULL)
		return;
	statefd = atoi(s);
	lst = getenv(UPGRADE_ENV_LISTEN);
	copy = xstrdup(lst != NULL ? lst : "");
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_LISTEN);

	maxfds = (int)(srv->nofile > 16 ? srv->nofile : 16);
	adopt_fds = xcalloc((size_t)maxfds, sizeof(*adopt_fds));
	adopt_reg = registry_new(UINT_MAX);
	memset(&adopt_meta, 0, sizeof(adopt_meta));
	if (statefd >= 3 && upgrade_read_state(statefd, &cause) == 0 &&
	    upgrade_validate(adopt_reg, adopt_fds, &adopt_nfds, maxfds,
	    &adopt_meta, &cause) == 0) {
		close(statefd);
		/* Ours again: no child of ours inherits them. */
		for (i = 0; i < adopt_nfds; i++)
			upgrade_cloexec(adopt_fds[i], &on);
		if (upgrade_ready_fd() != -1)
			upgrade_cloexec(upgrade_ready_fd(), &on);
		adopt_valid = 1;
		free(copy);
		return;
	}
	log_warnx("upgrade: handed-over state is damaged (%s): starting "
	    "clean, nodes will register again", cause != NULL ? cause :
	    "no state");
	free(cause);
	registry_free(adopt_reg);
	adopt_reg = NULL;
	free(adopt_buf);
	adopt_buf = NULL;
	adopt_nfds = 0;
	for (p = copy; (tok = strsep(&p, ",")) != NULL;)
		if (*tok != '\0' && upgrade_is_socket(atoi(tok), 1) &&
		    adopt_nfds < maxfds)
			adopt_fds[adopt_nfds++] = atoi(tok);
	free(copy);
	/*
	 * Kept besides the listeners: the fd-store journal (its stored
	 * registrations are dropped below) and the standby's pipe (it must
	 * hear that we serve, or it takes over with the old state).
	 */
	keep = xcalloc((size_t)adopt_nfds + 2, sizeof(*keep));
	memcpy(keep, adopt_fds, (size_t)adopt_nfds * sizeof(*keep));
	nkeep = adopt_nfds;
	if ((keep[nkeep] = fdstore_fd()) != -1)
		nkeep++;
	if ((keep[nkeep] = upgrade_ready_fd()) != -1)
		upgrade_cloexec(keep[nkeep++], &on);
	upgrade_close_others(keep, nkeep);
	free(keep);
	fdstore_forget();
}

/* registry_foreach_node() callback: a registration gets its conn. */
static void
upgrade_adopt_node(struct node *n, void *arg)
{
	((struct server *)arg)->adopt(arg, n->fd, n);
}

/* Adopt what upgrade_load() validated; 1 if listeners were adopted. */
int
upgrade_adopt(struct server *srv)
{
	struct ho_rec	 r;
	char		*cause = NULL;
	size_t		 off;
	long		 n;
	int		 i, kept = 0;

	if (adopt_fds == NULL)
		return 0;
	if (!adopt_valid) {
		for (i = 0; i < adopt_nfds; i++)
			if (listen_adopt(srv, adopt_fds[i], &cause) == -1) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
		free(adopt_fds);
		adopt_fds = NULL;
		srv->names_port = srv->conf.port;
		return srv->nlisteners > 0;
	}
	registry_free(srv->reg);
	srv->reg = adopt_reg;
	adopt_reg = NULL;
	registry_set_unreg_max(srv->reg, srv->conf.unreg_cache);
	srv->names_port = adopt_meta.names_port;
	srv->started = (time_t)adopt_meta.started;
	srv->restored = 1;
	srv->sync_incarnation = adopt_meta.incarnation;
	srv->sync_version = adopt_meta.version;
	for (off = HO_HEADER_LEN; off < adopt_len; off += (size_t)n) {
		n = ho_decode(adopt_buf + off, adopt_len - off, &r, NULL);
		if (n <= 0 || r.type == HO_END)
			break;
		if (r.type == HO_LISTEN) {
			if (listen_adopt(srv, r.fd, &cause) == -1)
				fatalx("upgrade: %s", cause);
		} else if (r.type == HO_KEPT) {
			srv->adopt(srv, r.fd, NULL);
			kept++;
		} else if (r.type == HO_REPLY)
			adopt_reply = r.fd;
	}
	registry_foreach_node(srv->reg, upgrade_adopt_node, srv);
	free(adopt_fds);
	adopt_fds = NULL;
	log_info("upgrade: adopted listeners=%u registrations=%zu "
	    "remembered=%zu kept=%d", srv->nlisteners,
	    registry_count(srv->reg), registry_unreg_count(srv->reg), kept);
	return 1;
}

/* After sync started: remote origins back, then answer epmdxctl. */
void
upgrade_finish(struct server *srv)
{
	struct ho_rec	 r;
	size_t		 off;
	long		 n;

	if (adopt_buf == NULL)
		return;
	for (off = HO_HEADER_LEN; off < adopt_len; off += (size_t)n) {
		n = ho_decode(adopt_buf + off, adopt_len - off, &r, NULL);
		if (n <= 0 || r.type == HO_END)
			break;
		if (r.type == HO_ORIGIN || r.type == HO_ONODE)
			sync_handover_restore(srv, &r);
	}
	free(adopt_buf);
	adopt_buf = NULL;
	upgrade_answer(&adopt_reply, "OK %ld %s\n", (long)getpid(),
	    EPMDX_VERSION);
}
