/*
 * systemd fd store.  The journal is a memfd in the handover format:
 * META, then UNREG/ADD records for the state when it was written, then
 * ADD and DEL records appended as registrations come and go.  Its
 * contents are shared with the copy systemd holds, so what we append is
 * what a restarted process reads.  When it grows past a bound, a fresh
 * one is written and stored under the other name (-a, -b), then the old
 * one removed, so a crash at any point leaves a readable journal.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carry.h"
#include "epmdx.h"
#include "fdstore.h"
#include "handover.h"
#include "log.h"
#include "registry.h"
#include "sd.h"
#include "sync.h"
#include "xmalloc.h"

#define FDSTORE_ENV		"EPMDX_FDSTORE"
#define FDSTORE_REG		"epmdx-reg-"
#define FDSTORE_STATE		"epmdx-state-"
#define FDSTORE_COMPACT_MIN	(1024 * 1024)	/* bytes before compacting */
#define FDSTORE_ENV_STATE	"EPMDX_FDSTORE_STATE"	/* across an exec */

static struct {
	int		 on;
	int		 frozen;
	int		 fd;		/* the journal memfd */
	char		 which;		/* 'a' or 'b': its stored name */
	uint64_t	 generation;
	off_t		 len;		/* bytes written */
	uint64_t	 next_id;
	size_t		 records;	/* ADD/DEL since the last snapshot */
} fs = { 0, 0, -1, 'a', 0, 0, 0, 0 };

/* Decide whether the fd store is used; pick up our journal after exec. */
void
fdstore_init(struct server *srv)
{
	const char		*s = getenv(FDSTORE_ENV);
	struct stat		 st;
	unsigned long long	 gen, next;
	int			 fd;
	char			 which;

	fs.on = s != NULL && strcmp(s, "1") == 0 &&
	    getenv("NOTIFY_SOCKET") != NULL;
	if (s != NULL && !fs.on)
		log_info("fd store: %s set but not under systemd: off",
		    FDSTORE_ENV);
	if ((s = getenv(FDSTORE_ENV_STATE)) == NULL)
		return;
	unsetenv(FDSTORE_ENV_STATE);
	if (sscanf(s, "%d,%c,%llu,%llu", &fd, &which, &gen, &next) != 4 ||
	    fd < 3 || (which != 'a' && which != 'b') ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("fd store: bad %s: a new journal replaces it",
		    FDSTORE_ENV_STATE);
		return;
	}
	/* Ours again: no child of ours inherits it. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		log_warn("fd store: journal close-on-exec");
	fs.fd = fd;
	fs.which = which;
	fs.generation = gen;
	fs.next_id = next;
	fs.len = st.st_size;
}

/* The journal inherited over an exec, or -1. */
int
fdstore_fd(void)
{
	return fs.fd;
}

/*
 * Before an exec: keep the journal open across it and say where it is.
 * Returns its fd (to clear close-on-exec on), or -1.
 */
int
fdstore_export(void)
{
	char	 buf[96];

	if (!fs.on || fs.fd == -1)
		return -1;
	snprintf(buf, sizeof(buf), "%d,%c,%llu,%llu", fs.fd, fs.which,
	    (unsigned long long)fs.generation,
	    (unsigned long long)fs.next_id);
	setenv(FDSTORE_ENV_STATE, buf, 1);
	return fs.fd;
}

/* Append one record to the journal. */
static void
fdstore_append(const struct handover_rec *r)
{
	uint8_t	 buf[HANDOVER_RECORD_MAX + 16];
	int	 n;

	if (fs.fd == -1 || (n = handover_encode(buf, sizeof(buf), r)) < 0)
		return;
	if (pwrite(fs.fd, buf, (size_t)n, fs.len) != n) {
		log_warn("fd store: journal write");
		return;
	}
	fs.len += n;
}

/*
 * Write a fresh journal (the whole state) into a new memfd, store it
 * under the other name, then drop the old one.
 */
static void
fdstore_snapshot(struct server *srv)
{
	struct carry_buf b;
	struct handover_rec	 r;
	char		 name[32];
	int		 fd, old = fs.fd;
	char		 oldwhich = fs.which;

	if ((fd = memfd_create("epmdx-state", MFD_CLOEXEC)) == -1) {
		log_warn("fd store: memfd_create");
		return;
	}
	carry_begin(&b, fs.generation + 1);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_META;
	r.names_port = srv->names_port;
	r.started = srv->started;
	r.next_id = fs.next_id;
	sync_handover_origin(srv, &r.incarnation, &r.version);
	carry_put(&b, &r);
	carry_put_registry(&b, srv->reg, 1);
	if (b.err || pwrite(fd, b.p, b.len, 0) != (ssize_t)b.len) {
		log_warn("fd store: journal write");
		carry_free(&b);
		close(fd);
		return;
	}
	fs.fd = fd;
	fs.len = (off_t)b.len;
	fs.generation++;
	carry_free(&b);
	fs.records = 0;
	fs.which = old == -1 ? 'a' : (oldwhich == 'a' ? 'b' : 'a');
	snprintf(name, sizeof(name), FDSTORE_STATE "%c", fs.which);
	if (sd_store_fd(fd, name) == -1) {
		log_warnx("fd store: cannot store the journal; restarts will "
		    "lose registrations");
		return;
	}
	if (old != -1) {
		snprintf(name, sizeof(name), FDSTORE_STATE "%c", oldwhich);
		sd_store_remove(name);
		close(old);
	}
}

/* Once running: a fresh journal with the current state. */
void
fdstore_start(struct server *srv)
{
	if (!fs.on)
		return;
	fdstore_snapshot(srv);
	log_info("fd store: on, journal=" FDSTORE_STATE "%c registrations=%zu",
	    fs.which, registry_count(srv->reg));
}

/* Store a registration's socket and journal it. */
void
fdstore_added(struct server *srv, struct node *n)
{
	struct handover_rec	 r;
	char		 name[48];

	if (!fs.on || fs.frozen || fs.fd == -1)
		return;
	n->sid = ++fs.next_id;
	snprintf(name, sizeof(name), FDSTORE_REG "%llu",
	    (unsigned long long)n->sid);
	if (sd_store_fd(n->fd, name) == -1) {
		n->sid = 0;
		return;
	}
	carry_rec_add(&r, n, -1);
	fdstore_append(&r);
	fs.records++;
}

/* Drop a registration's socket from the store and journal it. */
void
fdstore_removed(struct server *srv, struct node *n)
{
	struct handover_rec	 r;
	char		 name[48];

	if (!fs.on || fs.frozen || n->sid == 0)
		return;
	snprintf(name, sizeof(name), FDSTORE_REG "%llu",
	    (unsigned long long)n->sid);
	sd_store_remove(name);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_DEL;
	r.id = n->sid;
	fdstore_append(&r);
	n->sid = 0;
	if (++fs.records > 2 * (registry_count(srv->reg) + 1000) &&
	    fs.len > FDSTORE_COMPACT_MIN)
		fdstore_snapshot(srv);
}

/* Shutting down: leave the store for the next process. */
void
fdstore_freeze(void)
{
	fs.frozen = 1;
}

/* Read a journal memfd whole and check its header; NULL if unusable. */
static uint8_t *
fdstore_read(int fd, size_t *len, uint64_t *gen)
{
	uint8_t	*buf;
	char	*cause = NULL;

	if ((buf = carry_read(fd, CARRY_STATE_MAX, len, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	if (handover_decode_header(buf, *len, gen) == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * A handed-over state was rejected: the journal still names every
 * registration whose socket sits in the store.  Drop them all, so that
 * the last copy of each closes and its node sees EOF and registers again;
 * fdstore_start() then journals the state we start with instead.
 */
void
fdstore_forget(void)
{
	struct carry_map	 map;
	struct registry		*reg;
	struct handover_rec		 meta;
	struct node		*n;
	uint8_t			*buf;
	size_t			 len, dropped = 0;
	uint64_t		 gen;
	char			 name[48];

	if (!fs.on || fs.fd == -1)
		return;
	if ((buf = fdstore_read(fs.fd, &len, &gen)) == NULL) {
		log_warnx("fd store: journal unreadable: stored registrations "
		    "stay until their nodes go");
		return;
	}
	memset(&map, 0, sizeof(map));
	memset(&meta, 0, sizeof(meta));
	reg = registry_new(UINT_MAX);
	carry_replay(buf, len, reg, &map, &meta);
	for (n = registry_first(reg); n != NULL; n = registry_next(n)) {
		snprintf(name, sizeof(name), FDSTORE_REG "%llu",
		    (unsigned long long)n->sid);
		sd_store_remove(name);
		dropped++;
	}
	if (meta.next_id > fs.next_id)
		fs.next_id = meta.next_id;
	registry_free(reg);
	carry_map_free(&map);
	free(buf);
	log_info("fd store: dropped registrations=%zu of the rejected state",
	    dropped);
}

/* Adopt what systemd passed back after a restart. */
int
fdstore_load(struct server *srv)
{
	struct carry_map	 map;
	struct registry		*reg;
	struct handover_rec		 meta;
	struct node		*n, *next;
	char			*cause = NULL, *names[2], **rnames;
	int			 sfds[2], ns, *rfds, nr, i, adopted = 0, best = -1;
	int			 max = (int)(srv->nofile > 64 ? srv->nofile : 64);
	uint8_t			*buf[2] = { NULL, NULL };
	size_t			 len[2] = { 0, 0 };
	uint64_t		 gen[2] = { 0, 0 }, id;

	if (sd_collect(&cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		return 0;
	}
	ns = sd_take(FDSTORE_STATE, sfds, names, 2);
	rfds = xcalloc((size_t)max, sizeof(*rfds));
	rnames = xcalloc((size_t)max, sizeof(*rnames));
	nr = sd_take(FDSTORE_REG, rfds, rnames, max);
	if (ns == 0 && nr == 0)
		goto done;
	if (!fs.on) {
		log_warnx("fd store: systemd passed stored descriptors but the "
		    "fd store is off: closing them");
		goto drop;
	}

	/* The newest readable journal wins. */
	for (i = 0; i < ns; i++) {
		buf[i] = fdstore_read(sfds[i], &len[i], &gen[i]);
		if (buf[i] != NULL && (best == -1 || gen[i] > gen[best]))
			best = i;
	}
	if (best == -1) {
		log_warnx("fd store: no readable journal among %d: starting "
		    "clean, nodes will register again", ns);
		goto drop;
	}
	memset(&map, 0, sizeof(map));
	memset(&meta, 0, sizeof(meta));
	reg = registry_new(UINT_MAX);
	carry_replay(buf[best], len[best], reg, &map, &meta);
	/* It stays stored until fdstore_start() stores its successor. */
	fs.generation = gen[best];
	fs.fd = sfds[best];
	fs.which = names[best][strlen(names[best]) - 1] == 'b' ? 'b' : 'a';
	fs.len = (off_t)len[best];

	/* Match stored sockets to journaled registrations. */
	for (i = 0; i < nr; i++) {
		id = strtoull(rnames[i] + strlen(FDSTORE_REG), NULL, 10);
		n = carry_map_get(&map, id);
		if (n == NULL || !n->active || n->fd != -1 ||
		    !carry_is_socket(rfds[i], CARRY_CONNECTED)) {
			sd_store_remove(rnames[i]);
			close(rfds[i]);
			continue;
		}
		n->fd = rfds[i];
	}
	/* Journaled but not stored (or gone): no longer registered. */
	for (n = registry_first(reg); n != NULL; n = next) {
		next = registry_next(n);
		if (n->fd == -1)
			registry_unregister(reg, n);
	}
	for (n = registry_first(reg); n != NULL; n = registry_next(n)) {
		srv->adopt(srv, n->fd, n);
		adopted++;
	}
	registry_free(srv->reg);
	srv->reg = reg;
	registry_set_unreg_max(reg, srv->conf.unreg_cache);
	fs.next_id = meta.next_id;
	if (meta.incarnation != 0 && !srv->restored) {
		srv->sync_incarnation = meta.incarnation;
		srv->sync_version = meta.version;
	}
	srv->restored = 1;
	carry_map_free(&map);
	log_info("fd store: restored registrations=%d remembered=%zu",
	    adopted, registry_unreg_count(reg));
	goto done;

drop:
	for (i = 0; i < nr; i++) {
		sd_store_remove(rnames[i]);
		close(rfds[i]);
	}
done:
	for (i = 0; i < ns; i++) {
		if (i != best || !fs.on) {
			sd_store_remove(names[i]);
			close(sfds[i]);
			if (i == best)
				fs.fd = -1;
		}
		free(names[i]);
		free(buf[i]);
	}
	for (i = 0; i < nr; i++)
		free(rnames[i]);
	free(rnames);
	free(rfds);
	return adopted;
}
