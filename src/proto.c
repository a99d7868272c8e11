/*
 * EPMD wire codec: request framing and decoding, reply encoding.
 * Pure C: no I/O, no allocation.  Every check mirrors stock epmd
 * (erts/epmd/src/epmd_srv.c) and happens in the same order, so that the
 * caller closes or answers exactly where stock would.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define PROTO_HDRLEN		2	/* the Len field before each request */
#define PROTO_ALIVE2_FIXED	13	/* 'x', 5 fields, Nlen, Elen: 1+10+2 */
#define PROTO_ALIVE2_NAME	11	/* offset of Name in ALIVE2 payload */
#define PROTO_PORT2_FIXED	14	/* 'w', 0, 5 fields, Nlen, Elen */
#define PROTO_U16_MAX		0xffff

static uint16_t	 get16(const uint8_t *);
static void	 put16(uint8_t *, uint16_t);
static void	 put32(uint8_t *, uint32_t);
static int	 decode_alive2(const uint8_t *, size_t, struct proto_req *,
		    const char **);
static int	 decode_port2(const uint8_t *, size_t, struct proto_req *,
		    const char **);
static int	 decode_sync(const uint8_t *, size_t, struct proto_req *,
		    const char **);
static int	 decode_resolve(const uint8_t *, size_t, struct proto_req *,
		    const char **);
static int	 decode_stop(const uint8_t *, size_t, struct proto_req *,
		    const char **);
static int	 encode_line(char *, size_t, const char *, const uint8_t *,
		    size_t, const char *, size_t);

/* Read a big-endian 16-bit value. */
static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Write a big-endian 16-bit value. */
static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Write a big-endian 32-bit value. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Count UTF-8 characters; -1 on overlongs, surrogates, > U+10FFFF. */
int
proto_utf8_chars(const uint8_t *s, size_t len)
{
	size_t	 i, k, need, chars = 0;
	uint8_t	 c, lo, hi;

	for (i = 0; i < len; i += need) {
		c = s[i];
		lo = 0x80;
		hi = 0xbf;
		if (c < 0x80)
			need = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			need = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 3;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* U+D800..U+DFFF */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 4;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return -1;	/* continuation, C0, C1, F5..FF */
		if (len - i < need)
			return -1;
		if (need > 1 && (s[i + 1] < lo || s[i + 1] > hi))
			return -1;
		for (k = 2; k < need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
		if (++chars > INT_MAX)
			return -1;
	}
	return (int)chars;
}

/* ALIVE2_REQ: p[0..n) is the payload starting at 'x'. */
static int
decode_alive2(const uint8_t *p, size_t n, struct proto_req *req,
    const char **why)
{
	struct proto_node	*node = &req->node;
	size_t			 nlen, elen;
	int			 chars;

	if (n <= PROTO_ALIVE2_FIXED) {
		*why = "packet too small for request ALIVE2_REQ";
		return PROTO_ERR;
	}
	node->port = get16(p + 1);
	node->type = p[3];
	node->proto = p[4];
	node->high = get16(p + 5);
	node->low = get16(p + 7);
	nlen = get16(p + 9);
	if (nlen + PROTO_ALIVE2_FIXED > n) {
		*why = "node name size error in ALIVE2_REQ";
		return PROTO_ERR;
	}
	elen = get16(p + PROTO_ALIVE2_NAME + nlen);
	if (elen + nlen + PROTO_ALIVE2_FIXED > n) {
		*why = "extra info size error in ALIVE2_REQ";
		return PROTO_ERR;
	}
	node->name = p + PROTO_ALIVE2_NAME;
	node->namelen = nlen;
	node->extra = p + PROTO_ALIVE2_FIXED + nlen;
	node->extralen = elen;
	if (memchr(node->name, '\0', nlen) != NULL) {
		*why = "node name contains ascii 0 in ALIVE2_REQ";
		return PROTO_ERR;
	}

	/* From here on stock answers Result 1 rather than closing. */
	if (nlen > PROTO_MAXSYMLEN)
		req->refuse = "node name is too long";
	else if ((chars = proto_utf8_chars(node->name, nlen)) < 0)
		req->refuse = "invalid node name encoding";
	else if (chars > PROTO_MAXNAMECHARS)
		req->refuse = "node name is too long";
	else if (elen > PROTO_MAXSYMLEN)
		req->refuse = "extra data is too long";
	return PROTO_OK;
}

/* PORT2_REQ: 'z' then the name, one trailing NUL allowed. */
static int
decode_port2(const uint8_t *p, size_t n, struct proto_req *req,
    const char **why)
{
	size_t	 nlen = n - 1;
	int	 chars;

	if (nlen > 0 && p[n - 1] == '\0')
		nlen--;
	if (nlen == 0) {
		*why = "packet too small for request PORT2_REQ";
		return PROTO_ERR;
	}
	if (memchr(p + 1, '\0', nlen) != NULL) {
		*why = "node name contains ascii 0 in PORT2_REQ";
		return PROTO_ERR;
	}
	/*
	 * Stock validates the name together with its C terminator, so the
	 * NUL counts as a character: 255 characters are refused, 254 pass
	 * (checked against /usr/bin/epmd of OTP 25.2.3).
	 */
	chars = proto_utf8_chars(p + 1, nlen);
	if (chars < 0 || chars + 1 > PROTO_MAXNAMECHARS) {
		*why = "invalid node name in PORT2_REQ";
		return PROTO_ERR;
	}
	req->node.name = p + 1;
	req->node.namelen = nlen;
	return PROTO_OK;
}

/* STOP_REQ: 's' then a name that ends at the first NUL, if any. */
static int
decode_stop(const uint8_t *p, size_t n, struct proto_req *req,
    const char **why)
{
	const uint8_t	*nul;

	if (n <= 1) {
		*why = "packet too small for request STOP_REQ";
		return PROTO_ERR;
	}
	req->node.name = p + 1;
	if ((nul = memchr(p + 1, '\0', n - 1)) != NULL)
		req->node.namelen = (size_t)(nul - (p + 1));
	else
		req->node.namelen = n - 1;
	return PROTO_OK;
}

/* SYNC: a version byte, the dialer's random, maybe a cluster name. */
static int
decode_sync(const uint8_t *p, size_t n, struct proto_req *req,
    const char **why)
{
	if (n < 1 + PROTO_SYNC_OPEN_LEN || n > 1 + PROTO_SYNC_OPEN_MAX) {
		*why = "bad SYNC request length";
		return PROTO_ERR;
	}
	req->body = p + 1;
	req->bodylen = n - 1;
	return PROTO_OK;
}

/* RESOLVE: "name@host", no NUL. */
static int
decode_resolve(const uint8_t *p, size_t n, struct proto_req *req,
    const char **why)
{
	if (n < 4 || memchr(p + 1, 0, n - 1) != NULL ||
	    memchr(p + 1, '@', n - 1) == NULL) {
		*why = "bad RESOLVE request";
		return PROTO_ERR;
	}
	req->node.name = p + 1;
	req->node.namelen = n - 1;
	return PROTO_OK;
}

/* Decode one framed request; see proto.h for the contract. */
int
proto_decode(const uint8_t *buf, size_t len, struct proto_req *req,
    size_t *used, const char **why)
{
	const char	*reason = NULL;
	const uint8_t	*p;
	size_t		 plen, frame;
	int		 rv;

	memset(req, 0, sizeof(*req));
	if (used != NULL)
		*used = 0;
	if (why != NULL)
		*why = NULL;

	if (len < PROTO_HDRLEN)
		return PROTO_NEED_MORE;
	plen = get16(buf);
	if (plen == 0 || plen > PROTO_MAXPAYLOAD) {
		reason = "invalid packet size";
		goto fail;
	}
	frame = PROTO_HDRLEN + plen;
	if (len > frame) {
		reason = "got more bytes than the packet length";
		goto fail;
	}
	if (len < frame)
		return PROTO_NEED_MORE;

	p = buf + PROTO_HDRLEN;
	req->op = p[0];
	switch (p[0]) {
	case PROTO_ALIVE2_REQ:
		rv = decode_alive2(p, plen, req, &reason);
		break;
	case PROTO_PORT2_REQ:
		rv = decode_port2(p, plen, req, &reason);
		break;
	case PROTO_STOP_REQ:
		rv = decode_stop(p, plen, req, &reason);
		break;
	case PROTO_NAMES_REQ:
	case PROTO_DUMP_REQ:
	case PROTO_KILL_REQ:
	case PROTO_X_STATUS_REQ:
	case PROTO_X_CLUSTER_REQ:
	case PROTO_X_PEERS_REQ:
	case PROTO_X_UPGRADE_REQ:
	case PROTO_X_WATCH_REQ:
		rv = PROTO_OK;		/* only the opcode counts */
		break;
	case PROTO_X_SYNC_REQ:
		rv = decode_sync(p, plen, req, &reason);
		break;
	case PROTO_X_RESOLVE_REQ:
		rv = decode_resolve(p, plen, req, &reason);
		break;
	default:
		reason = "got garbage";
		rv = PROTO_ERR;
		break;
	}
	if (rv != PROTO_OK)
		goto fail;
	if (used != NULL)
		*used = frame;
	return PROTO_OK;

fail:
	if (why != NULL)
		*why = reason;
	return PROTO_ERR;
}

/*
 * Whether name is one ALIVE2 registers, so one the registry can hold: the
 * one check sync, the handover and the fd store journal apply.  The empty
 * name is one (stock registers it).
 */
int
proto_name_ok(const uint8_t *name, size_t len)
{
	int	 chars;

	if (len > PROTO_MAXSYMLEN || (len > 0 && memchr(name, 0, len) != NULL))
		return 0;
	chars = proto_utf8_chars(name, len);
	return chars >= 0 && chars <= PROTO_MAXNAMECHARS;
}

/* Frame a request: [Len][op][body]. */
int
proto_encode_req(uint8_t *buf, size_t size, uint8_t op, const void *body,
    size_t bodylen)
{
	if (bodylen >= PROTO_U16_MAX || size < PROTO_HDRLEN + 1 + bodylen)
		return -1;
	put16(buf, (uint16_t)(1 + bodylen));
	buf[2] = op;
	if (bodylen > 0)
		memcpy(buf + 3, body, bodylen);
	return (int)(PROTO_HDRLEN + 1 + bodylen);
}

/* Frame an ALIVE2 request carrying every field of node. */
int
proto_encode_alive2(uint8_t *buf, size_t size, const struct proto_node *node)
{
	size_t	 nlen = node->namelen, elen = node->extralen, plen;
	uint8_t	*p;

	if (nlen > PROTO_U16_MAX || elen > PROTO_U16_MAX)
		return -1;
	plen = PROTO_ALIVE2_FIXED + nlen + elen;
	if (plen > PROTO_U16_MAX || size < PROTO_HDRLEN + plen)
		return -1;
	put16(buf, (uint16_t)plen);
	p = buf + PROTO_HDRLEN;
	p[0] = PROTO_ALIVE2_REQ;
	put16(p + 1, node->port);
	p[3] = node->type;
	p[4] = node->proto;
	put16(p + 5, node->high);
	put16(p + 7, node->low);
	put16(p + 9, (uint16_t)nlen);
	if (nlen > 0)
		memcpy(p + PROTO_ALIVE2_NAME, node->name, nlen);
	put16(p + PROTO_ALIVE2_NAME + nlen, (uint16_t)elen);
	if (elen > 0)
		memcpy(p + PROTO_ALIVE2_FIXED + nlen, node->extra, elen);
	return (int)(PROTO_HDRLEN + plen);
}

/* ALIVE2 reply, 'v' (32-bit creation) for high >= 6, else 'y'. */
int
proto_encode_alive2_resp(uint8_t *buf, size_t size, uint16_t high,
    uint8_t result, uint32_t creation)
{
	if (high >= 6) {
		if (size < 6)
			return -1;
		buf[0] = PROTO_ALIVE2_X_RESP;
		buf[1] = result;
		put32(buf + 2, creation);
		return 6;
	}
	if (size < 4)
		return -1;
	buf[0] = PROTO_ALIVE2_RESP;
	buf[1] = result;
	put16(buf + 2, (uint16_t)creation);
	return 4;
}

/* PORT2 reply: the node echoed as registered, or 'w',1 for NULL. */
int
proto_encode_port2_resp(uint8_t *buf, size_t size,
    const struct proto_node *node)
{
	size_t	 nlen, elen, total;

	if (node == NULL) {
		if (size < 2)
			return -1;
		buf[0] = PROTO_PORT2_RESP;
		buf[1] = 1;
		return 2;
	}
	nlen = node->namelen;
	elen = node->extralen;
	if (nlen > PROTO_U16_MAX || elen > PROTO_U16_MAX)
		return -1;
	total = PROTO_PORT2_FIXED + nlen + elen;
	if (size < total)
		return -1;
	buf[0] = PROTO_PORT2_RESP;
	buf[1] = 0;
	put16(buf + 2, node->port);
	buf[4] = node->type;
	buf[5] = node->proto;
	put16(buf + 6, node->high);
	put16(buf + 8, node->low);
	put16(buf + 10, (uint16_t)nlen);
	if (nlen > 0)
		memcpy(buf + 12, node->name, nlen);
	put16(buf + 12 + nlen, (uint16_t)elen);
	if (elen > 0)
		memcpy(buf + PROTO_PORT2_FIXED + nlen, node->extra, elen);
	return (int)total;
}

/* The 4-byte big-endian port that starts NAMES and DUMP replies. */
int
proto_encode_port_header(uint8_t *buf, size_t size, uint32_t port)
{
	if (size < 4)
		return -1;
	put32(buf, port);
	return 4;
}

/* Write head, the raw name, then tail[0..taillen); no terminator added. */
static int
encode_line(char *buf, size_t size, const char *head, const uint8_t *name,
    size_t namelen, const char *tail, size_t taillen)
{
	size_t	 hlen = strlen(head), total;

	if (namelen > size || hlen + taillen > size - namelen)
		return -1;
	total = hlen + namelen + taillen;
	if (total > INT_MAX)
		return -1;
	memcpy(buf, head, hlen);
	if (namelen > 0)
		memcpy(buf + hlen, name, namelen);
	memcpy(buf + hlen + namelen, tail, taillen);
	return (int)total;
}

/* One NAMES line: "name %s at port %d\n", no NUL. */
int
proto_encode_names_line(char *buf, size_t size, const uint8_t *name,
    size_t namelen, unsigned int port)
{
	char	 tail[32];
	int	 n;

	n = snprintf(tail, sizeof(tail), " at port %u\n", port);
	if (n < 0 || (size_t)n >= sizeof(tail))
		return -1;
	return encode_line(buf, size, "name ", name, namelen, tail, (size_t)n);
}

/* One DUMP line including the NUL byte stock sends after it. */
int
proto_encode_dump_line(char *buf, size_t size, int active,
    const uint8_t *name, size_t namelen, unsigned int port, int fd)
{
	char	 tail[64];
	int	 n;

	if (active)
		n = snprintf(tail, sizeof(tail), "> at port %u, fd = %d\n",
		    port, fd);
	else
		n = snprintf(tail, sizeof(tail), ">, port = %u, fd = %d \n",
		    port, fd);
	if (n < 0 || (size_t)n >= sizeof(tail))
		return -1;
	/* snprintf wrote the NUL at tail[n]: send it too. */
	return encode_line(buf, size, active ? "active name     <" :
	    "old/unused name <", name, namelen, tail, (size_t)n + 1);
}

/* Decode a PORT2 reply; trailing bytes after Extra are ignored. */
int
proto_decode_port2_resp(const uint8_t *buf, size_t len, uint8_t *result,
    struct proto_node *node)
{
	struct proto_node	 n;
	size_t			 nlen, elen;

	memset(&n, 0, sizeof(n));
	if (len < 1)
		return PROTO_NEED_MORE;
	if (buf[0] != PROTO_PORT2_RESP)
		return PROTO_ERR;
	if (len < 2)
		return PROTO_NEED_MORE;
	if (buf[1] != 0)
		goto done;
	if (len < 12)
		return PROTO_NEED_MORE;
	nlen = get16(buf + 10);
	if (len < 12 + nlen + 2)
		return PROTO_NEED_MORE;
	elen = get16(buf + 12 + nlen);
	if (len < PROTO_PORT2_FIXED + nlen + elen)
		return PROTO_NEED_MORE;
	n.port = get16(buf + 2);
	n.type = buf[4];
	n.proto = buf[5];
	n.high = get16(buf + 6);
	n.low = get16(buf + 8);
	n.name = buf + 12;
	n.namelen = nlen;
	n.extra = buf + PROTO_PORT2_FIXED + nlen;
	n.extralen = elen;
done:
	if (result != NULL)
		*result = buf[1];
	if (node != NULL)
		*node = n;
	return PROTO_OK;
}

/* The bytes a whole PORT2 reply takes in buf, or 0. */
size_t
proto_port2_resp_len(const uint8_t *buf, size_t len)
{
	struct proto_node	 n;
	uint8_t			 result;

	if (proto_decode_port2_resp(buf, len, &result, &n) != PROTO_OK)
		return 0;
	if (result != 0)
		return 2;
	return PROTO_PORT2_FIXED + n.namelen + n.extralen;
}

/* A node name as one text field: control bytes, DEL, '\\' as \xHH. */
int
proto_escape_name(char *buf, size_t size, const uint8_t *name, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		if (name[i] >= 0x20 && name[i] != 0x7f && name[i] != '\\') {
			if (o + 1 >= size)
				return -1;
			buf[o++] = (char)name[i];
			continue;
		}
		if (o + 4 >= size)
			return -1;
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[name[i] >> 4];
		buf[o++] = hex[name[i] & 0xf];
	}
	if (o >= size)
		return -1;
	buf[o] = '\0';
	return (int)o;
}

/* A WATCH line: "+\tname\thost\tport..." or "-\tname\thost", then LF. */
int
proto_encode_watch_line(char *buf, size_t size, int up,
    const struct proto_node *node, const char *host, const char *addr)
{
	int	 o, n;

	if (size < 3)
		return -1;
	buf[0] = up ? '+' : '-';
	buf[1] = '\t';
	if ((o = proto_escape_name(buf + 2, size - 2, node->name,
	    node->namelen)) < 0)
		return -1;
	o += 2;
	if (up)
		n = snprintf(buf + o, size - (size_t)o,
		    "\t%s\t%u\t%u\t%u\t%u\t%u\t%s\n", host, node->port,
		    node->type, node->proto, node->high, node->low, addr);
	else
		n = snprintf(buf + o, size - (size_t)o, "\t%s\n", host);
	if (n < 0 || (size_t)n >= size - (size_t)o)
		return -1;
	return o + n;
}
