/*
 * Unit tests for the cluster name in sync: the master key it derives
 * (known answers: "default" keeps the key daemons without cluster names
 * derive), streams and datagrams across two clusters failing, the
 * clear-text SYNC opening and refusal (sync_msg.c), and the multicast
 * tag (sync_mcast_msg.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "sync_crypto.h"
#include "sync_mcast_msg.h"
#include "sync_msg.h"

#define SECRET	"0123456789abcdef"

/* The bytes of a hex string (64 digits). */
static void
unhex(const char *hex, uint8_t out[SYNC_KEY_BYTES])
{
	unsigned int	 v;
	int		 i;

	for (i = 0; i < SYNC_KEY_BYTES; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The master key of SECRET in a cluster. */
static void
master_in(const char *cluster, uint8_t master[SYNC_KEY_BYTES])
{
	sync_master_derive((const uint8_t *)SECRET, strlen(SECRET), master);
	sync_master_cluster(master, cluster);
}

static int
setup(void **state)
{
	(void)state;
	return sync_crypto_init();
}

/*
 * Known answers (Python's hashlib.blake2b): "default" is BLAKE2b-256 of
 * the secret keyed by "epmdx-sync-master-v1", as before cluster names;
 * another name is BLAKE2b-256 keyed by that over
 * "epmdx-sync-cluster-v1\0" and the name.
 */
static void
test_derive_known(void **state)
{
	uint8_t	 got[SYNC_KEY_BYTES], want[SYNC_KEY_BYTES];

	(void)state;
	master_in("default", got);
	unhex("3584c2da2976f19b095d73a9cbcd53bf"
	    "e78e269f3bec19f37e1bd8eef62bc939", want);
	assert_memory_equal(got, want, SYNC_KEY_BYTES);
	master_in("prod", got);
	unhex("64a7544dff466cbd64f8a18bbdb18a0d"
	    "b99c9cc60365e01a98bfd2b6197bf4fe", want);
	assert_memory_equal(got, want, SYNC_KEY_BYTES);
	master_in("staging", got);
	unhex("ee1a6fa4b83dcb6ce9b87075b5e96373"
	    "589cb9624c80af0d83bf9a6c4a4ae925", want);
	assert_memory_equal(got, want, SYNC_KEY_BYTES);
}

/* Two names, two keys; a name is not the default; names are exact. */
static void
test_derive_distinct(void **state)
{
	static const char *const names[] = {
		"default", "prod", "Prod", "prod.", "staging", "d", "defaul",
		"default0",
		"01234567890123456789012345678901"
		    "23456789012345678901234567890123"
	};
	uint8_t		 k[sizeof(names) / sizeof(names[0])][SYNC_KEY_BYTES];
	uint8_t		 again[SYNC_KEY_BYTES];
	size_t		 i, j, n = sizeof(names) / sizeof(names[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		master_in(names[i], k[i]);
		master_in(names[i], again);
		assert_memory_equal(k[i], again, SYNC_KEY_BYTES);
		for (j = 0; j < i; j++)
			assert_memory_not_equal(k[i], k[j], SYNC_KEY_BYTES);
	}
}

/* A stream keyed in one cluster does not open in another. */
static void
test_stream_across(void **state)
{
	uint8_t			 a[SYNC_KEY_BYTES], b[SYNC_KEY_BYTES];
	uint8_t			 r1[SYNC_RANDOM_BYTES], r2[SYNC_RANDOM_BYTES];
	uint8_t			 c2s[SYNC_KEY_BYTES], s2c[SYNC_KEY_BYTES];
	uint8_t			 c2s_b[SYNC_KEY_BYTES], s2c_b[SYNC_KEY_BYTES];
	uint8_t			 hdr[SYNC_STREAM_HEADER];
	uint8_t			 sealed[5 + SYNC_STREAM_ABYTES], plain[5];
	struct sync_stream	 tx, rx;

	(void)state;
	master_in("prod", a);
	master_in("staging", b);
	sync_random(r1, sizeof(r1));
	sync_random(r2, sizeof(r2));
	sync_stream_keys(a, r1, r2, c2s, s2c);
	sync_stream_keys(b, r1, r2, c2s_b, s2c_b);
	assert_memory_not_equal(c2s, c2s_b, SYNC_KEY_BYTES);
	sync_stream_push_init(&tx, c2s, hdr);
	sync_stream_seal(&tx, (const uint8_t *)"hello", 5, sealed);
	assert_int_equal(sync_stream_pull_init(&rx, c2s_b, hdr), 0);
	assert_int_equal(sync_stream_open(&rx, sealed, sizeof(sealed), plain),
	    -1);
	assert_int_equal(sync_stream_pull_init(&rx, c2s, hdr), 0);
	assert_int_equal(sync_stream_open(&rx, sealed, sizeof(sealed), plain),
	    0);
}

/* A datagram sealed in one cluster does not open in another. */
static void
test_dgram_across(void **state)
{
	uint8_t	 a[SYNC_KEY_BYTES], b[SYNC_KEY_BYTES];
	uint8_t	 out[64 + SYNC_DGRAM_OVERHEAD], plain[64];
	size_t	 n;

	(void)state;
	master_in("default", a);
	master_in("other", b);
	n = sync_dgram_seal(a, (const uint8_t *)"announce", 8, out);
	assert_int_equal(sync_dgram_open(b, out, n, plain), -1);
	assert_int_equal(sync_dgram_open(a, out, n, plain), 8);
}

/* The SYNC body: 33 bytes for "default", the name after for another. */
static void
test_open_codec(void **state)
{
	uint8_t			 random[SYNC_OPEN_RANDOM], buf[SYNC_OPEN_MAX];
	char			 name[SYNC_CLUSTER_MAX + 2];
	struct sync_open	 o;
	const char		*why;
	int			 n;

	(void)state;
	memset(random, 0xa5, sizeof(random));
	n = sync_open_encode(buf, sizeof(buf), SYNC_PROTO_VERSION, random,
	    "default");
	assert_int_equal(n, PROTO_SYNC_OPEN_LEN);
	assert_int_equal(buf[0], SYNC_PROTO_VERSION);
	assert_int_equal(sync_open_decode(buf, (size_t)n, &o, &why), 0);
	assert_string_equal(o.cluster, "default");
	assert_memory_equal(o.random, random, SYNC_OPEN_RANDOM);

	n = sync_open_encode(buf, sizeof(buf), SYNC_PROTO_VERSION, random,
	    "prod-eu.1");
	assert_int_equal(n, PROTO_SYNC_OPEN_LEN + 9);
	assert_memory_equal(buf + PROTO_SYNC_OPEN_LEN, "prod-eu.1", 9);
	assert_int_equal(sync_open_decode(buf, (size_t)n, &o, &why), 0);
	assert_string_equal(o.cluster, "prod-eu.1");

	memset(name, 'x', SYNC_CLUSTER_MAX);
	name[SYNC_CLUSTER_MAX] = '\0';
	n = sync_open_encode(buf, sizeof(buf), SYNC_PROTO_VERSION, random,
	    name);
	assert_int_equal(n, SYNC_OPEN_MAX);
	assert_int_equal(sync_open_decode(buf, (size_t)n, &o, &why), 0);
	assert_string_equal(o.cluster, name);
	name[SYNC_CLUSTER_MAX] = 'x';
	name[SYNC_CLUSTER_MAX + 1] = '\0';
	assert_int_equal(sync_open_encode(buf, sizeof(buf), SYNC_PROTO_VERSION,
	    random, name), -1);
	assert_int_equal(sync_open_encode(buf, sizeof(buf), SYNC_PROTO_VERSION,
	    random, "a b"),
	    -1);
	assert_int_equal(sync_open_encode(buf, PROTO_SYNC_OPEN_LEN,
	    SYNC_PROTO_VERSION, random,
	    "ab"), -1);

	/* Lengths out of range, and names that are none. */
	assert_int_equal(sync_open_decode(buf, PROTO_SYNC_OPEN_LEN - 1, &o,
	    &why), -1);
	assert_string_equal(why, "bad SYNC request length");
	assert_int_equal(sync_open_decode(buf, SYNC_OPEN_MAX + 1, &o, &why),
	    -1);
	memcpy(buf + PROTO_SYNC_OPEN_LEN, "a/b", 3);
	assert_int_equal(sync_open_decode(buf, PROTO_SYNC_OPEN_LEN + 3, &o,
	    &why), -1);
	assert_string_equal(why, "bad cluster name");
	memcpy(buf + PROTO_SYNC_OPEN_LEN, "a\0b", 3);
	assert_int_equal(sync_open_decode(buf, PROTO_SYNC_OPEN_LEN + 3, &o,
	    &why), -1);
}

/* The refusal: whole, in pieces, and what is not one. */
static void
test_refuse_codec(void **state)
{
	uint8_t	 buf[SYNC_REFUSE_MAX + 8];
	char	 name[SYNC_CLUSTER_MAX + 1];
	int	 n, i;

	(void)state;
	n = sync_refuse_encode(buf, sizeof(buf), "staging");
	assert_int_equal(n, 5 + 7);
	assert_memory_equal(buf, "EPXC\x07staging", 12);
	for (i = 0; i < n; i++)		/* every prefix: wait for more */
		assert_int_equal(sync_refuse_decode(buf, (size_t)i, name), 0);
	assert_int_equal(sync_refuse_decode(buf, (size_t)n, name), n);
	assert_string_equal(name, "staging");
	/* More bytes after it (none come, but they would not matter). */
	assert_int_equal(sync_refuse_decode(buf, (size_t)n + 3, name), n);
	assert_int_equal(sync_refuse_encode(buf, 11, "staging"), -1);
	assert_int_equal(sync_refuse_encode(buf, sizeof(buf), ""), -1);

	/* An acceptor's random: not a refusal as soon as it differs. */
	assert_int_equal(sync_refuse_decode((const uint8_t *)"EPXD", 4, name),
	    -1);
	assert_int_equal(sync_refuse_decode((const uint8_t *)"X", 1, name),
	    -1);
	assert_int_equal(sync_refuse_decode((const uint8_t *)"EPXC\0", 5,
	    name), -1);
	assert_int_equal(sync_refuse_decode((const uint8_t *)"EPXC\x41", 5,
	    name), -1);			/* longer than a name */
	assert_int_equal(sync_refuse_decode((const uint8_t *)"EPXC\x03" "a\x01",
	    7, name), -1);		/* not a name's byte */
}

/* The multicast tag: none for "default", a name otherwise. */
static void
test_mcast_tag(void **state)
{
	uint8_t	 buf[SYNC_MCAST_TAG_MAX + 16];
	char	 name[SYNC_MCAST_CLUSTER_MAX + 1];
	size_t	 n;

	(void)state;
	assert_int_equal(sync_mcast_tag_encode(buf, "default"), 0);
	n = sync_mcast_tag_encode(buf, "prod");
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "EPXC\x04prod", 9);
	memset(buf + n, 0x55, 16);	/* the sealed part */
	assert_int_equal(sync_mcast_tag_decode(buf, n + 16, name), n);
	assert_string_equal(name, "prod");

	/* Untagged, or a tag that does not hold together: "default". */
	assert_int_equal(sync_mcast_tag_decode((const uint8_t *)"EPX2abcdef",
	    10, name), 0);
	assert_string_equal(name, "default");
	assert_int_equal(sync_mcast_tag_decode((const uint8_t *)"EPXC\x09prod",
	    9, name), 0);
	assert_string_equal(name, "default");
	assert_int_equal(sync_mcast_tag_decode((const uint8_t *)"EPXC\x02" "a ",
	    7, name), 0);
	assert_int_equal(sync_mcast_tag_decode((const uint8_t *)"EPXC", 4,
	    name), 0);
	assert_int_equal(sync_mcast_tag_decode((const uint8_t *)"EPXC\0", 5,
	    name), 0);
	assert_string_equal(name, "default");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_known),
		cmocka_unit_test(test_derive_distinct),
		cmocka_unit_test(test_stream_across),
		cmocka_unit_test(test_dgram_across),
		cmocka_unit_test(test_open_codec),
		cmocka_unit_test(test_refuse_codec),
		cmocka_unit_test(test_mcast_tag),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
