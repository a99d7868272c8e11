/* Unit tests for acl.c: parsing allow lists and matching peers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "acl.h"

/* A sockaddr for an address literal (IPv4 or IPv6). */
static const struct sockaddr *
sa(const char *addr)
{
	static struct sockaddr_storage	 ss;
	struct sockaddr_in		*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6		*s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *)&ss;
}

/* Parse text, which must be good. */
static struct acl *
parse_ok(const char *text)
{
	struct acl	*acl = NULL;
	char		*cause = NULL;

	if (acl_parse(text, &acl, &cause) != 0)
		fail_msg("acl_parse(\"%s\"): %s", text, cause);
	assert_null(cause);
	assert_non_null(acl);
	return acl;
}

/* Parse text, which must fail with a cause containing want. */
static void
parse_bad(const char *text, const char *want)
{
	struct acl	*acl = NULL;
	char		*cause = NULL;

	assert_int_equal(acl_parse(text, &acl, &cause), -1);
	assert_null(acl);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("acl_parse(\"%s\"): cause \"%s\" lacks \"%s\"", text,
		    cause, want);
	free(cause);
}

/* No list: everyone, as stock. */
static void
test_null_matches_all(void **state)
{
	assert_true(acl_match(NULL, sa("192.0.2.1")));
	assert_true(acl_match(NULL, sa("2001:db8::1")));
	assert_int_equal(acl_count(NULL), 0);
}

/* IPv4 networks of every prefix length class, and plain addresses. */
static void
test_ipv4(void **state)
{
	struct acl	*acl;

	acl = parse_ok("127.0.0.0/8, 10.1.0.0/16 192.0.2.7,198.51.100.128/25");
	assert_int_equal(acl_count(acl), 4);
	assert_true(acl_match(acl, sa("127.0.0.1")));
	assert_true(acl_match(acl, sa("127.255.255.254")));
	assert_true(acl_match(acl, sa("10.1.200.3")));
	assert_false(acl_match(acl, sa("10.2.0.1")));
	assert_true(acl_match(acl, sa("192.0.2.7")));
	assert_false(acl_match(acl, sa("192.0.2.8")));
	assert_true(acl_match(acl, sa("198.51.100.128")));
	assert_true(acl_match(acl, sa("198.51.100.255")));
	assert_false(acl_match(acl, sa("198.51.100.127")));
	/* An IPv4 list says nothing about IPv6 peers. */
	assert_false(acl_match(acl, sa("::1")));
	acl_free(acl);
}

/* IPv6 networks; IPv4-mapped peers match IPv4 networks. */
static void
test_ipv6(void **state)
{
	struct acl	*acl;

	acl = parse_ok("2001:db8::/32, ::1, fe80::/10, 10.0.0.0/8");
	assert_true(acl_match(acl, sa("2001:db8:1::5")));
	assert_false(acl_match(acl, sa("2001:db9::1")));
	assert_true(acl_match(acl, sa("::1")));
	assert_false(acl_match(acl, sa("::2")));
	assert_true(acl_match(acl, sa("febf::1")));
	assert_false(acl_match(acl, sa("fec0::1")));
	assert_true(acl_match(acl, sa("::ffff:10.9.8.7")));
	assert_false(acl_match(acl, sa("::ffff:11.0.0.1")));
	acl_free(acl);
}

/* /0 is everyone of a family; "none" is nobody. */
static void
test_all_and_none(void **state)
{
	struct acl	*acl;

	acl = parse_ok("0.0.0.0/0");
	assert_true(acl_match(acl, sa("203.0.113.9")));
	assert_false(acl_match(acl, sa("2001:db8::1")));
	acl_free(acl);
	acl = parse_ok("none");
	assert_int_equal(acl_count(acl), 0);
	assert_false(acl_match(acl, sa("127.0.0.1")));
	assert_false(acl_match(acl, sa("::1")));
	acl_free(acl);
}

/* A second parse appends; a failed one leaves the list as it was. */
static void
test_append(void **state)
{
	struct acl	*acl, *copy;
	char		*cause = NULL;

	acl = parse_ok("10.0.0.0/8");
	assert_int_equal(acl_parse("192.0.2.0/24", &acl, &cause), 0);
	assert_int_equal(acl_count(acl), 2);
	assert_int_equal(acl_parse("198.51.100.0/24, bogus", &acl, &cause),
	    -1);
	free(cause);
	assert_int_equal(acl_count(acl), 2);
	assert_false(acl_match(acl, sa("198.51.100.1")));
	copy = acl_copy(acl);
	acl_free(acl);
	assert_true(acl_match(copy, sa("192.0.2.200")));
	assert_true(acl_match(copy, sa("10.255.0.1")));
	acl_free(copy);
	assert_null(acl_copy(NULL));
}

/* Bad items get a message that names them. */
static void
test_bad(void **state)
{
	parse_bad("10.0.0.0/33", "\"10.0.0.0/33\": prefix length");
	parse_bad("::/129", "from 0 to 128");
	parse_bad("10.0.0.0/", "prefix length");
	parse_bad("10.0.0.0/-1", "prefix length");
	parse_bad("10.0.0.0/8x", "prefix length");
	parse_bad("10.0.0.1/8", "bits set beyond the /8 prefix");
	parse_bad("2001:db8::1/32", "bits set beyond");
	parse_bad("example.com", "\"example.com\" is not an IPv4 or IPv6");
	parse_bad("10.0.0", "not an IPv4 or IPv6");
	parse_bad("/8", "not an IPv4 or IPv6");
	parse_bad("127.0.0.1, 300.0.0.1", "\"300.0.0.1\"");
	parse_bad(" , ", "empty list");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_matches_all),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_all_and_none),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
