/* Handover record codec (pure). */
#include <string.h>

#include "handover.h"

/* Bounded writer and reader over caller buffers. */
struct ho_w {
	uint8_t		*p;
	size_t		 left;
	int		 err;
};

struct ho_r {
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

/* CRC-32 (IEEE 802.3), a byte at a time from a table made once. */
uint32_t
ho_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	static uint32_t	 table[256];
	uint32_t	 c;
	int		 i, k;

	if (table[1] == 0) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0xedb88320U : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len-- > 0)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Append a big-endian integer of n bytes. */
static void
w_int(struct ho_w *w, uint64_t v, int n)
{
	int	 i;

	if (w->err || (size_t)n > w->left) {
		w->err = 1;
		return;
	}
	for (i = n - 1; i >= 0; i--, v >>= 8)
		w->p[i] = (uint8_t)v;
	w->p += n;
	w->left -= (size_t)n;
}

/* Append a 16-bit length and bytes. */
static void
w_str(struct ho_w *w, const uint8_t *s, size_t n)
{
	if (n > UINT16_MAX) {
		w->err = 1;
		return;
	}
	w_int(w, n, 2);
	if (w->err || n > w->left) {
		w->err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
}

/* Read a big-endian integer of n bytes. */
static uint64_t
r_int(struct ho_r *r, int n)
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
r_str(struct ho_r *r, size_t *n)
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

/* The file header. */
int
ho_encode_header(uint8_t *buf, size_t size, uint64_t generation)
{
	struct ho_w	 w = { buf + 8, size >= 8 ? size - 8 : 0, size < 8 };

	if (w.err)
		return -1;
	memcpy(buf, HO_MAGIC, 8);
	w_int(&w, HO_VERSION, 4);
	w_int(&w, generation, 8);
	return w.err ? -1 : HO_HEADER_LEN;
}

/* Check the file header. */
int
ho_decode_header(const uint8_t *buf, size_t len, uint64_t *generation)
{
	struct ho_r	 r = { buf + 8, len >= 8 ? len - 8 : 0, len < 8 };

	if (r.err || memcmp(buf, HO_MAGIC, 8) != 0)
		return -1;
	if (r_int(&r, 4) != HO_VERSION)
		return -1;
	*generation = r_int(&r, 8);
	return r.err ? -1 : 0;
}

/* A node's fields. */
static void
w_node(struct ho_w *w, const struct proto_node *n)
{
	w_int(w, n->port, 2);
	w_int(w, n->type, 1);
	w_int(w, n->proto, 1);
	w_int(w, n->high, 2);
	w_int(w, n->low, 2);
	w_str(w, n->name, n->namelen);
	w_str(w, n->extra, n->extralen);
}

/* Read a node's fields. */
static void
r_node(struct ho_r *r, struct proto_node *n)
{
	n->port = (uint16_t)r_int(r, 2);
	n->type = (uint8_t)r_int(r, 1);
	n->proto = (uint8_t)r_int(r, 1);
	n->high = (uint16_t)r_int(r, 2);
	n->low = (uint16_t)r_int(r, 2);
	n->name = r_str(r, &n->namelen);
	n->extra = r_str(r, &n->extralen);
}

/* Whether a name is one ALIVE2 would accept (refusals included: none). */
static int
ho_name_ok(const uint8_t *name, size_t len)
{
	int	 chars;

	if (len > PROTO_MAXSYMLEN || (len > 0 && memchr(name, 0, len) != NULL))
		return 0;
	if (len == 0)
		return 1;		/* stock registers an empty name */
	chars = proto_utf8_chars(name, len);
	return chars > 0 && chars <= PROTO_MAXNAMECHARS;
}

/* Encode one record: type, length, payload, CRC. */
int
ho_encode(uint8_t *buf, size_t size, const struct ho_rec *rec)
{
	struct ho_w	 w;
	size_t		 plen;
	uint32_t	 crc;

	if (size < 9)
		return -1;
	w.p = buf + 5;
	w.left = size - 9;
	w.err = 0;
	switch (rec->type) {
	case HO_META:
		w_int(&w, rec->names_port, 4);
		w_int(&w, (uint64_t)rec->started, 8);
		w_int(&w, rec->next_id, 8);
		w_int(&w, rec->incarnation, 8);
		w_int(&w, rec->version, 8);
		break;
	case HO_ADD:
		w_int(&w, rec->id, 8);
		w_int(&w, (uint32_t)rec->fd, 4);
		w_int(&w, rec->cr_counter, 4);
		w_node(&w, &rec->node);
		break;
	case HO_DEL:
		w_int(&w, rec->id, 8);
		break;
	case HO_UNREG:
		w_int(&w, rec->cr_counter, 4);
		w_int(&w, (uint32_t)rec->fd, 4);
		w_int(&w, rec->node.port, 2);
		w_str(&w, rec->node.name, rec->node.namelen);
		break;
	case HO_LISTEN:
	case HO_KEPT:
	case HO_REPLY:
		w_int(&w, (uint32_t)rec->fd, 4);
		break;
	case HO_ORIGIN:
		w_str(&w, rec->host, rec->hostlen);
		w_str(&w, rec->addr, rec->addrlen);
		w_int(&w, rec->incarnation, 8);
		w_int(&w, rec->version, 8);
		w_int(&w, (uint64_t)rec->age, 8);
		break;
	case HO_ONODE:
		w_node(&w, &rec->node);
		break;
	case HO_END:
		break;
	default:
		return -1;
	}
	if (w.err)
		return -1;
	plen = (size_t)(w.p - (buf + 5));
	if (plen > HO_RECORD_MAX)
		return -1;
	buf[0] = rec->type;
	buf[1] = (uint8_t)(plen >> 24);
	buf[2] = (uint8_t)(plen >> 16);
	buf[3] = (uint8_t)(plen >> 8);
	buf[4] = (uint8_t)plen;
	crc = ho_crc32(0, buf, 5 + plen);
	buf[5 + plen] = (uint8_t)(crc >> 24);
	buf[6 + plen] = (uint8_t)(crc >> 16);
	buf[7 + plen] = (uint8_t)(crc >> 8);
	buf[8 + plen] = (uint8_t)crc;
	return (int)(9 + plen);
}

/* Decode the record at buf; see handover.h. */
long
ho_decode(const uint8_t *buf, size_t len, struct ho_rec *rec,
    const char **why)
{
	struct ho_r	 r;
	uint32_t	 plen, crc;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	memset(rec, 0, sizeof(*rec));
	if (len < 5)
		return 0;
	plen = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
	    (uint32_t)buf[3] << 8 | buf[4];
	if (plen > HO_RECORD_MAX) {
		*why = "record too long";
		return -1;
	}
	if (len < 9 + (size_t)plen)
		return 0;
	crc = (uint32_t)buf[5 + plen] << 24 | (uint32_t)buf[6 + plen] << 16 |
	    (uint32_t)buf[7 + plen] << 8 | buf[8 + plen];
	if (ho_crc32(0, buf, 5 + plen) != crc) {
		*why = "record checksum mismatch";
		return -1;
	}
	r.p = buf + 5;
	r.left = plen;
	r.err = 0;
	rec->type = buf[0];
	switch (rec->type) {
	case HO_META:
		rec->names_port = (uint32_t)r_int(&r, 4);
		rec->started = (int64_t)r_int(&r, 8);
		rec->next_id = r_int(&r, 8);
		rec->incarnation = r_int(&r, 8);
		rec->version = r_int(&r, 8);
		if (!r.err && (rec->names_port == 0 ||
		    rec->names_port > 65535)) {
			*why = "bad port in META";
			return -1;
		}
		break;
	case HO_ADD:
		rec->id = r_int(&r, 8);
		rec->fd = (int32_t)r_int(&r, 4);
		rec->cr_counter = (uint32_t)r_int(&r, 4);
		r_node(&r, &rec->node);
		break;
	case HO_DEL:
		rec->id = r_int(&r, 8);
		break;
	case HO_UNREG:
		rec->cr_counter = (uint32_t)r_int(&r, 4);
		rec->fd = (int32_t)r_int(&r, 4);
		rec->node.port = (uint16_t)r_int(&r, 2);
		rec->node.name = r_str(&r, &rec->node.namelen);
		break;
	case HO_LISTEN:
	case HO_KEPT:
	case HO_REPLY:
		rec->fd = (int32_t)r_int(&r, 4);
		if (!r.err && rec->fd < 0) {
			*why = "negative descriptor";
			return -1;
		}
		break;
	case HO_ORIGIN:
		rec->host = r_str(&r, &rec->hostlen);
		rec->addr = r_str(&r, &rec->addrlen);
		rec->incarnation = r_int(&r, 8);
		rec->version = r_int(&r, 8);
		rec->age = (int64_t)r_int(&r, 8);
		if (!r.err && (rec->hostlen == 0 ||
		    rec->hostlen > HO_HOST_MAX ||
		    rec->addrlen > HO_HOST_MAX + 8 ||
		    memchr(rec->host, 0, rec->hostlen) != NULL ||
		    memchr(rec->addr, 0, rec->addrlen) != NULL ||
		    rec->age < 0)) {
			*why = "bad ORIGIN";
			return -1;
		}
		break;
	case HO_ONODE:
		r_node(&r, &rec->node);
		break;
	case HO_END:
		break;
	default:
		*why = "unknown record type";
		return -1;
	}
	if (r.err) {
		*why = "record shorter than its fields";
		return -1;
	}
	if (r.left != 0) {
		*why = "record longer than its fields";
		return -1;
	}
	if ((rec->type == HO_ADD || rec->type == HO_UNREG ||
	    rec->type == HO_ONODE) &&
	    (!ho_name_ok(rec->node.name, rec->node.namelen) ||
	    rec->node.extralen > PROTO_MAXSYMLEN)) {
		*why = "bad node name or extra";
		return -1;
	}
	return (long)(9 + plen);
}
