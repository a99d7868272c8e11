/*
 * Unit tests for config.c's long values: lists that add up over repeated
 * keys and inih's continuation lines (a 64-host peers list among them),
 * scalars that keep their last value and refuse continuations, the line
 * limit of the inih build, and the [sync] cluster name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "config.h"

#define NAME	"t.conf"

/* Parse text, which must be good, into conf. */
static void
load_ok(const char *text, struct epmd_conf *conf)
{
	char	*cause = NULL;

	config_defaults(conf);
	if (config_load_string(text, NAME, conf, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
}

/* Parse text, which must fail with exactly want. */
static void
expect_error(const char *text, const char *want)
{
	struct epmd_conf	 conf;
	char			*cause = NULL;

	config_defaults(&conf);
	assert_int_equal(config_load_string(text, NAME, &conf, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	config_free(&conf);
}

/* A sockaddr_in for an IPv4 literal (acl_match). */
static const struct sockaddr *
v4(const char *addr)
{
	static struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return (const struct sockaddr *)&sin;
}

/*
 * The inih this is built with: continuation lines on (multi-line
 * values), a line of 198 characters taken and one of 199 refused.
 */
static void
test_inih_build(void **state)
{
	struct epmd_conf	 conf;
	char			 text[512];

	(void)state;
	load_ok("[sync]\npeers = a\n  b\n", &conf);
	assert_string_equal(conf.sync.peers, "a, b");
	config_free(&conf);

	/* "[sync]\n" then a line of 198 characters plus its newline. */
	snprintf(text, sizeof(text), "[sync]\nhostname = %0*d\n", 198 - 11, 7);
	assert_int_equal(strlen(text), 7 + 198 + 1);
	load_ok(text, &conf);
	assert_int_equal(strlen(conf.sync.hostname), 198 - 11);
	config_free(&conf);
	snprintf(text, sizeof(text), "[sync]\nhostname = %0*d\n", 199 - 11, 7);
	expect_error(text, NAME ":2: line longer than 198 characters");
}

/*
 * 64 peers, 127.0.0.1 to 127.0.0.64, in every way a long list can be
 * written: one key per line, eight per line, continuation lines; each
 * gives the same 64 hosts in order.
 */
static void
test_peers_64(void **state)
{
	struct epmd_conf	 conf;
	char			 rep[4096], cont[4096], want[4096];
	size_t			 r = 0, c = 0, w = 0;
	int			 i;

	(void)state;
	r += (size_t)snprintf(rep + r, sizeof(rep) - r, "[sync]\n");
	c += (size_t)snprintf(cont + c, sizeof(cont) - c, "[sync]\npeers =");
	for (i = 1; i <= 64; i++) {
		if ((i - 1) % 8 == 0)
			r += (size_t)snprintf(rep + r, sizeof(rep) - r,
			    "peers = ");
		r += (size_t)snprintf(rep + r, sizeof(rep) - r,
		    "127.0.0.%d:4369%s", i, i % 8 == 0 ? "\n" : ", ");
		c += (size_t)snprintf(cont + c, sizeof(cont) - c,
		    "\n    127.0.0.%d:4369,", i);
		w += (size_t)snprintf(want + w, sizeof(want) - w,
		    "%s127.0.0.%d:4369", i > 1 ? ", " : "", i);
	}
	snprintf(cont + c, sizeof(cont) - c, "\nttl = 5\n");
	assert_true(strlen(want) > 198);

	load_ok(rep, &conf);
	assert_string_equal(conf.sync.peers, want);
	config_free(&conf);
	load_ok(cont, &conf);
	assert_string_equal(conf.sync.peers, want);
	assert_int_equal(conf.sync.ttl, 5);
	config_free(&conf);
}

/*
 * Continuation lines: blank and comment lines between them are skipped,
 * separators alone add nothing, and the first indented key after a
 * section header is a key (inih has no key to continue there).
 */
static void
test_continuation(void **state)
{
	struct epmd_conf	 conf;

	(void)state;
	load_ok("[sync]\npeers = a\n\n  # b is gone\n\tc:2 d\n  ,\n", &conf);
	assert_string_equal(conf.sync.peers, "a, c:2, d");
	config_free(&conf);

	load_ok("[sync]\n  peers = a\n[sync]\n  peers = b\n", &conf);
	assert_string_equal(conf.sync.peers, "a, b");
	config_free(&conf);

	/* An empty value unsets; what follows starts the list again. */
	load_ok("[sync]\npeers = a\npeers =\npeers = b\n  c\n", &conf);
	assert_string_equal(conf.sync.peers, "b, c");
	config_free(&conf);
	load_ok("[sync]\npeers = a\npeers =\n", &conf);
	assert_null(conf.sync.peers);
	config_free(&conf);
}

/* Every list key adds up: address, backends, mcast_group, [access]. */
static void
test_every_list(void **state)
{
	struct epmd_conf	 conf;
	char			 text[2048];
	size_t			 n = 0;
	int			 i;

	(void)state;
	/* address: 16 IPv6 literals do not fit one line; four lines do. */
	for (i = 1; i <= 16; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s"
		    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:%04x%s",
		    (i - 1) % 4 == 0 ? "address = " : "", i,
		    i % 4 == 0 ? "\n" : ", ");
	load_ok(text, &conf);
	assert_non_null(strstr(conf.address, "eeee:0001, "));
	assert_non_null(strstr(conf.address, ", 2001:db8:aaaa:bbbb:cccc:dddd:"
	    "eeee:0010"));
	config_free(&conf);
	/* The 17th is refused on the line that adds it. */
	snprintf(text + n, sizeof(text) - n, "address = 10.0.0.1\n");
	expect_error(text, NAME ":5: address: more than 16 addresses");
	expect_error("address = ::1\n  ::2 bad\n",
	    NAME ":2: address: cannot parse IP address \"bad\"");

	/* backends: a name given again is not repeated. */
	load_ok("[sync]\nbackends = static\nbackends = mcast, static\n"
	    "  dns\n", &conf);
	assert_string_equal(conf.sync.backends, "static, mcast, dns");
	config_free(&conf);
	expect_error("[sync]\nbackends = static\n  nope\n", NAME ":3: "
	    "backends: unknown backend \"nope\" (static, hosts, dns, mcast, etcd)");

	load_ok("[sync]\nmcast_group = 239.255.43.69\nmcast_group = ff05::4370"
	    "\n", &conf);
	assert_string_equal(conf.sync.mcast_group,
	    "239.255.43.69, ff05::4370");
	config_free(&conf);

	load_ok("[access]\nsync_allow = 192.0.2.0/24\n  198.51.100.7,\n"
	    "  203.0.113.0/28\nnames_allow = 10.0.0.0/8\n", &conf);
	assert_true(acl_match(conf.access.sync, v4("192.0.2.9")));
	assert_true(acl_match(conf.access.sync, v4("198.51.100.7")));
	assert_true(acl_match(conf.access.sync, v4("203.0.113.15")));
	assert_false(acl_match(conf.access.sync, v4("203.0.113.16")));
	assert_true(acl_match(conf.access.names, v4("10.9.8.7")));
	config_free(&conf);
}

/*
 * A key of one value: given again, the last one counts; continued on an
 * indented line, it is an error (the indented line was meant as a key).
 */
static void
test_scalars(void **state)
{
	struct epmd_conf	 conf;

	(void)state;
	load_ok("port = 1\nport = 2\n[sync]\nhostname = a\nhostname = b\n",
	    &conf);
	assert_int_equal(conf.port, 2);
	assert_string_equal(conf.sync.hostname, "b");
	config_free(&conf);

	expect_error("port = 1\n  2\n", NAME ":2: port takes one value, and "
	    "an indented line continues the key above it (do not indent "
	    "settings)");
	expect_error("[sync]\nhostname = a\n  peers = b\n", NAME ":3: "
	    "hostname takes one value, and an indented line continues the "
	    "key above it (do not indent settings)");
	/* A list's continuation that looks like a setting is one. */
	expect_error("[sync]\npeers = a\n  ttl = 5\n", NAME ":3: peers: "
	    "\"ttl = 5\" continues the list above it, as it is indented (do "
	    "not indent settings)");
}

/* [sync] cluster: default, the names it takes, the ones it refuses. */
static void
test_cluster(void **state)
{
	struct epmd_conf	 conf, copy;
	char			 text[256];

	(void)state;
	load_ok("", &conf);
	assert_null(conf.sync.cluster);
	assert_string_equal(config_sync_cluster(&conf.sync), "default");
	config_free(&conf);

	load_ok("[sync]\ncluster = prod-eu.1_a\n", &conf);
	assert_string_equal(config_sync_cluster(&conf.sync), "prod-eu.1_a");
	config_copy(&copy, &conf);
	config_free(&conf);
	assert_string_equal(copy.sync.cluster, "prod-eu.1_a");
	config_free(&copy);

	load_ok("[sync]\ncluster = a\ncluster =\n", &conf);
	assert_string_equal(config_sync_cluster(&conf.sync), "default");
	config_free(&conf);

	snprintf(text, sizeof(text), "[sync]\ncluster = %064d\n", 0);
	load_ok(text, &conf);
	assert_int_equal(strlen(conf.sync.cluster), 64);
	config_free(&conf);
	snprintf(text, sizeof(text), "[sync]\ncluster = %065d\n", 0);
	expect_error(text, NAME ":2: cluster: \"00000000000000000000000000000"
	    "000000000000000000000000000000000000\" is not a cluster name (1 "
	    "to 64 letters, digits, '.', '_' or '-')");
	expect_error("[sync]\ncluster = a b\n", NAME ":2: cluster: \"a b\" is "
	    "not a cluster name (1 to 64 letters, digits, '.', '_' or '-')");
	expect_error("[sync]\ncluster = caf\xc3\xa9\n", NAME ":2: cluster: "
	    "\"caf\xc3\xa9\" is not a cluster name (1 to 64 letters, digits, "
	    "'.', '_' or '-')");
	expect_error("[sync]\ncluster = a/b\n", NAME ":2: cluster: \"a/b\" is "
	    "not a cluster name (1 to 64 letters, digits, '.', '_' or '-')");
	expect_error("[sync]\ncluster = a\n  b\n", NAME ":3: cluster takes "
	    "one value, and an indented line continues the key above it (do "
	    "not indent settings)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inih_build),
		cmocka_unit_test(test_peers_64),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_every_list),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
