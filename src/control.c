/*
 * The control socket: one unix stream socket, mode 0660 and owned by
 * control_group (0600 when that group does not exist), for the requests
 * that change the daemon.  The peer's credentials are taken from the
 * kernel when it connects: root, the daemon's own user, and processes
 * whose group or supplementary groups include control_group may ask;
 * anyone else is answered "ERR not authorised ..." and closed.  A client
 * sends one request framed as on TCP (Len, opcode); an UPGRADE's socket
 * goes to the server, whose upgrade answers it ("OK pid version" or
 * "ERR why").
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "config.h"
#include "control.h"
#include "epmdx.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS		59	/* Linux 4.13 */
#endif

#define CONTROL_ENV_FD		"EPMDX_CONTROL_FD"
#define CONTROL_BACKLOG		16
#define CONTROL_MAX_CLIENTS	16	/* authorised clients at once */
#define CONTROL_REQ_MAX		64	/* bytes of one control request */
#define CONTROL_TIMEOUT_SECS	10	/* to send the request */
#define CONTROL_REFUSED_SECS	2	/* a refused client, to hang up */
#define CONTROL_NGROUPS		64	/* peer groups read at first try */

/*
 * One connected client, until its request is read; a refused one until
 * it hangs up (closing on unread bytes would reset the answer away).
 */
struct control_client {
	TAILQ_ENTRY(control_client)	 entry;
	int				 fd;
	int				 refused;
	uid_t				 uid;
	pid_t				 pid;
	struct event			*ev;
	uint8_t				 buf[CONTROL_REQ_MAX];
	size_t				 len;
};
TAILQ_HEAD(control_clients, control_client);

/* The one listener of this process. */
static struct {
	struct server		*srv;
	int			 fd;
	struct event		*ev;
	struct event		*pause;		/* out of descriptors */
	char			*path;		/* bound path, NULL if none */
	char			*group;		/* control_group asked for */
	gid_t			 gid;
	int			 have_gid;	/* the group exists */
	dev_t			 dev;		/* the socket file we made */
	ino_t			 ino;
	struct control_clients	 clients;
	unsigned int		 nclients;	/* authorised */
	unsigned int		 nrefused;
} ctl = { .fd = -1 };

static void	control_refused(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	control_accept_cb(evutil_socket_t, short, void *);
static void	control_read_cb(evutil_socket_t, short, void *);

/* A refusal, logged at most ten times a second. */
static void
control_refused(const char *fmt, ...)
{
	static struct log_rate	 rl = LOG_RATE("control: refusals", 10, 1);
	char			 buf[256];
	va_list			 ap;

	if (!log_rate_ok(&rl))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("control: refused %s", buf);
}

/* Write a short answer and close (the socket is fresh: it fits). */
static void
control_answer_fd(int fd, const char *msg)
{
	if (write(fd, msg, strlen(msg)) == -1)
		log_debug("control: answering: %s", strerror(errno));
	close(fd);
}

/* The one teardown of a client. */
static void
control_client_free(struct control_client *cl, const char *reason)
{
	log_debug("control: client closed uid=%u reason=\"%s\"",
	    (unsigned int)cl->uid, reason);
	TAILQ_REMOVE(&ctl.clients, cl, entry);
	if (cl->refused)
		ctl.nrefused--;
	else
		ctl.nclients--;
	event_free(cl->ev);
	if (cl->fd != -1)
		close(cl->fd);
	free(cl);
}

/* Whether gid is in the list. */
static int
control_has_gid(const gid_t *groups, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (groups[i] == ctl.gid)
			return 1;
	return 0;
}

/* Without SO_PEERGROUPS: the user's groups as the group database says. */
static int
control_user_in_group(uid_t uid, gid_t gid)
{
	struct passwd	*pw;
	gid_t		 gbuf[CONTROL_NGROUPS], *groups = gbuf;
	int		 n = CONTROL_NGROUPS, ok;

	if ((pw = getpwuid(uid)) == NULL)
		return 0;
	if (getgrouplist(pw->pw_name, gid, groups, &n) == -1) {
		groups = xcalloc((size_t)n, sizeof(*groups));
		if (getgrouplist(pw->pw_name, gid, groups, &n) == -1)
			n = 0;
	}
	ok = control_has_gid(groups, (size_t)n);
	if (groups != gbuf)
		free(groups);
	return ok;
}

/*
 * May the peer ask?  Root, our own user, or a process in control_group
 * (its group or a supplementary one, as the kernel saw it at connect).
 * 1 yes, 0 no, -1 if its credentials cannot be read.
 */
static int
control_authorised(int fd, struct ucred *uc)
{
	gid_t		 gbuf[CONTROL_NGROUPS], *groups;
	socklen_t	 len = sizeof(*uc);
	int		 ok;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len) == -1)
		return -1;
	if (uc->uid == 0 || uc->uid == geteuid())
		return 1;
	if (!ctl.have_gid)
		return 0;
	if (uc->gid == ctl.gid)
		return 1;
	len = sizeof(gbuf);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gbuf, &len) == 0)
		return control_has_gid(gbuf, len / sizeof(gid_t));
	if (errno == ERANGE) {
		groups = xmalloc(len);
		ok = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0 && control_has_gid(groups, len / sizeof(gid_t));
		free(groups);
		return ok;
	}
	return control_user_in_group(uc->uid, uc->gid);
}

/* Out of descriptors: accept again in a second (tmux). */
static void
control_unpause_cb(evutil_socket_t unused, short what, void *arg)
{
	if (ctl.ev != NULL)
		event_add(ctl.ev, NULL);
}

/* A client connects: check who it is, then wait for its request. */
static void
control_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval		 tv = { CONTROL_TIMEOUT_SECS, 0 };
	struct control_client	*cl;
	struct ucred		 uc;
	char			 msg[256];
	int			 fd, rc;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			control_refused("a client: out of descriptors, "
			    "pausing for a second");
			event_del(ctl.ev);
			tv.tv_sec = 1;
			evtimer_add(ctl.pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	memset(&uc, 0, sizeof(uc));
	if ((rc = control_authorised(fd, &uc)) != 1) {
		if (rc == -1)
			snprintf(msg, sizeof(msg), "ERR cannot read the "
			    "credentials of the peer\n");
		else
			snprintf(msg, sizeof(msg), "ERR not authorised: uid %u"
			    " is neither root nor in group %s\n",
			    (unsigned int)uc.uid, ctl.group);
		control_refused("uid=%u pid=%ld: not root nor in group %s",
		    (unsigned int)uc.uid, (long)uc.pid, ctl.group);
		if (ctl.nrefused >= CONTROL_MAX_CLIENTS) {
			control_answer_fd(fd, msg);
			return;
		}
		if (write(fd, msg, strlen(msg)) == -1 ||
		    shutdown(fd, SHUT_WR) == -1) {
			close(fd);
			return;
		}
		tv.tv_sec = CONTROL_REFUSED_SECS;
	} else if (ctl.nclients >= CONTROL_MAX_CLIENTS) {
		control_refused("uid=%u pid=%ld: %d clients already",
		    (unsigned int)uc.uid, (long)uc.pid, CONTROL_MAX_CLIENTS);
		control_answer_fd(fd, "ERR busy: too many control clients\n");
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->fd = fd;
	cl->refused = rc != 1;
	cl->uid = uc.uid;
	cl->pid = uc.pid;
	cl->ev = event_new(ctl.srv->base, fd, EV_READ | EV_PERSIST,
	    control_read_cb, cl);
	TAILQ_INSERT_TAIL(&ctl.clients, cl, entry);
	if (cl->refused)
		ctl.nrefused++;
	else
		ctl.nclients++;
	event_add(cl->ev, &tv);
}

/* Bytes from a client: one framed request. */
static void
control_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client	*cl = arg;
	struct server		*srv = ctl.srv;
	struct proto_req	 req;
	const char		*why = NULL;
	size_t			 used;
	ssize_t			 n;

	if (what & EV_TIMEOUT) {
		control_client_free(cl, "timeout");
		return;
	}
	n = read(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_client_free(cl, n == 0 ? "closed by peer" :
		    strerror(errno));
		return;
	}
	if (cl->refused)
		return;			/* answered: read until it hangs up */
	cl->len += (size_t)n;
	switch (proto_decode(cl->buf, cl->len, &req, &used, &why)) {
	case PROTO_NEED_MORE:
		if (cl->len < sizeof(cl->buf))
			return;
		/* FALLTHROUGH */
	case PROTO_ERR:
		control_answer_fd(cl->fd, "ERR malformed request\n");
		cl->fd = -1;
		control_client_free(cl, "malformed request");
		return;
	case PROTO_OK:
		break;
	}
	if (req.op != PROTO_X_UPGRADE_REQ) {
		control_answer_fd(cl->fd, "ERR not a control request\n");
		cl->fd = -1;
		control_client_free(cl, "not a control request");
		return;
	}
	log_info("control: upgrade requested uid=%u pid=%ld",
	    (unsigned int)cl->uid, (long)cl->pid);
	fd = cl->fd;
	cl->fd = -1;
	control_client_free(cl, "upgrade requested");
	srv->upgrade(srv, fd);		/* it answers and closes fd */
}

/* Look control_group up (again: it may have been made since). */
static void
control_set_group(const char *name)
{
	struct group	*gr;

	free(ctl.group);
	ctl.group = xstrdup(name);
	if ((gr = getgrnam(name)) != NULL) {
		ctl.gid = gr->gr_gid;
		ctl.have_gid = 1;
		return;
	}
	ctl.have_gid = 0;
	log_info("control: group %s does not exist: only root may use the "
	    "control socket", name);
}

/* Whether a daemon listens on the socket file at sun (do not take it). */
static int
control_live(const struct sockaddr_un *sun)
{
	int	 fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return 1;
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

/*
 * Bind and listen on path: the directory made if missing (0755), a stale
 * socket file replaced (successor: the one our predecessor left), then
 * mode 0660 and control_group, or 0600 without it.
 */
static int
control_bind(const char *path, int successor, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 dir[sizeof(sun.sun_path)], *slash;
	mode_t			 mask;
	int			 fd, rc;

	if (addr_unix(path, &sun) == -1) {
		xasprintf(cause, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, sun.sun_path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			xasprintf(cause, "%s exists and is not a socket", path);
			return -1;
		}
		if (!successor && control_live(&sun)) {
			xasprintf(cause, "%s is in use by another daemon",
			    path);
			return -1;
		}
		if (unlink(path) == -1) {
			xasprintf(cause, "removing the stale %s: %s", path,
			    strerror(errno));
			return -1;
		}
		log_info("control: replaced a stale socket path=%s", path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	mask = umask(ctl.have_gid ? 0117 : 0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc == -1 || listen(fd, CONTROL_BACKLOG) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (rc == 0)
			unlink(path);
		close(fd);
		return -1;
	}
	if (lstat(path, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	/* Under systemd the group is usually ours already: no chown(2). */
	if (ctl.have_gid && st.st_gid != ctl.gid && fchownat(AT_FDCWD, path,
	    (uid_t)-1, ctl.gid, AT_SYMLINK_NOFOLLOW) == -1) {
		log_warn("control: %s: cannot give it to group %s, only root "
		    "may use it", path, ctl.group);
		chmod(path, 0600);
	}
	return fd;
}

/*
 * The listener our predecessor handed over, if it is one on path.  One
 * on another path (the configuration changed) is ours: removed.
 */
static int
control_inherit(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const char		*s;
	socklen_t		 len;
	int			 fd, v;

	if ((s = getenv(CONTROL_ENV_FD)) == NULL)
		return -1;
	fd = atoi(s);
	unsetenv(CONTROL_ENV_FD);
	len = sizeof(v);
	if (fd < 3 || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1 ||
	    v != AF_UNIX)
		return -1;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 ||
	    v != 1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	len = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX || sun.sun_path[0] == '\0')
		return -1;
	sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
	if (strcmp(sun.sun_path, path) != 0) {
		log_info("control: socket moves from %s to %s", sun.sun_path,
		    path);
		unlink(sun.sun_path);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		ctl.dev = st.st_dev;
		ctl.ino = st.st_ino;
	}
	return fd;
}

/* Whether the file at ctl.path is still the socket we made. */
static int
control_file_ours(void)
{
	struct stat	 st;

	return ctl.path != NULL && lstat(ctl.path, &st) == 0 &&
	    st.st_dev == ctl.dev && st.st_ino == ctl.ino;
}

/* Stop listening; the file goes too if it is still ours. */
static void
control_close_listener(void)
{
	if (ctl.ev != NULL) {
		event_free(ctl.ev);
		ctl.ev = NULL;
	}
	if (ctl.pause != NULL)
		event_del(ctl.pause);
	if (ctl.fd != -1) {
		close(ctl.fd);
		ctl.fd = -1;
	}
	if (control_file_ours())
		unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
}

/*
 * Listen on path (inherited or new).  Without it the daemon serves on: a
 * warning if control_socket was configured, else (a user running epmdx
 * without /run/epmdx) a notice.
 */
static void
control_listen(struct server *srv, const char *path)
{
	char	*cause = NULL;
	int	 successor = getenv(CONTROL_ENV_FD) != NULL;

	if ((ctl.fd = control_inherit(path)) != -1)
		log_debug("control: adopted the socket path=%s", path);
	else if ((ctl.fd = control_bind(path, successor, &cause)) == -1) {
		if (srv->conf.control_socket != NULL)
			log_warnx("control socket: %s; upgrades only by "
			    "SIGUSR2", cause);
		else
			log_info("control socket: %s; upgrades only by "
			    "SIGUSR2", cause);
		free(cause);
		return;
	}
	ctl.path = xstrdup(path);
	ctl.ev = event_new(srv->base, ctl.fd, EV_READ | EV_PERSIST,
	    control_accept_cb, NULL);
	event_add(ctl.ev, NULL);
	log_info("control socket path=%s group=%s%s", path, ctl.group,
	    ctl.have_gid ? "" : " (none: root only)");
}

/* Listen on the configured control socket. */
void
control_open(struct server *srv)
{
	char	 buf[128];

	if (ctl.srv == NULL) {
		TAILQ_INIT(&ctl.clients);
		ctl.pause = evtimer_new(srv->base, control_unpause_cb, NULL);
	}
	ctl.srv = srv;
	control_set_group(config_control_group(&srv->conf));
	control_listen(srv, config_control_path(&srv->conf, srv->names_port,
	    buf, sizeof(buf)));
}

/* After a reload: a new path or group, or a removed file: a new socket. */
void
control_reload(struct server *srv)
{
	const char	*path;
	char		 buf[128];
	gid_t		 gid = ctl.gid;
	int		 had = ctl.have_gid;

	path = config_control_path(&srv->conf, srv->names_port, buf,
	    sizeof(buf));
	control_set_group(config_control_group(&srv->conf));
	if (ctl.fd != -1 && strcmp(path, ctl.path) == 0 &&
	    had == ctl.have_gid && (!had || gid == ctl.gid) &&
	    control_file_ours())
		return;
	control_close_listener();
	control_listen(srv, path);
}

/* Keep the listener across an upgrade's exec (on), or not any more. */
int
control_handover(int on)
{
	char	 buf[16];

	if (ctl.fd == -1)
		return -1;
	if (!on) {
		fcntl(ctl.fd, F_SETFD, FD_CLOEXEC);
		unsetenv(CONTROL_ENV_FD);
		return ctl.fd;
	}
	snprintf(buf, sizeof(buf), "%d", ctl.fd);
	if (fcntl(ctl.fd, F_SETFD, 0) == -1 ||
	    setenv(CONTROL_ENV_FD, buf, 1) == -1)
		return -1;
	return ctl.fd;
}

/* Shutdown: clients, listener, socket file. */
void
control_close(void)
{
	struct control_client	*cl;

	if (ctl.srv == NULL)
		return;
	while ((cl = TAILQ_FIRST(&ctl.clients)) != NULL)
		control_client_free(cl, "shutting down");
	control_close_listener();
	if (ctl.pause != NULL) {
		event_free(ctl.pause);
		ctl.pause = NULL;
	}
	free(ctl.group);
	ctl.group = NULL;
	ctl.srv = NULL;
}
