/* Unit tests for addr.c: addresses and host names as text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"

/* IPv4 and IPv6 with ports, in the one form every log line uses. */
static void
test_text(void **state)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	char			 buf[ADDR_TEXT_MAX];

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4369);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	assert_string_equal(addr_text((struct sockaddr *)&sin, buf,
	    sizeof(buf)), "192.0.2.1:4369");
	assert_string_equal(addr_host((struct sockaddr *)&sin, buf,
	    sizeof(buf)), "192.0.2.1");
	assert_int_equal(addr_port((struct sockaddr *)&sin), 4369);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(65535);
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &sin6.sin6_addr);
	assert_string_equal(addr_text((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	assert_string_equal(addr_host((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* Anything but IP is "?", port 0; a short buffer is cut, never overrun. */
static void
test_other(void **state)
{
	struct sockaddr_un	 sun;
	char			 buf[ADDR_TEXT_MAX], small[6];

	(void)state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_string_equal(addr_text((struct sockaddr *)&sun, buf,
	    sizeof(buf)), "?");
	assert_int_equal(addr_port((struct sockaddr *)&sun), 0);
	assert_string_equal(addr_join("10.0.0.1", 80, small, sizeof(small)),
	    "10.0.");
}

/* Parts joined: brackets exactly when the host holds a colon. */
static void
test_join(void **state)
{
	char	 buf[ADDR_TEXT_MAX];

	(void)state;
	assert_string_equal(addr_join("::1", 7, buf, sizeof(buf)), "[::1]:7");
	assert_string_equal(addr_join("alpha", 7, buf, sizeof(buf)),
	    "alpha:7");
}

/* The short host name has no dot. */
static void
test_short_hostname(void **state)
{
	char	 buf[256];

	(void)state;
	assert_int_equal(addr_short_hostname(buf, sizeof(buf)), 0);
	assert_true(buf[0] != '\0');
	assert_null(strchr(buf, '.'));
	assert_int_equal(addr_short_hostname(buf, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_short_hostname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
