/* Unit tests for sync_batch.c: several messages in one frame (pure). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sync_batch.h"
#include "sync_msg.h"

#define FRAME	(64 * 1024 - 17)	/* a frame's plaintext at most */

/* An ADD of "nI" at version v. */
static struct sync_msg
add(char *name, size_t size, unsigned int i, uint64_t v)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_ADD;
	m.version = v;
	snprintf(name, size, "n%u", i);
	m.node.name = (const uint8_t *)name;
	m.node.namelen = strlen(name);
	m.node.port = (uint16_t)(1000 + i);
	m.node.type = 77;
	m.node.high = 6;
	m.node.low = 5;
	return m;
}

/* Messages in, the same messages out, in order, then the end. */
static void
test_round_trip(void **state)
{
	static uint8_t	 buf[FRAME];
	struct sync_msg	 m, hb;
	char		 name[16];
	size_t		 used = 0, off = 0;
	unsigned int	 i;

	(void)state;
	memset(&hb, 0, sizeof(hb));
	hb.type = SYNC_MSG_HEARTBEAT;
	hb.incarnation = 9;
	hb.version = 100;
	for (i = 0; i < 100; i++) {
		m = add(name, sizeof(name), i, i + 1);
		assert_int_equal(sync_batch_put(buf, sizeof(buf), &used, &m),
		    0);
	}
	assert_int_equal(sync_batch_put(buf, sizeof(buf), &used, &hb), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, NULL),
		    1);
		assert_int_equal(m.type, SYNC_MSG_ADD);
		assert_true(m.version == i + 1);
		assert_int_equal(m.node.port, 1000 + i);
		snprintf(name, sizeof(name), "n%u", i);
		assert_int_equal(m.node.namelen, strlen(name));
		assert_memory_equal(m.node.name, name, strlen(name));
	}
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, NULL), 1);
	assert_int_equal(m.type, SYNC_MSG_HEARTBEAT);
	assert_true(m.version == 100 && m.incarnation == 9);
	assert_int_equal(off, used);
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, NULL), 0);
}

/*
 * A full batch refuses the next message and writes nothing: the caller
 * seals it and starts another.  A thousand ADDs split so into frames no
 * larger than a frame's plaintext, and every one comes out once.
 */
static void
test_split(void **state)
{
	static uint8_t	 buf[FRAME];
	uint8_t		 copy[FRAME];
	struct sync_msg	 m;
	char		 name[16];
	size_t		 used = 0, before, off;
	unsigned int	 i, frames = 0, seen = 0;
	const unsigned int n = 5000;

	(void)state;
	for (i = 0; i < n; i++) {
		m = add(name, sizeof(name), i, i + 1);
		before = used;
		memcpy(copy, buf, used);
		if (sync_batch_put(buf, sizeof(buf), &used, &m) == 0)
			continue;
		/* Refused: untouched, and it would not have fit. */
		assert_int_equal(used, before);
		assert_memory_equal(copy, buf, used);
		assert_true(used + 2 + 30 > sizeof(buf));
		/* "Seal" it: read it back. */
		for (off = 0; sync_batch_next(buf, used, 1, &off, &m,
		    NULL) == 1; seen++)
			assert_true(m.version == seen + 1);
		frames++;
		used = 0;
		m = add(name, sizeof(name), i, i + 1);
		assert_int_equal(sync_batch_put(buf, sizeof(buf), &used, &m),
		    0);
	}
	for (off = 0; sync_batch_next(buf, used, 1, &off, &m, NULL) == 1;
	    seen++)
		assert_true(m.version == seen + 1);
	frames++;
	assert_int_equal(seen, n);
	assert_true(frames >= 3 && frames <= 5);	/* ~25 B a record */
}

/* The largest message fits a batch; a tiny buffer takes none. */
static void
test_sizes(void **state)
{
	static uint8_t	 buf[FRAME];
	static uint8_t	 name[255], extra[PROTO_MAXSYMLEN];
	struct sync_msg	 m;
	size_t		 used = 0, off = 0;

	(void)state;
	memset(name, 'a', sizeof(name));
	memset(extra, 0xee, sizeof(extra));
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_ADD;
	m.node.name = name;
	m.node.namelen = sizeof(name);
	m.node.extra = extra;
	m.node.extralen = sizeof(extra);
	assert_int_equal(sync_batch_put(buf, sizeof(buf), &used, &m), 0);
	assert_true(used <= 2 + SYNC_MSG_MAX);
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, NULL), 1);
	assert_int_equal(m.node.extralen, sizeof(extra));
	used = 0;
	assert_int_equal(sync_batch_put(buf, 2, &used, &m), -1);
	assert_int_equal(used, 0);
}

/* Not batched: the whole plaintext is one message, once. */
static void
test_not_batched(void **state)
{
	uint8_t		 buf[64];
	struct sync_msg	 m;
	size_t		 off = 0;
	int		 n;
	const char	*why = NULL;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_RESYNC;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_int_equal(sync_batch_next(buf, (size_t)n, 0, &off, &m, &why),
	    1);
	assert_int_equal(m.type, SYNC_MSG_RESYNC);
	assert_int_equal(sync_batch_next(buf, (size_t)n, 0, &off, &m, &why),
	    0);
	/* Two messages back to back are trailing bytes there. */
	memcpy(buf + n, buf, (size_t)n);
	off = 0;
	assert_int_equal(sync_batch_next(buf, 2 * (size_t)n, 0, &off, &m,
	    &why), -1);
	assert_non_null(why);
}

/* Malformed batches: each refused with a reason, none read past. */
static void
test_malformed(void **state)
{
	uint8_t		 buf[64];
	struct sync_msg	 m;
	size_t		 used = 0, off;
	const char	*why;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_MSG_SNAP_END;
	assert_int_equal(sync_batch_put(buf, sizeof(buf), &used, &m), 0);
	assert_int_equal(used, 3);		/* [0 1][5] */
	/* Empty frame. */
	off = 0;
	why = NULL;
	assert_int_equal(sync_batch_next(buf, 0, 1, &off, &m, &why), -1);
	assert_non_null(why);
	/* A length byte alone. */
	off = 0;
	assert_int_equal(sync_batch_next(buf, 1, 1, &off, &m, &why), -1);
	/* A record longer than what is left. */
	off = 0;
	assert_int_equal(sync_batch_next(buf, 2, 1, &off, &m, &why), -1);
	buf[1] = 9;
	off = 0;
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, &why), -1);
	/* An empty record. */
	buf[1] = 0;
	off = 0;
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, &why), -1);
	/* A record the message codec refuses (unknown type). */
	buf[1] = 1;
	buf[2] = 99;
	off = 0;
	why = NULL;
	assert_int_equal(sync_batch_next(buf, used, 1, &off, &m, &why), -1);
	assert_non_null(why);
	/* A good record, then a torn one. */
	buf[2] = SYNC_MSG_SNAP_END;
	buf[3] = 0;
	off = 0;
	assert_int_equal(sync_batch_next(buf, 4, 1, &off, &m, NULL), 1);
	assert_int_equal(sync_batch_next(buf, 4, 1, &off, &m, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_not_batched),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
