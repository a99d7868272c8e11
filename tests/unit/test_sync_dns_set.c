/*
 * Unit tests for the dns backend's peer table and drop rule: a peer goes
 * only once SYNC_DNS_MISSES complete polls in a row lacked it and its
 * record's TTL has run out; one empty poll drops nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sync_dns_set.h"

/* What merge reported, as "+host:port" / "-host:port" lines. */
struct log {
	char	 text[8192];
	int	 n;
};

static struct sync_dns_set	 known, cur;
static struct log		 ev;

/* A report: append it to the log. */
static void
report(void *arg, const struct sync_dns_addr *a, int up)
{
	struct log	*l = arg;
	size_t		 len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%c%s:%u\n",
	    up ? '+' : '-', a->host, a->port);
	l->n++;
}

/* Reset the sets and the log. */
static int
setup(void **state)
{
	memset(&known, 0, sizeof(known));
	memset(&cur, 0, sizeof(cur));
	memset(&ev, 0, sizeof(ev));
	return 0;
}

/* Merge a poll of the given hosts (port 0, TTL ttl) at second now. */
static void
poll(time_t now, int partial, uint32_t ttl, const char *hosts)
{
	char	 buf[512], *h, *last;

	sync_dns_set_clear(&cur);
	snprintf(buf, sizeof(buf), "%s", hosts);
	for (h = strtok_r(buf, " ", &last); h != NULL;
	    h = strtok_r(NULL, " ", &last))
		assert_int_equal(sync_dns_set_add(&cur, h, 0, ttl), 0);
	memset(&ev, 0, sizeof(ev));
	sync_dns_set_merge(&known, &cur, partial, now, report, &ev);
}

/* Adding: duplicates merge (longest TTL), TTLs are capped, sets bounded. */
static void
test_add(void **state)
{
	char	 host[32];
	int	 i;

	assert_int_equal(sync_dns_set_add(&cur, "127.0.0.2", 0, 5), 0);
	assert_int_equal(sync_dns_set_add(&cur, "127.0.0.2", 0, 30), 0);
	assert_int_equal(sync_dns_set_add(&cur, "127.0.0.2", 0, 10), 0);
	assert_int_equal(sync_dns_set_add(&cur, "127.0.0.2", 4370, 7), 0);
	assert_int_equal(cur.n, 2);
	assert_non_null(sync_dns_set_find(&cur, "127.0.0.2", 0));
	assert_int_equal(sync_dns_set_find(&cur, "127.0.0.2", 0)->ttl, 30);
	assert_int_equal(sync_dns_set_find(&cur, "127.0.0.2", 4370)->ttl, 7);
	assert_null(sync_dns_set_find(&cur, "127.0.0.3", 0));
	assert_int_equal(sync_dns_set_add(&cur, "127.0.0.3", 0, 0xffffffff),
	    0);
	assert_int_equal(sync_dns_set_find(&cur, "127.0.0.3", 0)->ttl,
	    SYNC_DNS_TTL_MAX);

	sync_dns_set_clear(&cur);
	assert_int_equal(cur.n, 0);
	for (i = 0; i < SYNC_DNS_MAX_PEERS; i++) {
		snprintf(host, sizeof(host), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(sync_dns_set_add(&cur, host, 0, 0), 0);
	}
	assert_int_equal(sync_dns_set_add(&cur, "10.1.0.0", 0, 0), -1);
	assert_int_equal(sync_dns_set_add(&cur, "10.0.0.0", 0, 0), 0);
	assert_int_equal(cur.n, SYNC_DNS_MAX_PEERS);
}

/* New peers are reported once, with their misses at 0. */
static void
test_new(void **state)
{
	poll(100, 0, 0, "127.0.0.2 127.0.0.3");
	assert_string_equal(ev.text, "+127.0.0.2:0\n+127.0.0.3:0\n");
	poll(101, 0, 0, "127.0.0.3 127.0.0.2");
	assert_int_equal(ev.n, 0);
	assert_int_equal(known.n, 2);
	assert_int_equal(sync_dns_set_find(&known, "127.0.0.2", 0)->misses, 0);
}

/* One empty answer drops nothing; presence resets the count. */
static void
test_one_empty(void **state)
{
	poll(100, 0, 0, "127.0.0.2 127.0.0.3");
	poll(101, 0, 0, "");
	assert_int_equal(ev.n, 0);
	assert_int_equal(known.n, 2);
	assert_int_equal(sync_dns_set_find(&known, "127.0.0.3", 0)->misses, 1);
	poll(102, 0, 0, "127.0.0.2 127.0.0.3");
	assert_int_equal(ev.n, 0);
	assert_int_equal(sync_dns_set_find(&known, "127.0.0.3", 0)->misses, 0);
	poll(103, 0, 0, "");
	assert_int_equal(ev.n, 0);
	poll(104, 0, 0, "127.0.0.2 127.0.0.3");
	assert_int_equal(ev.n, 0);
	assert_int_equal(known.n, 2);
}

/* Absent from SYNC_DNS_MISSES complete polls in a row (TTL 0): gone. */
static void
test_misses(void **state)
{
	int	 i;

	poll(100, 0, 0, "127.0.0.2 127.0.0.3");
	for (i = 1; i < SYNC_DNS_MISSES; i++) {
		poll(100 + i, 0, 0, "127.0.0.2");
		assert_int_equal(ev.n, 0);
	}
	poll(100 + i, 0, 0, "127.0.0.2");
	assert_string_equal(ev.text, "-127.0.0.3:0\n");
	assert_int_equal(known.n, 1);
	assert_null(sync_dns_set_find(&known, "127.0.0.3", 0));
	/* Back again: new again. */
	poll(200, 0, 0, "127.0.0.2 127.0.0.3");
	assert_string_equal(ev.text, "+127.0.0.3:0\n");
}

/* A TTL outlasting the misses keeps the peer until it runs out. */
static void
test_ttl(void **state)
{
	poll(100, 0, 30, "127.0.0.2 127.0.0.3");
	poll(101, 0, 30, "127.0.0.2");
	poll(102, 0, 30, "127.0.0.2");
	poll(129, 0, 30, "127.0.0.2");
	assert_int_equal(ev.n, 0);
	assert_int_equal(sync_dns_set_find(&known, "127.0.0.3", 0)->misses, 3);
	poll(130, 0, 30, "127.0.0.2");
	assert_string_equal(ev.text, "-127.0.0.3:0\n");

	/* The TTL counts from the last poll that listed it. */
	poll(200, 0, 30, "127.0.0.2 127.0.0.3");
	poll(220, 0, 30, "127.0.0.2 127.0.0.3");
	poll(240, 0, 30, "127.0.0.2");
	poll(249, 0, 30, "127.0.0.2");
	assert_int_equal(ev.n, 0);
	poll(250, 0, 30, "127.0.0.2");
	assert_string_equal(ev.text, "-127.0.0.3:0\n");
}

/* A TTL shorter than the misses: the misses decide. */
static void
test_ttl_short(void **state)
{
	poll(100, 0, 1, "127.0.0.2");
	poll(110, 0, 1, "");
	assert_int_equal(ev.n, 0);
	poll(120, 0, 1, "");
	assert_string_equal(ev.text, "-127.0.0.2:0\n");
}

/* A huge TTL is honoured only up to SYNC_DNS_TTL_MAX. */
static void
test_ttl_cap(void **state)
{
	poll(100, 0, 0x7fffffff, "127.0.0.2");
	poll(101, 0, 0, "");
	poll(102, 0, 0, "");
	poll(99 + SYNC_DNS_TTL_MAX, 0, 0, "");
	assert_int_equal(ev.n, 0);
	poll(100 + SYNC_DNS_TTL_MAX, 0, 0, "");
	assert_string_equal(ev.text, "-127.0.0.2:0\n");
}

/* A truncated answer adds peers and counts no miss. */
static void
test_partial(void **state)
{
	int	 i;

	poll(100, 0, 0, "127.0.0.2 127.0.0.3");
	for (i = 0; i < 2 * SYNC_DNS_MISSES; i++) {
		poll(101 + i, 1, 0, "127.0.0.4");
		assert_string_equal(ev.text, i == 0 ? "+127.0.0.4:0\n" : "");
	}
	assert_int_equal(known.n, 3);
	assert_int_equal(sync_dns_set_find(&known, "127.0.0.2", 0)->misses, 0);
	/* A complete poll counts again. */
	for (i = 0; i < SYNC_DNS_MISSES; i++)
		poll(200 + i, 0, 0, "127.0.0.4");
	assert_string_equal(ev.text, "-127.0.0.2:0\n-127.0.0.3:0\n");
	assert_int_equal(known.n, 1);
}

/* A full table: absent peers make room for new ones, most missed first. */
static void
test_full(void **state)
{
	char	 host[32], all[SYNC_DNS_MAX_PEERS * 16];
	size_t	 len = 0;
	int	 i;

	for (i = 0; i < SYNC_DNS_MAX_PEERS; i++) {
		snprintf(host, sizeof(host), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(sync_dns_set_add(&cur, host, 0, 60), 0);
	}
	sync_dns_set_merge(&known, &cur, 0, 100, report, &ev);
	assert_int_equal(ev.n, SYNC_DNS_MAX_PEERS);
	assert_int_equal(known.n, SYNC_DNS_MAX_PEERS);

	/* Poll 101 lacks 10.0.0.0, poll 102 10.0.0.1. */
	sync_dns_set_clear(&cur);
	for (i = 1; i < SYNC_DNS_MAX_PEERS; i++) {
		snprintf(host, sizeof(host), "10.0.%d.%d", i / 256, i % 256);
		sync_dns_set_add(&cur, host, 0, 60);
	}
	memset(&ev, 0, sizeof(ev));
	sync_dns_set_merge(&known, &cur, 0, 101, report, &ev);
	assert_int_equal(ev.n, 0);
	cur.v[0] = cur.v[--cur.n];	/* drop 10.0.0.1 */
	sync_dns_set_add(&cur, "10.0.0.0", 0, 60);
	sync_dns_set_merge(&known, &cur, 0, 102, report, &ev);
	assert_int_equal(ev.n, 0);
	assert_int_equal(sync_dns_set_find(&known, "10.0.0.1", 0)->misses, 1);

	/*
	 * Poll 103 lacks both (10.0.0.1 misses twice, but its TTL holds it)
	 * and names two newcomers: 10.0.0.1 makes room first, then 10.0.0.0.
	 */
	sync_dns_set_clear(&cur);
	for (i = 2; i < SYNC_DNS_MAX_PEERS; i++) {
		snprintf(host, sizeof(host), "10.0.%d.%d", i / 256, i % 256);
		sync_dns_set_add(&cur, host, 0, 60);
	}
	sync_dns_set_add(&cur, "10.9.0.1", 0, 60);
	sync_dns_set_add(&cur, "10.9.0.2", 0, 60);
	memset(&ev, 0, sizeof(ev));
	sync_dns_set_merge(&known, &cur, 0, 103, report, &ev);
	assert_string_equal(ev.text, "-10.0.0.1:0\n+10.9.0.1:0\n"
	    "-10.0.0.0:0\n+10.9.0.2:0\n");
	assert_int_equal(known.n, SYNC_DNS_MAX_PEERS);
	for (i = 0; i < (int)known.n; i++)
		len += (size_t)snprintf(all + len, sizeof(all) - len, "%s ",
		    known.v[i].host);
	assert_null(strstr(all, "10.0.0.0 "));
	assert_null(strstr(all, "10.0.0.1 "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add, setup),
		cmocka_unit_test_setup(test_new, setup),
		cmocka_unit_test_setup(test_one_empty, setup),
		cmocka_unit_test_setup(test_misses, setup),
		cmocka_unit_test_setup(test_ttl, setup),
		cmocka_unit_test_setup(test_ttl_short, setup),
		cmocka_unit_test_setup(test_ttl_cap, setup),
		cmocka_unit_test_setup(test_partial, setup),
		cmocka_unit_test_setup(test_full, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
