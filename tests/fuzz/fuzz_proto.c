/*
 * libFuzzer target for the wire codec: proto_decode() on every prefix of
 * the input, the encoders on whatever decodes, and the client-side
 * proto_decode_port2_resp() on the raw input.  Any broken invariant aborts.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	    tests/fuzz/fuzz_proto.c src/proto.c -o fuzz_proto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

#define FUZZ_OUT	(2 * (PROTO_MAXPAYLOAD + PROTO_LINE_MAX))

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 same_node(const struct proto_node *,
		    const struct proto_node *);
static void	 exercise(const uint8_t *, size_t, const struct proto_req *);

static uint8_t	 out[FUZZ_OUT];

/* Compare every field of two nodes, names and Extra by content. */
static int
same_node(const struct proto_node *a, const struct proto_node *b)
{
	return a->port == b->port && a->type == b->type &&
	    a->proto == b->proto && a->high == b->high && a->low == b->low &&
	    a->namelen == b->namelen && a->extralen == b->extralen &&
	    (a->namelen == 0 || memcmp(a->name, b->name, a->namelen) == 0) &&
	    (a->extralen == 0 ||
	    memcmp(a->extra, b->extra, a->extralen) == 0);
}

/* Run the encoders on a request that decoded from buf[0..len). */
static void
exercise(const uint8_t *buf, size_t len, const struct proto_req *req)
{
	const struct proto_node	*node = &req->node;
	struct proto_node	 back;
	struct proto_req	 again;
	const char		*why;
	size_t			 used;
	uint8_t			 result;
	int			 n, r;

	check(inside(buf, len, node->name, node->namelen));
	check(inside(buf, len, node->extra, node->extralen));

	switch (req->op) {
	case PROTO_ALIVE2_REQ:
		/*
		 * Re-framed without trailing bytes it decodes the same,
		 * unless name and Extra are both empty: a bare 13-byte
		 * payload is too small for stock.
		 */
		n = proto_encode_alive2(out, sizeof(out), node);
		check(n > 0 && (size_t)n <= len);
		r = proto_decode(out, (size_t)n, &again, &used, &why);
		if (node->namelen == 0 && node->extralen == 0) {
			check(n == 15 && r == PROTO_ERR);
			goto port2;
		}
		check(r == PROTO_OK);
		check(used == (size_t)n && again.op == PROTO_ALIVE2_REQ);
		check(same_node(node, &again.node));
		check((again.refuse == NULL) == (req->refuse == NULL));

		n = proto_encode_alive2_resp(out, sizeof(out), node->high,
		    req->refuse != NULL, PROTO_ERR_CREATION);
		check(n == (node->high >= 6 ? 6 : 4));

port2:
		/* What PORT2 would echo back for it. */
		n = proto_encode_port2_resp(out, sizeof(out), node);
		check(n == (int)(14 + node->namelen + node->extralen));
		check(proto_decode_port2_resp(out, (size_t)n, &result,
		    &back) == PROTO_OK);
		check(result == 0 && same_node(node, &back));
		check(proto_decode_port2_resp(out, (size_t)n - 1, &result,
		    &back) == PROTO_NEED_MORE);
		/* FALLTHROUGH */
	case PROTO_PORT2_REQ:
	case PROTO_STOP_REQ:
		n = proto_encode_names_line((char *)out, sizeof(out),
		    node->name, node->namelen, node->port);
		check(n > 0);
		n = proto_encode_dump_line((char *)out, sizeof(out), 1,
		    node->name, node->namelen, node->port, 1023);
		check(n > 0 && out[n - 1] == '\0');
		n = proto_encode_dump_line((char *)out, sizeof(out), 0,
		    node->name, node->namelen, node->port, -1);
		check(n > 0 && out[n - 1] == '\0');
		if (node->namelen <= PROTO_MAXSYMLEN) {
			check(proto_encode_names_line((char *)out,
			    PROTO_LINE_MAX, node->name, node->namelen,
			    node->port) > 0);
			check(proto_encode_dump_line((char *)out,
			    PROTO_LINE_MAX, 0, node->name, node->namelen,
			    node->port, -2147483647 - 1) > 0);
		}
		break;
	case PROTO_X_RESOLVE_REQ:
		/* "name@host": the whole payload after the opcode, no NUL. */
		check(node->namelen == len - 3 && node->extralen == 0);
		check(memchr(node->name, '\0', node->namelen) == NULL);
		check(memchr(node->name, '@', node->namelen) != NULL);
		break;
	case PROTO_X_SYNC_REQ:
		check(node->namelen == 0 && node->extralen == 0);
		check(req->bodylen >= PROTO_SYNC_OPEN_LEN &&
		    req->bodylen <= PROTO_SYNC_OPEN_MAX &&
		    inside(buf, len, req->body, req->bodylen));
		break;
	default:
		check(node->namelen == 0 && node->extralen == 0);
		break;
	}
	check(proto_encode_req(out, sizeof(out), req->op, node->name,
	    node->namelen) == (int)(3 + node->namelen));
	n = proto_encode_port_header(out, sizeof(out), EPMD_PORT_DEFAULT);
	check(n == 4);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_node	 node;
	struct proto_req	 req;
	const char		*why;
	size_t			 k, used, frame;
	uint8_t			*copy, result;
	int			 r, settled = 0;

	for (k = 0; k <= size; k++) {
		/* An exact-size copy lets ASan catch reads past the prefix. */
		if ((copy = malloc(k > 0 ? k : 1)) == NULL)
			return 0;
		if (k > 0)
			memcpy(copy, data, k);
		r = proto_decode(copy, k, &req, &used, &why);
		switch (r) {
		case PROTO_NEED_MORE:
			/* Once settled, more bytes can only make it worse. */
			check(!settled && used == 0 && why == NULL);
			break;
		case PROTO_ERR:
			check(why != NULL && used == 0);
			settled = 1;
			break;
		case PROTO_OK:
			check(!settled && why == NULL);
			frame = 2 + (size_t)((copy[0] << 8) | copy[1]);
			check(used == k && used == frame);
			check(frame > 2 && frame <= 2 + PROTO_MAXPAYLOAD);
			check(req.op == copy[2]);
			exercise(copy, k, &req);
			settled = 1;
			break;
		default:
			check(0);
		}
		free(copy);
	}

	r = proto_utf8_chars(data, size);
	check(r >= -1 && (size_t)(r < 0 ? 0 : r) <= size);

	r = proto_decode_port2_resp(data, size, &result, &node);
	if (r == PROTO_OK) {
		check(size >= 2 && result == data[1]);
		check(inside(data, size, node.name, node.namelen));
		check(inside(data, size, node.extra, node.extralen));
	} else
		check(r == PROTO_NEED_MORE || (size > 0 && data[0] != 'w'));
	return 0;
}
