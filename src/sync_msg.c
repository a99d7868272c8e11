/* Sync message codec (pure), and the clear-text SYNC opening. */
#include <string.h>

#include "sync_msg.h"
#include "wire.h"

/* Whether c may appear in a host name. */
static int
sync_host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Whether s[0..len) may name an origin. */
int
sync_host_ok(const uint8_t *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SYNC_HOST_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!sync_host_char(s[i]))
			return 0;
	return 1;
}

/* Whether s[0..len) may be an advertise address (empty included). */
int
sync_addr_ok(const uint8_t *s, size_t len)
{
	size_t	 i;

	if (len > SYNC_HOST_MAX + 6)
		return 0;
	for (i = 0; i < len; i++)
		if (!sync_host_char(s[i]) && s[i] != ':' && s[i] != '[' &&
		    s[i] != ']' && s[i] != '%')
			return 0;
	return 1;
}

/* Encode one message. */
int
sync_msg_encode(uint8_t *buf, size_t size, const struct sync_msg *m)
{
	struct wire_w	 w = { buf, size, 0 };
	const struct proto_node *n = &m->node;

	wire_put_int(&w, m->type, 1);
	switch (m->type) {
	case SYNC_MSG_HELLO:
		wire_put_int(&w, m->proto, 1);
		wire_put_int(&w, m->incarnation, 8);
		wire_put_str(&w, m->origin, m->originlen);
		wire_put_str(&w, m->advertise, m->advertiselen);
		break;
	case SYNC_MSG_SNAP_BEGIN:
		wire_put_int(&w, m->incarnation, 8);
		wire_put_int(&w, m->version, 8);
		wire_put_int(&w, m->count, 4);
		break;
	case SYNC_MSG_ADD:
		wire_put_int(&w, m->version, 8);
		wire_put_node(&w, n);
		break;
	case SYNC_MSG_DEL:
		wire_put_int(&w, m->version, 8);
		wire_put_str(&w, n->name, n->namelen);
		break;
	case SYNC_MSG_SNAP_END:
	case SYNC_MSG_RESYNC:
		break;
	case SYNC_MSG_HEARTBEAT:
		wire_put_int(&w, m->incarnation, 8);
		wire_put_int(&w, m->version, 8);
		break;
	default:
		return -1;
	}
	return w.err ? -1 : (int)(size - w.left);
}

/* Decode one message of exactly len bytes. */
int
sync_msg_decode(const uint8_t *buf, size_t len, struct sync_msg *m,
    const char **why)
{
	struct wire_r		 r = { buf, len, 0 };
	struct proto_node	*n = &m->node;
	const char		*dummy;

	if (why == NULL)
		why = &dummy;
	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)wire_get_int(&r, 1);
	switch (m->type) {
	case SYNC_MSG_HELLO:
		m->proto = (uint8_t)wire_get_int(&r, 1);
		m->incarnation = wire_get_int(&r, 8);
		m->origin = wire_get_str(&r, &m->originlen);
		m->advertise = wire_get_str(&r, &m->advertiselen);
		if (r.err)
			break;
		if (!sync_host_ok(m->origin, m->originlen)) {
			*why = "bad origin name";
			return -1;
		}
		if (!sync_addr_ok(m->advertise, m->advertiselen)) {
			*why = "bad advertise address";
			return -1;
		}
		break;
	case SYNC_MSG_SNAP_BEGIN:
		m->incarnation = wire_get_int(&r, 8);
		m->version = wire_get_int(&r, 8);
		m->count = (uint32_t)wire_get_int(&r, 4);
		break;
	case SYNC_MSG_ADD:
		m->version = wire_get_int(&r, 8);
		wire_get_node(&r, n);
		if (r.err)
			break;
		if (!proto_name_ok(n->name, n->namelen))
			m->reject = "bad node name";
		else if (n->extralen > PROTO_MAXSYMLEN)
			m->reject = "extra too long";
		break;
	case SYNC_MSG_DEL:
		m->version = wire_get_int(&r, 8);
		n->name = wire_get_str(&r, &n->namelen);
		if (!r.err && !proto_name_ok(n->name, n->namelen))
			m->reject = "bad node name";
		break;
	case SYNC_MSG_SNAP_END:
	case SYNC_MSG_RESYNC:
		break;
	case SYNC_MSG_HEARTBEAT:
		m->incarnation = wire_get_int(&r, 8);
		m->version = wire_get_int(&r, 8);
		break;
	default:
		*why = "unknown message type";
		return -1;
	}
	if (r.err) {
		*why = "truncated message";
		return -1;
	}
	if (r.left != 0) {
		*why = "trailing bytes in message";
		return -1;
	}
	return 0;
}

/* Whether s[0..len) may name a cluster. */
int
sync_cluster_ok(const uint8_t *s, size_t len)
{
	return len <= SYNC_CLUSTER_MAX && sync_host_ok(s, len);
}

/* Encode a SYNC body: version, random, cluster unless "default". */
int
sync_open_encode(uint8_t *buf, size_t size, uint8_t version,
    const uint8_t *random, const char *cluster)
{
	size_t	 clen = strlen(cluster);

	if (strcmp(cluster, "default") == 0)
		clen = 0;
	else if (!sync_cluster_ok((const uint8_t *)cluster, clen))
		return -1;
	if (size < PROTO_SYNC_OPEN_LEN + clen)
		return -1;
	buf[0] = version;
	memcpy(buf + 1, random, SYNC_OPEN_RANDOM);
	memcpy(buf + PROTO_SYNC_OPEN_LEN, cluster, clen);
	return (int)(PROTO_SYNC_OPEN_LEN + clen);
}

/* Decode a SYNC body. */
int
sync_open_decode(const uint8_t *body, size_t len, struct sync_open *o,
    const char **why)
{
	size_t	 clen;

	memset(o, 0, sizeof(*o));
	if (len < PROTO_SYNC_OPEN_LEN || len > SYNC_OPEN_MAX) {
		*why = "bad SYNC request length";
		return -1;
	}
	o->version = body[0];
	o->random = body + 1;
	clen = len - PROTO_SYNC_OPEN_LEN;
	if (clen == 0) {
		memcpy(o->cluster, "default", sizeof("default"));
		return 0;
	}
	if (!sync_cluster_ok(body + PROTO_SYNC_OPEN_LEN, clen)) {
		*why = "bad cluster name";
		return -1;
	}
	memcpy(o->cluster, body + PROTO_SYNC_OPEN_LEN, clen);
	o->cluster[clen] = '\0';
	return 0;
}

/* Encode a refusal: magic, length, cluster name. */
int
sync_refuse_encode(uint8_t *buf, size_t size, const char *cluster)
{
	size_t	 clen = strlen(cluster);

	if (!sync_cluster_ok((const uint8_t *)cluster, clen) ||
	    size < 5 + clen)
		return -1;
	memcpy(buf, SYNC_REFUSE_MAGIC, 4);
	buf[4] = (uint8_t)clen;
	memcpy(buf + 5, cluster, clen);
	return (int)(5 + clen);
}

/* Whether the first len bytes from an acceptor are a refusal. */
int
sync_refuse_decode(const uint8_t *buf, size_t len,
    char cluster[SYNC_CLUSTER_MAX + 1])
{
	size_t	 clen, have;

	if (memcmp(buf, SYNC_REFUSE_MAGIC, len < 4 ? len : 4) != 0)
		return -1;
	if (len < 5)
		return 0;
	clen = buf[4];
	if (clen == 0 || clen > SYNC_CLUSTER_MAX)
		return -1;
	have = len - 5 < clen ? len - 5 : clen;
	if (have > 0 && !sync_host_ok(buf + 5, have))
		return -1;
	if (have < clen)
		return 0;
	memcpy(cluster, buf + 5, clen);
	cluster[clen] = '\0';
	return (int)(5 + clen);
}
