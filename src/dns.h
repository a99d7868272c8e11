/*
 * DNS message codec (RFC 1035, RFC 2782 SRV, RFC 3596 AAAA): build a
 * query, parse a response.  Pure: no I/O, no libevent, no allocation.
 * libevent's evdns cannot ask for SRV records, hence this file.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN	12	/* fixed header */
#define DNS_NAME_MAX	253	/* text form, no trailing dot */
#define DNS_WIRE_MAX	255	/* wire form of a name, RFC 1035 2.3.4 */
#define DNS_LABEL_MAX	63
#define DNS_HOPS_MAX	32	/* compression pointers followed per name */
#define DNS_MAX_RR	64	/* records one parse keeps */
#define DNS_QUERY_MAX	(DNS_HDR_LEN + DNS_WIRE_MAX + 4 + 11)
#define DNS_PORT	53

enum dns_type {
	DNS_T_A = 1,
	DNS_T_CNAME = 5,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
};

#define DNS_CLASS_IN	1

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
};

/* Header flag bits (second 16-bit word). */
#define DNS_F_QR	0x8000	/* a response */
#define DNS_F_OPCODE	0x7800
#define DNS_F_AA	0x0400
#define DNS_F_TC	0x0200	/* truncated */
#define DNS_F_RD	0x0100	/* recursion desired */
#define DNS_F_RA	0x0080
#define DNS_F_RCODE	0x000f

enum dns_section {
	DNS_S_ANSWER = 1,
	DNS_S_AUTHORITY = 2,
	DNS_S_ADDITIONAL = 3,
};

struct dns_srv {
	uint16_t	 priority;
	uint16_t	 weight;
	uint16_t	 port;
	char		 target[DNS_NAME_MAX + 1];	/* "" for "." */
};

/* One kept record: class IN, type A, AAAA or SRV. */
struct dns_rr {
	enum dns_section section;
	uint16_t	 type;
	uint32_t	 ttl;
	char		 name[DNS_NAME_MAX + 1];	/* owner, no trailing dot */
	union {
		uint8_t		 a[4];
		uint8_t		 aaaa[16];
		struct dns_srv	 srv;
	} u;
};

struct dns_resp {
	uint16_t	 id;
	uint16_t	 flags;
	int		 rcode;
	int		 truncated;	/* TC: the answer may be partial */
	int		 qdcount;	/* questions: 0 or 1 */
	char		 qname[DNS_NAME_MAX + 1];	/* the question */
	uint16_t	 qtype;
	uint16_t	 qclass;
	int		 nrr;
	int		 skipped;	/* A/AAAA/SRV not kept (limit, odd name) */
	struct dns_rr	 rr[DNS_MAX_RR];
};

/*
 * Encode a recursive query for name (dotted, trailing dot optional) and
 * qtype into buf; edns, if not 0, adds an OPT record offering that UDP
 * payload size.  Returns the length, or -1 if name is not a domain name
 * or buf is too small.
 */
int	 dns_query_encode(uint8_t *buf, size_t size, uint16_t id,
	    const char *name, uint16_t qtype, uint16_t edns);
/* Whether name can be encoded as a query name. */
int	 dns_name_valid(const char *name);
/*
 * Parse a response to query id.  0 with resp filled (rcode may be an
 * error: the caller decides), or -1 with *why set when the message is not
 * a well-formed response to id.
 */
int	 dns_parse(const uint8_t *buf, size_t len, uint16_t id,
	    struct dns_resp *resp, const char **why);
/*
 * Whether resp answers exactly the question name (any case, trailing dot
 * optional) and qtype: it repeats one question, that one, in class IN.
 */
int	 dns_resp_matches(const struct dns_resp *, const char *name,
	    uint16_t qtype);
/* Case-insensitive equality of two text names, trailing dots ignored. */
int	 dns_name_equal(const char *, const char *);
/* "A", "AAAA", "SRV", "CNAME", "OPT", or "TYPE?" for others. */
const char *dns_type_name(uint16_t);
/* A short name for an rcode ("NXDOMAIN"), or "RCODE?". */
const char *dns_rcode_name(int);

#endif /* DNS_H */
