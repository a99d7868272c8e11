/* Handover record codec (pure). */
#include <string.h>

#include "handover.h"
#include "wire.h"

/* CRC-32 (IEEE 802.3), a byte at a time from a table made once. */
uint32_t
handover_crc32(uint32_t crc, const uint8_t *p, size_t len)
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

/* The file header. */
int
handover_encode_header(uint8_t *buf, size_t size, uint64_t generation)
{
	struct wire_w	 w = { buf + 8, size >= 8 ? size - 8 : 0, size < 8 };

	if (w.err)
		return -1;
	memcpy(buf, HANDOVER_MAGIC, 8);
	wire_put_int(&w, HANDOVER_VERSION, 4);
	wire_put_int(&w, generation, 8);
	return w.err ? -1 : HANDOVER_HEADER_LEN;
}

/* Check the file header. */
int
handover_decode_header(const uint8_t *buf, size_t len, uint64_t *generation)
{
	struct wire_r	 r = { buf + 8, len >= 8 ? len - 8 : 0, len < 8 };

	if (r.err || memcmp(buf, HANDOVER_MAGIC, 8) != 0)
		return -1;
	if (wire_get_int(&r, 4) != HANDOVER_VERSION)
		return -1;
	*generation = wire_get_int(&r, 8);
	return r.err ? -1 : 0;
}

/* Encode one record: type, length, payload, CRC. */
int
handover_encode(uint8_t *buf, size_t size, const struct handover_rec *rec)
{
	struct wire_w	 w, hw;
	size_t		 plen;
	uint32_t	 crc;

	if (size < 9)
		return -1;
	w.p = buf + 5;
	w.left = size - 9;
	w.err = 0;
	switch (rec->type) {
	case HANDOVER_META:
		wire_put_int(&w, rec->names_port, 4);
		wire_put_int(&w, (uint64_t)rec->started, 8);
		wire_put_int(&w, rec->next_id, 8);
		wire_put_int(&w, rec->incarnation, 8);
		wire_put_int(&w, rec->version, 8);
		break;
	case HANDOVER_ADD:
		wire_put_int(&w, rec->id, 8);
		wire_put_int(&w, (uint32_t)rec->fd, 4);
		wire_put_int(&w, rec->cr_counter, 4);
		wire_put_node(&w, &rec->node);
		break;
	case HANDOVER_DEL:
		wire_put_int(&w, rec->id, 8);
		break;
	case HANDOVER_UNREG:
		wire_put_int(&w, rec->cr_counter, 4);
		wire_put_int(&w, (uint32_t)rec->fd, 4);
		wire_put_int(&w, rec->node.port, 2);
		wire_put_str(&w, rec->node.name, rec->node.namelen);
		break;
	case HANDOVER_LISTEN:
	case HANDOVER_KEPT:
	case HANDOVER_REPLY:
		wire_put_int(&w, (uint32_t)rec->fd, 4);
		break;
	case HANDOVER_ORIGIN:
		wire_put_str(&w, rec->host, rec->hostlen);
		wire_put_str(&w, rec->addr, rec->addrlen);
		wire_put_int(&w, rec->incarnation, 8);
		wire_put_int(&w, rec->version, 8);
		wire_put_int(&w, (uint64_t)rec->age, 8);
		break;
	case HANDOVER_ONODE:
		wire_put_node(&w, &rec->node);
		break;
	case HANDOVER_END:
		break;
	default:
		return -1;
	}
	if (w.err)
		return -1;
	plen = (size_t)(w.p - (buf + 5));
	if (plen > HANDOVER_RECORD_MAX)
		return -1;
	hw.p = buf;
	hw.left = 5;
	hw.err = 0;
	wire_put_int(&hw, rec->type, 1);
	wire_put_int(&hw, plen, 4);
	crc = handover_crc32(0, buf, 5 + plen);
	w.left += 4;
	wire_put_int(&w, crc, 4);
	return w.err || hw.err ? -1 : (int)(9 + plen);
}

/* Decode the record at buf; see handover.h. */
long
handover_decode(const uint8_t *buf, size_t len, struct handover_rec *rec,
    const char **why)
{
	struct wire_r	 r;
	uint32_t	 plen, crc;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	memset(rec, 0, sizeof(*rec));
	if (len < 5)
		return 0;
	r.p = buf + 1;
	r.left = 4;
	r.err = 0;
	plen = (uint32_t)wire_get_int(&r, 4);
	if (plen > HANDOVER_RECORD_MAX) {
		*why = "record too long";
		return -1;
	}
	if (len < 9 + (size_t)plen)
		return 0;
	r.p = buf + 5 + plen;
	r.left = 4;
	crc = (uint32_t)wire_get_int(&r, 4);
	if (handover_crc32(0, buf, 5 + plen) != crc) {
		*why = "record checksum mismatch";
		return -1;
	}
	r.p = buf + 5;
	r.left = plen;
	r.err = 0;
	rec->type = buf[0];
	switch (rec->type) {
	case HANDOVER_META:
		rec->names_port = (uint32_t)wire_get_int(&r, 4);
		rec->started = (int64_t)wire_get_int(&r, 8);
		rec->next_id = wire_get_int(&r, 8);
		rec->incarnation = wire_get_int(&r, 8);
		rec->version = wire_get_int(&r, 8);
		if (!r.err && (rec->names_port == 0 ||
		    rec->names_port > 65535)) {
			*why = "bad port in META";
			return -1;
		}
		break;
	case HANDOVER_ADD:
		rec->id = wire_get_int(&r, 8);
		rec->fd = (int32_t)wire_get_int(&r, 4);
		rec->cr_counter = (uint32_t)wire_get_int(&r, 4);
		wire_get_node(&r, &rec->node);
		break;
	case HANDOVER_DEL:
		rec->id = wire_get_int(&r, 8);
		break;
	case HANDOVER_UNREG:
		rec->cr_counter = (uint32_t)wire_get_int(&r, 4);
		rec->fd = (int32_t)wire_get_int(&r, 4);
		rec->node.port = (uint16_t)wire_get_int(&r, 2);
		rec->node.name = wire_get_str(&r, &rec->node.namelen);
		break;
	case HANDOVER_LISTEN:
	case HANDOVER_KEPT:
	case HANDOVER_REPLY:
		rec->fd = (int32_t)wire_get_int(&r, 4);
		if (!r.err && rec->fd < 0) {
			*why = "negative descriptor";
			return -1;
		}
		break;
	case HANDOVER_ORIGIN:
		rec->host = wire_get_str(&r, &rec->hostlen);
		rec->addr = wire_get_str(&r, &rec->addrlen);
		rec->incarnation = wire_get_int(&r, 8);
		rec->version = wire_get_int(&r, 8);
		rec->age = (int64_t)wire_get_int(&r, 8);
		if (!r.err && (rec->hostlen == 0 ||
		    rec->hostlen > HANDOVER_HOST_MAX ||
		    rec->addrlen > HANDOVER_HOST_MAX + 8 ||
		    memchr(rec->host, 0, rec->hostlen) != NULL ||
		    memchr(rec->addr, 0, rec->addrlen) != NULL ||
		    rec->age < 0)) {
			*why = "bad ORIGIN";
			return -1;
		}
		break;
	case HANDOVER_ONODE:
		wire_get_node(&r, &rec->node);
		break;
	case HANDOVER_END:
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
	if ((rec->type == HANDOVER_ADD || rec->type == HANDOVER_UNREG ||
	    rec->type == HANDOVER_ONODE) &&
	    (!proto_name_ok(rec->node.name, rec->node.namelen) ||
	    rec->node.extralen > PROTO_MAXSYMLEN)) {
		*why = "bad node name or extra";
		return -1;
	}
	return (long)(9 + plen);
}
