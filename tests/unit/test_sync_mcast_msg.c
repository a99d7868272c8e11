/*
 * Unit tests for the multicast announcements: the codec (round trips,
 * every truncation, every malformed field), sealing with the cluster key
 * (round trip, wrong key, every tampered byte), the replay filter (seq
 * high-water mark, incarnations ordered by the origin's time, silence,
 * the bound) and the sequence numbers across a wall-clock step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_crypto.h"
#include "sync_mcast_msg.h"

#define SECRET		"0123456789abcdef-test-secret"
#define OTHER_SECRET	"0123456789abcdef-test-secreT"

/* The bytes of a string as (pointer, length) for an announcement field. */
#define S(s)		(s), (sizeof(s) - 1)

static uint8_t	 key[SYNC_KEY_BYTES];
static uint8_t	 other[SYNC_KEY_BYTES];

/* Fill an announcement. */
static void
ann(struct sync_mcast_ann *a, uint64_t inc, uint64_t seq, uint16_t port,
    const char *origin, size_t olen, const char *adv, size_t alen)
{
	memset(a, 0, sizeof(*a));
	a->incarnation = inc;
	a->seq = seq;
	a->port = port;
	a->origin = origin;
	a->originlen = olen;
	a->advertise = adv;
	a->advertiselen = alen;
}

/* An announcement for the replay filter: origin, incarnation, seq, time. */
static struct sync_mcast_ann *
rann(const char *origin, uint64_t inc, uint64_t seq, uint64_t time)
{
	static struct sync_mcast_ann	 a;

	ann(&a, inc, seq, 4369, origin, strlen(origin), S("10.0.0.1"));
	a.time = time;
	return &a;
}

/* Assert two announcements carry the same fields. */
static void
assert_same(const struct sync_mcast_ann *a, const struct sync_mcast_ann *b)
{
	assert_int_equal(a->incarnation, b->incarnation);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->time, b->time);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->originlen, b->originlen);
	assert_memory_equal(a->origin, b->origin, a->originlen);
	assert_int_equal(a->advertiselen, b->advertiselen);
	if (a->advertiselen > 0)
		assert_memory_equal(a->advertise, b->advertise,
		    a->advertiselen);
}

/*
 * Decode from a heap copy of exactly len bytes (ASan sees overreads).
 * The copy lives until the next call, since the result points into it.
 */
static int
decode_exact(const uint8_t *buf, size_t len, struct sync_mcast_ann *a,
    const char **why)
{
	static uint8_t	*copy;
	int		 rv;

	free(copy);
	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	rv = sync_mcast_decode(copy, len, a, why);
	/* The result points into the copy, nowhere else. */
	if (rv == 0) {
		assert_true(a->origin >= (const char *)copy &&
		    a->origin + a->originlen <= (const char *)copy + len);
		assert_true(a->advertise >= (const char *)copy &&
		    a->advertise + a->advertiselen <=
		    (const char *)copy + len);
	}
	return rv;
}

/* Key setup: libsodium and the two test keys. */
static int
setup(void **state)
{
	if (sync_crypto_init() == -1)
		return -1;
	sync_master_derive((const uint8_t *)SECRET, sizeof(SECRET) - 1, key);
	sync_master_derive((const uint8_t *)OTHER_SECRET,
	    sizeof(OTHER_SECRET) - 1, other);
	return 0;
}

/* Encode then decode gives the same announcement, the exact bytes too. */
static void
test_round_trip(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX];
	const char		*why;
	int			 n;
	static const uint8_t	 want[] =
	    "EPX2"
	    "\x01\x02\x03\x04\x05\x06\x07\x08"
	    "\xff\xee\xdd\xcc\xbb\xaa\x99\x88"
	    "\x00\x00\x01\x9a\x2b\x3c\x4d\x5e"
	    "\x11\x12"
	    "\x00\x02" "h1"
	    "\x00\x08" "10.0.0.1";

	ann(&a, 0x0102030405060708ULL, 0xffeeddccbbaa9988ULL, 0x1112,
	    S("h1"), S("10.0.0.1"));
	a.time = 0x0000019a2b3c4d5eULL;
	n = sync_mcast_encode(buf, sizeof(buf), &a);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), 0);
	assert_null(why);
	assert_same(&a, &b);

	/* The address to dial is sealed in: there is no "use the source". */
	ann(&a, 1, 0, 4369, S("h2"), "", 0);
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 0, 4369, S("h2"), S("h"));
	n = sync_mcast_encode(buf, sizeof(buf), &a);
	assert_int_equal(n, SYNC_MCAST_FIXED + 3);
	buf[n - 2] = 0;				/* advertise length 1 -> 0 */
	buf[n - 1] = 0;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "bad advertise length");
	assert_int_equal(decode_exact(buf, (size_t)n - 1, &b, &why), -1);
	assert_string_equal(why, "bad advertise length");
}

/* The longest announcement encodes, decodes and fits a sealed datagram. */
static void
test_round_trip_max(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 sealed[SYNC_MCAST_DGRAM_MAX];
	char			 o[SYNC_MCAST_HOST_MAX], v[SYNC_MCAST_HOST_MAX];
	const char		*why;
	int			 n;

	memset(o, 'o', sizeof(o));
	memset(v, 'v', sizeof(v));
	ann(&a, UINT64_MAX, UINT64_MAX, 65535, o, sizeof(o), v, sizeof(v));
	a.time = UINT64_MAX;
	n = sync_mcast_encode(buf, sizeof(buf), &a);
	assert_int_equal(n, SYNC_MCAST_PLAIN_MAX);
	assert_int_equal(sync_mcast_decode(buf, (size_t)n, &b, &why), 0);
	assert_same(&a, &b);
	assert_true(SYNC_MCAST_PLAIN_MAX + SYNC_DGRAM_OVERHEAD <=
	    SYNC_MCAST_DGRAM_MAX);
	assert_int_equal(sync_dgram_seal(key, buf, (size_t)n, sealed),
	    (size_t)n + SYNC_DGRAM_OVERHEAD);
	/* One byte too small a buffer is refused. */
	assert_int_equal(sync_mcast_encode(buf, (size_t)n - 1, &a), -1);
}

/* Every proper prefix of a valid announcement is rejected. */
static void
test_truncations(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX];
	const char		*why;
	size_t			 k;
	int			 n, i;

	for (i = 0; i < 2; i++) {
		if (i == 0)
			ann(&a, 7, 9, 4369, S("origin"), S("adv.example"));
		else
			ann(&a, 7, 9, 4369, S("origin"), S("a"));
		n = sync_mcast_encode(buf, sizeof(buf), &a);
		assert_true(n > 0);
		for (k = 0; k < (size_t)n; k++) {
			why = NULL;
			assert_int_equal(decode_exact(buf, k, &b, &why), -1);
			assert_non_null(why);
		}
		assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), 0);
	}
}

/* A wrong magic, and trailing bytes, are rejected. */
static void
test_magic_and_trailing(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX + 1];
	const char		*why;
	int			 n, i;

	ann(&a, 1, 2, 4369, S("h1"), S("h1.lan"));
	n = sync_mcast_encode(buf, sizeof(buf), &a);
	for (i = 0; i < SYNC_MCAST_MAGIC_LEN; i++) {
		buf[i] ^= 0x20;
		assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
		assert_string_equal(why, "bad magic");
		buf[i] ^= 0x20;
	}
	/* The previous format, without the time and sealed address. */
	memcpy(buf, "EPX1", 4);
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	memcpy(buf, SYNC_MCAST_MAGIC, 4);
	buf[n] = 0;
	assert_int_equal(decode_exact(buf, (size_t)n + 1, &b, &why), -1);
	assert_string_equal(why, "trailing bytes");
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), 0);
}

/* Length fields that lie, port 0, empty or unprintable hosts. */
static void
test_bad_fields(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX];
	const char		*why;
	size_t			 olen = SYNC_MCAST_FIXED - 4;	/* origin len */
	int			 n;

	ann(&a, 1, 2, 4369, S("h1"), S("adv"));
	n = sync_mcast_encode(buf, sizeof(buf), &a);

	/* Origin length one more or one less than the bytes. */
	buf[olen + 1] = 3;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	buf[olen + 1] = 1;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	buf[olen] = 0xff;			/* 0xff01: over the maximum */
	buf[olen + 1] = 0x01;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "bad origin length");
	buf[olen] = 0;
	buf[olen + 1] = 0;			/* empty origin */
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "bad origin length");
	buf[olen + 1] = 2;

	/* Advertise length past the end, and over the maximum. */
	buf[olen + 2 + 2 + 1] = 4;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "truncated advertise");
	buf[olen + 2 + 2] = 0x01;
	buf[olen + 2 + 2 + 1] = 0x00;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "bad advertise length");
	buf[olen + 2 + 2] = 0;
	buf[olen + 2 + 2 + 1] = 3;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), 0);

	/* Port 0. */
	buf[olen - 2] = 0;
	buf[olen - 1] = 0;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "port 0");

	/* A NUL, a blank or a control byte in a host name. */
	ann(&a, 1, 2, 4369, S("h1"), S("adv"));
	n = sync_mcast_encode(buf, sizeof(buf), &a);
	buf[olen + 2] = '\0';
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	assert_string_equal(why, "bad host name");
	buf[olen + 2] = 'h';
	buf[n - 1] = ' ';
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	buf[n - 1] = '\t';
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);
	buf[n - 1] = (uint8_t)0x80;
	assert_int_equal(decode_exact(buf, (size_t)n, &b, &why), -1);

	/* Over-long plaintext: refused before anything else is read. */
	assert_int_equal(sync_mcast_decode(buf, SYNC_MCAST_PLAIN_MAX + 1, &b,
	    &why), -1);
}

/* The encoder refuses what the decoder would refuse. */
static void
test_encode_refuses(void **state)
{
	struct sync_mcast_ann	 a;
	uint8_t			 buf[SYNC_MCAST_PLAIN_MAX];
	char			 big[SYNC_MCAST_HOST_MAX + 1];

	memset(big, 'x', sizeof(big));
	ann(&a, 1, 1, 0, S("h1"), S("a"));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, "", 0, S("a"));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, big, sizeof(big), S("a"));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, S("h1"), big, sizeof(big));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, S("h 1"), S("a"));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, S("h1"), S("a\nb"));
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, S("h1"), "", 0);
	assert_int_equal(sync_mcast_encode(buf, sizeof(buf), &a), -1);
	ann(&a, 1, 1, 1, S("h1"), S("a"));
	assert_int_equal(sync_mcast_encode(buf, SYNC_MCAST_FIXED + 2, &a),
	    -1);
	assert_int_equal(sync_mcast_encode(buf, SYNC_MCAST_FIXED + 3, &a),
	    SYNC_MCAST_FIXED + 3);
}

/* Seal then open with the same key gives the plaintext back. */
static void
test_seal_open(void **state)
{
	struct sync_mcast_ann	 a, b;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 sealed[SYNC_MCAST_DGRAM_MAX];
	uint8_t			 sealed2[SYNC_MCAST_DGRAM_MAX];
	uint8_t			 out[SYNC_MCAST_DGRAM_MAX];
	const char		*why;
	size_t			 len;
	long			 n;
	int			 p;

	ann(&a, 42, 1000, 4369, S("h1"), S("fe80::1"));
	p = sync_mcast_encode(plain, sizeof(plain), &a);
	len = sync_dgram_seal(key, plain, (size_t)p, sealed);
	assert_int_equal(len, (size_t)p + SYNC_DGRAM_OVERHEAD);
	n = sync_dgram_open(key, sealed, len, out);
	assert_int_equal(n, p);
	assert_memory_equal(out, plain, (size_t)p);
	assert_int_equal(sync_mcast_decode(out, (size_t)n, &b, &why), 0);
	assert_same(&a, &b);
	/* A fresh nonce each time: two seals differ. */
	assert_int_equal(sync_dgram_seal(key, plain, (size_t)p, sealed2), len);
	assert_memory_not_equal(sealed, sealed2, len);
}

/* Another cluster's key opens nothing. */
static void
test_wrong_key(void **state)
{
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 sealed[SYNC_MCAST_DGRAM_MAX];
	uint8_t			 out[SYNC_MCAST_DGRAM_MAX];
	size_t			 len;
	int			 p;

	ann(&a, 42, 1000, 4369, S("h1"), S("h1"));
	p = sync_mcast_encode(plain, sizeof(plain), &a);
	len = sync_dgram_seal(other, plain, (size_t)p, sealed);
	assert_int_equal(sync_dgram_open(key, sealed, len, out), -1);
	assert_int_equal(sync_dgram_open(other, sealed, len, out), p);
}

/* Flipping any bit of any byte, or cutting any byte, is detected. */
static void
test_tampered(void **state)
{
	struct sync_mcast_ann	 a;
	uint8_t			 plain[SYNC_MCAST_PLAIN_MAX];
	uint8_t			 sealed[SYNC_MCAST_DGRAM_MAX];
	uint8_t			 out[SYNC_MCAST_DGRAM_MAX];
	size_t			 len, i;
	int			 p, bit;

	ann(&a, 42, 1000, 4369, S("h1"), S("10.213.0.1"));
	p = sync_mcast_encode(plain, sizeof(plain), &a);
	len = sync_dgram_seal(key, plain, (size_t)p, sealed);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(sync_dgram_open(key, sealed, len,
			    out), -1);
			sealed[i] ^= (uint8_t)(1 << bit);
		}
	}
	for (i = 0; i < len; i++)
		assert_int_equal(sync_dgram_open(key, sealed, i, out), -1);
	assert_int_equal(sync_dgram_open(key, sealed, len, out), p);
}

/* Check one announcement against r at monotonic second now, ttl 10. */
#define CHECK(r, o, inc, seq, t, now) \
	sync_mcast_replay_check((r), rann((o), (inc), (seq), (t)), (now), 10)

/* A fresh, empty filter. */
static struct sync_mcast_replay *
replay_new(void)
{
	struct sync_mcast_replay	*r;

	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	sync_mcast_replay_init(r);
	return r;
}

/* The same seq twice, or a lower one, is a replay (0); higher passes. */
static void
test_replay_seq(void **state)
{
	struct sync_mcast_replay	*r = replay_new();

	assert_int_equal(CHECK(r, "h1", 7, 100, 5000, 1), 1);
	assert_int_equal(CHECK(r, "h1", 7, 100, 5000, 1), 0);
	assert_int_equal(CHECK(r, "h1", 7, 99, 6000, 1), 0);
	assert_int_equal(CHECK(r, "h1", 7, 0, 6000, 1), 0);
	assert_int_equal(CHECK(r, "h1", 7, 101, 6000, 2), 1);
	assert_int_equal(CHECK(r, "h1", 7, 200, 7000, 2), 1);
	assert_int_equal(CHECK(r, "h1", 7, 150, 8000, 2), 0);
	assert_int_equal(CHECK(r, "h1", 7, 200, 8000, 2), 0);
	/* Long silence does not let an old seq of the same one back in. */
	assert_int_equal(CHECK(r, "h1", 7, 200, 8000, 100000), 0);
	/* Another origin is counted apart; so is a prefix of the name. */
	assert_int_equal(CHECK(r, "h2", 7, 1, 1, 2), 1);
	assert_int_equal(CHECK(r, "h", 7, 1, 1, 2), 1);
	assert_int_equal(CHECK(r, "h11", 7, 1, 1, 2), 1);
	assert_int_equal(r->n, 4);
	free(r);
}

/*
 * A restart: the new incarnation (later time) is taken at once; from then
 * on a replay of the previous one is stale (-1), whatever its seq, however
 * long ago it was recorded, as long as the new one is heard.
 */
static void
test_replay_old_incarnation(void **state)
{
	struct sync_mcast_replay	*r = replay_new();
	time_t				 now;

	assert_int_equal(CHECK(r, "h1", 7, 500, 1000, 1), 1);
	assert_int_equal(CHECK(r, "h1", 7, 501, 2000, 2), 1);
	/* Restart: incarnation 8, its seq starting low again. */
	assert_int_equal(CHECK(r, "h1", 8, 1, 2500, 3), 1);
	assert_int_equal(CHECK(r, "h1", 8, 1, 2500, 3), 0);
	/* Replays of 7, even with a seq it never reached. */
	assert_int_equal(CHECK(r, "h1", 7, 501, 2000, 4), -1);
	assert_int_equal(CHECK(r, "h1", 7, 9999, 2000, 4), -1);
	for (now = 5; now < 100; now += 5) {
		assert_int_equal(CHECK(r, "h1", 8, (uint64_t)now,
		    2500 + (uint64_t)now, now), 1);
		assert_int_equal(CHECK(r, "h1", 7, 502 + (uint64_t)now,
		    2400, now), -1);
	}
	free(r);
}

/*
 * A replay of an incarnation never heard, after the current one: dropped
 * (its time is older), and the current one goes on.
 */
static void
test_replay_unseen_old(void **state)
{
	struct sync_mcast_replay	*r = replay_new();

	assert_int_equal(CHECK(r, "h1", 8, 10, 9000, 1), 1);
	assert_int_equal(CHECK(r, "h1", 7, 10, 8000, 2), -1);
	assert_int_equal(CHECK(r, "h1", 7, 11, 8999, 2), -1);
	assert_int_equal(CHECK(r, "h1", 7, 12, 9000, 2), -1);
	assert_int_equal(CHECK(r, "h1", 8, 11, 9100, 3), 1);
	free(r);
}

/*
 * The origin's clock stepped back, then it restarted: the new incarnation
 * has an older time.  It is taken once the old one has been silent for
 * over ttl, and then the old one's replays are still dropped (times only
 * grow in the filter), while the new one goes on by its seq.
 */
static void
test_replay_origin_clock_back(void **state)
{
	struct sync_mcast_replay	*r = replay_new();

	assert_int_equal(CHECK(r, "h1", 7, 10, 5000, 100), 1);
	assert_int_equal(CHECK(r, "h1", 8, 1, 3000, 105), -1);
	assert_int_equal(CHECK(r, "h1", 8, 2, 3001, 110), -1);	/* 10 s */
	assert_int_equal(CHECK(r, "h1", 8, 3, 3002, 111), 1);	/* 11 s */
	assert_int_equal(CHECK(r, "h1", 7, 11, 5000, 112), -1);
	assert_int_equal(CHECK(r, "h1", 7, 12, 4999, 112), -1);
	assert_int_equal(CHECK(r, "h1", 8, 4, 3003, 112), 1);
	assert_int_equal(CHECK(r, "h1", 8, 4, 3003, 112), 0);
	/* A later time than any seen still takes over at once. */
	assert_int_equal(CHECK(r, "h1", 9, 1, 5001, 113), 1);
	free(r);
}

/*
 * An upgrade in place keeps the incarnation; with the wall clock stepped
 * back an hour between the two processes, the successor's seq (from the
 * boot clock) is still above its predecessor's, so it is heard, though its
 * time went back.  Within one process seq only grows.
 */
static void
test_seq_wall_clock_back(void **state)
{
	struct sync_mcast_replay	*r = replay_new();
	uint64_t			 boot = 4000000000ULL, wall, seq = 0;
	uint64_t			 prev;
	int				 i;

	wall = 1790000000000ULL;
	for (i = 0; i < 5; i++) {
		prev = seq;
		seq = sync_mcast_seq_next(seq, boot + (uint64_t)i * 1000000);
		assert_true(seq > prev);
		assert_int_equal(CHECK(r, "h1", 7, seq, wall + (uint64_t)i *
		    1000, 10 + i), 1);
	}
	/* The successor: seq starts from 0 again, boot clock 2 s later. */
	wall -= 3600 * 1000;
	seq = sync_mcast_seq_next(0, boot + 6000000);
	assert_int_equal(CHECK(r, "h1", 7, seq, wall, 16), 1);
	/* A boot clock that did not move still gives a higher seq. */
	prev = seq;
	seq = sync_mcast_seq_next(seq, boot);
	assert_int_equal(seq, prev + 1);
	assert_int_equal(CHECK(r, "h1", 7, seq, wall, 16), 1);
	assert_int_equal(sync_mcast_seq_next(0, 0), 1);
	assert_int_equal(sync_mcast_seq_next(UINT64_MAX, 5), UINT64_MAX);
	free(r);
}

/* A full table forgets the origin accepted least recently. */
static void
test_replay_bound(void **state)
{
	struct sync_mcast_replay	*r = replay_new();
	char				 name[32];
	int				 i;

	for (i = 0; i < SYNC_MCAST_REPLAY_MAX; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		assert_int_equal(CHECK(r, name, 1, 5, 100, 1000 + i), 1);
	}
	assert_int_equal(r->n, SYNC_MCAST_REPLAY_MAX);
	/* One more evicts o0, heard least recently. */
	assert_int_equal(CHECK(r, "extra", 1, 5, 100, 5000), 1);
	assert_int_equal(r->n, SYNC_MCAST_REPLAY_MAX);
	assert_int_equal(CHECK(r, "o1", 1, 5, 100, 5001), 0);
	/* Forgotten: the same seq passes again (the documented limit). */
	assert_int_equal(CHECK(r, "o0", 1, 5, 100, 5002), 1);
	assert_int_equal(r->n, SYNC_MCAST_REPLAY_MAX);
	/* Bad names are refused outright. */
	assert_int_equal(sync_mcast_replay_check(r, rann("", 1, 1, 1), 1, 10),
	    0);
	free(r);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_max),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_magic_and_trailing),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_replay_seq),
		cmocka_unit_test(test_replay_old_incarnation),
		cmocka_unit_test(test_replay_unseen_old),
		cmocka_unit_test(test_replay_origin_clock_back),
		cmocka_unit_test(test_seq_wall_clock_back),
		cmocka_unit_test(test_replay_bound),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
