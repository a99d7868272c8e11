/*
 * libFuzzer target for the sync message codec: sync_msg_decode() on every
 * prefix of the input (from an exact-size copy), then on what decodes:
 * the fields obey the decoder's own rules, the pointers stay inside the
 * input, and sync_msg_encode() gives the same bytes back.  The same
 * prefixes go through the clear-text SYNC opening and refusal decoders
 * (sync_open_decode(), sync_refuse_decode()).  Any broken invariant
 * aborts.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	    tests/fuzz/fuzz_sync_msg.c src/sync_msg.c src/proto.c \
 *	    -o fuzz_sync_msg
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"
#include "sync_msg.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 exercise(const uint8_t *, size_t, const struct sync_msg *);

static uint8_t	 out[SYNC_MSG_MAX + 64];

/* Checks on a message that decoded from buf[0..len). */
static void
exercise(const uint8_t *buf, size_t len, const struct sync_msg *m)
{
	struct sync_msg	 again;
	const char	*why;
	int		 n;

	check(len >= 1 && len <= SYNC_MSG_MAX && m->type == buf[0]);
	check(m->type >= SYNC_MSG_HELLO && m->type <= SYNC_MSG_RESYNC);
	check(inside(buf, len, m->origin, m->originlen));
	check(inside(buf, len, m->advertise, m->advertiselen));
	check(inside(buf, len, m->node.name, m->node.namelen));
	check(inside(buf, len, m->node.extra, m->node.extralen));

	switch (m->type) {
	case SYNC_MSG_HELLO:
		check(sync_host_ok(m->origin, m->originlen));
		check(memchr(m->origin, '@', m->originlen) == NULL);
		check(sync_addr_ok(m->advertise, m->advertiselen));
		check(m->advertiselen == 0 ||
		    memchr(m->advertise, 0, m->advertiselen) == NULL);
		break;
	case SYNC_MSG_ADD:
		check(m->reject != NULL ||
		    (proto_name_ok(m->node.name, m->node.namelen) &&
		    m->node.extralen <= PROTO_MAXSYMLEN));
		break;
	case SYNC_MSG_DEL:
		check(m->reject != NULL ||
		    proto_name_ok(m->node.name, m->node.namelen));
		check(m->node.extralen == 0);
		break;
	case SYNC_MSG_SNAP_END:
	case SYNC_MSG_RESYNC:
		check(len == 1);
		break;
	case SYNC_MSG_SNAP_BEGIN:
		check(len == 1 + 8 + 8 + 4);
		break;
	case SYNC_MSG_HEARTBEAT:
		check(len == 1 + 8 + 8);
		break;
	}

	/* The codec is canonical: encoding gives the very same bytes. */
	n = sync_msg_encode(out, sizeof(out), m);
	check(n == (int)len && memcmp(out, buf, len) == 0);
	check(sync_msg_encode(out, len - 1, m) == -1);
	check(sync_msg_decode(out, len, &again, &why) == 0);
	check(again.type == m->type && again.version == m->version &&
	    again.incarnation == m->incarnation && again.count == m->count &&
	    again.node.namelen == m->node.namelen &&
	    again.node.extralen == m->node.extralen &&
	    again.originlen == m->originlen &&
	    again.advertiselen == m->advertiselen);
}

/*
 * The clear-text opening codecs over the same bytes: a SYNC body that
 * decodes names a valid cluster and encodes back to itself; a refusal
 * that decodes is within the bytes and encodes back to its prefix.
 */
static void
exercise_open(const uint8_t *buf, size_t len)
{
	struct sync_open	 o;
	uint8_t			 again[SYNC_OPEN_MAX + SYNC_REFUSE_MAX];
	char			 cluster[SYNC_CLUSTER_MAX + 1];
	const char		*why = NULL;
	int			 n;

	if (sync_open_decode(buf, len, &o, &why) == -1)
		check(why != NULL);
	else {
		check(len >= PROTO_SYNC_OPEN_LEN && len <= SYNC_OPEN_MAX);
		check(o.random == buf + 1);
		check(sync_cluster_ok((const uint8_t *)o.cluster,
		    strlen(o.cluster)));
		n = sync_open_encode(again, sizeof(again), o.version, o.random,
		    o.cluster);
		check(n > 0 && again[0] == o.version &&
		    (o.version != SYNC_PROTO_VERSION || ((size_t)n == len &&
		    memcmp(again, buf, len) == 0) ||
		    (len == PROTO_SYNC_OPEN_LEN + 7 &&
		    memcmp(o.cluster, "default", 7) == 0)));
	}
	if ((n = sync_refuse_decode(buf, len, cluster)) > 0) {
		check((size_t)n <= len && (size_t)n <= SYNC_REFUSE_MAX);
		check(sync_refuse_encode(again, sizeof(again), cluster) == n &&
		    memcmp(again, buf, (size_t)n) == 0);
	} else
		check(n == 0 || n == -1);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_msg	 m;
	const char	*why;
	uint8_t		*copy;
	size_t		 k;
	int		 rv, ok = 0;

	if (size > 2 * SYNC_MSG_MAX)
		size = 2 * SYNC_MSG_MAX;	/* every prefix: keep it cheap */
	for (k = 0; k <= size; k++) {
		/* An exact-size copy lets ASan catch reads past the prefix. */
		if ((copy = malloc(k > 0 ? k : 1)) == NULL)
			return 0;
		if (k > 0)
			memcpy(copy, data, k);
		exercise_open(copy, k);
		why = NULL;
		rv = sync_msg_decode(copy, k, &m, &why);
		if (rv == -1) {
			check(why != NULL);
			free(copy);
			continue;
		}
		check(rv == 0);
		/* No valid message is a proper prefix of another. */
		check(!ok);
		ok = 1;
		exercise(copy, k, &m);
		free(copy);
	}
	/* The decoder must accept a NULL why. */
	(void)sync_msg_decode(data, size, &m, NULL);
	return 0;
}
