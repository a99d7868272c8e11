/* Sync message codec (pure). */
#include <string.h>

#include "sync_msg.h"

/* A bounded writer over a caller buffer. */
struct wbuf {
	uint8_t	*p;
	size_t	 left;
	int	 err;
};

/* A bounded reader. */
struct rbuf {
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

/* Append n bytes. */
static void
w_bytes(struct wbuf *w, const void *b, size_t n)
{
	if (w->err || n > w->left) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p, b, n);
	w->p += n;
	w->left -= n;
}

/* Append a big-endian integer of n bytes. */
static void
w_int(struct wbuf *w, uint64_t v, int n)
{
	uint8_t	 b[8];
	int	 i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	w_bytes(w, b, (size_t)n);
}

/* Append a 16-bit length and the bytes. */
static void
w_str(struct wbuf *w, const uint8_t *s, size_t n)
{
	if (n > UINT16_MAX) {
		w->err = 1;
		return;
	}
	w_int(w, n, 2);
	w_bytes(w, s, n);
}

/* Read a big-endian integer of n bytes. */
static uint64_t
r_int(struct rbuf *r, int n)
{
	uint64_t v = 0;
	int	 i;

	if (r->err || (size_t)n > r->left) {
		r->err = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= (size_t)n;
	return v;
}

/* Read a 16-bit length and point at the bytes. */
static const uint8_t *
r_str(struct rbuf *r, size_t *n)
{
	const uint8_t	*s;

	*n = (size_t)r_int(r, 2);
	if (r->err || *n > r->left) {
		r->err = 1;
		*n = 0;
		return NULL;
	}
	s = r->p;
	r->p += *n;
	r->left -= *n;
	return s;
}

/* Encode one message. */
int
sync_msg_encode(uint8_t *buf, size_t size, const struct sync_msg *m)
{
	struct wbuf	 w = { buf, size, 0 };
	const struct proto_node *n = &m->node;

	w_int(&w, m->type, 1);
	switch (m->type) {
	case SYNC_MSG_HELLO:
		w_int(&w, m->proto, 1);
		w_int(&w, m->incarnation, 8);
		w_str(&w, m->origin, m->originlen);
		w_str(&w, m->advertise, m->advertiselen);
		break;
	case SYNC_MSG_SNAP_BEGIN:
		w_int(&w, m->incarnation, 8);
		w_int(&w, m->version, 8);
		w_int(&w, m->count, 4);
		break;
	case SYNC_MSG_ADD:
		w_int(&w, m->version, 8);
		w_int(&w, n->port, 2);
		w_int(&w, n->type, 1);
		w_int(&w, n->proto, 1);
		w_int(&w, n->high, 2);
		w_int(&w, n->low, 2);
		w_str(&w, n->name, n->namelen);
		w_str(&w, n->extra, n->extralen);
		break;
	case SYNC_MSG_DEL:
		w_int(&w, m->version, 8);
		w_str(&w, n->name, n->namelen);
		break;
	case SYNC_MSG_SNAP_END:
	case SYNC_MSG_RESYNC:
		break;
	case SYNC_MSG_HEARTBEAT:
		w_int(&w, m->incarnation, 8);
		w_int(&w, m->version, 8);
		break;
	default:
		return -1;
	}
	return w.err ? -1 : (int)(size - w.left);
}

/* Whether a name is one ALIVE2 would register. */
static int
sync_msg_name_ok(const uint8_t *name, size_t len)
{
	int	 chars;

	if (len == 0 || len > PROTO_MAXSYMLEN || memchr(name, 0, len) != NULL)
		return 0;
	chars = proto_utf8_chars(name, len);
	return chars > 0 && chars <= PROTO_MAXNAMECHARS;
}

/* Decode one message of exactly len bytes. */
int
sync_msg_decode(const uint8_t *buf, size_t len, struct sync_msg *m,
    const char **why)
{
	struct rbuf		 r = { buf, len, 0 };
	struct proto_node	*n = &m->node;
	const char		*dummy;

	if (why == NULL)
		why = &dummy;
	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)r_int(&r, 1);
	switch (m->type) {
	case SYNC_MSG_HELLO:
		m->proto = (uint8_t)r_int(&r, 1);
		m->incarnation = r_int(&r, 8);
		m->origin = r_str(&r, &m->originlen);
		m->advertise = r_str(&r, &m->advertiselen);
		if (r.err)
			break;
		if (m->originlen == 0 || m->originlen > SYNC_HOST_MAX ||
		    memchr(m->origin, 0, m->originlen) != NULL ||
		    memchr(m->origin, '@', m->originlen) != NULL) {
			*why = "bad origin name";
			return -1;
		}
		if (m->advertiselen > SYNC_HOST_MAX + 6 ||
		    memchr(m->advertise, 0, m->advertiselen) != NULL) {
			*why = "bad advertise address";
			return -1;
		}
		break;
	case SYNC_MSG_SNAP_BEGIN:
		m->incarnation = r_int(&r, 8);
		m->version = r_int(&r, 8);
		m->count = (uint32_t)r_int(&r, 4);
		break;
	case SYNC_MSG_ADD:
		m->version = r_int(&r, 8);
		n->port = (uint16_t)r_int(&r, 2);
		n->type = (uint8_t)r_int(&r, 1);
		n->proto = (uint8_t)r_int(&r, 1);
		n->high = (uint16_t)r_int(&r, 2);
		n->low = (uint16_t)r_int(&r, 2);
		n->name = r_str(&r, &n->namelen);
		n->extra = r_str(&r, &n->extralen);
		if (r.err)
			break;
		if (!sync_msg_name_ok(n->name, n->namelen)) {
			*why = "bad node name";
			return -1;
		}
		if (n->extralen > PROTO_MAXSYMLEN) {
			*why = "extra too long";
			return -1;
		}
		break;
	case SYNC_MSG_DEL:
		m->version = r_int(&r, 8);
		n->name = r_str(&r, &n->namelen);
		if (!r.err && !sync_msg_name_ok(n->name, n->namelen)) {
			*why = "bad node name";
			return -1;
		}
		break;
	case SYNC_MSG_SNAP_END:
	case SYNC_MSG_RESYNC:
		break;
	case SYNC_MSG_HEARTBEAT:
		m->incarnation = r_int(&r, 8);
		m->version = r_int(&r, 8);
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
