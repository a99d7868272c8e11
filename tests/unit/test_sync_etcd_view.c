/*
 * Unit tests for sync_etcd_view.c: the value codec, and what the view
 * feeds the sync core (sync_origin_feed/touch/gone are fakes here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "sync.h"
#include "sync_etcd.h"

/* What the fakes saw. */
static char	 fed[512];

void
sync_origin_feed(struct sync_backend_inst *bi, const char *host,
    const char *addr, uint64_t incarnation, uint64_t version,
    const struct proto_node *nodes, size_t n)
{
	size_t	 i;

	snprintf(fed + strlen(fed), sizeof(fed) - strlen(fed),
	    "feed %s %s %llu %llu:", host, addr ? addr : "-",
	    (unsigned long long)incarnation, (unsigned long long)version);
	for (i = 0; i < n; i++)
		snprintf(fed + strlen(fed), sizeof(fed) - strlen(fed),
		    " %.*s/%u", (int)nodes[i].namelen, nodes[i].name,
		    nodes[i].port);
	snprintf(fed + strlen(fed), sizeof(fed) - strlen(fed), ";");
}

void
sync_origin_touch(struct sync_backend_inst *bi, const char *host)
{
	snprintf(fed + strlen(fed), sizeof(fed) - strlen(fed), "touch %s;",
	    host);
}

void
sync_origin_gone(struct sync_backend_inst *bi, const char *host)
{
	snprintf(fed + strlen(fed), sizeof(fed) - strlen(fed), "gone %s;",
	    host);
}

/* A value for node name on port. */
static size_t
value(uint8_t *buf, const char *name, uint16_t port, uint64_t inc,
    const char *adv)
{
	struct proto_node	 pn;

	memset(&pn, 0, sizeof(pn));
	pn.name = (const uint8_t *)name;
	pn.namelen = strlen(name);
	pn.port = port;
	pn.type = 77;
	pn.high = pn.low = 6;
	return etcd_value_put(buf, ETCD_VALUE_MAX, inc, adv, &pn);
}

/* A value round-trips; a cut or padded one is refused. */
static void
test_value(void **state)
{
	uint8_t			 buf[ETCD_VALUE_MAX];
	struct proto_node	 pn;
	uint64_t		 inc;
	char			 adv[64];
	size_t			 len, i;

	(void)state;
	len = value(buf, "n1", 30001, 99, "10.0.0.1:4369");
	assert_true(len > 0);
	assert_int_equal(etcd_value_get(buf, len, &inc, adv, sizeof(adv),
	    &pn), 0);
	assert_int_equal(inc, 99);
	assert_string_equal(adv, "10.0.0.1:4369");
	assert_int_equal(pn.port, 30001);
	assert_memory_equal(pn.name, "n1", 2);
	for (i = 0; i < len; i++)
		assert_int_equal(etcd_value_get(buf, i, &inc, adv, sizeof(adv),
		    &pn), -1);
	assert_int_equal(etcd_value_get(buf, len + 1, &inc, adv, sizeof(adv),
	    &pn), -1);
	assert_int_equal(etcd_value_get(buf, len, &inc, adv, 5, &pn), -1);
	buf[0] ^= 1;
	assert_int_equal(etcd_value_get(buf, len, &inc, adv, sizeof(adv),
	    &pn), -1);
}

/* Puts and deletes batch into one feed per origin; an emptied one goes. */
static void
test_view(void **state)
{
	struct etcd_view	*v, *fresh;
	uint8_t			 buf[ETCD_VALUE_MAX];
	size_t			 len;

	(void)state;
	v = etcd_view_new();
	len = value(buf, "a", 1, 5, "h1:4369");
	assert_int_equal(etcd_view_put(v, "h1", (const uint8_t *)"a", 1, buf,
	    len, 10), 0);
	/* The key names b, the value a: refused. */
	assert_int_equal(etcd_view_put(v, "h1", (const uint8_t *)"b", 1, buf,
	    len, 11), -1);
	len = value(buf, "b", 2, 5, "h1:4369");
	assert_int_equal(etcd_view_put(v, "h1", (const uint8_t *)"b", 1, buf,
	    len, 12), 0);
	len = value(buf, "c", 3, 7, "h2:4369");
	assert_int_equal(etcd_view_put(v, "h2", (const uint8_t *)"c", 1, buf,
	    len, 13), 0);
	assert_int_equal(etcd_view_entries(v), 3);
	fed[0] = '\0';
	etcd_view_flush(v, NULL, 0);
	assert_string_equal(fed, "feed h1 h1:4369 5 12: a/1 b/2;"
	    "feed h2 h2:4369 7 13: c/3;");
	fed[0] = '\0';
	etcd_view_flush(v, NULL, 0);
	assert_string_equal(fed, "");		/* nothing changed */
	etcd_view_del(v, "h2", (const uint8_t *)"c", 1);
	etcd_view_del(v, "h3", (const uint8_t *)"c", 1);
	etcd_view_del(v, "h1", (const uint8_t *)"zz", 2);
	etcd_view_flush(v, NULL, 0);
	assert_string_equal(fed, "gone h2;");
	fed[0] = '\0';
	etcd_view_touch(v, NULL);
	assert_string_equal(fed, "touch h1;");

	/* A fresh range: h1 fed whole, h3 new, nobody missing but h1's b. */
	fresh = etcd_view_new();
	len = value(buf, "a", 9, 6, "h1:4369");
	etcd_view_put(fresh, "h1", (const uint8_t *)"a", 1, buf, len, 20);
	len = value(buf, "d", 4, 8, "h3:4369");
	etcd_view_put(fresh, "h3", (const uint8_t *)"d", 1, buf, len, 21);
	fed[0] = '\0';
	etcd_view_swap(v, fresh, NULL);
	assert_string_equal(fed, "feed h1 h1:4369 6 20: a/9;"
	    "feed h3 h3:4369 8 21: d/4;");
	etcd_view_free(v);
	v = etcd_view_new();
	fed[0] = '\0';
	etcd_view_swap(fresh, v, NULL);
	assert_string_equal(fed, "gone h1;gone h3;");
	etcd_view_free(fresh);
	etcd_view_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
