/*
 * Unit tests for the DNS codec: exact query bytes, real responses captured
 * from dnsmasq 2.90 (A, AAAA, SRV with compression and additional records,
 * CNAME, NODATA, NXDOMAIN, REFUSED), and the rejection of truncated,
 * malformed and looping messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/* A byte string literal as (pointer, length); the literal's NUL excluded. */
#define B(s)		(const uint8_t *)(s), (sizeof(s) - 1)

/*
 * Captures: dnsmasq 2.90 on 127.0.0.1 with --local=/test/, records
 * epmd.test A 127.0.0.2 and 127.0.0.3, h6.test AAAA ::1, h1.test
 * 127.0.0.2, h2.test 127.0.0.3, _epmd._tcp.test SRV 10 5 4370 h1.test
 * and 20 5 4371 h2.test, _far._tcp.test SRV 0 0 4372 far.test,
 * alias.test CNAME epmd.test.  Each answers query id 0x1234.
 */
static const char cap_a[] =
    "\x12\x34\x85\x80\x00\x01\x00\x02\x00\x00\x00\x00"
    "\x04" "epmd" "\x04" "test" "\x00" "\x00\x01\x00\x01"
    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x02"
    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x03";

static const char cap_aaaa[] =
    "\x12\x34\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00"
    "\x02" "h6" "\x04" "test" "\x00" "\x00\x1c\x00\x01"
    "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x00\x00\x10"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01";

/* AAAA for a name with only A: NOERROR, no answer. */
static const char cap_nodata[] =
    "\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"
    "\x04" "epmd" "\x04" "test" "\x00" "\x00\x1c\x00\x01";

static const char cap_nxdomain[] =
    "\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00"
    "\x02" "nx" "\x04" "test" "\x00" "\x00\x01\x00\x01";

/* Without --local dnsmasq refuses what it cannot forward. */
static const char cap_refused[] =
    "\x12\x34\x81\x85\x00\x01\x00\x00\x00\x00\x00\x00"
    "\x02" "nx" "\x04" "test" "\x00" "\x00\x01\x00\x01";

/*
 * SRV asked with EDNS (payload 1232): two SRV answers, the additional A
 * records' owners point into the SRV targets (0x4e, 0x33), then OPT.
 */
static const char cap_srv[] =
    "\x12\x34\x85\x80\x00\x01\x00\x02\x00\x00\x00\x03"
    "\x05" "_epmd" "\x04" "_tcp" "\x04" "test" "\x00" "\x00\x21\x00\x01"
    "\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x00\x00\x0f"
    "\x00\x14\x00\x05\x11\x13" "\x02" "h2" "\x04" "test" "\x00"
    "\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x00\x00\x0f"
    "\x00\x0a\x00\x05\x11\x12" "\x02" "h1" "\x04" "test" "\x00"
    "\xc0\x4e\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x02"
    "\xc0\x33\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x03"
    "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00";

/* SRV whose target has no address here: nothing additional. */
static const char cap_srv_far[] =
    "\x12\x34\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00"
    "\x04" "_far" "\x04" "_tcp" "\x04" "test" "\x00" "\x00\x21\x00\x01"
    "\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x00\x00\x10"
    "\x00\x00\x00\x00\x11\x14" "\x03" "far" "\x04" "test" "\x00";

/* A CNAME, then the A records of its target (owner 0x28 in the CNAME). */
static const char cap_cname[] =
    "\x12\x34\x85\x80\x00\x01\x00\x03\x00\x00\x00\x00"
    "\x05" "alias" "\x04" "test" "\x00" "\x00\x01\x00\x01"
    "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x00\x00\x0b"
    "\x04" "epmd" "\x04" "test" "\x00"
    "\xc0\x28\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x02"
    "\xc0\x28\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x03";

/* A message being built by a test. */
struct mb {
	uint8_t	 b[8192];
	size_t	 n;
};

static struct dns_resp	 resp;

/* Append bytes. */
static void
mb_put(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Append a 16-bit big-endian value. */
static void
mb_16(struct mb *m, unsigned int v)
{
	uint8_t	 b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	mb_put(m, b, 2);
}

/* Append a header. */
static void
mb_hdr(struct mb *m, unsigned int id, unsigned int flags, unsigned int qd,
    unsigned int an, unsigned int ns, unsigned int ar)
{
	m->n = 0;
	mb_16(m, id);
	mb_16(m, flags);
	mb_16(m, qd);
	mb_16(m, an);
	mb_16(m, ns);
	mb_16(m, ar);
}

/* Append a record header: owner bytes already written by the caller. */
static void
mb_rrhdr(struct mb *m, unsigned int type, unsigned int class,
    unsigned int rdlen)
{
	mb_16(m, type);
	mb_16(m, class);
	mb_16(m, 0);
	mb_16(m, 60);
	mb_16(m, rdlen);
}

/* Parse buf from a heap copy of exactly len bytes (ASan sees overreads). */
static int
parse(const uint8_t *buf, size_t len, uint16_t id, const char **why)
{
	uint8_t	*copy;
	int	 r;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	r = dns_parse(copy, len, id, &resp, why);
	free(copy);
	if (r == 0) {
		assert_null(*why);
		assert_true(resp.nrr >= 0 && resp.nrr <= DNS_MAX_RR);
	} else
		assert_non_null(*why);
	return r;
}

/* Parse and expect success. */
static void
parse_ok(const uint8_t *buf, size_t len)
{
	const char	*why;

	if (parse(buf, len, 0x1234, &why) != 0)
		fail_msg("rejected: %s", why);
}

/* Parse and expect a rejection. */
static void
parse_bad(const uint8_t *buf, size_t len, uint16_t id)
{
	const char	*why;

	if (parse(buf, len, id, &why) != -1)
		fail_msg("accepted a bad message of %zu bytes", len);
}

/* A query for an A record, exactly as resolvers write it. */
static void
test_query_a(void **state)
{
	static const uint8_t want[] =
	    "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x04" "epmd" "\x04" "test" "\x00" "\x00\x01\x00\x01";
	uint8_t	 buf[DNS_QUERY_MAX];
	int	 n;

	n = dns_query_encode(buf, sizeof(buf), 0x1234, "epmd.test", DNS_T_A,
	    0);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	/* A trailing dot changes nothing. */
	n = dns_query_encode(buf, sizeof(buf), 0x1234, "epmd.test.", DNS_T_A,
	    0);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
}

/* AAAA and SRV queries, with an EDNS OPT record. */
static void
test_query_srv_edns(void **state)
{
	static const uint8_t srv[] =
	    "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
	    "\x05" "_epmd" "\x04" "_tcp" "\x07" "example" "\x03" "com" "\x00"
	    "\x00\x21\x00\x01"
	    "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00";
	static const uint8_t aaaa[] =
	    "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x01" "a" "\x00" "\x00\x1c\x00\x01";
	uint8_t	 buf[DNS_QUERY_MAX];
	int	 n;

	n = dns_query_encode(buf, sizeof(buf), 0xbeef,
	    "_epmd._tcp.example.com", DNS_T_SRV, 1232);
	assert_int_equal(n, sizeof(srv) - 1);
	assert_memory_equal(buf, srv, sizeof(srv) - 1);
	n = dns_query_encode(buf, sizeof(buf), 1, "a", DNS_T_AAAA, 0);
	assert_int_equal(n, sizeof(aaaa) - 1);
	assert_memory_equal(buf, aaaa, sizeof(aaaa) - 1);
}

/* Names that are not domain names are refused, the longest is not. */
static void
test_query_names(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "a..b", ".a", "a b", "a\tb", "\x80x",
	};
	char		 name[300], label[70];
	uint8_t		 buf[DNS_QUERY_MAX];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dns_query_encode(buf, sizeof(buf), 1, bad[i],
		    DNS_T_A, 0), -1);
		assert_false(dns_name_valid(bad[i]));
	}
	/* Labels of 63 pass, of 64 do not. */
	memset(label, 'x', 64);
	label[63] = '\0';
	assert_true(dns_name_valid(label));
	label[63] = 'x';
	label[64] = '\0';
	assert_false(dns_name_valid(label));
	/* 63.63.63.61: 253 characters, 255 bytes on the wire. */
	memset(name, 'y', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_true(dns_name_valid(name));
	n = dns_query_encode(buf, sizeof(buf), 1, name, DNS_T_A, 1232);
	assert_int_equal(n, DNS_QUERY_MAX);
	assert_int_equal(buf[DNS_HDR_LEN + 254], 0);
	/* A trailing dot does not count. */
	name[253] = '.';
	name[254] = '\0';
	assert_true(dns_name_valid(name));
	/* One more character is too long. */
	name[253] = 'y';
	assert_false(dns_name_valid(name));
}

/* Every buffer too small is refused, without writing past it. */
static void
test_query_small(void **state)
{
	uint8_t	 full[DNS_QUERY_MAX], *buf;
	int	 n, m;
	size_t	 size;

	n = dns_query_encode(full, sizeof(full), 7, "epmd.example.org",
	    DNS_T_SRV, 1232);
	assert_int_equal(n, 12 + 18 + 4 + 11);
	for (size = 0; size <= (size_t)n; size++) {
		buf = malloc(size > 0 ? size : 1);
		assert_non_null(buf);
		m = dns_query_encode(buf, size, 7, "epmd.example.org",
		    DNS_T_SRV, 1232);
		if (size < (size_t)n)
			assert_int_equal(m, -1);
		else {
			assert_int_equal(m, n);
			assert_memory_equal(buf, full, (size_t)n);
		}
		free(buf);
	}
}

/* Two A records whose owners are compression pointers. */
static void
test_parse_a(void **state)
{
	parse_ok(B(cap_a));
	assert_int_equal(resp.id, 0x1234);
	assert_int_equal(resp.rcode, DNS_R_NOERROR);
	assert_false(resp.truncated);
	assert_string_equal(resp.qname, "epmd.test");
	assert_int_equal(resp.qtype, DNS_T_A);
	assert_int_equal(resp.nrr, 2);
	assert_int_equal(resp.skipped, 0);
	assert_int_equal(resp.rr[0].section, DNS_S_ANSWER);
	assert_int_equal(resp.rr[0].type, DNS_T_A);
	assert_string_equal(resp.rr[0].name, "epmd.test");
	assert_memory_equal(resp.rr[0].u.a, "\x7f\x00\x00\x02", 4);
	assert_memory_equal(resp.rr[1].u.a, "\x7f\x00\x00\x03", 4);
}

/* An AAAA record. */
static void
test_parse_aaaa(void **state)
{
	parse_ok(B(cap_aaaa));
	assert_int_equal(resp.qtype, DNS_T_AAAA);
	assert_int_equal(resp.nrr, 1);
	assert_int_equal(resp.rr[0].type, DNS_T_AAAA);
	assert_string_equal(resp.rr[0].name, "h6.test");
	assert_memory_equal(resp.rr[0].u.aaaa,
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
}

/* NODATA, NXDOMAIN and REFUSED parse; the rcode tells them apart. */
static void
test_parse_rcodes(void **state)
{
	parse_ok(B(cap_nodata));
	assert_int_equal(resp.rcode, DNS_R_NOERROR);
	assert_int_equal(resp.nrr, 0);
	parse_ok(B(cap_nxdomain));
	assert_int_equal(resp.rcode, DNS_R_NXDOMAIN);
	assert_string_equal(resp.qname, "nx.test");
	assert_string_equal(dns_rcode_name(resp.rcode), "NXDOMAIN");
	parse_ok(B(cap_refused));
	assert_int_equal(resp.rcode, DNS_R_REFUSED);
	assert_string_equal(dns_rcode_name(DNS_R_SERVFAIL), "SERVFAIL");
	assert_string_equal(dns_rcode_name(11), "RCODE?");
}

/* SRV answers and the additional addresses of their targets. */
static void
test_parse_srv(void **state)
{
	parse_ok(B(cap_srv));
	assert_string_equal(resp.qname, "_epmd._tcp.test");
	assert_int_equal(resp.qtype, DNS_T_SRV);
	assert_int_equal(resp.nrr, 4);		/* OPT not kept */
	assert_int_equal(resp.rr[0].section, DNS_S_ANSWER);
	assert_int_equal(resp.rr[0].type, DNS_T_SRV);
	assert_string_equal(resp.rr[0].name, "_epmd._tcp.test");
	assert_int_equal(resp.rr[0].ttl, 0);
	assert_int_equal(resp.rr[0].u.srv.priority, 20);
	assert_int_equal(resp.rr[0].u.srv.weight, 5);
	assert_int_equal(resp.rr[0].u.srv.port, 4371);
	assert_string_equal(resp.rr[0].u.srv.target, "h2.test");
	assert_int_equal(resp.rr[1].u.srv.priority, 10);
	assert_int_equal(resp.rr[1].u.srv.port, 4370);
	assert_string_equal(resp.rr[1].u.srv.target, "h1.test");
	assert_int_equal(resp.rr[2].section, DNS_S_ADDITIONAL);
	assert_int_equal(resp.rr[2].type, DNS_T_A);
	assert_string_equal(resp.rr[2].name, "h1.test");
	assert_memory_equal(resp.rr[2].u.a, "\x7f\x00\x00\x02", 4);
	assert_string_equal(resp.rr[3].name, "h2.test");
	assert_memory_equal(resp.rr[3].u.a, "\x7f\x00\x00\x03", 4);
	assert_true(dns_name_equal(resp.rr[3].name, resp.rr[0].u.srv.target));

	parse_ok(B(cap_srv_far));
	assert_int_equal(resp.nrr, 1);
	assert_int_equal(resp.rr[0].u.srv.port, 4372);
	assert_string_equal(resp.rr[0].u.srv.target, "far.test");
}

/* A CNAME is skipped, the A records after it are kept. */
static void
test_parse_cname(void **state)
{
	parse_ok(B(cap_cname));
	assert_int_equal(resp.nrr, 2);
	assert_string_equal(resp.rr[0].name, "epmd.test");
	assert_string_equal(resp.rr[1].name, "epmd.test");
	assert_memory_equal(resp.rr[1].u.a, "\x7f\x00\x00\x03", 4);
}

/* Every strict prefix of every capture is refused. */
static void
test_parse_prefixes(void **state)
{
	static const struct {
		const uint8_t	*buf;
		size_t		 len;
	} caps[] = {
		{ B(cap_a) }, { B(cap_aaaa) }, { B(cap_nodata) },
		{ B(cap_nxdomain) }, { B(cap_srv) }, { B(cap_srv_far) },
		{ B(cap_cname) },
	};
	size_t	 i, k;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		parse_ok(caps[i].buf, caps[i].len);
		for (k = 0; k < caps[i].len; k++)
			parse_bad(caps[i].buf, k, 0x1234);
	}
}

/* Header checks: id, QR, opcode, more than one question. */
static void
test_parse_header(void **state)
{
	uint8_t	 m[sizeof(cap_a) - 1];

	parse_bad(B(cap_a), 0x1235);
	memcpy(m, cap_a, sizeof(m));
	m[2] &= 0x7f;			/* a query, not a response */
	parse_bad(m, sizeof(m), 0x1234);
	memcpy(m, cap_a, sizeof(m));
	m[2] |= 0x10;			/* opcode 2, STATUS */
	parse_bad(m, sizeof(m), 0x1234);
	memcpy(m, cap_a, sizeof(m));
	m[5] = 2;			/* two questions */
	parse_bad(m, sizeof(m), 0x1234);
	memcpy(m, cap_a, sizeof(m));
	m[7] = 3;			/* a third answer that is not there */
	parse_bad(m, sizeof(m), 0x1234);
	/* Bytes after the last record are ignored. */
	{
		uint8_t	 longer[sizeof(cap_a) + 3];

		memcpy(longer, cap_a, sizeof(cap_a) - 1);
		memset(longer + sizeof(cap_a) - 1, 0xff, 4);
		parse_ok(longer, sizeof(longer));
		assert_int_equal(resp.nrr, 2);
	}
}

/*
 * An answer counts only for the question it repeats: one question, the
 * same name (any case), the same type, class IN.
 */
static void
test_question_match(void **state)
{
	uint8_t		 m[sizeof(cap_a) - 1];
	struct mb	 mb;

	parse_ok(B(cap_a));
	assert_true(dns_resp_matches(&resp, "epmd.test", DNS_T_A));
	assert_true(dns_resp_matches(&resp, "EPMD.Test.", DNS_T_A));
	assert_false(dns_resp_matches(&resp, "epmd.test", DNS_T_AAAA));
	assert_false(dns_resp_matches(&resp, "epmd.tes", DNS_T_A));
	assert_false(dns_resp_matches(&resp, "x.epmd.test", DNS_T_A));
	parse_ok(B(cap_nxdomain));
	assert_true(dns_resp_matches(&resp, "nx.test", DNS_T_A));
	parse_ok(B(cap_srv));
	assert_true(dns_resp_matches(&resp, "_epmd._tcp.test", DNS_T_SRV));
	assert_false(dns_resp_matches(&resp, "_epmd._tcp.test", DNS_T_A));

	/* The same name and type in class CH (3). */
	memcpy(m, cap_a, sizeof(m));
	m[26] = 3;
	parse_ok(m, sizeof(m));
	assert_false(dns_resp_matches(&resp, "epmd.test", DNS_T_A));

	/* No question at all, even with records for the name. */
	mb_hdr(&mb, 0x1234, 0x8580, 0, 1, 0, 0);
	mb_put(&mb, "\x04" "epmd" "\x04" "test" "\x00", 11);
	mb_rrhdr(&mb, DNS_T_A, 1, 4);
	mb_put(&mb, "\x7f\0\0\x02", 4);
	parse_ok(mb.b, mb.n);
	assert_int_equal(resp.nrr, 1);
	assert_false(dns_resp_matches(&resp, "epmd.test", DNS_T_A));
	assert_false(dns_resp_matches(&resp, "", DNS_T_A));
}

/* Pointers to themselves, forwards, or to each other are refused. */
static void
test_parse_loops(void **state)
{
	struct mb	 m;

	/* The question's name points at itself. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	mb_put(&m, "\xc0\x0c", 2);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_bad(m.b, m.n, 0x1234);

	/* It points forwards, at a name that would be valid. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	mb_put(&m, "\xc0\x12", 2);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	mb_put(&m, "\x01" "a" "\x00", 3);
	parse_bad(m.b, m.n, 0x1234);

	/* A label, then a pointer back to that label: a cycle. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	mb_put(&m, "\x01" "a" "\xc0\x0c", 4);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_bad(m.b, m.n, 0x1234);

	/* Two names each pointing into the other. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "a" "\xc0\x14", 4);		/* 12: a, -> 20 */
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	mb_put(&m, "\x01" "b" "\xc0\x0c", 4);		/* 20: b, -> 12 */
	mb_rrhdr(&m, DNS_T_A, 1, 4);
	mb_put(&m, "\x7f\0\0\x02", 4);
	parse_bad(m.b, m.n, 0x1234);

	/* A pointer past the end. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	mb_put(&m, "\xff\xff", 2);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_bad(m.b, m.n, 0x1234);

	/* Reserved label types 0x40 and 0x80. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	mb_put(&m, "\x41" "a" "\x00", 3);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_bad(m.b, m.n, 0x1234);
	m.b[12] = 0x81;
	parse_bad(m.b, m.n, 0x1234);
}

/*
 * A chain of hops pointers, each to the one before, stored in the data of
 * a record we do not keep, ending at the question's name; then an A record
 * whose owner is the last pointer.
 */
static void
chain(struct mb *m, int hops)
{
	size_t	 prev = 12, at;
	int	 i;

	mb_hdr(m, 0x1234, 0x8180, 1, 2, 0, 0);
	mb_put(m, "\x01" "x" "\x00", 3);
	mb_16(m, DNS_T_A);
	mb_16(m, 1);
	mb_put(m, "\xc0\x0c", 2);
	mb_rrhdr(m, 16, 1, (unsigned int)(2 * (hops - 1)));	/* TXT */
	for (i = 0; i < hops - 1; i++) {
		at = m->n;
		mb_16(m, 0xc000 | (unsigned int)prev);
		prev = at;
	}
	mb_16(m, 0xc000 | (unsigned int)prev);
	mb_rrhdr(m, DNS_T_A, 1, 4);
	mb_put(m, "\x7f\0\0\x02", 4);
}

/* Pointer chains: DNS_HOPS_MAX hops pass, one more does not. */
static void
test_parse_hops(void **state)
{
	struct mb	 m;

	chain(&m, DNS_HOPS_MAX);
	parse_ok(m.b, m.n);
	assert_int_equal(resp.nrr, 1);
	assert_string_equal(resp.rr[0].name, "x");
	chain(&m, DNS_HOPS_MAX + 1);
	parse_bad(m.b, m.n, 0x1234);
}

/* Names of 255 bytes pass, longer ones do not, pointers or not. */
static void
test_parse_long_names(void **state)
{
	struct mb	 m;
	uint8_t		 label[64];
	int		 i;

	memset(label, 'z', sizeof(label));
	/* 63.63.63.61 in the question: 255 bytes. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		label[0] = 63;
		mb_put(&m, label, 64);
	}
	label[0] = 61;
	mb_put(&m, label, 62);
	mb_put(&m, "", 1);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_ok(m.b, m.n);
	assert_int_equal(strlen(resp.qname), DNS_NAME_MAX);

	/* 63.63.63.62: 256. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		label[0] = 63;
		mb_put(&m, label, 64);
	}
	label[0] = 62;
	mb_put(&m, label, 63);
	mb_put(&m, "", 1);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	parse_bad(m.b, m.n, 0x1234);

	/* The question 63.63.63, an owner of 63 + pointer to it: 257. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	for (i = 0; i < 3; i++) {
		label[0] = 63;
		mb_put(&m, label, 64);
	}
	mb_put(&m, "", 1);
	mb_16(&m, DNS_T_A);
	mb_16(&m, 1);
	label[0] = 63;
	mb_put(&m, label, 64);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_A, 1, 4);
	mb_put(&m, "\x7f\0\0\x02", 4);
	parse_bad(m.b, m.n, 0x1234);
}

/* Record data that lies about its length. */
static void
test_parse_rdata(void **state)
{
	struct mb	 m;

	/* A with 5 bytes of data. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "a" "\x00\x00\x01\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_A, 1, 5);
	mb_put(&m, "\x7f\0\0\x02\x00", 5);
	parse_bad(m.b, m.n, 0x1234);

	/* AAAA with 4. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "a" "\x00\x00\x1c\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_AAAA, 1, 4);
	mb_put(&m, "\x7f\0\0\x02", 4);
	parse_bad(m.b, m.n, 0x1234);

	/* Data longer than the message. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "a" "\x00\x00\x01\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, 16, 1, 200);
	mb_put(&m, "\x05hello", 6);
	parse_bad(m.b, m.n, 0x1234);

	/* SRV shorter than its fixed part. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "s" "\x00\x00\x21\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_SRV, 1, 6);
	mb_put(&m, "\x00\x01\x00\x01\x11\x12", 6);
	parse_bad(m.b, m.n, 0x1234);

	/* SRV whose target runs past the data into the next record. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 2, 0, 0);
	mb_put(&m, "\x01" "s" "\x00\x00\x21\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_SRV, 1, 8);
	mb_put(&m, "\x00\x01\x00\x01\x11\x12" "\x01" "h", 8);
	mb_put(&m, "\x00", 1);		/* would end the target */
	mb_rrhdr(&m, 16, 1, 0);
	parse_bad(m.b, m.n, 0x1234);

	/* SRV whose target ends before its data does. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 1, 0, 0);
	mb_put(&m, "\x01" "s" "\x00\x00\x21\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_SRV, 1, 9);
	mb_put(&m, "\x00\x01\x00\x01\x11\x12" "\x00" "xx", 9);
	parse_bad(m.b, m.n, 0x1234);

	/* SRV target "." (no service) and a compressed target pass. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 2, 0, 0);
	mb_put(&m, "\x01" "s" "\x00\x00\x21\x00\x01", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_SRV, 1, 7);
	mb_put(&m, "\x00\x01\x00\x01\x11\x12" "\x00", 7);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_SRV, 1, 10);
	mb_put(&m, "\x00\x01\x00\x01\x11\x13" "\x01" "h" "\xc0\x0c", 10);
	parse_ok(m.b, m.n);
	assert_int_equal(resp.nrr, 2);
	assert_string_equal(resp.rr[0].u.srv.target, "");
	assert_string_equal(resp.rr[1].u.srv.target, "h.s");
}

/* TC: a message cut at a record boundary is partial, not bad. */
static void
test_parse_truncated(void **state)
{
	uint8_t	 m[sizeof(cap_a) - 1 - 16];

	memcpy(m, cap_a, sizeof(m));	/* the second A is gone */
	parse_bad(m, sizeof(m), 0x1234);
	m[2] |= DNS_F_TC >> 8;
	parse_ok(m, sizeof(m));
	assert_true(resp.truncated);
	assert_int_equal(resp.nrr, 1);
	/* Cut inside a record, even TC does not help. */
	parse_bad(m, sizeof(m) - 1, 0x1234);
}

/* Past DNS_MAX_RR records are counted, not kept; odd names skipped. */
static void
test_parse_limits(void **state)
{
	struct mb	 m;
	int		 i;

	mb_hdr(&m, 0x1234, 0x8180, 1, DNS_MAX_RR + 6, 0, 0);
	mb_put(&m, "\x01" "a" "\x00\x00\x01\x00\x01", 7);
	for (i = 0; i < DNS_MAX_RR + 6; i++) {
		mb_put(&m, "\xc0\x0c", 2);
		mb_rrhdr(&m, DNS_T_A, 1, 4);
		mb_put(&m, "\x0a\0\0", 3);
		mb_put(&m, &(uint8_t){ (uint8_t)i }, 1);
	}
	parse_ok(m.b, m.n);
	assert_int_equal(resp.nrr, DNS_MAX_RR);
	assert_int_equal(resp.skipped, 6);
	assert_int_equal(resp.rr[DNS_MAX_RR - 1].u.a[3], DNS_MAX_RR - 1);

	/* An owner with a dot or a blank inside a label; class CH. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 4, 0, 0);
	mb_put(&m, "\x01" "a" "\x00\x00\x01\x00\x01", 7);
	mb_put(&m, "\x03" "a.b" "\x00", 5);
	mb_rrhdr(&m, DNS_T_A, 1, 4);
	mb_put(&m, "\x7f\0\0\x02", 4);
	mb_put(&m, "\x03" "a b" "\x00", 5);
	mb_rrhdr(&m, DNS_T_A, 1, 4);
	mb_put(&m, "\x7f\0\0\x03", 4);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_A, 3, 4);
	mb_put(&m, "\x7f\0\0\x04", 4);
	mb_put(&m, "\xc0\x0c", 2);
	mb_rrhdr(&m, DNS_T_A, 1, 4);
	mb_put(&m, "\x7f\0\0\x05", 4);
	parse_ok(m.b, m.n);
	assert_int_equal(resp.skipped, 2);
	assert_int_equal(resp.nrr, 1);
	assert_string_equal(resp.rr[0].name, "a");
	assert_int_equal(resp.rr[0].u.a[3], 5);
}

/* Random bytes and mutated captures: never a crash, only 0 or -1. */
static void
test_parse_garbage(void **state)
{
	static const struct {
		const uint8_t	*buf;
		size_t		 len;
	} caps[] = {
		{ B(cap_a) }, { B(cap_srv) }, { B(cap_cname) },
	};
	uint8_t		 m[512];
	const char	*why;
	size_t		 len, c;
	unsigned int	 seed = 42, i, j;

	for (i = 0; i < 20000; i++) {
		if (i % 2 == 0) {
			len = (size_t)(rand_r(&seed) % (int)sizeof(m));
			for (j = 0; j < len; j++)
				m[j] = (uint8_t)rand_r(&seed);
			if (len >= 2) {
				m[0] = 0x12;
				m[1] = 0x34;
			}
			if (len >= 3)
				m[2] |= 0x80;
		} else {
			c = (size_t)rand_r(&seed) % 3;
			len = caps[c].len;
			memcpy(m, caps[c].buf, len);
			for (j = 0; j < 1 + (unsigned int)rand_r(&seed) % 4;
			    j++)
				m[12 + (size_t)rand_r(&seed) % (len - 12)] =
				    (uint8_t)rand_r(&seed);
		}
		(void)parse(m, len, 0x1234, &why);
	}
}

/* Name comparison ignores case and a trailing dot. */
static void
test_name_equal(void **state)
{
	assert_true(dns_name_equal("H1.Test", "h1.test."));
	assert_true(dns_name_equal("", "."));
	assert_false(dns_name_equal("h1.test", "h1.tes"));
	assert_false(dns_name_equal("h1.test", "h1.test.."));
	assert_string_equal(dns_type_name(DNS_T_SRV), "SRV");
	assert_string_equal(dns_type_name(99), "TYPE?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_a),
		cmocka_unit_test(test_query_srv_edns),
		cmocka_unit_test(test_query_names),
		cmocka_unit_test(test_query_small),
		cmocka_unit_test(test_parse_a),
		cmocka_unit_test(test_parse_aaaa),
		cmocka_unit_test(test_parse_rcodes),
		cmocka_unit_test(test_parse_srv),
		cmocka_unit_test(test_parse_cname),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_question_match),
		cmocka_unit_test(test_parse_loops),
		cmocka_unit_test(test_parse_hops),
		cmocka_unit_test(test_parse_long_names),
		cmocka_unit_test(test_parse_rdata),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_name_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
