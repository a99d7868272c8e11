/*
 * Unit tests for carry.c, the state both the upgrade and the fd store
 * carry across a process boundary:
 * - the fd-store journal replay: which registrations a journal restores
 *   (ADD), forgets (DEL), remembers (UNREG); a torn or damaged tail keeps
 *   what came before it; the highest id raises next_id; a journal written
 *   by carry_put_registry() carries only the stored nodes, without fds;
 * - the upgrade snapshot validation: a good state is accepted whole; a bad
 *   header or another format version, a damaged or truncated record, no
 *   META first, two METAs, no END, a descriptor that is not the socket its
 *   record says, one named twice or out of range, a name twice and an
 *   unexpected record type are each refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carry.h"
#include "handover.h"
#include "registry.h"

/* A node named name, every other field recognisable. */
static struct proto_node
mknode(const char *name)
{
	struct proto_node	 n;

	memset(&n, 0, sizeof(n));
	n.port = 0xbeef;
	n.type = 77;
	n.high = 6;
	n.low = 5;
	n.name = (const uint8_t *)name;
	n.namelen = strlen(name);
	return n;
}

/* Append a META record. */
static void
put_meta(struct carry_buf *b, uint64_t next_id)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_META;
	r.names_port = 4369;
	r.started = 1700000000;
	r.next_id = next_id;
	r.incarnation = 11;
	r.version = 12;
	carry_put(b, &r);
}

/* Append an ADD record. */
static void
put_add(struct carry_buf *b, uint64_t id, int fd, const char *name)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_ADD;
	r.id = id;
	r.fd = fd;
	r.cr_counter = 3;
	r.node = mknode(name);
	carry_put(b, &r);
}

/* Append an UNREG record. */
static void
put_unreg(struct carry_buf *b, int fd, const char *name)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_UNREG;
	r.fd = fd;
	r.cr_counter = 8;
	r.node = mknode(name);
	r.node.extra = NULL;
	carry_put(b, &r);
}

/* Append a DEL record. */
static void
put_del(struct carry_buf *b, uint64_t id)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_DEL;
	r.id = id;
	carry_put(b, &r);
}

/* Append an END record. */
static void
put_end(struct carry_buf *b)
{
	struct handover_rec	 r;

	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_END;
	carry_put(b, &r);
}

/* Whether name is registered (active) in reg. */
static int
active(struct registry *reg, const char *name)
{
	return registry_lookup(reg, (const uint8_t *)name,
	    strlen(name)) != NULL;
}

/* Whether name is remembered (unreg) in reg. */
static int
remembered(struct registry *reg, const char *name)
{
	struct node	*n;

	for (n = registry_unreg_first(reg); n != NULL; n = registry_next(n))
		if (n->namelen == strlen(name) &&
		    memcmp(n->name, name, n->namelen) == 0)
			return 1;
	return 0;
}

/* The journal of a fd store: ADDs restore, DELs forget, UNREGs remember. */
static void
test_replay(void **state)
{
	struct carry_buf	 b;
	struct carry_map	 map;
	struct registry		*reg = registry_new(1000);
	struct handover_rec		 meta;
	struct node		*n;

	carry_begin(&b, 4);
	put_meta(&b, 2);
	put_unreg(&b, -1, "old");
	put_add(&b, 1, -1, "alpha");
	put_add(&b, 2, -1, "beta");
	put_del(&b, 1);
	put_add(&b, 7, -1, "gamma");
	put_del(&b, 99);		/* unknown id: nothing */
	put_add(&b, 0, -1, "zero");	/* id 0 is never stored */
	put_add(&b, 8, -1, "beta");	/* a name twice: the first stands */
	assert_false(b.err);

	memset(&map, 0, sizeof(map));
	memset(&meta, 0, sizeof(meta));
	assert_int_equal(carry_replay(b.p, b.len, reg, &map, &meta), 9);
	assert_int_equal(meta.names_port, 4369);
	assert_int_equal(meta.incarnation, 11);
	assert_int_equal(meta.next_id, 7);
	assert_int_equal(registry_count(reg), 2);
	assert_true(active(reg, "beta"));
	assert_true(active(reg, "gamma"));
	assert_false(active(reg, "alpha"));
	assert_false(active(reg, "zero"));
	assert_true(remembered(reg, "alpha"));
	assert_true(remembered(reg, "old"));
	assert_non_null(n = carry_map_get(&map, 2));
	assert_int_equal(n->sid, 2);
	assert_int_equal(n->fd, -1);
	assert_int_equal(n->cr_counter, 3);
	assert_null(carry_map_get(&map, 1));
	assert_null(carry_map_get(&map, 8));
	carry_map_free(&map);
	registry_free(reg);
	carry_free(&b);
}

/* A torn tail or a damaged record: what came before it stands. */
static void
test_replay_tail(void **state)
{
	struct carry_buf	 b;
	struct carry_map	 map;
	struct registry		*reg;
	struct handover_rec		 meta;
	size_t			 good;

	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_add(&b, 1, -1, "alpha");
	good = b.len;
	put_add(&b, 2, -1, "beta");
	put_add(&b, 3, -1, "gamma");

	/* Torn: the last record cut short. */
	reg = registry_new(1000);
	memset(&map, 0, sizeof(map));
	memset(&meta, 0, sizeof(meta));
	assert_int_equal(carry_replay(b.p, b.len - 3, reg, &map, &meta), 3);
	assert_int_equal(registry_count(reg), 2);
	assert_false(active(reg, "gamma"));
	carry_map_free(&map);
	registry_free(reg);

	/* Damaged: a flipped bit in beta ends the replay before gamma. */
	b.p[good + 12] ^= 0x10;
	reg = registry_new(1000);
	memset(&meta, 0, sizeof(meta));
	assert_int_equal(carry_replay(b.p, b.len, reg, &map, &meta), 2);
	assert_int_equal(registry_count(reg), 1);
	assert_true(active(reg, "alpha"));
	assert_false(active(reg, "gamma"));
	carry_map_free(&map);
	registry_free(reg);
	carry_free(&b);
}

/* A journal carries the stored nodes only, without descriptors. */
static void
test_registry_journal(void **state)
{
	struct carry_buf	 b;
	struct carry_map	 map;
	struct registry		*reg = registry_new(1000), *back;
	struct proto_node	 pn;
	struct handover_rec		 meta;
	struct node		*n;

	pn = mknode("stored");
	assert_non_null(n = registry_add(reg, &pn, 1, 10, NULL));
	n->sid = 5;
	pn = mknode("unstored");
	assert_non_null(registry_add(reg, &pn, 1, 11, NULL));
	pn = mknode("gone");
	assert_non_null(n = registry_add(reg, &pn, 1, 12, NULL));
	registry_unregister(reg, n);

	carry_begin(&b, 1);
	put_meta(&b, 5);
	carry_put_registry(&b, reg, 1);
	assert_false(b.err);

	back = registry_new(1000);
	memset(&map, 0, sizeof(map));
	memset(&meta, 0, sizeof(meta));
	assert_int_equal(carry_replay(b.p, b.len, back, &map, &meta), 3);
	assert_int_equal(registry_count(back), 1);
	assert_non_null(n = registry_lookup(back, (const uint8_t *)"stored",
	    6));
	assert_int_equal(n->fd, -1);
	assert_int_equal(n->sid, 5);
	assert_true(remembered(back, "gone"));
	carry_map_free(&map);
	registry_free(back);
	registry_free(reg);
	carry_free(&b);
}

/* A listening TCP socket on loopback. */
static int
listener(void)
{
	struct sockaddr_in	 sin;
	int			 fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* The sockets of a test snapshot. */
struct fixture {
	int	 lfd;		/* listening */
	int	 sp[2];		/* connected: a registration, a kept one */
	int	 rp[2];		/* connected: the epmdxctl reply */
	int	 pipefd[2];	/* not sockets */
};

static int
fixture_setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	f->lfd = listener();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sp), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f->rp), 0);
	assert_int_equal(pipe(f->pipefd), 0);
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture	*f = *state;

	close(f->lfd);
	close(f->sp[0]);
	close(f->sp[1]);
	close(f->rp[0]);
	close(f->rp[1]);
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	free(f);
	return 0;
}

/* A good snapshot, as upgrade.c writes one. */
static void
good_state(struct fixture *f, struct carry_buf *b)
{
	carry_begin(b, 1);
	put_meta(b, 0);
	carry_put_fd(b, HANDOVER_LISTEN, f->lfd);
	put_unreg(b, -1, "old");
	put_add(b, 0, f->sp[0], "alpha");
	carry_put_fd(b, HANDOVER_KEPT, f->sp[1]);
	carry_put_fd(b, HANDOVER_REPLY, f->rp[0]);
	put_end(b);
	assert_false(b->err);
}

/* Validate buf[0..len); the return code, *cause freed. */
static int
validate(const uint8_t *buf, size_t len, int maxfds, const char *want)
{
	struct registry	*reg = registry_new(1000);
	struct handover_rec	 meta;
	int		 fds[64], nfds, rc;
	char		*cause = NULL;

	memset(&meta, 0, sizeof(meta));
	rc = carry_validate(buf, len, reg, fds, &nfds, maxfds, &meta, &cause);
	if (rc == -1) {
		assert_non_null(cause);
		if (want != NULL && strstr(cause, want) == NULL)
			fail_msg("cause \"%s\", wanted \"%s\"", cause, want);
	}
	free(cause);
	registry_free(reg);
	return rc;
}

static void
test_validate_good(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;
	struct registry	*reg = registry_new(1000);
	struct handover_rec	 meta;
	struct node	*n;
	int		 fds[64], nfds;
	char		*cause = NULL;

	good_state(f, &b);
	memset(&meta, 0, sizeof(meta));
	assert_int_equal(carry_validate(b.p, b.len, reg, fds, &nfds, 64,
	    &meta, &cause), 0);
	assert_null(cause);
	assert_int_equal(nfds, 4);
	assert_int_equal(fds[0], f->lfd);
	assert_int_equal(fds[1], f->sp[0]);
	assert_int_equal(meta.names_port, 4369);
	assert_int_equal(meta.version, 12);
	assert_int_equal(registry_count(reg), 1);
	assert_non_null(n = registry_lookup(reg, (const uint8_t *)"alpha", 5));
	assert_int_equal(n->fd, f->sp[0]);
	assert_int_equal(n->cr_counter, 3);
	assert_true(remembered(reg, "old"));
	/* Records after END are not read. */
	b.p = realloc(b.p, b.len + 4);
	memcpy(b.p + b.len, "junk", 4);
	assert_int_equal(validate(b.p, b.len + 4, 64, NULL), 0);
	registry_free(reg);
	carry_free(&b);
}

static void
test_validate_header(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;

	good_state(f, &b);
	b.p[11] = 2;			/* format version 2 */
	assert_int_equal(validate(b.p, b.len, 64, "bad header"), -1);
	b.p[11] = 1;
	b.p[0] = 'X';			/* magic */
	assert_int_equal(validate(b.p, b.len, 64, "bad header"), -1);
	assert_int_equal(validate(b.p, 5, 64, "bad header"), -1);
	carry_free(&b);
}

static void
test_validate_damaged(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;
	size_t		 i;

	good_state(f, &b);
	/* Cut anywhere: refused, never half a state. */
	for (i = HANDOVER_HEADER_LEN; i < b.len; i++)
		assert_int_equal(validate(b.p, i, 64, NULL), -1);
	assert_int_equal(validate(b.p, b.len - 2, 64, "truncated"), -1);
	assert_int_equal(validate(b.p, b.len - 9, 64, "without END"), -1);
	b.p[HANDOVER_HEADER_LEN + 7] ^= 1;	/* inside META */
	assert_int_equal(validate(b.p, b.len, 64, "record at byte 20"), -1);
	carry_free(&b);
}

static void
test_validate_order(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;

	carry_begin(&b, 1);
	put_add(&b, 0, f->sp[0], "alpha");
	put_meta(&b, 0);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "start with META"), -1);
	carry_free(&b);

	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_meta(&b, 0);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "two META"), -1);
	carry_free(&b);

	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_del(&b, 3);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "not expected"), -1);
	carry_free(&b);
}

static void
test_validate_sockets(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;

	/* A pipe is not a socket. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_add(&b, 0, f->pipefd[0], "alpha");
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "not the socket"), -1);
	carry_free(&b);

	/* A connected socket is no listener; a listener no registration. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	carry_put_fd(&b, HANDOVER_LISTEN, f->sp[0]);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "not the socket"), -1);
	carry_free(&b);
	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_add(&b, 0, f->lfd, "alpha");
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "not the socket"), -1);
	carry_free(&b);

	/* Not open, and stdio. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	carry_put_fd(&b, HANDOVER_KEPT, 1000);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 2000, "not the socket"), -1);
	carry_free(&b);
	carry_begin(&b, 1);
	put_meta(&b, 0);
	carry_put_fd(&b, HANDOVER_KEPT, 0);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "not the socket"), -1);
	carry_free(&b);
}

static void
test_validate_counts(void **state)
{
	struct fixture	*f = *state;
	struct carry_buf b;

	/* One descriptor twice. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_add(&b, 0, f->sp[0], "alpha");
	carry_put_fd(&b, HANDOVER_KEPT, f->sp[0]);
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "twice"), -1);
	carry_free(&b);

	/* A name twice. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_add(&b, 0, f->sp[0], "alpha");
	put_add(&b, 0, f->sp[1], "alpha");
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "registered twice"), -1);
	carry_free(&b);

	/* A remembered name twice. */
	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_unreg(&b, -1, "old");
	put_unreg(&b, -1, "old");
	put_end(&b);
	assert_int_equal(validate(b.p, b.len, 64, "remembered name twice"),
	    -1);
	carry_free(&b);

	/* More descriptors than the limit, or one beyond it. */
	good_state(f, &b);
	assert_int_equal(validate(b.p, b.len, 3, "out of range"), -1);
	assert_int_equal(validate(b.p, b.len, f->sp[0], "out of range"), -1);
	carry_free(&b);
}

/* carry_read(): the memfd whole, within its bounds. */
static void
test_read(void **state)
{
	struct carry_buf b;
	uint8_t		*buf;
	size_t		 len;
	char		*cause = NULL;
	int		 fd;

	carry_begin(&b, 1);
	put_meta(&b, 0);
	put_end(&b);
	assert_true((fd = memfd_create("test-carry", 0)) >= 0);
	assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
	assert_non_null(buf = carry_read(fd, CARRY_STATE_MAX, &len, &cause));
	assert_int_equal(len, b.len);
	assert_memory_equal(buf, b.p, b.len);
	free(buf);
	/* Over the bound, or shorter than a header: refused. */
	assert_null(carry_read(fd, b.len - 1, &len, &cause));
	assert_non_null(strstr(cause, "bad size"));
	free(cause);
	cause = NULL;
	assert_int_equal(ftruncate(fd, HANDOVER_HEADER_LEN - 1), 0);
	assert_null(carry_read(fd, CARRY_STATE_MAX, &len, &cause));
	free(cause);
	close(fd);
	carry_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_tail),
		cmocka_unit_test(test_registry_journal),
		cmocka_unit_test(test_read),
		cmocka_unit_test_setup_teardown(test_validate_good,
		    fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_validate_header,
		    fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_validate_damaged,
		    fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_validate_order,
		    fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_validate_sockets,
		    fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_validate_counts,
		    fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
