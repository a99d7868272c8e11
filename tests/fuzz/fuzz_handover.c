/*
 * libFuzzer target for the handover codec: handover_decode_header() on
 * the input, then handover_decode() record after record, as the new
 * process reads a handed-over state (from byte HANDOVER_HEADER_LEN when the
 * header is good, else from byte 0 so the fuzzer reaches the records
 * without first finding the magic).  Every record that decodes must lie
 * within the input, point into it, and encode back to the very same
 * bytes; every proper prefix of it must ask for more.  Then the whole
 * input goes through carry_validate(), as upgrade_load() checks it: a
 * state it accepts names each descriptor once, below its bound.  Any
 * broken invariant aborts.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	    tests/fuzz/fuzz_handover.c src/handover.c src/carry.c \
 *	    src/registry.c src/proto.c src/wire.c src/xmalloc.c src/log.c \
 *	    -o fuzz_handover
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "carry.h"
#include "fuzz.h"
#include "handover.h"
#include "registry.h"

#define FUZZ_MAXFDS	64	/* carry_validate()'s descriptor bound */

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 record(const uint8_t *, size_t, const struct handover_rec *);
static void	 validate(const uint8_t *, size_t);

static uint8_t	 out[HANDOVER_RECORD_MAX + 16];

/* Invariants of one record that decoded from buf[0..len). */
static void
record(const uint8_t *buf, size_t len, const struct handover_rec *r)
{
	struct handover_rec	 again;
	const char	*why;
	size_t		 k;
	int		 n;

	check(len >= 9 && len <= 9 + HANDOVER_RECORD_MAX);
	check(r->type >= HANDOVER_META && r->type <= HANDOVER_END && r->type == buf[0]);
	check(inside(buf, len, r->node.name, r->node.namelen));
	check(inside(buf, len, r->node.extra, r->node.extralen));
	check(inside(buf, len, r->host, r->hostlen));
	check(inside(buf, len, r->addr, r->addrlen));
	switch (r->type) {
	case HANDOVER_ADD:
	case HANDOVER_UNREG:
	case HANDOVER_ONODE:
		check(r->node.namelen <= PROTO_MAXSYMLEN);
		check(r->node.extralen <= PROTO_MAXSYMLEN);
		check(r->node.namelen == 0 ||
		    memchr(r->node.name, 0, r->node.namelen) == NULL);
		break;
	case HANDOVER_LISTEN:
	case HANDOVER_KEPT:
	case HANDOVER_REPLY:
		check(r->fd >= 0);
		break;
	case HANDOVER_ORIGIN:
		check(r->hostlen > 0 && r->hostlen <= HANDOVER_HOST_MAX);
		check(r->age >= 0);
		break;
	case HANDOVER_META:
		check(r->names_port > 0 && r->names_port <= 65535);
		break;
	}

	/* Every field is read, so the encoding is the input itself. */
	n = handover_encode(out, sizeof(out), r);
	check(n == (int)len && memcmp(out, buf, len) == 0);
	/* And decodes the same once more. */
	check(handover_decode(out, (size_t)n, &again, &why) == n);
	check(again.type == r->type);

	/* Short of its last byte, a record asks for more. */
	for (k = 0; k < len; k += (len > 64 ? 7 : 1))
		check(handover_decode(buf, k, &again, &why) == 0);
	check(handover_decode(buf, len - 1, &again, &why) == 0);
}

/* The whole state as upgrade_load() validates it. */
static void
validate(const uint8_t *buf, size_t len)
{
	struct registry	*reg = registry_new(1000);
	struct handover_rec	 meta;
	char		*cause = NULL;
	int		 fds[FUZZ_MAXFDS], nfds = 0, i, j;

	if (carry_validate(buf, len, reg, fds, &nfds, FUZZ_MAXFDS, &meta,
	    &cause) == 0) {
		check(cause == NULL && meta.type == HANDOVER_META);
		check(nfds >= 0 && nfds <= FUZZ_MAXFDS);
		check(registry_count(reg) <= (size_t)nfds);
		for (i = 0; i < nfds; i++) {
			check(fds[i] >= 3 && fds[i] < FUZZ_MAXFDS);
			for (j = 0; j < i; j++)
				check(fds[i] != fds[j]);
		}
	} else
		check(cause != NULL);
	free(cause);
	registry_free(reg);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handover_rec	 r;
	const char	*why;
	uint64_t	 gen;
	uint8_t		*copy;
	size_t		 off;
	long		 n;

	/* An exact-size copy lets ASan catch reads past the end. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);

	if (handover_decode_header(copy, size, &gen) >= 0) {
		check(size >= HANDOVER_HEADER_LEN);
		check(memcmp(copy, HANDOVER_MAGIC, 8) == 0);
		off = HANDOVER_HEADER_LEN;
	} else
		off = 0;

	while (off < size) {
		why = NULL;
		n = handover_decode(copy + off, size - off, &r, &why);
		if (n == 0)
			break;			/* a torn tail */
		if (n < 0) {
			check(why != NULL);
			break;			/* damaged: the state is refused */
		}
		check((size_t)n <= size - off);
		record(copy + off, (size_t)n, &r);
		off += (size_t)n;
		if (r.type == HANDOVER_END)
			break;
	}
	validate(copy, size);
	free(copy);
	return 0;
}
