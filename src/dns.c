/*
 * DNS message codec: queries out, responses in.  Every length is checked
 * against the bytes left; compression pointers must point strictly
 * backwards (so no loop can exist) and are followed at most DNS_HOPS_MAX
 * times per name.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "wire.h"

#define DNS_PTR		0xc0	/* top bits of a compression pointer */

/* Store a 16-bit big-endian value (the caller checked the room). */
static void
dns_put16(uint8_t *p, uint16_t v)
{
	struct wire_w	 w = { p, 2, 0 };

	wire_put_int(&w, v, 2);
}

/* Load a 16-bit big-endian value (the caller checked the bytes). */
static uint16_t
dns_get16(const uint8_t *p)
{
	struct wire_r	 r = { p, 2, 0 };

	return (uint16_t)wire_get_int(&r, 2);
}

/* Load a 32-bit big-endian value (the caller checked the bytes). */
static uint32_t
dns_get32(const uint8_t *p)
{
	struct wire_r	 r = { p, 4, 0 };

	return (uint32_t)wire_get_int(&r, 4);
}

/* Whether a label byte has a plain text form (no dot, no blank). */
static int
dns_label_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.';
}

/*
 * Encode a text name into buf in wire form; returns the length, or -1 if
 * it is not a name (empty labels, a label over 63, over 255 in all, odd
 * bytes) or does not fit.  The root alone is refused: we never ask it.
 */
static int
dns_name_encode(uint8_t *buf, size_t size, const char *name)
{
	const char	*p = name, *dot;
	size_t		 off = 0, n;

	if (*p == '\0' || strcmp(p, ".") == 0)
		return -1;
	while (*p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		n = (size_t)(dot - p);
		if (n == 0 || n > DNS_LABEL_MAX)
			return -1;
		if (off + 1 + n + 1 > DNS_WIRE_MAX || off + 1 + n + 1 > size)
			return -1;
		buf[off++] = (uint8_t)n;
		for (; p < dot; p++) {
			if (!dns_label_char((uint8_t)*p))
				return -1;
			buf[off++] = (uint8_t)*p;
		}
		if (*p == '.')
			p++;
	}
	buf[off++] = 0;
	return (int)off;
}

/* Whether name can be encoded as a query name. */
int
dns_name_valid(const char *name)
{
	uint8_t	 buf[DNS_WIRE_MAX];

	return dns_name_encode(buf, sizeof(buf), name) != -1;
}

/* Encode a recursive query, with an OPT record if edns is not 0. */
int
dns_query_encode(uint8_t *buf, size_t size, uint16_t id, const char *name,
    uint16_t qtype, uint16_t edns)
{
	int	 n;
	size_t	 off;

	if (size < DNS_HDR_LEN)
		return -1;
	memset(buf, 0, DNS_HDR_LEN);
	dns_put16(buf, id);
	dns_put16(buf + 2, DNS_F_RD);
	dns_put16(buf + 4, 1);			/* QDCOUNT */
	dns_put16(buf + 10, edns != 0);		/* ARCOUNT */
	if ((n = dns_name_encode(buf + DNS_HDR_LEN, size - DNS_HDR_LEN,
	    name)) == -1)
		return -1;
	off = DNS_HDR_LEN + (size_t)n;
	if (size - off < 4)
		return -1;
	dns_put16(buf + off, qtype);
	dns_put16(buf + off + 2, DNS_CLASS_IN);
	off += 4;
	if (edns != 0) {
		/* Root owner, OPT, payload size as class, TTL 0, no data. */
		if (size - off < 11)
			return -1;
		buf[off] = 0;
		dns_put16(buf + off + 1, DNS_T_OPT);
		dns_put16(buf + off + 3, edns);
		memset(buf + off + 5, 0, 6);
		off += 11;
	}
	return (int)off;
}

/*
 * Read the name at off.  Its text form goes to out (DNS_NAME_MAX + 1
 * bytes, may be NULL); *next is set past the name where it sits.  Returns
 * 0, 1 if a label has bytes with no plain text form (out is then ""), or
 * -1 if malformed: past the end, a reserved label type, a pointer that
 * does not go strictly backwards, too many hops, over 255 bytes.
 */
static int
dns_name_read(const uint8_t *buf, size_t len, size_t off, char *out,
    size_t *next)
{
	size_t	 pos = off, limit = off, wire = 0, olen = 0, i;
	int	 hops = 0, jumped = 0, odd = 0;
	uint8_t	 c;

	for (;;) {
		if (pos >= len)
			return -1;
		c = buf[pos];
		if ((c & DNS_PTR) == DNS_PTR) {
			if (len - pos < 2)
				return -1;
			if (!jumped) {
				*next = pos + 2;
				jumped = 1;
			}
			pos = (size_t)(c & 0x3f) << 8 | buf[pos + 1];
			if (pos >= limit || ++hops > DNS_HOPS_MAX)
				return -1;
			limit = pos;
			continue;
		}
		if ((c & DNS_PTR) != 0)
			return -1;		/* 0x40, 0x80: not labels */
		pos++;
		wire += 1 + (size_t)c;
		/* A label must leave room for the terminating zero. */
		if (wire + (c != 0) > DNS_WIRE_MAX)
			return -1;
		if (c == 0)
			break;
		if (c > len - pos)
			return -1;
		if (olen > 0 && out != NULL)
			out[olen] = '.';
		olen += olen > 0;
		for (i = 0; i < c; i++) {
			if (!dns_label_char(buf[pos + i]))
				odd = 1;
			if (out != NULL)
				out[olen] = (char)buf[pos + i];
			olen++;
		}
		pos += c;
	}
	if (!jumped)
		*next = pos;
	if (out != NULL)
		out[odd ? 0 : olen] = '\0';
	return odd;
}

/* Parse one resource record at *off into resp (kept if wanted). */
static int
dns_rr_parse(const uint8_t *buf, size_t len, size_t *off,
    enum dns_section section, struct dns_resp *resp, const char **why)
{
	struct dns_rr	*rr;
	char		 name[DNS_NAME_MAX + 1], target[DNS_NAME_MAX + 1];
	size_t		 pos, rdend, tnext;
	uint16_t	 type, class, rdlen;
	uint32_t	 ttl;
	int		 odd, todd;

	if ((odd = dns_name_read(buf, len, *off, name, &pos)) == -1) {
		*why = "bad owner name";
		return -1;
	}
	if (len - pos < 10) {
		*why = "record header truncated";
		return -1;
	}
	type = dns_get16(buf + pos);
	class = dns_get16(buf + pos + 2);
	ttl = dns_get32(buf + pos + 4);
	rdlen = dns_get16(buf + pos + 8);
	pos += 10;
	if (rdlen > len - pos) {
		*why = "record data truncated";
		return -1;
	}
	rdend = pos + rdlen;
	*off = rdend;

	if (class != DNS_CLASS_IN ||
	    (type != DNS_T_A && type != DNS_T_AAAA && type != DNS_T_SRV))
		return 0;
	/* The data must be well formed even if we do not keep it. */
	if ((type == DNS_T_A && rdlen != 4) ||
	    (type == DNS_T_AAAA && rdlen != 16) ||
	    (type == DNS_T_SRV && rdlen < 7)) {
		*why = "bad record length";
		return -1;
	}
	if (type == DNS_T_SRV) {
		if ((todd = dns_name_read(buf, rdend, pos + 6, target,
		    &tnext)) == -1 || tnext != rdend) {
			*why = "bad SRV target";
			return -1;
		}
		if (odd || todd || resp->nrr >= DNS_MAX_RR) {
			resp->skipped++;
			return 0;
		}
		rr = &resp->rr[resp->nrr];
		memcpy(rr->u.srv.target, target, sizeof(target));
		rr->u.srv.priority = dns_get16(buf + pos);
		rr->u.srv.weight = dns_get16(buf + pos + 2);
		rr->u.srv.port = dns_get16(buf + pos + 4);
	} else {
		if (odd || resp->nrr >= DNS_MAX_RR) {
			resp->skipped++;
			return 0;
		}
		rr = &resp->rr[resp->nrr];
		memcpy(type == DNS_T_A ? rr->u.a : rr->u.aaaa, buf + pos,
		    rdlen);
	}
	rr->section = section;
	rr->type = type;
	rr->ttl = ttl;
	memcpy(rr->name, name, sizeof(name));
	resp->nrr++;
	return 0;
}

/* Parse a response to query id. */
int
dns_parse(const uint8_t *buf, size_t len, uint16_t id, struct dns_resp *resp,
    const char **why)
{
	uint16_t	 qd, count[3];
	size_t		 off;
	unsigned int	 i, s;
	char		 qname[DNS_NAME_MAX + 1];

	memset(resp, 0, offsetof(struct dns_resp, rr));
	*why = NULL;
	if (len < DNS_HDR_LEN) {
		*why = "shorter than a header";
		return -1;
	}
	resp->id = dns_get16(buf);
	resp->flags = dns_get16(buf + 2);
	resp->rcode = resp->flags & DNS_F_RCODE;
	resp->truncated = (resp->flags & DNS_F_TC) != 0;
	if (resp->id != id) {
		*why = "wrong id";
		return -1;
	}
	if ((resp->flags & DNS_F_QR) == 0) {
		*why = "not a response";
		return -1;
	}
	if ((resp->flags & DNS_F_OPCODE) != 0) {
		*why = "not a standard query";
		return -1;
	}
	qd = dns_get16(buf + 4);
	count[0] = dns_get16(buf + 6);
	count[1] = dns_get16(buf + 8);
	count[2] = dns_get16(buf + 10);
	if (qd > 1) {
		*why = "more than one question";
		return -1;
	}
	off = DNS_HDR_LEN;
	if (qd == 1) {
		if (dns_name_read(buf, len, off, qname, &off) == -1 ||
		    len - off < 4) {
			*why = "bad question";
			return -1;
		}
		memcpy(resp->qname, qname, sizeof(qname));
		resp->qdcount = 1;
		resp->qtype = dns_get16(buf + off);
		resp->qclass = dns_get16(buf + off + 2);
		off += 4;
	}
	for (s = 0; s < 3; s++) {
		for (i = 0; i < count[s]; i++) {
			/* A truncated answer may stop at a record boundary. */
			if (off == len && resp->truncated)
				return 0;
			if (dns_rr_parse(buf, len, &off, (enum dns_section)
			    (DNS_S_ANSWER + s), resp, why) == -1)
				return -1;
		}
	}
	return 0;
}

/* Whether resp answers exactly the question name and qtype. */
int
dns_resp_matches(const struct dns_resp *resp, const char *name,
    uint16_t qtype)
{
	return resp->qdcount == 1 && resp->qtype == qtype &&
	    resp->qclass == DNS_CLASS_IN && dns_name_equal(resp->qname, name);
}

/* Case-insensitive equality of two text names, trailing dots ignored. */
int
dns_name_equal(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* A record type's name. */
const char *
dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_SRV:
		return "SRV";
	case DNS_T_OPT:
		return "OPT";
	}
	return "TYPE?";
}

/* An rcode's name. */
const char *
dns_rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED"
	};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "RCODE?";
}
