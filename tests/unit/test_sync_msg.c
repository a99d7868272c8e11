/* Unit tests for sync_msg.c: the sync message codec (pure). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sync_msg.h"

#define NTYPES	7	/* HELLO .. RESYNC */

static const uint8_t	 k_origin[] = "host-a.example";
static const uint8_t	 k_adv[] = "10.0.0.1:4369";
static const uint8_t	 k_name[] = "node\xc3\xa9";	/* "nodeé" */
static const uint8_t	 k_extra[] = { 0, 1, 2, 0xff };

/* A fully populated message of the given type. */
static struct sync_msg
mkmsg(uint8_t type)
{
	struct sync_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	switch (type) {
	case SYNC_MSG_HELLO:
		m.proto = SYNC_PROTO_VERSION;
		m.incarnation = 0x0102030405060708ULL;
		m.origin = k_origin;
		m.originlen = sizeof(k_origin) - 1;
		m.advertise = k_adv;
		m.advertiselen = sizeof(k_adv) - 1;
		break;
	case SYNC_MSG_SNAP_BEGIN:
		m.incarnation = 0xfedcba9876543210ULL;
		m.version = 0x1122334455667788ULL;
		m.count = 0xdeadbeef;
		break;
	case SYNC_MSG_ADD:
		m.version = 42;
		m.node.port = 0xabcd;
		m.node.type = 77;
		m.node.proto = 0;
		m.node.high = 6;
		m.node.low = 5;
		m.node.name = k_name;
		m.node.namelen = sizeof(k_name) - 1;
		m.node.extra = k_extra;
		m.node.extralen = sizeof(k_extra);
		break;
	case SYNC_MSG_DEL:
		m.version = UINT64_MAX;
		m.node.name = k_name;
		m.node.namelen = sizeof(k_name) - 1;
		break;
	case SYNC_MSG_HEARTBEAT:
		m.incarnation = 7;
		m.version = 0x8000000000000001ULL;
		break;
	default:
		break;
	}
	return m;
}

/* Equal byte strings (either may be NULL when empty). */
static void
assert_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	assert_int_equal(alen, blen);
	if (alen > 0)
		assert_memory_equal(a, b, alen);
}

/* Every field the type carries survived the round trip. */
static void
assert_msg_equal(const struct sync_msg *a, const struct sync_msg *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case SYNC_MSG_HELLO:
		assert_int_equal(a->proto, b->proto);
		assert_true(a->incarnation == b->incarnation);
		assert_bytes(a->origin, a->originlen, b->origin, b->originlen);
		assert_bytes(a->advertise, a->advertiselen, b->advertise,
		    b->advertiselen);
		break;
	case SYNC_MSG_SNAP_BEGIN:
		assert_true(a->incarnation == b->incarnation);
		assert_true(a->version == b->version);
		assert_int_equal(a->count, b->count);
		break;
	case SYNC_MSG_ADD:
		assert_true(a->version == b->version);
		assert_int_equal(a->node.port, b->node.port);
		assert_int_equal(a->node.type, b->node.type);
		assert_int_equal(a->node.proto, b->node.proto);
		assert_int_equal(a->node.high, b->node.high);
		assert_int_equal(a->node.low, b->node.low);
		assert_bytes(a->node.name, a->node.namelen, b->node.name,
		    b->node.namelen);
		assert_bytes(a->node.extra, a->node.extralen, b->node.extra,
		    b->node.extralen);
		break;
	case SYNC_MSG_DEL:
		assert_true(a->version == b->version);
		assert_bytes(a->node.name, a->node.namelen, b->node.name,
		    b->node.namelen);
		break;
	case SYNC_MSG_HEARTBEAT:
		assert_true(a->incarnation == b->incarnation);
		assert_true(a->version == b->version);
		break;
	default:
		break;
	}
}

/* Encode m, asserting it fits; returns the length. */
static size_t
enc(const struct sync_msg *m, uint8_t *buf, size_t size)
{
	int	 n;

	n = sync_msg_encode(buf, size, m);
	assert_true(n > 0);
	return (size_t)n;
}

/* Decode must refuse buf[0..len) and say why. */
static void
assert_refused(const uint8_t *buf, size_t len)
{
	struct sync_msg	 m;
	const char	*why = NULL;

	assert_int_equal(sync_msg_decode(buf, len, &m, &why), -1);
	assert_non_null(why);
}

/* Decode must accept buf[0..len). */
static void
assert_accepted(const uint8_t *buf, size_t len, struct sync_msg *m)
{
	const char	*why = NULL;

	if (sync_msg_decode(buf, len, m, &why) != 0)
		fail_msg("refused: %s", why != NULL ? why : "(no reason)");
}

/* Encode then decode each type: every field comes back. */
static void
test_round_trip_every_type(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m, d;
	size_t		 n;
	int		 t;

	(void)state;
	for (t = SYNC_MSG_HELLO; t <= SYNC_MSG_RESYNC; t++) {
		m = mkmsg((uint8_t)t);
		n = enc(&m, buf, sizeof(buf));
		assert_accepted(buf, n, &d);
		assert_msg_equal(&m, &d);
	}
}

/* The fixed sizes of the fixed-size messages (the wire format). */
static void
test_encoded_sizes(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m;

	(void)state;
	m = mkmsg(SYNC_MSG_SNAP_BEGIN);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), 1 + 8 + 8 + 4);
	assert_int_equal(buf[0], SYNC_MSG_SNAP_BEGIN);
	assert_int_equal(buf[1], 0xfe);	/* big-endian incarnation */
	m = mkmsg(SYNC_MSG_HEARTBEAT);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), 1 + 8 + 8);
	m = mkmsg(SYNC_MSG_SNAP_END);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), 1);
	m = mkmsg(SYNC_MSG_RESYNC);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), 1);
	m = mkmsg(SYNC_MSG_HELLO);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m),
	    1 + 1 + 8 + 2 + (int)m.originlen + 2 + (int)m.advertiselen);
	m = mkmsg(SYNC_MSG_ADD);
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m),
	    1 + 8 + 2 + 1 + 1 + 2 + 2 + 2 + (int)m.node.namelen + 2 +
	    (int)m.node.extralen);
}

/* A HELLO with an empty advertise, an ADD with no extra: fine. */
static void
test_round_trip_empty_optionals(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m, d;
	size_t		 n;

	(void)state;
	m = mkmsg(SYNC_MSG_HELLO);
	m.advertise = NULL;
	m.advertiselen = 0;
	n = enc(&m, buf, sizeof(buf));
	assert_accepted(buf, n, &d);
	assert_int_equal(d.advertiselen, 0);

	m = mkmsg(SYNC_MSG_ADD);
	m.node.extra = NULL;
	m.node.extralen = 0;
	n = enc(&m, buf, sizeof(buf));
	assert_accepted(buf, n, &d);
	assert_int_equal(d.node.extralen, 0);
	assert_msg_equal(&m, &d);
}

/* Every proper prefix of every encoded message is refused. */
static void
test_every_truncation_refused(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX], *cut;
	struct sync_msg	 m;
	size_t		 n, len;
	int		 t;

	(void)state;
	for (t = SYNC_MSG_HELLO; t <= SYNC_MSG_RESYNC; t++) {
		m = mkmsg((uint8_t)t);
		n = enc(&m, buf, sizeof(buf));
		for (len = 0; len < n; len++) {
			/*
			 * A heap copy of exactly len bytes: valgrind sees
			 * any read past it.
			 */
			cut = malloc(len);
			assert_true(len == 0 || cut != NULL);
			if (len > 0)
				memcpy(cut, buf, len);
			assert_refused(cut, len);
			free(cut);
		}
	}
}

/* A byte (or several) after a complete message is refused. */
static void
test_trailing_bytes_refused(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX + 8];
	struct sync_msg	 m;
	size_t		 n, extra;
	int		 t;

	(void)state;
	for (t = SYNC_MSG_HELLO; t <= SYNC_MSG_RESYNC; t++) {
		m = mkmsg((uint8_t)t);
		n = enc(&m, buf, SYNC_MSG_MAX);
		for (extra = 1; extra <= 8; extra++) {
			memset(buf + n, 0, extra);
			assert_refused(buf, n + extra);
		}
	}
}

/* Types 0, 8 and 255 are unknown, to decode and to encode. */
static void
test_unknown_type(void **state)
{
	static const uint8_t	 types[] = { 0, NTYPES + 1, 0x7f, 0xff };
	uint8_t			 buf[64];
	struct sync_msg		 m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = types[i];
		assert_refused(buf, 1);
		assert_refused(buf, 17);
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), -1);
	}
}

/* Encode a HELLO whose origin is origin[0..len), then decode it. */
static int
hello_with_origin(const uint8_t *origin, size_t len)
{
	uint8_t		 buf[SYNC_MSG_MAX + 300];
	struct sync_msg	 m, d;
	int		 n;

	m = mkmsg(SYNC_MSG_HELLO);
	m.origin = origin;
	m.originlen = len;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	return sync_msg_decode(buf, (size_t)n, &d, NULL);
}

/* HELLO origin: empty, with '@' or NUL, over 255 bytes: refused. */
static void
test_hello_origin_refused(void **state)
{
	uint8_t	 big[SYNC_HOST_MAX + 2];

	(void)state;
	assert_int_equal(hello_with_origin((const uint8_t *)"", 0), -1);
	assert_int_equal(hello_with_origin((const uint8_t *)"a@b", 3), -1);
	assert_int_equal(hello_with_origin((const uint8_t *)"@", 1), -1);
	assert_int_equal(hello_with_origin((const uint8_t *)"ab\0c", 4), -1);
	assert_int_equal(hello_with_origin((const uint8_t *)"ab\0", 3), -1);
	memset(big, 'h', sizeof(big));
	assert_int_equal(hello_with_origin(big, SYNC_HOST_MAX + 1), -1);
	assert_int_equal(hello_with_origin(big, SYNC_HOST_MAX + 2), -1);
	/* The limits themselves pass. */
	assert_int_equal(hello_with_origin(big, SYNC_HOST_MAX), 0);
	assert_int_equal(hello_with_origin((const uint8_t *)"h", 1), 0);
}

/* HELLO advertise: a NUL or over SYNC_HOST_MAX + 6 bytes: refused. */
static void
test_hello_advertise_refused(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX + 300], adv[SYNC_HOST_MAX + 8];
	struct sync_msg	 m, d;
	int		 n;

	(void)state;
	m = mkmsg(SYNC_MSG_HELLO);
	m.advertise = (const uint8_t *)"h\0:1";
	m.advertiselen = 4;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_refused(buf, (size_t)n);

	memset(adv, 'a', sizeof(adv));
	m.advertise = adv;
	m.advertiselen = SYNC_HOST_MAX + 7;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_refused(buf, (size_t)n);
	m.advertiselen = SYNC_HOST_MAX + 6;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_accepted(buf, (size_t)n, &d);
}

/*
 * Encode an ADD (or DEL) whose name is name[0..len), then decode it: -1
 * the frame is refused, 1 it decodes but its entry is rejected, 0 fine.
 */
static int
entry_with_name(uint8_t type, const uint8_t *name, size_t len)
{
	uint8_t		 buf[SYNC_MSG_MAX + 2048];
	struct sync_msg	 m, d;
	int		 n;

	m = mkmsg(type);
	m.node.name = name;
	m.node.namelen = len;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	if (sync_msg_decode(buf, (size_t)n, &d, NULL) == -1)
		return -1;
	return d.reject != NULL ? 1 : 0;
}

/*
 * ADD and DEL carry every name ALIVE2 registers, the empty one included;
 * a name ALIVE2 would refuse leaves the frame whole (the stream goes on)
 * but marks its entry rejected.
 */
static void
test_bad_names_rejected(void **state)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} bad[] = {
		{ "a\0b", 3 },			/* NUL inside */
		{ "ab\0", 3 },			/* NUL at the end */
		{ "\0", 1 },
		{ "a\xff", 2 },			/* never UTF-8 */
		{ "\x80", 1 },			/* lone continuation */
		{ "a\xc3", 2 },			/* cut sequence */
		{ "\xc0\xaf", 2 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3 },		/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3 },		/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 4 },	/* above U+10FFFF */
	};
	static const uint8_t types[] = { SYNC_MSG_ADD, SYNC_MSG_DEL };
	uint8_t		 big[PROTO_MAXSYMLEN + 8];
	size_t		 i, t, k;

	(void)state;
	for (t = 0; t < sizeof(types); t++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (entry_with_name(types[t],
			    (const uint8_t *)bad[i].name, bad[i].len) != 1)
				fail_msg("type %u: bad name #%zu not rejected",
				    types[t], i);

		/* The empty name: stock registers it, so sync carries it. */
		assert_int_equal(entry_with_name(types[t],
		    (const uint8_t *)"", 0), 0);

		/* 256 ASCII characters: too many; 255: fine. */
		memset(big, 'n', sizeof(big));
		assert_int_equal(entry_with_name(types[t], big, 256), 1);
		assert_int_equal(entry_with_name(types[t], big, 255), 0);

		/* 255 four-byte characters (1020 bytes) pass, 256 do not. */
		for (k = 0; k + 4 <= sizeof(big); k += 4)
			memcpy(big + k, "\xf0\x9f\x98\x80", 4);	/* U+1F600 */
		assert_int_equal(entry_with_name(types[t], big, 1020), 0);
		assert_int_equal(entry_with_name(types[t], big, 1024), 1);

		/* 1021 bytes of 'n' (over PROTO_MAXSYMLEN): rejected. */
		memset(big, 'n', sizeof(big));
		assert_int_equal(entry_with_name(types[t], big,
		    PROTO_MAXSYMLEN + 1), 1);
	}
}

/*
 * What ALIVE2 registers and what sync carries are one set: for each name,
 * an ALIVE2 request the codec takes without a refusal, and an ADD whose
 * entry is not rejected, go together.
 */
static void
test_alive2_and_sync_agree(void **state)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} names[] = {
		{ "", 0 }, { "a", 1 }, { "n\xc3\xa9", 3 }, { "a\xff", 2 },
		{ "\xed\xa0\x80", 3 }, { "\xc0\xaf", 2 }, { "a b\n", 4 },
	};
	uint8_t			 req[PROTO_MAXPAYLOAD + 8];
	struct proto_node	 pn;
	struct proto_req	 r;
	size_t			 i, used;
	int			 n, alive2_ok;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&pn, 0, sizeof(pn));
		pn.port = 1;
		pn.type = 77;
		pn.name = (const uint8_t *)names[i].name;
		pn.namelen = names[i].len;
		pn.extra = (const uint8_t *)"x";
		pn.extralen = 1;		/* stock needs Extra for "" */
		n = proto_encode_alive2(req, sizeof(req), &pn);
		assert_true(n > 0);
		alive2_ok = proto_decode(req, (size_t)n, &r, &used, NULL) ==
		    PROTO_OK && r.refuse == NULL;
		if (alive2_ok != (entry_with_name(SYNC_MSG_ADD, pn.name,
		    pn.namelen) == 0))
			fail_msg("name #%zu: ALIVE2 %s it, sync does not agree",
			    i, alive2_ok ? "takes" : "refuses");
		assert_int_equal(proto_name_ok(pn.name, pn.namelen),
		    alive2_ok);
	}
}

/*
 * HELLO origin: only what a host name may hold (letters, digits, '-',
 * '.', '_'); control characters, spaces and the like never reach our
 * logs or CLUSTER output.  The advertise string likewise (plus ':', '[',
 * ']', '%').
 */
static void
test_hello_host_chars(void **state)
{
	static const char *const bad[] = {
		"a\nb", "a b", "a\x1b[31m", "a\tb", "h\xc3\xa9", "a/b", "a\\b",
		"a;b", "a\x7f",
	};
	static const char *const good[] = {
		"h", "host-1.example.org", "ip-10-0-0-1_x", "H0ST",
		"192.168.0.1",
	};
	uint8_t		 buf[SYNC_MSG_MAX + 300];
	struct sync_msg	 m, d;
	size_t		 i;
	int		 n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hello_with_origin((const uint8_t *)bad[i],
		    strlen(bad[i])) != -1)
			fail_msg("origin #%zu accepted", i);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (hello_with_origin((const uint8_t *)good[i],
		    strlen(good[i])) != 0)
			fail_msg("origin %s refused", good[i]);
	assert_true(sync_host_ok((const uint8_t *)"a-b", 3));
	assert_false(sync_host_ok((const uint8_t *)"a\nb", 3));
	assert_false(sync_host_ok((const uint8_t *)"", 0));

	m = mkmsg(SYNC_MSG_HELLO);
	m.advertise = (const uint8_t *)"h:1\n";
	m.advertiselen = 4;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_refused(buf, (size_t)n);
	m.advertise = (const uint8_t *)"[fe80::1%eth0]:4369";
	m.advertiselen = strlen((const char *)m.advertise);
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_accepted(buf, (size_t)n, &d);
}

/* ADD extra: 1020 bytes fine, 1021 rejected (the frame itself is fine). */
static void
test_extra_limit(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX + 64], extra[PROTO_MAXSYMLEN + 1];
	struct sync_msg	 m, d;
	int		 n;

	(void)state;
	memset(extra, 0xaa, sizeof(extra));
	m = mkmsg(SYNC_MSG_ADD);
	m.node.extra = extra;
	m.node.extralen = PROTO_MAXSYMLEN;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_accepted(buf, (size_t)n, &d);
	assert_int_equal(d.node.extralen, PROTO_MAXSYMLEN);
	assert_memory_equal(d.node.extra, extra, PROTO_MAXSYMLEN);

	m.node.extralen = PROTO_MAXSYMLEN + 1;
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_accepted(buf, (size_t)n, &d);
	assert_non_null(d.reject);
}

/* The largest legal ADD (1020-byte name and extra) fits SYNC_MSG_MAX. */
static void
test_largest_add_fits_msg_max(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX], name[PROTO_MAXSYMLEN];
	uint8_t		 extra[PROTO_MAXSYMLEN];
	struct sync_msg	 m, d;
	size_t		 k;
	int		 n;

	(void)state;
	for (k = 0; k < sizeof(name); k += 4)
		memcpy(name + k, "\xf0\x9f\x98\x80", 4);
	memset(extra, 1, sizeof(extra));
	m = mkmsg(SYNC_MSG_ADD);
	m.node.name = name;
	m.node.namelen = sizeof(name);
	m.node.extra = extra;
	m.node.extralen = sizeof(extra);
	n = sync_msg_encode(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_accepted(buf, (size_t)n, &d);
	assert_msg_equal(&m, &d);
}

/* Every buffer one byte (or more) too small: -1, for every type. */
static void
test_encode_too_small(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m;
	size_t		 n, size;
	int		 t;

	(void)state;
	for (t = SYNC_MSG_HELLO; t <= SYNC_MSG_RESYNC; t++) {
		m = mkmsg((uint8_t)t);
		n = enc(&m, buf, sizeof(buf));
		assert_int_equal(sync_msg_encode(buf, n, &m), (int)n);
		for (size = 0; size < n; size++)
			if (sync_msg_encode(buf, size, &m) != -1)
				fail_msg("type %d encoded into %zu of %zu "
				    "bytes", t, size, n);
	}
}

/* Encode writes nothing past the size it was given. */
static void
test_encode_stays_in_bounds(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX + 16];
	struct sync_msg	 m;
	size_t		 n, size, i;
	int		 t;

	(void)state;
	for (t = SYNC_MSG_HELLO; t <= SYNC_MSG_RESYNC; t++) {
		m = mkmsg((uint8_t)t);
		n = enc(&m, buf, SYNC_MSG_MAX);
		for (size = 0; size <= n; size++) {
			memset(buf, 0x5a, sizeof(buf));
			(void)sync_msg_encode(buf, size, &m);
			for (i = size; i < sizeof(buf); i++)
				assert_int_equal(buf[i], 0x5a);
		}
	}
}

/* A string longer than its 16-bit length can say: -1, not wrapped. */
static void
test_encode_string_too_long(void **state)
{
	static uint8_t	 big[UINT16_MAX + 2];
	static uint8_t	 buf[2 * UINT16_MAX];
	struct sync_msg	 m;

	(void)state;
	m = mkmsg(SYNC_MSG_HELLO);
	m.advertise = big;
	m.advertiselen = (size_t)UINT16_MAX + 1;
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), -1);
	m = mkmsg(SYNC_MSG_ADD);
	m.node.extra = big;
	m.node.extralen = (size_t)UINT16_MAX + 1;
	assert_int_equal(sync_msg_encode(buf, sizeof(buf), &m), -1);
}

/* A string length that claims more than is there: refused. */
static void
test_lying_lengths_refused(void **state)
{
	uint8_t		 buf[SYNC_MSG_MAX];
	struct sync_msg	 m;
	size_t		 n, off;

	(void)state;
	/* HELLO: the origin length is at offset 10. */
	m = mkmsg(SYNC_MSG_HELLO);
	n = enc(&m, buf, sizeof(buf));
	buf[10] = 0xff;
	buf[11] = 0xff;
	assert_refused(buf, n);

	/* ADD: the name length is at offset 17, extra after the name. */
	m = mkmsg(SYNC_MSG_ADD);
	n = enc(&m, buf, sizeof(buf));
	buf[18] = (uint8_t)(m.node.namelen + 1);
	assert_refused(buf, n);
	n = enc(&m, buf, sizeof(buf));
	off = 19 + m.node.namelen;
	buf[off + 1] = (uint8_t)(m.node.extralen + 1);
	assert_refused(buf, n);
	buf[off + 1] = (uint8_t)(m.node.extralen - 1);
	assert_refused(buf, n);		/* a byte left over */
}

/* Decoding a NULL why is allowed. */
static void
test_decode_null_why(void **state)
{
	uint8_t		 b = 0;
	struct sync_msg	 m;

	(void)state;
	assert_int_equal(sync_msg_decode(&b, 1, &m, NULL), -1);
	assert_int_equal(sync_msg_decode(&b, 0, &m, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_encoded_sizes),
		cmocka_unit_test(test_round_trip_empty_optionals),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_trailing_bytes_refused),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_hello_origin_refused),
		cmocka_unit_test(test_hello_advertise_refused),
		cmocka_unit_test(test_bad_names_rejected),
		cmocka_unit_test(test_alive2_and_sync_agree),
		cmocka_unit_test(test_hello_host_chars),
		cmocka_unit_test(test_extra_limit),
		cmocka_unit_test(test_largest_add_fits_msg_max),
		cmocka_unit_test(test_encode_too_small),
		cmocka_unit_test(test_encode_stays_in_bounds),
		cmocka_unit_test(test_encode_string_too_long),
		cmocka_unit_test(test_lying_lengths_refused),
		cmocka_unit_test(test_decode_null_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
