/* Unit tests for registry.c: table, lists, creation numbers, unreg cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "registry.h"

#define UNREG_MAX	1000	/* stock MAX_UNREG_COUNT, the default */
#define UNREG_MAX_DEBUG	5	/* stock DEBUG_MAX_UNREG_COUNT (-d) */

#define T0	1795488433	/* the reference's verified time */
#define MANY	100000

/* A proto_node for name (a C string) with fixed other fields. */
static struct proto_node
mknode(const char *name, uint16_t high)
{
	struct proto_node	 pn;

	memset(&pn, 0, sizeof(pn));
	pn.port = 4711;
	pn.type = 77;
	pn.proto = 0;
	pn.high = high;
	pn.low = 5;
	pn.name = (const uint8_t *)name;
	pn.namelen = strlen(name);
	return pn;
}

/* Register name (high 6) at time now; may return NULL. */
static struct node *
add(struct registry *r, const char *name, time_t now)
{
	struct proto_node	 pn = mknode(name, 6);

	return registry_add(r, &pn, now, 7, NULL);
}

/* Look up an active node by C string. */
static struct node *
lookup(struct registry *r, const char *name)
{
	return registry_lookup(r, (const uint8_t *)name, strlen(name));
}

/* Is there a remembered node named name? */
static int
in_unreg(struct registry *r, const char *name)
{
	struct node	*n;

	for (n = registry_unreg_first(r); n != NULL; n = registry_next(n))
		if (n->namelen == strlen(name) &&
		    memcmp(n->name, name, n->namelen) == 0)
			return 1;
	return 0;
}

/* Add, look up by the same bytes, refuse a duplicate. */
static void
test_add_lookup_duplicate(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn = mknode("foo", 6);
	char		 owner;
	char		 buf[] = "foo";
	struct node	*n;

	(void)state;
	n = registry_add(r, &pn, T0, 9, &owner);
	assert_non_null(n);
	assert_int_equal(n->active, 1);
	assert_int_equal(n->fd, 9);
	assert_ptr_equal(n->owner, &owner);
	assert_int_equal(n->namelen, 3);
	assert_memory_equal(n->name, "foo", 4);	/* NUL-terminated */
	assert_ptr_equal(registry_lookup(r, (uint8_t *)buf, 3), n);
	assert_int_equal(registry_count(r), 1);

	/* Same bytes from another buffer: refused, nothing changes. */
	pn.name = (uint8_t *)buf;
	pn.port = 1234;
	assert_null(registry_add(r, &pn, T0 + 5, 10, NULL));
	assert_int_equal(registry_count(r), 1);
	assert_int_equal(registry_unreg_count(r), 0);
	assert_int_equal(n->port, 4711);
	assert_int_equal(n->fd, 9);
	assert_int_equal(n->cr_counter, T0 + 1);
	registry_free(r);
}

/* Names differing in case or length are distinct. */
static void
test_case_and_length(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	const char	*names[] = { "foo", "Foo", "FOO", "fo", "foo1", "f" };
	struct node	*n[6];
	size_t		 i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_non_null(n[i] = add(r, names[i], T0));
	assert_int_equal(registry_count(r), 6);
	for (i = 0; i < 6; i++)
		assert_ptr_equal(lookup(r, names[i]), n[i]);
	assert_null(lookup(r, "fOo"));
	assert_null(lookup(r, "foo12"));
	assert_null(lookup(r, ""));
	/* A prefix of a registered name, given by length only. */
	assert_ptr_equal(registry_lookup(r, (const uint8_t *)"foo1", 2), n[3]);
	assert_ptr_equal(registry_lookup(r, (const uint8_t *)"foo1", 3), n[0]);
	registry_free(r);
}

/* UTF-8 names are compared as bytes (no normalisation). */
static void
test_utf8_name(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	const char	*nfc = "n\xc3\xb6" "de";	/* NFC */
	const char	*nfd = "no\xcc\x88" "de";	/* NFD */
	const char	*cjk = "\xe7\xaf\x80\xe7\x82\xb9";	/* CJK */
	struct node	*a, *b, *c;

	(void)state;
	assert_non_null(a = add(r, nfc, T0));
	assert_non_null(b = add(r, nfd, T0));
	assert_non_null(c = add(r, cjk, T0));
	assert_non_null(add(r, "node", T0));
	assert_null(add(r, nfc, T0));
	assert_int_equal(a->namelen, 5);
	assert_int_equal(b->namelen, 6);
	assert_ptr_equal(lookup(r, nfc), a);
	assert_ptr_equal(lookup(r, nfd), b);
	assert_ptr_equal(lookup(r, cjk), c);
	assert_int_equal(registry_count(r), 4);
	registry_free(r);
}

/* The empty name is accepted, as stock does when the packet allows it. */
static void
test_empty_name(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct node	*n;

	(void)state;
	assert_non_null(n = add(r, "", T0));
	assert_int_equal(n->namelen, 0);
	assert_int_equal(n->name[0], '\0');
	assert_null(add(r, "", T0));
	assert_ptr_equal(lookup(r, ""), n);
	registry_free(r);
}

/*
 * The empty name as a decoder may hand it, (NULL, 0): added and found
 * with no access through the pointer (UBSan checks under SANITIZE=1).
 */
static void
test_empty_name_null(void **state)
{
	struct registry		*r = registry_new(UNREG_MAX);
	struct proto_node	 pn = mknode("", 6);
	struct node		*n;

	(void)state;
	pn.name = NULL;
	assert_non_null(n = registry_add(r, &pn, T0, 7, NULL));
	assert_int_equal(n->namelen, 0);
	assert_ptr_equal(registry_lookup(r, NULL, 0), n);
	assert_null(registry_add(r, &pn, T0, 7, NULL));
	registry_free(r);
}

/* Remove: lookup fails, node moves to unreg keeping port and fd. */
static void
test_remove(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn = mknode("foo", 6);
	char		 owner;
	struct node	*n;

	(void)state;
	pn.extra = (const uint8_t *)"xy";
	pn.extralen = 2;
	n = registry_add(r, &pn, T0, 5, &owner);
	assert_non_null(n);
	registry_unregister(r, n);
	assert_null(lookup(r, "foo"));
	assert_int_equal(registry_count(r), 0);
	assert_int_equal(registry_unreg_count(r), 1);
	assert_null(registry_first(r));
	assert_ptr_equal(registry_unreg_first(r), n);
	assert_null(registry_next(n));
	assert_int_equal(n->active, 0);
	assert_null(n->owner);
	assert_int_equal(n->fd, 5);		/* DUMP shows the old fd */
	assert_int_equal(n->port, 4711);
	assert_int_equal(n->cr_counter, T0 + 1);
	assert_null(n->extra);
	assert_int_equal(n->extralen, 0);
	registry_free(r);
}

/* NAMES order is newest first; unreg order is oldest first. */
static void
test_list_order(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct node	*a, *b, *c, *d, *n;

	(void)state;
	a = add(r, "a", T0);
	b = add(r, "b", T0);
	c = add(r, "c", T0);
	d = add(r, "d", T0);
	n = registry_first(r);
	assert_ptr_equal(n, d);
	assert_ptr_equal(n = registry_next(n), c);
	assert_ptr_equal(n = registry_next(n), b);
	assert_ptr_equal(n = registry_next(n), a);
	assert_null(registry_next(n));

	registry_unregister(r, b);
	registry_unregister(r, d);
	registry_unregister(r, a);
	assert_ptr_equal(registry_first(r), c);
	assert_null(registry_next(c));
	n = registry_unreg_first(r);
	assert_ptr_equal(n, b);
	assert_ptr_equal(n = registry_next(n), d);
	assert_ptr_equal(n = registry_next(n), a);
	assert_null(registry_next(n));

	/* Re-registering puts the name back at the head of NAMES. */
	assert_ptr_equal(add(r, "d", T0), d);
	assert_ptr_equal(registry_first(r), d);
	assert_ptr_equal(registry_next(d), c);
	n = registry_unreg_first(r);
	assert_ptr_equal(n, b);
	assert_ptr_equal(registry_next(n), a);
	registry_free(r);
}

/* A brand-new name gets now + 1; old protocol gets it % 3 + 1. */
static void
test_creation_new(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn6 = mknode("foo", 6), pn5 = mknode("bar", 5);
	struct node	*a, *b;

	(void)state;
	assert_non_null(a = registry_add(r, &pn6, T0, 5, NULL));
	assert_non_null(b = registry_add(r, &pn5, T0, 6, NULL));
	assert_int_equal(a->cr_counter, 1795488434U);
	assert_int_equal(registry_creation(a), 1795488434U);
	assert_int_equal(b->cr_counter, 1795488434U);
	assert_int_equal(registry_creation(b), 1795488434U % 3 + 1);
	assert_int_equal(registry_creation(b), 3);
	registry_free(r);
}

/* Re-registering a remembered name bumps its counter, ignoring now. */
static void
test_creation_reregister(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn5 = mknode("foo", 5);
	struct node	*n;

	(void)state;
	n = add(r, "foo", T0);
	assert_int_equal(registry_creation(n), 1795488434U);
	registry_unregister(r, n);
	n = add(r, "foo", T0 + 100);
	assert_int_equal(registry_creation(n), 1795488435U);
	assert_int_equal(registry_unreg_count(r), 0);
	registry_unregister(r, n);
	n = add(r, "foo", 5);
	assert_int_equal(registry_creation(n), 1795488436U);
	registry_unregister(r, n);
	/* Old protocol on the same struct: 437 % 3 + 1. */
	n = registry_add(r, &pn5, T0, 5, NULL);
	assert_int_equal(n->cr_counter, 1795488437U);
	assert_int_equal(registry_creation(n), 1795488437U % 3 + 1);
	registry_free(r);
}

/* The counter never takes 0..3: 2^32-1 bumps to 4. */
static void
test_creation_wrap(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct node	*n;

	(void)state;
	n = add(r, "w", (time_t)UINT32_MAX - 1);
	assert_int_equal(n->cr_counter, UINT32_MAX);
	assert_int_equal(registry_creation(n), UINT32_MAX);
	registry_unregister(r, n);
	n = add(r, "w", T0);
	assert_int_equal(n->cr_counter, 4);
	registry_unregister(r, n);
	n = add(r, "w", T0);
	assert_int_equal(n->cr_counter, 5);

	n = add(r, "x", (time_t)UINT32_MAX);
	assert_int_equal(n->cr_counter, 4);
	assert_int_equal(add(r, "zero", 0)->cr_counter, 4);
	assert_int_equal(add(r, "two", 2)->cr_counter, 4);
	assert_int_equal(add(r, "three", 3)->cr_counter, 4);
	assert_int_equal(add(r, "four", 4)->cr_counter, 5);
	if (sizeof(time_t) > 4) {
		/* Truncated to 32 bits, as stock's unsigned int. */
		n = add(r, "y2106", (time_t)((int64_t)1 << 32) + 41);
		assert_int_equal(n->cr_counter, 42);
	}
	registry_free(r);
}

/* Past the cap, a new name recycles the oldest struct and its counter. */
static void
test_unreg_cap(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX_DEBUG);
	struct node	*n[7], *m;
	char		 name[8];
	int		 i;

	(void)state;
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		n[i] = add(r, name, 1000 + 10 * i);
		assert_int_equal(n[i]->cr_counter, 1001 + 10 * i);
	}
	for (i = 0; i < 7; i++)
		registry_unregister(r, n[i]);
	assert_int_equal(registry_unreg_count(r), 7);

	/* 7 > 5: "new" takes n0's struct and counter, unbumped. */
	m = add(r, "new", T0);
	assert_int_equal(m->cr_counter, 1001);
	assert_int_equal(registry_creation(m), 1001);
	assert_int_equal(registry_unreg_count(r), 6);
	assert_int_equal(registry_count(r), 1);
	assert_false(in_unreg(r, "n0"));
	assert_ptr_equal(lookup(r, "new"), m);
	assert_memory_equal(m->name, "new", 4);

	/* 6 > 5: "new2" takes n1's. */
	m = add(r, "new2", T0);
	assert_int_equal(m->cr_counter, 1011);
	assert_int_equal(registry_unreg_count(r), 5);
	assert_false(in_unreg(r, "n1"));

	/* 5 > 5 is false: a fresh struct. */
	m = add(r, "new3", T0);
	assert_int_equal(m->cr_counter, T0 + 1);
	assert_int_equal(registry_unreg_count(r), 5);

	/* n0 was forgotten: it is a new name again. */
	m = add(r, "n0", T0 + 50);
	assert_int_equal(m->cr_counter, T0 + 51);
	assert_int_equal(registry_unreg_count(r), 5);

	/* A remembered name leaves unreg and bumps its own counter. */
	assert_true(in_unreg(r, "n4"));
	m = add(r, "n4", T0);
	assert_ptr_equal(m, n[4]);
	assert_int_equal(m->cr_counter, 1042);
	assert_false(in_unreg(r, "n4"));
	assert_int_equal(registry_unreg_count(r), 4);
	assert_int_equal(registry_count(r), 5);
	m = registry_unreg_first(r);
	assert_ptr_equal(m, n[2]);
	assert_ptr_equal(m = registry_next(m), n[3]);
	assert_ptr_equal(m = registry_next(m), n[5]);
	assert_ptr_equal(m = registry_next(m), n[6]);
	assert_null(registry_next(m));
	registry_free(r);
}

/* A lowered cap takes effect one struct per new registration. */
static void
test_set_unreg_max(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct node	*n;

	(void)state;
	registry_unregister(r, add(r, "a", 100));
	registry_unregister(r, add(r, "b", 200));
	registry_unregister(r, add(r, "c", 300));
	n = add(r, "d", T0);
	assert_int_equal(n->cr_counter, T0 + 1);
	assert_int_equal(registry_unreg_count(r), 3);

	registry_set_unreg_max(r, 1);
	assert_int_equal(registry_unreg_count(r), 3);
	assert_int_equal(add(r, "e", T0)->cr_counter, 101);
	assert_int_equal(add(r, "f", T0)->cr_counter, 201);
	assert_int_equal(add(r, "g", T0)->cr_counter, T0 + 1);
	assert_int_equal(registry_unreg_count(r), 1);
	assert_true(in_unreg(r, "c"));

	registry_set_unreg_max(r, 0);
	assert_int_equal(add(r, "h", T0)->cr_counter, 301);
	assert_int_equal(registry_unreg_count(r), 0);
	assert_int_equal(add(r, "i", T0)->cr_counter, T0 + 1);
	assert_int_equal(registry_count(r), 6);
	registry_free(r);
}

/* Extra is copied verbatim, NULs included; empty Extra is NULL. */
static void
test_extra(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn = mknode("foo", 6);
	uint8_t		 extra[] = { 'a', 0, 'b', 0, 0, 0xff };
	struct node	*n;

	(void)state;
	pn.extra = extra;
	pn.extralen = sizeof(extra);
	n = registry_add(r, &pn, T0, 5, NULL);
	memset(extra, 'z', sizeof(extra));	/* the caller's buffer goes */
	assert_int_equal(n->extralen, 6);
	assert_memory_equal(n->extra, "a\0b\0\0\xff", 6);

	pn = mknode("bar", 6);
	n = registry_add(r, &pn, T0, 5, NULL);
	assert_int_equal(n->extralen, 0);
	assert_null(n->extra);
	registry_free(r);
}

/* registry_node_view echoes every field as registered. */
static void
test_node_view(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct proto_node pn, v;
	uint8_t		 name[] = "n\xc3\xb6" "de@host";
	uint8_t		 extra[] = { 1, 0, 2 };
	struct node	*n;

	(void)state;
	memset(&pn, 0, sizeof(pn));
	pn.port = 65535;
	pn.type = 72;
	pn.proto = 1;
	pn.high = 6;
	pn.low = 5;
	pn.name = name;
	pn.namelen = sizeof(name) - 1;
	pn.extra = extra;
	pn.extralen = sizeof(extra);
	n = registry_add(r, &pn, T0, 5, NULL);
	memset(&v, 0xa5, sizeof(v));
	registry_node_view(n, &v);
	assert_int_equal(v.port, 65535);
	assert_int_equal(v.type, 72);
	assert_int_equal(v.proto, 1);
	assert_int_equal(v.high, 6);
	assert_int_equal(v.low, 5);
	assert_int_equal(v.namelen, sizeof(name) - 1);
	assert_ptr_equal(v.name, n->name);
	assert_memory_equal(v.name, name, sizeof(name));
	assert_int_equal(v.extralen, 3);
	assert_ptr_equal(v.extra, n->extra);
	assert_memory_equal(v.extra, extra, 3);

	pn = mknode("plain", 6);
	n = registry_add(r, &pn, T0, 5, NULL);
	registry_node_view(n, &v);
	assert_null(v.extra);
	assert_int_equal(v.extralen, 0);
	registry_free(r);
}

/* 100,000 names: add, look up, remove, re-add. */
static void
test_many(void **state)
{
	struct registry	*r = registry_new(UNREG_MAX);
	struct timespec	 t0, t1;
	struct node	*n;
	char		 name[32];
	int		 i;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "node%d@host", i);
		assert_non_null(add(r, name, T0 + i));
	}
	assert_int_equal(registry_count(r), MANY);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "node%d@host", i);
		n = lookup(r, name);
		assert_non_null(n);
		assert_int_equal(n->cr_counter, T0 + i + 1);
		assert_null(add(r, name, T0));
	}
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "node%d@host", i);
		registry_unregister(r, lookup(r, name));
	}
	assert_int_equal(registry_count(r), 0);
	assert_int_equal(registry_unreg_count(r), MANY);
	for (i = 0; i < MANY; i += 997) {
		snprintf(name, sizeof(name), "node%d@host", i);
		assert_null(lookup(r, name));
	}
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "node%d@host", i);
		n = add(r, name, T0);
		assert_non_null(n);
		assert_int_equal(n->cr_counter, T0 + i + 2);
	}
	assert_int_equal(registry_count(r), MANY);
	assert_int_equal(registry_unreg_count(r), 0);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "node%d@host", i);
		assert_non_null(lookup(r, name));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("test_many: %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	registry_free(r);
}

/* Freeing with both lists non-empty leaks nothing (run under valgrind). */
static void
test_free_both_lists(void **state)
{
	struct registry	*r = registry_new(2);
	struct proto_node pn = mknode("x", 6);
	char		 name[16];
	int		 i;

	(void)state;
	pn.extra = (const uint8_t *)"extra";
	pn.extralen = 5;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "node%d", i);
		pn.name = (const uint8_t *)name;
		pn.namelen = strlen(name);
		assert_non_null(registry_add(r, &pn, T0, i, NULL));
	}
	for (i = 0; i < 10; i += 2) {
		snprintf(name, sizeof(name), "node%d", i);
		registry_unregister(r, lookup(r, name));
	}
	/* Recycle one with a longer name (realloc). */
	assert_non_null(add(r, "a-much-longer-node-name@some.host", T0));
	assert_int_equal(registry_count(r), 6);
	assert_int_equal(registry_unreg_count(r), 4);
	registry_free(r);
	registry_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lookup_duplicate),
		cmocka_unit_test(test_case_and_length),
		cmocka_unit_test(test_utf8_name),
		cmocka_unit_test(test_empty_name),
		cmocka_unit_test(test_empty_name_null),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_list_order),
		cmocka_unit_test(test_creation_new),
		cmocka_unit_test(test_creation_reregister),
		cmocka_unit_test(test_creation_wrap),
		cmocka_unit_test(test_unreg_cap),
		cmocka_unit_test(test_set_unreg_max),
		cmocka_unit_test(test_extra),
		cmocka_unit_test(test_node_view),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_free_both_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
