/*
 * Unit tests for fdstore.c, with systemd and the rest of the daemon
 * stubbed:
 * - a rejected handover: the journal inherited over an exec is
 *   close-on-exec again, and fdstore_forget() asks systemd to drop exactly
 *   the sockets of the registrations the journal still holds (added and
 *   not deleted); an unreadable journal drops nothing and does not crash;
 * - a restart: fdstore_load() replays the newest readable journal, adopts
 *   each journaled registration whose socket systemd passed back, forgets
 *   one journaled but not stored, and drops every stored descriptor no
 *   live registration names (deleted, unknown, not a connected socket)
 *   and the older journal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epmdx.h"
#include "fdstore.h"
#include "fixtures.h"
#include "handover.h"
#include "registry.h"
#include "sd.h"
#include "sync.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define BUFSZ		(HANDOVER_RECORD_MAX + 64)

/* systemd and the rest of the daemon, stubbed for fdstore.c. */
static char	 removed[16][48];	/* FDSTOREREMOVE names, in order */
static int	 nremoved;

int
sd_collect(char **cause)
{
	return 0;
}

/* What sd_take() hands out: name prefix, fd. */
static struct {
	const char	*name;
	int		 fd;
} passed[16];
static int	 npassed;

int
sd_take(const char *prefix, int *fds, char **names, int max)
{
	int	 i, n = 0;

	for (i = 0; i < npassed && n < max; i++) {
		if (strncmp(passed[i].name, prefix, strlen(prefix)) != 0)
			continue;
		fds[n] = passed[i].fd;
		if (names != NULL)
			names[n] = strdup(passed[i].name);
		n++;
	}
	return n;
}

int
sd_store_fd(int fd, const char *name)
{
	return 0;
}

void
sd_store_remove(const char *name)
{
	if (nremoved < (int)NITEMS(removed))
		snprintf(removed[nremoved++], sizeof(removed[0]), "%s", name);
}

static struct node *adopted[16];	/* srv.adopt() calls, in order */
static int	 nadopted;

/* The server's adopt hook: where restored sockets are handed. */
static void
fake_adopt(struct server *srv, int fd, struct node *n)
{
	assert_int_equal(fd, n->fd);
	if (nadopted < (int)NITEMS(adopted))
		adopted[nadopted++] = n;
}

void
sync_handover_origin(struct server *srv, uint64_t *incarnation,
    uint64_t *version)
{
	*incarnation = *version = 0;
}

/* Append r to the journal fd at *off. */
static void
journal_put(int fd, size_t *off, const struct handover_rec *r)
{
	uint8_t	 buf[BUFSZ];
	int	 n;

	n = handover_encode(buf, sizeof(buf), r);
	assert_true(n > 0);
	assert_int_equal(pwrite(fd, buf, (size_t)n, (off_t)*off), n);
	*off += (size_t)n;
}

/* An ADD record for id and name, as fdstore.c journals it. */
static struct handover_rec
journal_add(uint64_t id, const char *name)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_ADD;
	r.id = id;
	r.fd = -1;
	r.cr_counter = 1;
	r.node = fixture_node(name, NULL, 0);
	return r;
}

/* Hand fdstore_init() the journal fd as an exec would (no CLOEXEC). */
static void
journal_inherit(struct server *srv, int fd)
{
	char	 env[64];

	snprintf(env, sizeof(env), "%d,a,3,9", fd);
	setenv("EPMDX_FDSTORE", "1", 1);
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	setenv("EPMDX_FDSTORE_STATE", env, 1);
	fdstore_init(srv);
}

/* Whether name is among the names dropped. */
static int
was_removed(const char *name)
{
	int	 i;

	for (i = 0; i < nremoved; i++)
		if (strcmp(removed[i], name) == 0)
			return 1;
	return 0;
}

/*
 * A journal memfd of generation gen: META, an UNREG, then (unless gen is
 * 1, an older journal) ADD 5, 7, 9, 11 and DEL 5.
 */
static int
journal_make(uint64_t gen)
{
	struct handover_rec	 r;
	uint8_t		 hdr[HANDOVER_HEADER_LEN];
	size_t		 off;
	int		 fd;

	assert_true((fd = memfd_create("test-journal", 0)) >= 0);
	assert_int_equal(handover_encode_header(hdr, sizeof(hdr), gen),
	    HANDOVER_HEADER_LEN);
	assert_int_equal(pwrite(fd, hdr, sizeof(hdr), 0), HANDOVER_HEADER_LEN);
	off = sizeof(hdr);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_META;
	r.names_port = 4369;
	r.next_id = 4;
	r.incarnation = 77;
	r.version = 78;
	journal_put(fd, &off, &r);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_UNREG;
	r.fd = -1;
	r.cr_counter = 2;
	r.node = fixture_node("old", NULL, 0);
	journal_put(fd, &off, &r);
	if (gen == 1)
		return fd;	/* the older journal: nothing else */
	r = journal_add(5, "alpha");
	journal_put(fd, &off, &r);
	r = journal_add(7, "beta");
	journal_put(fd, &off, &r);
	r = journal_add(9, "gamma");
	journal_put(fd, &off, &r);
	r = journal_add(11, "delta");
	journal_put(fd, &off, &r);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_DEL;
	r.id = 5;
	journal_put(fd, &off, &r);
	return fd;
}

static void
test_fdstore_forget(void **state)
{
	static struct server	 srv;
	int			 fd;

	fd = journal_make(3);
	journal_inherit(&srv, fd);
	assert_int_equal(fdstore_fd(), fd);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_null(getenv("EPMDX_FDSTORE_STATE"));

	nremoved = 0;
	fdstore_forget();
	assert_int_equal(nremoved, 3);
	assert_true(was_removed("epmdx-reg-7"));
	assert_true(was_removed("epmdx-reg-9"));
	assert_true(was_removed("epmdx-reg-11"));
	assert_false(was_removed("epmdx-reg-5"));
	close(fd);
}

static void
test_fdstore_forget_unreadable(void **state)
{
	static struct server	 srv;
	int			 fd;

	assert_true((fd = memfd_create("test-journal", 0)) >= 0);
	assert_int_equal(write(fd, "EPMDXST9 not a journal at all", 29), 29);
	journal_inherit(&srv, fd);
	nremoved = 0;
	fdstore_forget();
	assert_int_equal(nremoved, 0);
	close(fd);
}

static void
test_fdstore_load(void **state)
{
	static struct server	 srv;
	struct node		*n;
	int			 ja, jb, sp5[2], sp7[2], sp42[2], p9[2];

	setenv("EPMDX_FDSTORE", "1", 1);
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	unsetenv("EPMDX_FDSTORE_STATE");
	fdstore_init(&srv);
	srv.reg = registry_new(1000);
	srv.conf.unreg_cache = 1000;
	srv.nofile = 1024;

	ja = journal_make(1);
	jb = journal_make(2);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp5), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp7), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp42), 0);
	assert_int_equal(pipe(p9), 0);
	npassed = 0;
	passed[npassed].name = "epmdx-state-a";
	passed[npassed++].fd = ja;
	passed[npassed].name = "epmdx-state-b";
	passed[npassed++].fd = jb;
	passed[npassed].name = "epmdx-reg-5";	/* deleted in the journal */
	passed[npassed++].fd = sp5[0];
	passed[npassed].name = "epmdx-reg-7";	/* beta: adopted */
	passed[npassed++].fd = sp7[0];
	passed[npassed].name = "epmdx-reg-9";	/* gamma: not a socket */
	passed[npassed++].fd = p9[0];
	passed[npassed].name = "epmdx-reg-42";	/* never journaled */
	passed[npassed++].fd = sp42[0];
	/* delta (11) was journaled but its socket not passed back. */

	nremoved = 0;
	nadopted = 0;
	srv.adopt = fake_adopt;
	assert_int_equal(fdstore_load(&srv), 1);
	assert_int_equal(nadopted, 1);
	assert_memory_equal(adopted[0]->name, "beta", 4);
	assert_int_equal(adopted[0]->fd, sp7[0]);
	assert_int_equal(adopted[0]->sid, 7);
	assert_int_equal(registry_count(srv.reg), 1);
	assert_null(registry_lookup(srv.reg, (const uint8_t *)"gamma", 5));
	assert_null(registry_lookup(srv.reg, (const uint8_t *)"delta", 5));
	/* Remembered: the journal's UNREG, the deleted and the lost ones. */
	for (n = registry_unreg_first(srv.reg); n != NULL;
	    n = registry_next(n))
		assert_true(n->namelen == 3 || n->namelen == 5);
	assert_int_equal(registry_unreg_count(srv.reg), 4);
	assert_true(srv.restored);
	assert_int_equal(srv.sync_incarnation, 77);
	assert_int_equal(srv.names_port, 0);
	/* The newer journal is kept, the older one and stray fds dropped. */
	assert_int_equal(fdstore_fd(), jb);
	assert_true(was_removed("epmdx-state-a"));
	assert_false(was_removed("epmdx-state-b"));
	assert_true(was_removed("epmdx-reg-5"));
	assert_true(was_removed("epmdx-reg-9"));
	assert_true(was_removed("epmdx-reg-42"));
	assert_false(was_removed("epmdx-reg-7"));
	assert_int_equal(fcntl(ja, F_GETFD), -1);	/* closed */
	assert_int_equal(fcntl(p9[0], F_GETFD), -1);
	assert_true(fcntl(sp7[0], F_GETFD) != -1);

	registry_free(srv.reg);
	close(jb);
	close(sp7[0]);
	close(sp5[1]);
	close(sp7[1]);
	close(sp42[1]);
	close(p9[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdstore_forget),
		cmocka_unit_test(test_fdstore_forget_unreadable),
		cmocka_unit_test(test_fdstore_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
