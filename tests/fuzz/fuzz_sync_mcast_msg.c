/*
 * libFuzzer target for the multicast announcement codec: the decoder on
 * every prefix of the input (from an exact-size copy), the encoder on
 * whatever decodes (it must give the same bytes back), and the replay
 * filter fed the decoded announcement (accepted once, then a replay; its
 * table bounded).  Any broken invariant aborts.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	    tests/fuzz/fuzz_sync_mcast_msg.c src/sync_mcast_msg.c src/wire.c \
 *	    -o fuzz_sync_mcast_msg
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sync_mcast_msg.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 inside_strict(const uint8_t *, size_t, const void *, size_t);
static void	 check_tag(const uint8_t *, size_t);

static struct sync_mcast_replay	 replay;
static uint8_t			 out[SYNC_MCAST_PLAIN_MAX];

/* Is p[0..n) within buf[0..len), even when n is 0? */
static int
inside_strict(const uint8_t *buf, size_t len, const void *vp, size_t n)
{
	const uint8_t	*p = vp;

	return p != NULL && p >= buf && n <= len &&
	    (size_t)(p - buf) <= len - n;
}

/*
 * The cluster tag: within the bytes, a valid name, and what encodes back
 * to the same prefix; no tag reads as "default".
 */
static void
check_tag(const uint8_t *buf, size_t len)
{
	char	 cluster[SYNC_MCAST_CLUSTER_MAX + 1];
	uint8_t	 again[SYNC_MCAST_TAG_MAX];
	size_t	 t;

	t = sync_mcast_tag_decode(buf, len, cluster);
	check(t <= len && t <= SYNC_MCAST_TAG_MAX);
	if (t == 0)
		check(strcmp(cluster, "default") == 0);
	else
		check(sync_mcast_tag_encode(again, cluster) == t &&
		    memcmp(again, buf, t) == 0);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_mcast_ann	 a, b;
	const char		*why;
	uint8_t			*copy;
	size_t			 k;
	time_t			 now;
	int			 n, ok = 0, rv;

	for (k = 0; k <= size; k++) {
		if ((copy = malloc(k > 0 ? k : 1)) == NULL)
			return 0;
		if (k > 0)
			memcpy(copy, data, k);
		check_tag(copy, k);
		rv = sync_mcast_decode(copy, k, &a, &why);
		if (rv == -1) {
			check(why != NULL);
			free(copy);
			continue;
		}
		check(rv == 0 && why == NULL);
		/* Exactly one length decodes: no valid prefix of a valid one. */
		check(!ok);
		ok = 1;
		check(k >= SYNC_MCAST_FIXED + 1 && k <= SYNC_MCAST_PLAIN_MAX);
		check(memcmp(copy, SYNC_MCAST_MAGIC, SYNC_MCAST_MAGIC_LEN) == 0);
		check(a.port != 0);
		check(a.originlen >= 1 && a.originlen <= SYNC_MCAST_HOST_MAX);
		check(a.advertiselen >= 1 &&
		    a.advertiselen <= SYNC_MCAST_HOST_MAX);
		check(inside_strict(copy, k, a.origin, a.originlen));
		check(inside_strict(copy, k, a.advertise, a.advertiselen));
		check(memchr(a.origin, '\0', a.originlen) == NULL);
		check(k == SYNC_MCAST_FIXED + a.originlen + a.advertiselen);

		/* Re-encoded, it is the same bytes, and decodes the same. */
		n = sync_mcast_encode(out, sizeof(out), &a);
		check(n == (int)k && memcmp(out, copy, k) == 0);
		check(sync_mcast_decode(out, (size_t)n, &b, &why) == 0);
		check(b.incarnation == a.incarnation && b.seq == a.seq &&
		    b.time == a.time && b.port == a.port && b.originlen == a.originlen &&
		    b.advertiselen == a.advertiselen);
		check(sync_mcast_encode(out, k - 1, &a) == -1);

		/* Accepted once, then a replay. */
		now = (time_t)(a.seq & 0xffffff);
		rv = sync_mcast_replay_check(&replay, &a, now, 10);
		check(rv >= -1 && rv <= 1);
		if (rv == 1)
			check(sync_mcast_replay_check(&replay, &a, now,
			    10) == 0);
		check(replay.n <= SYNC_MCAST_REPLAY_MAX);
		free(copy);
	}
	return 0;
}
