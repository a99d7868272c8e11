/*
 * Live upgrade by re-exec.  The old process checks the new binary (it
 * must accept our command line with -n), stops accepting (connections
 * wait in the listen backlog), lets requests under way finish, writes a
 * snapshot to a memfd, clears close-on-exec on every socket it hands
 * over and execs.  The new process validates the whole snapshot before
 * using any of it, then adopts it; a damaged one is logged and the
 * daemon starts clean (nodes re-register by themselves).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
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

static char	 *upgrade_path;		/* our binary, resolved at start */
static char	**upgrade_argv;
static int	  upgrade_busy;
static char	  upgrade_dash_n[] = "-n";
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

/* Check the new binary: it must accept our command line with -n. */
static int
upgrade_check(char **cause)
{
	char		**argv;
	pid_t		  pid;
	int		  status, i, argc, fd;
	struct timespec	  ts = { 0, 10 * 1000 * 1000 };

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
	switch ((pid = fork())) {
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
	for (i = 0; i < UPGRADE_CHECK_SECS * 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				return 0;
			if (WIFEXITED(status))
				xasprintf(cause, "new binary %s failed its "
				    "check (-n exited %d)", upgrade_path,
				    WEXITSTATUS(status));
			else
				xasprintf(cause, "new binary %s died in its "
				    "check (signal %d)", upgrade_path,
				    WTERMSIG(status));
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	xasprintf(cause, "new binary %s did not finish its check",
	    upgrade_path);
	return -1;
}

/* Give up: keep serving as we were. */
static void
upgrade_abort(struct server *srv, const char *why)
{
	log_warnx("upgrade refused: %s; still serving", why);
	upgrade_answer(&upgrade_reply, "ERR %s\n", why);
	listen_enable_all(srv, 1);
	upgrade_busy = 0;
	sd_notifyf_state("READY=1");
}

/* Start an upgrade. */
void
upgrade_start(struct server *srv, int reply_fd)
{
	struct timeval	 tv = { 0, 20 * 1000 };
	char		*cause = NULL;

	if (upgrade_busy) {
		upgrade_answer(&reply_fd, "ERR an upgrade is under way\n");
		return;
	}
	upgrade_busy = 1;
	upgrade_reply = reply_fd;
	log_info("upgrade requested binary=%s", upgrade_path);
	sd_notifyf_state("RELOADING=1\nSTATUS=Upgrading");
	if (upgrade_check(&cause) == -1) {
		upgrade_abort(srv, cause);
		free(cause);
		return;
	}
	/* New connections wait in the backlog from here. */
	listen_enable_all(srv, 0);
	clock_gettime(CLOCK_MONOTONIC, &upgrade_deadline);
	upgrade_deadline.tv_nsec += (UPGRADE_DRAIN_MSECS % 1000) * 1000000L;
	upgrade_deadline.tv_sec += UPGRADE_DRAIN_MSECS / 1000 +
	    upgrade_deadline.tv_nsec / 1000000000L;
	upgrade_deadline.tv_nsec %= 1000000000L;
	if (upgrade_timer == NULL)
		upgrade_timer = event_new(srv->base, -1, EV_PERSIST,
		    upgrade_timer_cb, srv);
	event_add(upgrade_timer, &tv);
	upgrade_timer_cb(-1, 0, srv);
}

/* Write the snapshot and exec; returns only on failure. */
static void
upgrade_exec(struct server *srv)
{
	struct upgrade_out	 o;
	char			 fdstr[16], *lst = NULL, *tmp;
	int			 fd, jfd, on = 0, off = 1;

	memset(&o, 0, sizeof(o));
	upgrade_snapshot(srv, &o);
	if (o.err) {
		free(o.p);
		upgrade_abort(srv, "state does not fit the handover format");
		return;
	}
	if ((fd = memfd_create("epmdx-handover", 0)) == -1 ||
	    write(fd, o.p, o.len) != (ssize_t)o.len) {
		if (fd != -1)
			close(fd);
		free(o.p);
		upgrade_abort(srv, "cannot write the handover memfd");
		return;
	}
	free(o.p);

	/* Nothing but what we hand over survives the exec. */
	upgrade_cloexec_all();
	upgrade_cloexec(fd, &on);
	listen_foreach_fd(srv, upgrade_cloexec, &on);
	registry_foreach_fd(srv->reg, upgrade_cloexec, &on);
	conn_foreach_kept(srv, upgrade_cloexec, &on);
	if (upgrade_reply != -1)
		upgrade_cloexec(upgrade_reply, &on);
	if ((jfd = fdstore_export()) != -1)
		upgrade_cloexec(jfd, &on);
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	setenv(UPGRADE_ENV_FD, fdstr, 1);
	listen_foreach_fd(srv, upgrade_listen_list, &lst);
	setenv(UPGRADE_ENV_LISTEN, lst != NULL ? lst : "", 1);
	free(lst);

	log_info("upgrade: exec %s registrations=%zu", upgrade_path,
	    registry_count(srv->reg));
	execv(upgrade_path, upgrade_argv);

	/* Still here: the exec failed; put everything back. */
	tmp = strerror(errno);
	log_warnx("upgrade: exec %s: %s", upgrade_path, tmp);
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_LISTEN);
	close(fd);
	listen_foreach_fd(srv, upgrade_cloexec, &off);
	registry_foreach_fd(srv->reg, upgrade_cloexec, &off);
	conn_foreach_kept(srv, upgrade_cloexec, &off);
	upgrade_abort(srv, "exec failed");
}

/* Wait for requests under way, then exec. */
static void
upgrade_timer_cb(evutil_socket_t unused, short what, void *arg)
{
	struct server	*srv = arg;
	struct timespec	 now;

	if (!upgrade_busy)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (conn_count_requests(srv) > 0 &&
	    (now.tv_sec < upgrade_deadline.tv_sec ||
	    (now.tv_sec == upgrade_deadline.tv_sec &&
	    now.tv_nsec < upgrade_deadline.tv_nsec)))
		return;
	event_del(upgrade_timer);
	conn_close_requests(srv, "upgrade: request did not finish in time");
	upgrade_exec(srv);
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

/* Close every descriptor from 3 up but those in keep[]. */
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
		if (i == nkeep)
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
 */
static int
upgrade_validate(struct registry *reg, int *fds,
    int *nfds, int maxfds, struct ho_rec *meta, char **cause)
{
	struct ho_rec	 r;
	struct node	*node;
	const char	*why = NULL;
	uint64_t	 gen;
	size_t		 off = HO_HEADER_LEN;
	long		 n;
	int		 i, have_meta = 0, end = 0;

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
			for (i = 0; i < *nfds; i++)
				if (fds[i] == r.fd) {
					xasprintf(cause, "descriptor %d twice",
					    (int)r.fd);
					return -1;
				}
			if (*nfds == maxfds) {
				xasprintf(cause, "too many descriptors");
				return -1;
			}
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

/*
 * Early at start, before any descriptor of ours is open: read and
 * validate a handed-over state.  A damaged one is dropped and every
 * inherited descriptor but the listeners the environment names is
 * closed, so nodes see EOF and register again.
 */
void
upgrade_load(struct server *srv)
{
	const char	*s, *lst;
	char		*cause = NULL, *copy, *p, *tok;
	int		 statefd, maxfds;

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
	upgrade_close_others(adopt_fds, adopt_nfds);
}

/* registry_foreach_node() callback: a registration gets its conn. */
static void
upgrade_adopt_node(struct node *n, void *arg)
{
	conn_adopt(arg, n->fd, n);
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
			conn_adopt(srv, r.fd, NULL);
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
