/*
 * Live upgrade, the new process's half: read the snapshot the old
 * process handed over, validate all of it before using any of it, adopt
 * it (close-on-exec again), put back the sync origins, answer epmdxctl
 * and release the standby.  A damaged state is logged and the daemon
 * starts clean, every handed-over connection shut down (nodes register
 * again by themselves).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carry.h"
#include "conn.h"
#include "epmdx.h"
#include "fdstore.h"
#include "handover.h"
#include "listen.h"
#include "log.h"
#include "registry.h"
#include "sync.h"
#include "upgrade.h"
#include "xmalloc.h"

/* What upgrade_load() keeps for upgrade_adopt() and upgrade_finish(). */
static struct {
	uint8_t		*buf;		/* the snapshot */
	size_t		 len;
	int		 reply;		/* the epmdxctl client to answer */
	int		 valid;
	int		*fds;		/* validated sockets, or listeners */
	int		 nfds;
	struct registry	*reg;
	struct handover_rec	 meta;
} ad = { NULL, 0, -1, 0, NULL, 0, NULL, { 0 } };

/* The pipe to the standby an exec handed over (and its pid), or -1. */
static int
upgrade_ready_fd(long *pid)
{
	const char	*s;
	int		 fd;
	long		 p;

	if ((s = getenv(UPGRADE_ENV_READY)) == NULL ||
	    sscanf(s, "%d,%ld", &fd, &p) != 2 || fd < 3 || p <= 0)
		return -1;
	if (pid != NULL)
		*pid = p;
	return fd;
}

/* The new process serves: release the standby. */
void
upgrade_ready(void)
{
	int	 fd;
	long	 pid;

	fd = upgrade_ready_fd(&pid);
	unsetenv(UPGRADE_ENV_READY);
	if (fd == -1)
		return;
	if (write(fd, "R", 1) != 1)
		log_warn("upgrade: telling the standby");
	close(fd);
	waitpid((pid_t)pid, NULL, 0);
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
		if (carry_is_socket(fd, CARRY_CONNECTED))
			shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	closedir(d);
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
	int		 statefd, maxfds, i, *keep, nkeep;

	if ((s = getenv(UPGRADE_ENV_FD)) == NULL)
		return;
	statefd = atoi(s);
	lst = getenv(UPGRADE_ENV_LISTEN);
	copy = xstrdup(lst != NULL ? lst : "");
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_LISTEN);

	maxfds = (int)(srv->nofile > 16 ? srv->nofile : 16);
	ad.fds = xcalloc((size_t)maxfds, sizeof(*ad.fds));
	ad.reg = registry_new(UINT_MAX);
	memset(&ad.meta, 0, sizeof(ad.meta));
	if (statefd >= 3 && (ad.buf = carry_read(statefd, CARRY_STATE_MAX,
	    &ad.len, &cause)) != NULL && carry_validate(ad.buf, ad.len,
	    ad.reg, ad.fds, &ad.nfds, maxfds, &ad.meta, &cause) == 0) {
		close(statefd);
		/* Ours again: no child of ours inherits them. */
		for (i = 0; i < ad.nfds; i++)
			carry_cloexec(ad.fds[i], 1);
		if ((i = upgrade_ready_fd(NULL)) != -1)
			carry_cloexec(i, 1);
		ad.valid = 1;
		free(copy);
		return;
	}
	log_warnx("upgrade: handed-over state is damaged (%s): starting "
	    "clean, nodes will register again", cause != NULL ? cause :
	    "no state");
	free(cause);
	registry_free(ad.reg);
	ad.reg = NULL;
	free(ad.buf);
	ad.buf = NULL;
	ad.nfds = 0;
	for (p = copy; (tok = strsep(&p, ",")) != NULL;)
		if (*tok != '\0' && carry_is_socket(atoi(tok),
		    CARRY_LISTENING) && ad.nfds < maxfds)
			ad.fds[ad.nfds++] = atoi(tok);
	free(copy);
	/*
	 * Kept besides the listeners: the fd-store journal (its stored
	 * registrations are dropped below) and the standby's pipe (it must
	 * hear that we serve, or it takes over with the old state).
	 */
	keep = xcalloc((size_t)ad.nfds + 2, sizeof(*keep));
	memcpy(keep, ad.fds, (size_t)ad.nfds * sizeof(*keep));
	nkeep = ad.nfds;
	if ((keep[nkeep] = fdstore_fd()) != -1)
		nkeep++;
	if ((keep[nkeep] = upgrade_ready_fd(NULL)) != -1)
		carry_cloexec(keep[nkeep++], 1);
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
	struct handover_rec	 r;
	char		*cause = NULL;
	size_t		 off;
	long		 n;
	int		 i, kept = 0;

	if (ad.fds == NULL)
		return 0;
	if (!ad.valid) {
		for (i = 0; i < ad.nfds; i++)
			if (listen_adopt(srv, ad.fds[i], &cause) == -1) {
				log_warnx("%s", cause);
				free(cause);
				cause = NULL;
			}
		free(ad.fds);
		ad.fds = NULL;
		srv->names_port = srv->conf.port;
		return srv->nlisteners > 0;
	}
	registry_free(srv->reg);
	srv->reg = ad.reg;
	ad.reg = NULL;
	registry_set_unreg_max(srv->reg, srv->conf.unreg_cache);
	srv->names_port = ad.meta.names_port;
	srv->started = (time_t)ad.meta.started;
	srv->restored = 1;
	srv->sync_incarnation = ad.meta.incarnation;
	srv->sync_version = ad.meta.version;
	for (off = HANDOVER_HEADER_LEN; off < ad.len; off += (size_t)n) {
		n = handover_decode(ad.buf + off, ad.len - off, &r, NULL);
		if (n <= 0 || r.type == HANDOVER_END)
			break;
		if (r.type == HANDOVER_LISTEN) {
			if (listen_adopt(srv, r.fd, &cause) == -1)
				fatalx("upgrade: %s", cause);
		} else if (r.type == HANDOVER_KEPT) {
			srv->adopt(srv, r.fd, NULL);
			kept++;
		} else if (r.type == HANDOVER_REPLY)
			ad.reply = r.fd;
	}
	registry_foreach_node(srv->reg, upgrade_adopt_node, srv);
	free(ad.fds);
	ad.fds = NULL;
	log_info("upgrade: adopted listeners=%u registrations=%zu "
	    "remembered=%zu kept=%d", srv->nlisteners,
	    registry_count(srv->reg), registry_unreg_count(srv->reg), kept);
	return 1;
}

/* After sync started: remote origins back, then answer epmdxctl. */
void
upgrade_finish(struct server *srv)
{
	struct handover_rec	 r;
	size_t		 off;
	long		 n;

	if (ad.buf == NULL)
		return;
	for (off = HANDOVER_HEADER_LEN; off < ad.len; off += (size_t)n) {
		n = handover_decode(ad.buf + off, ad.len - off, &r, NULL);
		if (n <= 0 || r.type == HANDOVER_END)
			break;
		if (r.type == HANDOVER_ORIGIN || r.type == HANDOVER_ONODE)
			sync_handover_restore(srv, &r);
	}
	free(ad.buf);
	ad.buf = NULL;
	upgrade_answer(&ad.reply, "OK %ld %s\n", (long)getpid(),
	    EPMDX_VERSION);
}
