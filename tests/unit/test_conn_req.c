/*
 * Unit tests for conn_req.c: the opcode table decides who may ask what
 * (local peers only, [access] lists, sync on) before any handler runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "acl.h"
#include "config.h"
#include "conn_req.h"
#include "epmdx.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"

/* sync.c is not linked: the cluster queries answer nothing. */
void
sync_cluster_dump(struct server *srv, struct evbuffer *out)
{
}

void
sync_peers_dump(struct server *srv, struct evbuffer *out)
{
}

/* STATUS: the configured cluster, as sync.c says it with sync off. */
const char *
sync_cluster(const struct server *s)
{
	return config_sync_cluster(&s->conf.sync);
}

/* RESOLVE: name@here is the local node of that name. */
const struct node *
sync_resolve(struct server *srv, const uint8_t *name, size_t namelen,
    const char *host, char *addr, size_t addrsize)
{
	if (strcmp(host, "here") != 0)
		return NULL;
	snprintf(addr, addrsize, "%s", SYNC_LOCAL_ADDR);
	return registry_lookup(srv->reg, name, namelen);
}

static struct server	 srv;
static int		 sv[2];		/* an AF_UNIX pair: never local */

static int
setup(void **state)
{
	memset(&srv, 0, sizeof(srv));
	config_defaults(&srv.conf);
	srv.reg = registry_new(srv.conf.unreg_cache);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	return 0;
}

static int
teardown(void **state)
{
	registry_free(srv.reg);
	config_free(&srv.conf);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Dispatch op from a peer (local or not); the reply length in *len. */
static struct conn_req_result
ask(uint8_t op, int local, size_t *len)
{
	struct conn_req_result	 res;
	struct proto_req	 req;
	struct evbuffer		*out = evbuffer_new();
	static const uint8_t	 body[PROTO_SYNC_OPEN_LEN];

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.node.name = (const uint8_t *)"a";
	req.node.namelen = 1;
	req.body = body;
	conn_req_dispatch(&srv, sv[0], local, &req, out, &res);
	if (len != NULL)
		*len = evbuffer_get_length(out);
	evbuffer_free(out);
	return res;
}

/* Each of stock's local-only requests is dropped from another peer. */
static void
test_local_only(void **state)
{
	static const struct {
		uint8_t		 op;
		const char	*why;
	} t[] = {
		{ PROTO_ALIVE2_REQ, "ALIVE2 from a non-local peer" },
		{ PROTO_DUMP_REQ, "DUMP from a non-local peer" },
		{ PROTO_KILL_REQ, "KILL from a non-local peer" },
		{ PROTO_STOP_REQ, "STOP from a non-local peer" },
		{ PROTO_X_STATUS_REQ, "STATUS from a non-local peer" },
		{ PROTO_X_CLUSTER_REQ, "cluster query from a non-local peer" },
		{ PROTO_X_PEERS_REQ, "cluster query from a non-local peer" },
		{ PROTO_X_UPGRADE_REQ, "UPGRADE from a non-local peer" },
		{ PROTO_X_RESOLVE_REQ, "RESOLVE from a non-local peer" },
		{ PROTO_X_WATCH_REQ, "WATCH from a non-local peer" },
	};
	struct conn_req_result	 res;
	size_t			 i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		res = ask(t[i].op, 0, &len);
		assert_int_equal(res.action, CONN_REQ_DROP);
		assert_string_equal(res.why, t[i].why);
		assert_int_equal(len, 0);
	}
}

/* WATCH from a local peer hands the connection over, nothing written. */
static void
test_watch_local(void **state)
{
	size_t	 len;

	assert_int_equal(ask(PROTO_X_WATCH_REQ, 1, &len).action,
	    CONN_REQ_WATCH);
	assert_int_equal(len, 0);
}

/* RESOLVE found: the PORT2 reply, then [AddrLen:1][address]. */
static void
test_resolve_address(void **state)
{
	static const uint8_t	 want[] = { 'w', 0, 0x1f, 0x40, 77, 0, 0, 6,
	    0, 5, 0, 1, 'a', 0, 0, 9, '1', '2', '7', '.', '0', '.', '0',
	    '.', '1' };
	struct proto_node	 pn;
	struct conn_req_result	 res;
	struct proto_req	 req;
	struct evbuffer		*out = evbuffer_new();
	uint8_t			 got[64];

	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)"a";
	pn.namelen = 1;
	pn.port = 8000;
	pn.type = 77;
	pn.high = 6;
	pn.low = 5;
	assert_non_null(registry_add(srv.reg, &pn, 0, -1, NULL));
	memset(&req, 0, sizeof(req));
	req.op = PROTO_X_RESOLVE_REQ;
	req.node.name = (const uint8_t *)"a@here";
	req.node.namelen = 6;
	conn_req_dispatch(&srv, sv[0], 1, &req, out, &res);
	assert_int_equal(res.action, CONN_REQ_REPLY);
	assert_int_equal(evbuffer_get_length(out), sizeof(want));
	evbuffer_remove(out, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
	/* Unknown: 'w', 1 and nothing more. */
	req.node.name = (const uint8_t *)"b@here";
	conn_req_dispatch(&srv, sv[0], 1, &req, out, &res);
	assert_int_equal(evbuffer_get_length(out), 2);
	evbuffer_free(out);
}

/* Anyone may ask NAMES and PORT_PLEASE2 when there is no allow list. */
static void
test_open_requests(void **state)
{
	size_t	 len;

	assert_int_equal(ask(PROTO_NAMES_REQ, 0, &len).action,
	    CONN_REQ_REPLY);
	assert_int_equal(len, 4);		/* the port header */
	assert_int_equal(ask(PROTO_PORT2_REQ, 0, &len).action,
	    CONN_REQ_REPLY);
	assert_int_equal(len, 2);		/* 'w', 1: not found */
}

/* An allow list closes another peer unanswered, and counts it. */
static void
test_access_list(void **state)
{
	struct conn_req_result	 res;
	char			*cause = NULL;
	size_t			 len;

	assert_int_equal(acl_parse("10.0.0.0/8", &srv.conf.access.names,
	    &cause), 0);
	res = ask(PROTO_NAMES_REQ, 0, &len);
	assert_int_equal(res.action, CONN_REQ_CLOSE);
	assert_string_equal(res.why, "not in the allow list");
	assert_int_equal(len, 0);
	assert_int_equal(srv.stats.refused_names, 1);
	/* A local peer is never asked for the list. */
	assert_int_equal(ask(PROTO_NAMES_REQ, 1, NULL).action,
	    CONN_REQ_REPLY);
	assert_int_equal(srv.stats.refused_names, 1);
}

/* SYNC is dropped while sync is off, before any allow list. */
static void
test_sync_off(void **state)
{
	struct conn_req_result	 res;
	char			*cause = NULL;

	assert_int_equal(acl_parse("10.0.0.0/8", &srv.conf.access.sync,
	    &cause), 0);
	res = ask(PROTO_X_SYNC_REQ, 0, NULL);
	assert_int_equal(res.action, CONN_REQ_DROP);
	assert_string_equal(res.why, "SYNC request but sync is off");
	assert_int_equal(srv.stats.refused_sync, 0);
}

/* Local peers: what each request asks of its connection. */
static void
test_local_actions(void **state)
{
	struct conn_req_result	 res;
	size_t			 len;

	assert_int_equal(ask(PROTO_ALIVE2_REQ, 1, NULL).action,
	    CONN_REQ_ALIVE2);
	assert_int_equal(ask(PROTO_DUMP_REQ, 1, NULL).action, CONN_REQ_REPLY);
	res = ask(PROTO_KILL_REQ, 1, &len);
	assert_int_equal(res.action, CONN_REQ_KILL);	/* nothing registered */
	assert_int_equal(len, 2);
	res = ask(PROTO_STOP_REQ, 1, &len);
	assert_int_equal(res.action, CONN_REQ_CLOSE);	/* not relaxed */
	assert_string_equal(res.why, "STOP not allowed");
	srv.conf.relaxed = 1;
	res = ask(PROTO_STOP_REQ, 1, &len);
	assert_int_equal(res.action, CONN_REQ_REPLY);	/* NOEXISTSTOPPED */
	assert_int_equal(len, 14);
	assert_int_equal(ask(PROTO_X_UPGRADE_REQ, 1, &len).action,
	    CONN_REQ_REPLY);
	assert_true(len > 0);				/* "ERR use ..." */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_watch_local,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_address,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_requests, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_access_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_off, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_local_actions, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
