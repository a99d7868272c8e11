/*
 * Unit tests for the handover codec (handover.h): every record type round
 * trips; the header's magic and version are checked; every truncation
 * asks for more; any flipped bit, an oversized length, wrong field
 * lengths under a valid CRC, names ALIVE2 would refuse, negative
 * descriptors and an empty ORIGIN host are refused; encoders never write
 * past a small buffer; CRC-32 matches the standard check value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "handover.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define BUFSZ		(HANDOVER_RECORD_MAX + 64)
#define CANARY		0xa5

static uint8_t	 name255[255];		/* 255 ASCII characters */
static uint8_t	 name4x255[1020];	/* 255 four-byte characters */
static uint8_t	 extra1020[1020];	/* Extra at its limit, with NULs */
static uint8_t	 big[PROTO_MAXSYMLEN + 64];

/* Fill the static name and Extra buffers. */
static int
setup(void **state)
{
	size_t	 i;

	memset(name255, 'n', sizeof(name255));
	for (i = 0; i < sizeof(name4x255); i += 4)
		memcpy(name4x255 + i, "\xf0\x9f\x98\x80", 4);	/* U+1F600 */
	for (i = 0; i < sizeof(extra1020); i++)
		extra1020[i] = (uint8_t)(i * 7);		/* 0 at i=0 */
	memset(big, 'b', sizeof(big));
	return 0;
}

/* One sample record of every type, fields set to unlikely values. */
static size_t
samples(struct handover_rec *recs)
{
	static const uint8_t	 extra[] = { 0, 1, 0, 0xff, 0 };
	size_t			 k = 0;

	memset(recs, 0, 10 * sizeof(*recs));
	recs[k].type = HANDOVER_META;
	recs[k].names_port = 4369;
	recs[k].started = -1234567890123LL;
	recs[k].next_id = 0x0102030405060708ULL;
	recs[k].incarnation = 0xfffffffffffffffeULL;
	recs[k].version = 77;
	k++;
	recs[k].type = HANDOVER_ADD;
	recs[k].id = 0x1122334455667788ULL;
	recs[k].fd = 1234;
	recs[k].cr_counter = 0xdeadbeef;
	recs[k].node = fixture_node("node\xc3\xb1@x", extra, sizeof(extra));
	k++;
	recs[k].type = HANDOVER_DEL;
	recs[k].id = 42;
	k++;
	recs[k].type = HANDOVER_UNREG;
	recs[k].cr_counter = 4;
	recs[k].fd = -1;
	recs[k].node.port = 65535;
	recs[k].node.name = (const uint8_t *)"gone";
	recs[k].node.namelen = 4;
	k++;
	recs[k].type = HANDOVER_LISTEN;
	recs[k].fd = 3;
	k++;
	recs[k].type = HANDOVER_KEPT;
	recs[k].fd = 0x7fffffff;
	k++;
	recs[k].type = HANDOVER_ORIGIN;
	recs[k].host = (const uint8_t *)"peer.example";
	recs[k].hostlen = 12;
	recs[k].addr = (const uint8_t *)"[::1]:4370";
	recs[k].addrlen = 10;
	recs[k].incarnation = 9;
	recs[k].version = 10;
	recs[k].age = 11;
	k++;
	recs[k].type = HANDOVER_ONODE;
	recs[k].node = fixture_node("remote", NULL, 0);
	k++;
	recs[k].type = HANDOVER_REPLY;
	recs[k].fd = 0;
	k++;
	recs[k].type = HANDOVER_END;
	k++;
	return k;
}

/* Node fields equal, names and Extra by content. */
static void
assert_node_eq(const struct proto_node *a, const struct proto_node *b)
{
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->high, b->high);
	assert_int_equal(a->low, b->low);
	assert_int_equal(a->namelen, b->namelen);
	assert_int_equal(a->extralen, b->extralen);
	if (a->namelen > 0)
		assert_memory_equal(a->name, b->name, a->namelen);
	if (a->extralen > 0)
		assert_memory_equal(a->extra, b->extra, a->extralen);
}

/* Every field the type carries equal. */
static void
assert_rec_eq(const struct handover_rec *a, const struct handover_rec *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case HANDOVER_META:
		assert_int_equal(a->names_port, b->names_port);
		assert_true(a->started == b->started);
		assert_true(a->next_id == b->next_id);
		assert_true(a->incarnation == b->incarnation);
		assert_true(a->version == b->version);
		break;
	case HANDOVER_ADD:
		assert_true(a->id == b->id);
		assert_int_equal(a->fd, b->fd);
		assert_int_equal(a->cr_counter, b->cr_counter);
		assert_node_eq(&a->node, &b->node);
		break;
	case HANDOVER_DEL:
		assert_true(a->id == b->id);
		break;
	case HANDOVER_UNREG:
		assert_int_equal(a->cr_counter, b->cr_counter);
		assert_int_equal(a->fd, b->fd);
		assert_int_equal(a->node.port, b->node.port);
		assert_int_equal(a->node.namelen, b->node.namelen);
		assert_memory_equal(a->node.name, b->node.name,
		    a->node.namelen);
		break;
	case HANDOVER_LISTEN:
	case HANDOVER_KEPT:
	case HANDOVER_REPLY:
		assert_int_equal(a->fd, b->fd);
		break;
	case HANDOVER_ORIGIN:
		assert_int_equal(a->hostlen, b->hostlen);
		assert_memory_equal(a->host, b->host, a->hostlen);
		assert_int_equal(a->addrlen, b->addrlen);
		assert_memory_equal(a->addr, b->addr, a->addrlen);
		assert_true(a->incarnation == b->incarnation);
		assert_true(a->version == b->version);
		assert_true(a->age == b->age);
		break;
	case HANDOVER_ONODE:
		assert_node_eq(&a->node, &b->node);
		break;
	case HANDOVER_END:
		break;
	default:
		fail_msg("unexpected type %u", a->type);
	}
}

/* Is p[0..n) inside buf[0..len)? */
static int
inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 1;
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* Build a record by hand: type, length, payload, and its real CRC. */
static size_t
seal(uint8_t *buf, uint8_t type, const uint8_t *payload, size_t plen)
{
	uint32_t	 crc;

	buf[0] = type;
	buf[1] = (uint8_t)(plen >> 24);
	buf[2] = (uint8_t)(plen >> 16);
	buf[3] = (uint8_t)(plen >> 8);
	buf[4] = (uint8_t)plen;
	if (plen > 0)
		memcpy(buf + 5, payload, plen);
	crc = handover_crc32(0, buf, 5 + plen);
	buf[5 + plen] = (uint8_t)(crc >> 24);
	buf[6 + plen] = (uint8_t)(crc >> 16);
	buf[7 + plen] = (uint8_t)(crc >> 8);
	buf[8 + plen] = (uint8_t)crc;
	return 9 + plen;
}

/* handover_decode() of exactly buf[0..len), from a heap copy of that size. */
static long
decode_exact(const uint8_t *buf, size_t len, struct handover_rec *r,
    const char **why)
{
	uint8_t	*copy;
	long	 n;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, buf, len);
	*why = NULL;
	n = handover_decode(copy, len, r, why);
	free(copy);
	return n;
}

/* Expect handover_decode() to refuse the record (-1) with a reason. */
static void
assert_refused(const uint8_t *buf, size_t len, const char *what)
{
	struct handover_rec	 r;
	const char	*why;
	long		 n;

	n = decode_exact(buf, len, &r, &why);
	if (n != -1)
		fail_msg("%s: handover_decode returned %ld, want -1", what, n);
	if (why == NULL)
		fail_msg("%s: refused without a reason", what);
}

/* Encode r, expecting success; returns the length. */
static size_t
enc(uint8_t *buf, size_t size, const struct handover_rec *r)
{
	int	 n;

	n = handover_encode(buf, size, r);
	assert_true(n >= 9);
	return (size_t)n;
}

/* CRC-32 (IEEE): the standard check value, and continuation. */
static void
test_crc32(void **state)
{
	const uint8_t	*s = (const uint8_t *)"123456789";

	assert_int_equal(handover_crc32(0, s, 9), 0xcbf43926U);
	assert_int_equal(handover_crc32(handover_crc32(0, s, 4), s + 4, 5), 0xcbf43926U);
	assert_int_equal(handover_crc32(0, s, 0), 0);
	/* CRC-32 of a single 'a', another published value. */
	assert_int_equal(handover_crc32(0, (const uint8_t *)"a", 1), 0xe8b7be43U);
}

/* A header round trips; the exact bytes are magic, version, generation. */
static void
test_header_ok(void **state)
{
	static const uint8_t	 want[HANDOVER_HEADER_LEN] = {
		'E', 'P', 'M', 'D', 'X', 'S', 'T', '1',
		0, 0, 0, HANDOVER_VERSION,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	uint8_t			 buf[HANDOVER_HEADER_LEN + 4];
	uint64_t		 gen = 0;

	memset(buf, CANARY, sizeof(buf));
	assert_int_equal(handover_encode_header(buf, sizeof(buf),
	    0x0102030405060708ULL), HANDOVER_HEADER_LEN);
	assert_memory_equal(buf, want, HANDOVER_HEADER_LEN);
	assert_int_equal(buf[HANDOVER_HEADER_LEN], CANARY);
	assert_true(handover_decode_header(buf, HANDOVER_HEADER_LEN, &gen) >= 0);
	assert_true(gen == 0x0102030405060708ULL);
	/* Bytes after the header (the first record) do not matter. */
	assert_true(handover_decode_header(buf, sizeof(buf), &gen) >= 0);
}

/* Bad magic, another version, or a short header: refused. */
static void
test_header_bad(void **state)
{
	uint8_t		 good[HANDOVER_HEADER_LEN], buf[HANDOVER_HEADER_LEN];
	uint64_t	 gen;
	size_t		 i, k;
	int		 b;

	assert_int_equal(handover_encode_header(good, sizeof(good), 7),
	    HANDOVER_HEADER_LEN);
	/* Any bit of the magic. */
	for (i = 0; i < 8; i++)
		for (b = 0; b < 8; b++) {
			memcpy(buf, good, sizeof(buf));
			buf[i] ^= (uint8_t)(1 << b);
			assert_int_equal(handover_decode_header(buf, sizeof(buf),
			    &gen), -1);
		}
	memcpy(buf, good, sizeof(buf));
	memcpy(buf, "EPMDXST2", 8);
	assert_int_equal(handover_decode_header(buf, sizeof(buf), &gen), -1);
	/* Other versions: 0, 2, and one in a high byte. */
	for (i = 0; i < 3; i++) {
		memcpy(buf, good, sizeof(buf));
		buf[8 + (i == 2 ? 0 : 3)] = (uint8_t)(i == 0 ? 0 :
		    i == 1 ? HANDOVER_VERSION + 1 : 1);
		if (i == 2)
			buf[11] = HANDOVER_VERSION;
		assert_int_equal(handover_decode_header(buf, sizeof(buf), &gen), -1);
	}
	/* Every truncation, from an exact-size copy. */
	for (k = 0; k < HANDOVER_HEADER_LEN; k++) {
		uint8_t	*copy = malloc(k > 0 ? k : 1);

		assert_non_null(copy);
		memcpy(copy, good, k);
		assert_int_equal(handover_decode_header(copy, k, &gen), -1);
		free(copy);
	}
	/* Encoding into less than a header fails, never overruns. */
	for (k = 0; k < HANDOVER_HEADER_LEN; k++) {
		memset(buf, CANARY, sizeof(buf));
		assert_int_equal(handover_encode_header(buf, k, 1), -1);
		for (i = k; i < sizeof(buf); i++)
			assert_int_equal(buf[i], CANARY);
	}
}

/* Every type encodes and decodes back to the same fields and length. */
static void
test_round_trip(void **state)
{
	struct handover_rec	 recs[10], r;
	uint8_t		 buf[BUFSZ];
	const char	*why;
	size_t		 i, len, seen = 0;
	long		 n;

	assert_int_equal(samples(recs), HANDOVER_END - HANDOVER_META + 1);
	for (i = 0; i < NITEMS(recs); i++) {
		len = enc(buf, sizeof(buf), &recs[i]);
		assert_int_equal(buf[0], recs[i].type);
		/* An exact-size copy first (reads past it would show). */
		n = decode_exact(buf, len, &r, &why);
		if (n != (long)len)
			fail_msg("type %u: decode %ld, want %zu (%s)",
			    recs[i].type, n, len, why != NULL ? why : "");
		/* Then in place: the pointers point into buf. */
		assert_int_equal(handover_decode(buf, len, &r, &why), (long)len);
		assert_rec_eq(&recs[i], &r);
		assert_true(inside(buf, len, r.node.name, r.node.namelen));
		assert_true(inside(buf, len, r.node.extra, r.node.extralen));
		assert_true(inside(buf, len, r.host, r.hostlen));
		assert_true(inside(buf, len, r.addr, r.addrlen));
		seen |= (size_t)1 << recs[i].type;
	}
	for (i = HANDOVER_META; i <= HANDOVER_END; i++)
		assert_true(seen & ((size_t)1 << i));
}

/* Names and Extra at their limits round trip, pointing into the buffer. */
static void
test_round_trip_limits(void **state)
{
	struct handover_rec	 in, r;
	uint8_t		 buf[BUFSZ];
	const char	*why;
	size_t		 len;
	int		 t;
	static const int types[] = { HANDOVER_ADD, HANDOVER_ONODE, HANDOVER_UNREG };

	for (t = 0; t < (int)NITEMS(types); t++) {
		memset(&in, 0, sizeof(in));
		in.type = (uint8_t)types[t];
		in.fd = 5;
		in.node = fixture_node("", NULL, 0);
		/* 255 one-byte characters, Extra of 1020 with NULs. */
		in.node.name = name255;
		in.node.namelen = sizeof(name255);
		if (in.type != HANDOVER_UNREG) {
			in.node.extra = extra1020;
			in.node.extralen = sizeof(extra1020);
		}
		len = enc(buf, sizeof(buf), &in);
		assert_int_equal(handover_decode(buf, len, &r, &why), (long)len);
		assert_rec_eq(&in, &r);
		assert_true(inside(buf, len, r.node.name, r.node.namelen));
		assert_true(inside(buf, len, r.node.extra, r.node.extralen));
		/* 255 four-byte characters: 1020 bytes. */
		in.node.name = name4x255;
		in.node.namelen = sizeof(name4x255);
		len = enc(buf, sizeof(buf), &in);
		assert_int_equal(handover_decode(buf, len, &r, &why), (long)len);
		assert_rec_eq(&in, &r);
		/* The empty name stock accepts. */
		in.node.name = (const uint8_t *)"";
		in.node.namelen = 0;
		len = enc(buf, sizeof(buf), &in);
		assert_int_equal(handover_decode(buf, len, &r, &why), (long)len);
		assert_int_equal(r.node.namelen, 0);
	}
}

/* Records back to back decode one at a time, each to its own length. */
static void
test_stream(void **state)
{
	struct handover_rec	 recs[10], r;
	uint8_t		 buf[10 * 512];
	size_t		 lens[10], off = 0, i, n;
	long		 got;

	n = samples(recs);
	for (i = 0; i < n; i++) {
		lens[i] = enc(buf + off, sizeof(buf) - off, &recs[i]);
		off += lens[i];
	}
	off = 0;
	for (i = 0; i < n; i++) {
		got = handover_decode(buf + off, sizeof(buf) - off, &r, NULL);
		assert_int_equal(got, (long)lens[i]);
		assert_rec_eq(&recs[i], &r);
		off += (size_t)got;
	}
}

/* Every proper prefix of a record is "need more" (0), never an error. */
static void
test_truncated(void **state)
{
	struct handover_rec	 recs[11], r, big_rec;
	uint8_t		 buf[BUFSZ];
	const char	*why;
	size_t		 i, k, len, n;
	long		 got;

	n = samples(recs);
	memset(&big_rec, 0, sizeof(big_rec));
	big_rec.type = HANDOVER_ADD;
	big_rec.fd = 9;
	big_rec.node = fixture_node("", extra1020, sizeof(extra1020));
	big_rec.node.name = name4x255;
	big_rec.node.namelen = sizeof(name4x255);
	recs[n++] = big_rec;
	for (i = 0; i < n; i++) {
		len = enc(buf, sizeof(buf), &recs[i]);
		for (k = 0; k < len; k++) {
			got = decode_exact(buf, k, &r, &why);
			if (got != 0)
				fail_msg("type %u: prefix %zu of %zu gave %ld"
				    " (%s), want 0", recs[i].type, k, len, got,
				    why != NULL ? why : "");
		}
	}
}

/*
 * Any single flipped bit is refused.  In a stream (more bytes after the
 * record) always -1; alone, a length grown by the flip may ask for more
 * bytes (0), but never decodes.
 */
static void
test_bit_flips(void **state)
{
	struct handover_rec	 recs[10], r;
	uint8_t		 buf[BUFSZ + HANDOVER_RECORD_MAX], orig[BUFSZ];
	const char	*why;
	size_t		 i, bit, len, n;
	long		 got;

	n = samples(recs);
	for (i = 0; i < n; i++) {
		len = enc(orig, sizeof(orig), &recs[i]);
		for (bit = 0; bit < len * 8; bit++) {
			/* In a stream: the rest is an END-filled tail. */
			memset(buf, 0, sizeof(buf));
			memcpy(buf, orig, len);
			buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			why = NULL;
			got = handover_decode(buf, sizeof(buf), &r, &why);
			if (got != -1 || why == NULL)
				fail_msg("type %u: bit %zu flipped: %ld, want "
				    "-1", recs[i].type, bit, got);
			/* Alone. */
			got = decode_exact(buf, len, &r, &why);
			if (got > 0)
				fail_msg("type %u: bit %zu flipped decodes "
				    "alone", recs[i].type, bit);
			if (bit / 8 < 1 || bit / 8 >= 5)
				assert_int_equal(got, -1);
		}
	}
}

/* A payload length over HANDOVER_RECORD_MAX is refused from its 5 bytes. */
static void
test_too_long(void **state)
{
	static const uint32_t lens[] = {
		HANDOVER_RECORD_MAX + 1, 0x10000, 0x7fffffff, 0xffffffff,
	};
	uint8_t		 buf[BUFSZ + 16];
	struct handover_rec	 r;
	const char	*why;
	size_t		 i;
	long		 got;

	for (i = 0; i < NITEMS(lens); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = HANDOVER_END;
		buf[1] = (uint8_t)(lens[i] >> 24);
		buf[2] = (uint8_t)(lens[i] >> 16);
		buf[3] = (uint8_t)(lens[i] >> 8);
		buf[4] = (uint8_t)lens[i];
		assert_refused(buf, 5, "length over max, header only");
		assert_refused(buf, sizeof(buf), "length over max");
	}
	/*
	 * A length of exactly HANDOVER_RECORD_MAX is not refused for its size:
	 * short of its last byte it asks for more; whole, it is judged on
	 * its fields (no type is that long).
	 */
	memset(buf + 5, 0, HANDOVER_RECORD_MAX);
	seal(buf, HANDOVER_ADD, buf + 5, HANDOVER_RECORD_MAX);
	got = decode_exact(buf, 9 + HANDOVER_RECORD_MAX, &r, &why);
	assert_int_equal(got, -1);
	assert_int_equal(decode_exact(buf, 8 + HANDOVER_RECORD_MAX, &r, &why), 0);
}

/* An encoder refuses a record whose payload would pass HANDOVER_RECORD_MAX. */
static void
test_encode_too_long(void **state)
{
	static uint8_t	 huge[HANDOVER_RECORD_MAX];
	struct handover_rec	 r;
	uint8_t		*buf;
	size_t		 size = 2 * HANDOVER_RECORD_MAX + 256;

	buf = malloc(size);
	assert_non_null(buf);
	memset(&r, 0, sizeof(r));
	r.type = HANDOVER_ADD;
	r.fd = 3;
	r.node = fixture_node("x", huge, sizeof(huge));
	assert_int_equal(handover_encode(buf, size, &r), -1);
	r.type = HANDOVER_ORIGIN;
	r.host = huge;
	r.hostlen = sizeof(huge);
	r.addr = NULL;
	r.addrlen = 0;
	assert_int_equal(handover_encode(buf, size, &r), -1);
	r.type = 0;
	assert_int_equal(handover_encode(buf, size, &r), -1);
	r.type = HANDOVER_END + 1;
	assert_int_equal(handover_encode(buf, size, &r), -1);
	free(buf);
}

/* Payloads of the wrong size for their type, each under a valid CRC. */
static void
test_field_lengths(void **state)
{
	struct {
		const char	*what;
		uint8_t		 type;
		size_t		 plen;
	} sizes[] = {
		{ "META short", HANDOVER_META, 35 },
		{ "META long", HANDOVER_META, 37 },
		{ "META empty", HANDOVER_META, 0 },
		{ "DEL short", HANDOVER_DEL, 7 },
		{ "DEL long", HANDOVER_DEL, 9 },
		{ "LISTEN short", HANDOVER_LISTEN, 3 },
		{ "LISTEN long", HANDOVER_LISTEN, 5 },
		{ "KEPT long", HANDOVER_KEPT, 8 },
		{ "REPLY short", HANDOVER_REPLY, 0 },
		{ "END long", HANDOVER_END, 1 },
		{ "ADD empty", HANDOVER_ADD, 0 },
		{ "ADD header only", HANDOVER_ADD, 16 },
		{ "UNREG short", HANDOVER_UNREG, 9 },
		{ "ORIGIN empty", HANDOVER_ORIGIN, 0 },
		{ "ONODE short", HANDOVER_ONODE, 9 },
		{ "type 0", 0, 0 },
		{ "type 11", HANDOVER_END + 1, 0 },
		{ "type 255", 255, 8 },
	};
	uint8_t		 payload[64], buf[BUFSZ], rec[BUFSZ];
	struct handover_rec	 in;
	size_t		 i, len;

	/* All-zero payloads: port 0 in META is refused, so use 4369. */
	for (i = 0; i < NITEMS(sizes); i++) {
		memset(payload, 0, sizeof(payload));
		payload[3] = 1;
		len = seal(buf, sizes[i].type, payload, sizes[i].plen);
		assert_refused(buf, len, sizes[i].what);
	}

	/* The right sizes decode, so the table above is not vacuous. */
	memset(payload, 0, sizeof(payload));
	payload[2] = 0x11;
	len = seal(buf, HANDOVER_META, payload, 36);
	assert_int_equal(handover_decode(buf, len, &in, NULL), (long)len);
	assert_int_equal(in.names_port, 0x1100);
	len = seal(buf, HANDOVER_DEL, payload, 8);
	assert_int_equal(handover_decode(buf, len, &in, NULL), (long)len);
	len = seal(buf, HANDOVER_LISTEN, payload, 4);
	assert_int_equal(handover_decode(buf, len, &in, NULL), (long)len);
	len = seal(buf, HANDOVER_END, payload, 0);
	assert_int_equal(handover_decode(buf, len, &in, NULL), (long)len);

	/* META with port 0 or over 65535. */
	memset(payload, 0, sizeof(payload));
	len = seal(buf, HANDOVER_META, payload, 36);
	assert_refused(buf, len, "META port 0");
	payload[1] = 1;		/* 65536 */
	len = seal(buf, HANDOVER_META, payload, 36);
	assert_refused(buf, len, "META port 65536");

	/*
	 * An ADD whose name length field claims more than the payload
	 * holds, and one whose Extra length is one short (a byte left over):
	 * take a good encoding and edit the inner length, then reseal.
	 */
	memset(&in, 0, sizeof(in));
	in.type = HANDOVER_ADD;
	in.fd = 7;
	in.node = fixture_node("abc", (const uint8_t *)"xy", 2);
	len = enc(rec, sizeof(rec), &in);
	/* payload: id 8, fd 4, cr 4, port 2, type 1, proto 1, hi 2, lo 2 */
	memcpy(payload, rec + 5, len - 9);
	assert_int_equal(payload[24], 0);
	assert_int_equal(payload[25], 3);
	payload[25] = 200;			/* name longer than the rest */
	assert_refused(buf, seal(buf, HANDOVER_ADD, payload, len - 9),
	    "ADD name length past the payload");
	payload[25] = 6;			/* name swallows Extra's length */
	assert_refused(buf, seal(buf, HANDOVER_ADD, payload, len - 9),
	    "ADD name length too long by its Extra");
	payload[25] = 3;
	payload[30] = 1;			/* Extra one short: 1 left over */
	assert_refused(buf, seal(buf, HANDOVER_ADD, payload, len - 9),
	    "ADD Extra length one short");
	payload[30] = 3;			/* Extra one past the end */
	assert_refused(buf, seal(buf, HANDOVER_ADD, payload, len - 9),
	    "ADD Extra length one past the end");
	payload[30] = 2;			/* as encoded: fine */
	assert_int_equal(handover_decode(buf, seal(buf, HANDOVER_ADD, payload, len - 9),
	    &in, NULL), (long)len);
	/* A trailing byte after a complete ADD. */
	payload[len - 9] = 0;
	assert_refused(buf, seal(buf, HANDOVER_ADD, payload, len - 8),
	    "ADD with a byte after its fields");
}

/* Names ALIVE2 would refuse, and Extra over 1020, in each node record. */
static void
test_bad_names(void **state)
{
	static const struct {
		const char	*what;
		const char	*name;
		size_t		 len;
	} bad[] = {
		{ "NUL inside", "ab\0cd", 5 },
		{ "NUL at the end", "abc\0", 4 },
		{ "NUL alone", "\0", 1 },
		{ "0xff", "a\xff", 2 },
		{ "lone continuation", "\x80", 1 },
		{ "overlong NUL", "a\xc0\x80", 3 },
		{ "truncated sequence", "a\xe2\x82", 3 },
		{ "surrogate", "\xed\xa0\x80", 3 },
		{ "above U+10FFFF", "\xf4\x90\x80\x80", 4 },
	};
	static const int types[] = { HANDOVER_ADD, HANDOVER_UNREG, HANDOVER_ONODE };
	uint8_t		 buf[BUFSZ], name256[256], n1024[1024];
	struct handover_rec	 in;
	size_t		 i, t, len;

	memset(name256, 'n', sizeof(name256));
	for (t = 0; t < NITEMS(types); t++) {
		memset(&in, 0, sizeof(in));
		in.type = (uint8_t)types[t];
		in.fd = 4;
		in.node = fixture_node("", NULL, 0);
		for (i = 0; i < NITEMS(bad); i++) {
			in.node.name = (const uint8_t *)bad[i].name;
			in.node.namelen = bad[i].len;
			len = enc(buf, sizeof(buf), &in);
			assert_refused(buf, len, bad[i].what);
		}
		/* 256 characters (256 bytes). */
		in.node.name = name256;
		in.node.namelen = sizeof(name256);
		assert_refused(buf, enc(buf, sizeof(buf), &in),
		    "256 characters");
		/* 1021 bytes, and 256 four-byte characters (1024 bytes). */
		in.node.name = big;
		in.node.namelen = PROTO_MAXSYMLEN + 1;
		assert_refused(buf, enc(buf, sizeof(buf), &in), "1021 bytes");
		memcpy(n1024, name4x255, sizeof(name4x255));
		memcpy(n1024 + sizeof(name4x255), name4x255, 4);
		in.node.name = n1024;
		in.node.namelen = sizeof(n1024);
		assert_refused(buf, enc(buf, sizeof(buf), &in),
		    "256 four-byte characters");
		/* Extra of 1021 bytes (UNREG carries no Extra). */
		if (in.type == HANDOVER_UNREG)
			continue;
		in.node.name = (const uint8_t *)"ok";
		in.node.namelen = 2;
		in.node.extra = big;
		in.node.extralen = PROTO_MAXSYMLEN + 1;
		assert_refused(buf, enc(buf, sizeof(buf), &in),
		    "Extra of 1021 bytes");
		in.node.extralen = PROTO_MAXSYMLEN;
		len = enc(buf, sizeof(buf), &in);
		assert_int_equal(handover_decode(buf, len, &in, NULL), (long)len);
	}
}

/* LISTEN, KEPT and REPLY refuse a negative descriptor. */
static void
test_negative_fd(void **state)
{
	static const int types[] = { HANDOVER_LISTEN, HANDOVER_KEPT, HANDOVER_REPLY };
	static const int32_t fds[] = { -1, -2, INT32_MIN };
	struct handover_rec	 in, r;
	uint8_t		 buf[64];
	size_t		 t, i, len;

	for (t = 0; t < NITEMS(types); t++) {
		memset(&in, 0, sizeof(in));
		in.type = (uint8_t)types[t];
		for (i = 0; i < NITEMS(fds); i++) {
			in.fd = fds[i];
			len = enc(buf, sizeof(buf), &in);
			assert_refused(buf, len, "negative fd");
		}
		in.fd = INT32_MAX;
		len = enc(buf, sizeof(buf), &in);
		assert_int_equal(handover_decode(buf, len, &r, NULL), (long)len);
		assert_int_equal(r.fd, INT32_MAX);
	}
}

/* ORIGIN: an empty host, a NUL in host or address, a negative age. */
static void
test_origin_bad(void **state)
{
	struct handover_rec	 in, r;
	uint8_t		 buf[BUFSZ];
	size_t		 len;

	memset(&in, 0, sizeof(in));
	in.type = HANDOVER_ORIGIN;
	in.host = (const uint8_t *)"h";
	in.hostlen = 1;
	in.addr = (const uint8_t *)"127.0.0.1:4370";
	in.addrlen = 14;
	len = enc(buf, sizeof(buf), &in);
	assert_int_equal(handover_decode(buf, len, &r, NULL), (long)len);

	in.hostlen = 0;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "empty host");
	in.host = (const uint8_t *)"a\0b";
	in.hostlen = 3;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "NUL in host");
	in.host = big;
	in.hostlen = HANDOVER_HOST_MAX + 1;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "host too long");
	in.hostlen = HANDOVER_HOST_MAX;
	len = enc(buf, sizeof(buf), &in);
	assert_int_equal(handover_decode(buf, len, &r, NULL), (long)len);
	in.addr = (const uint8_t *)"1\0";
	in.addrlen = 2;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "NUL in address");
	in.addr = big;
	in.addrlen = HANDOVER_HOST_MAX + 9;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "address too long");
	in.addrlen = 0;
	in.age = -1;
	assert_refused(buf, enc(buf, sizeof(buf), &in), "negative age");
}

/* Encoding into every buffer too small fails and writes nothing past it. */
static void
test_encode_small(void **state)
{
	struct handover_rec	 recs[10];
	uint8_t		 buf[BUFSZ];
	size_t		 i, k, j, len, n;

	n = samples(recs);
	for (i = 0; i < n; i++) {
		len = enc(buf, sizeof(buf), &recs[i]);
		for (k = 0; k < len; k++) {
			memset(buf, CANARY, sizeof(buf));
			if (handover_encode(buf, k, &recs[i]) != -1)
				fail_msg("type %u: encoded into %zu of %zu",
				    recs[i].type, k, len);
			for (j = k; j < len + 8; j++)
				if (buf[j] != CANARY)
					fail_msg("type %u: size %zu: byte %zu "
					    "written", recs[i].type, k, j);
		}
		memset(buf, CANARY, sizeof(buf));
		assert_int_equal(handover_encode(buf, len, &recs[i]), (int)len);
		assert_int_equal(buf[len], CANARY);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_header_ok),
		cmocka_unit_test(test_header_bad),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_limits),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_encode_too_long),
		cmocka_unit_test(test_field_lengths),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_negative_fd),
		cmocka_unit_test(test_origin_bad),
		cmocka_unit_test(test_encode_small),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
