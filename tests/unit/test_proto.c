/*
 * Unit tests for the wire codec: every edge case of stock epmd's request
 * handling (epmd-reference.md sections 1.0-1.8 and 8) as byte tables,
 * exact reply bytes, and encode/decode round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* A byte string literal as (pointer, length); the literal's NUL excluded. */
#define B(s)		(const uint8_t *)(s), (sizeof(s) - 1)
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ALIVE2 payload up to Nlen: 'x', port 1111, 'M', TCP, high 6, low 5. */
#define A2HEAD		"x" "\x04\x57" "M" "\x00" "\x00\x06" "\x00\x05"

#define BIG		(70 * 1024)

struct vec {
	const char	*what;
	const uint8_t	*buf;
	size_t		 len;
	int		 rv;		/* result for the whole buffer */
	size_t		 errat;		/* 1st prefix giving ERR; 0: len */
	int		 refuse;	/* ALIVE2: req.refuse must be set */
	const char	*name;		/* expected name; NULL: not checked */
};

static uint8_t	 big[BIG];
static uint8_t	 big2[BIG];

/* Decode every prefix of buf from a heap copy of exactly that size. */
static void
feed(const uint8_t *buf, size_t len, int rv, size_t errat, const char *what)
{
	struct proto_req	 req;
	const char		*why;
	uint8_t			*copy;
	size_t			 k, used;
	int			 r, want;

	for (k = 0; k <= len; k++) {
		copy = malloc(k > 0 ? k : 1);
		assert_non_null(copy);
		memcpy(copy, buf, k);
		used = 12345;
		why = "unset";
		r = proto_decode(copy, k, &req, &used, &why);
		free(copy);
		if (k == len)
			want = rv;
		else if (errat != 0 && k >= errat)
			want = PROTO_ERR;
		else
			want = PROTO_NEED_MORE;
		if (r != want)
			fail_msg("%s: prefix %zu of %zu gave %d, want %d",
			    what, k, len, r, want);
		if (r == PROTO_ERR) {
			assert_non_null(why);
			assert_int_equal(used, 0);
		} else if (r == PROTO_NEED_MORE) {
			assert_null(why);
			assert_int_equal(used, 0);
		} else {
			assert_null(why);
			assert_int_equal(used, k);
		}
	}
}

/* Decode buf whole and check it against the vector. */
static void
check_vec(const struct vec *v)
{
	struct proto_req	 req;
	const char		*why;
	size_t			 used;
	int			 r;

	feed(v->buf, v->len, v->rv, v->errat, v->what);
	r = proto_decode(v->buf, v->len, &req, &used, &why);
	if (r != v->rv)
		fail_msg("%s: got %d, want %d (%s)", v->what, r, v->rv,
		    why != NULL ? why : "-");
	if (r != PROTO_OK)
		return;
	assert_int_equal(used, v->len);
	assert_int_equal(req.op, v->buf[2]);
	if (v->refuse && req.refuse == NULL)
		fail_msg("%s: not refused", v->what);
	if (!v->refuse && req.refuse != NULL)
		fail_msg("%s: refused: %s", v->what, req.refuse);
	if (v->name != NULL) {
		if (req.node.namelen != strlen(v->name) ||
		    memcmp(req.node.name, v->name, req.node.namelen) != 0)
			fail_msg("%s: name %.*s", v->what,
			    (int)req.node.namelen,
			    (const char *)req.node.name);
	}
}

/* Run a table of vectors. */
static void
check_table(const struct vec *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		check_vec(&t[i]);
}

/* Write count copies of unit[0..ulen) to out; returns the bytes written. */
static size_t
fill(uint8_t *out, const char *unit, size_t count)
{
	size_t	 i, ulen = strlen(unit);

	for (i = 0; i < count; i++)
		memcpy(out + i * ulen, unit, ulen);
	return count * ulen;
}

/* Build an ALIVE2 frame by hand (not with the encoder); returns its size. */
static size_t
mk_alive2(uint8_t *out, uint16_t high, const uint8_t *name, size_t nlen,
    const uint8_t *extra, size_t elen, size_t trail)
{
	size_t	 plen = 13 + nlen + elen + trail;
	uint8_t	*p = out + 2;

	out[0] = (uint8_t)(plen >> 8);
	out[1] = (uint8_t)plen;
	p[0] = 'x';
	p[1] = 0x04;
	p[2] = 0x57;
	p[3] = 'M';
	p[4] = 0;
	p[5] = (uint8_t)(high >> 8);
	p[6] = (uint8_t)high;
	p[7] = 0;
	p[8] = 5;
	p[9] = (uint8_t)(nlen >> 8);
	p[10] = (uint8_t)nlen;
	memmove(p + 11, name, nlen);
	p[11 + nlen] = (uint8_t)(elen >> 8);
	p[12 + nlen] = (uint8_t)elen;
	memmove(p + 13 + nlen, extra, elen);
	memset(p + 13 + nlen + elen, 'T', trail);
	return 2 + plen;
}

/* Build a frame [Len][payload] in out; returns its size. */
static size_t
mk_frame(uint8_t *out, const uint8_t *payload, size_t plen)
{
	out[0] = (uint8_t)(plen >> 8);
	out[1] = (uint8_t)plen;
	memmove(out + 2, payload, plen);
	return 2 + plen;
}

/* Decode buf whole; returns the result and fills req. */
static int
decode(const uint8_t *buf, size_t len, struct proto_req *req)
{
	const char	*why;
	size_t		 used;

	return proto_decode(buf, len, req, &used, &why);
}

/* §1.0: Len 0, oversize Len, and the header one byte at a time. */
static void
test_framing(void **state)
{
	static const struct vec t[] = {
		{ "empty", B(""), PROTO_NEED_MORE, 0, 0, NULL },
		{ "one header byte", B("\x00"), PROTO_NEED_MORE, 0, 0, NULL },
		{ "len 1 header only", B("\x00\x01"), PROTO_NEED_MORE, 0, 0,
		    NULL },
		{ "len 5 partial", B("\x00\x05" "nab"), PROTO_NEED_MORE, 0, 0,
		    NULL },
		{ "len 0", B("\x00\x00"), PROTO_ERR, 2, 0, NULL },
		{ "len 0 then data", B("\x00\x00" "n"), PROTO_ERR, 2, 0, NULL },
		{ "len 3058", B("\x0b\xf2"), PROTO_ERR, 2, 0, NULL },
		{ "len 3058 then data", B("\x0b\xf2" "n"), PROTO_ERR, 2, 0,
		    NULL },
		{ "len 3059", B("\x0b\xf3"), PROTO_ERR, 2, 0, NULL },
		{ "len 3060", B("\x0b\xf4"), PROTO_ERR, 2, 0, NULL },
		{ "len 0x100", B("\x01\x00"), PROTO_NEED_MORE, 0, 0, NULL },
		{ "len 65535", B("\xff\xff"), PROTO_ERR, 2, 0, NULL },
		{ "len 3057 header only", B("\x0b\xf1"), PROTO_NEED_MORE, 0, 0,
		    NULL },
	};

	(void)state;
	check_table(t, NITEMS(t));
}

/* §1.0: Len 3057 is the largest frame stock answers. */
static void
test_framing_max(void **state)
{
	struct proto_req	 req;
	const char		*why;
	size_t			 n, used;

	(void)state;
	memset(big, 'n', sizeof(big));
	n = mk_frame(big, big + 2, PROTO_MAXPAYLOAD);
	assert_int_equal(n, 3059);
	assert_int_equal(proto_decode(big, n, &req, &used, &why), PROTO_OK);
	assert_int_equal(used, 3059);
	assert_int_equal(req.op, PROTO_NAMES_REQ);
	feed(big, n, PROTO_OK, 0, "len 3057 names");

	/* One more is refused as soon as the header is in. */
	n = mk_frame(big, big + 2, PROTO_MAXPAYLOAD + 1);
	assert_int_equal(proto_decode(big, 2, &req, &used, &why), PROTO_ERR);
	assert_string_equal(why, "invalid packet size");
	feed(big, n, PROTO_ERR, 2, "len 3058 names");

	/* A 3057-byte ALIVE2 with every field at its limit. */
	memset(big2, 'a', 255);
	memset(big2 + 255, 'e', PROTO_MAXSYMLEN);
	n = mk_alive2(big, 6, big2, 255, big2 + 255, PROTO_MAXSYMLEN,
	    PROTO_MAXPAYLOAD - 13 - 255 - PROTO_MAXSYMLEN);
	assert_int_equal(n, 3059);
	assert_int_equal(proto_decode(big, n, &req, &used, &why), PROTO_OK);
	assert_null(req.refuse);
	assert_int_equal(req.node.namelen, 255);
	assert_int_equal(req.node.extralen, PROTO_MAXSYMLEN);
}

/* §1.0/§8.11: more bytes than the frame (pipelining) closes silently. */
static void
test_framing_overlong(void **state)
{
	static const struct {
		const char	*what;
		const uint8_t	*buf;
		size_t		 len;
		size_t		 frame;
		int		 rv;	/* result for exactly the frame */
	} t[] = {
		{ "names plus one", B("\x00\x01" "nn"), 3, PROTO_OK },
		{ "names twice", B("\x00\x01" "n" "\x00\x01" "n"), 3,
		    PROTO_OK },
		{ "port2 plus one", B("\x00\x04" "zfoo" "\x00"), 6, PROTO_OK },
		{ "alive2 plus one",
		    B("\x00\x10" A2HEAD "\x00\x03" "foo" "\x00\x00" "X"), 18,
		    PROTO_OK },
		{ "garbage plus one", B("\x00\x01" "a" "n"), 3, PROTO_ERR },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 i, k, used;
	int			 r;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		for (k = 0; k <= t[i].len; k++) {
			r = proto_decode(t[i].buf, k, &req, &used, &why);
			if (k < t[i].frame)
				assert_int_equal(r, PROTO_NEED_MORE);
			else if (k == t[i].frame)
				assert_int_equal(r, t[i].rv);
			else {
				assert_int_equal(r, PROTO_ERR);
				assert_non_null(why);
			}
		}
	}
}

/* §1.0: unknown opcodes, including the obsolete 'a' and 'p', are garbage. */
/*
 * SYNC (201): a body of the version and random (33 bytes), and up to a
 * 64-byte cluster name after them; shorter or longer is refused.
 */
static void
test_sync_open_lengths(void **state)
{
	static const size_t	 lens[] = { 0, 32, 33, 34, 97, 98, 200 };
	uint8_t			 buf[3 + 200];
	struct proto_req	 req;
	const char		*why;
	size_t			 i, used;
	int			 want;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		buf[0] = (uint8_t)((1 + lens[i]) >> 8);
		buf[1] = (uint8_t)(1 + lens[i]);
		buf[2] = PROTO_X_SYNC_REQ;
		want = lens[i] >= PROTO_SYNC_OPEN_LEN &&
		    lens[i] <= PROTO_SYNC_OPEN_MAX ? PROTO_OK : PROTO_ERR;
		why = NULL;
		assert_int_equal(proto_decode(buf, 3 + lens[i], &req, &used,
		    &why), want);
		if (want == PROTO_OK) {
			assert_int_equal(req.bodylen, lens[i]);
			assert_ptr_equal(req.body, buf + 3);
			assert_int_equal(used, 3 + lens[i]);
		} else
			assert_string_equal(why, "bad SYNC request length");
	}
}

static void
test_unknown_opcodes(void **state)
{
	static const struct vec t[] = {
		{ "ALIVE_REQ a", B("\x00\x01" "a"), PROTO_ERR, 0, 0, NULL },
		{ "ALIVE_REQ a body", B("\x00\x05" "a" "\x04\x57" "ab"),
		    PROTO_ERR, 0, 0, NULL },
		{ "PORT_PLEASE_REQ p", B("\x00\x04" "pfoo"), PROTO_ERR, 0, 0,
		    NULL },
		{ "opcode 0", B("\x00\x01" "\x00"), PROTO_ERR, 0, 0, NULL },
		{ "opcode 255", B("\x00\x01" "\xff"), PROTO_ERR, 0, 0, NULL },
		{ "opcode 1", B("\x00\x01" "\x01"), PROTO_ERR, 0, 0, NULL },
		{ "opcode 201", B("\x00\x01" "\xc9"), PROTO_ERR, 0, 0, NULL },
		{ "opcode 199", B("\x00\x01" "\xc7"), PROTO_ERR, 0, 0, NULL },
		{ "response y", B("\x00\x04" "y" "\x00\x00\x01"), PROTO_ERR,
		    0, 0, NULL },
		{ "response v", B("\x00\x01" "v"), PROTO_ERR, 0, 0, NULL },
		{ "response w", B("\x00\x02" "w" "\x01"), PROTO_ERR, 0, 0,
		    NULL },
		{ "upper N", B("\x00\x01" "N"), PROTO_ERR, 0, 0, NULL },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 used;

	(void)state;
	check_table(t, NITEMS(t));
	assert_int_equal(proto_decode(B("\x00\x01" "a"), &req, &used, &why),
	    PROTO_ERR);
	assert_string_equal(why, "got garbage");
}

/* §1.4-1.6: NAMES, DUMP, KILL (and our status) look at the opcode only. */
static void
test_opcode_only(void **state)
{
	static const struct vec t[] = {
		{ "names", B("\x00\x01" "n"), PROTO_OK, 0, 0, NULL },
		{ "names trailing", B("\x00\x04" "nXYZ"), PROTO_OK, 0, 0,
		    NULL },
		{ "names trailing NULs", B("\x00\x03" "n" "\x00\x00"),
		    PROTO_OK, 0, 0, NULL },
		{ "dump", B("\x00\x01" "d"), PROTO_OK, 0, 0, NULL },
		{ "dump trailing", B("\x00\x03" "dxx"), PROTO_OK, 0, 0, NULL },
		{ "kill", B("\x00\x01" "k"), PROTO_OK, 0, 0, NULL },
		{ "kill trailing", B("\x00\x02" "k" "\xff"), PROTO_OK, 0, 0,
		    NULL },
		{ "x status", B("\x00\x01" "\xc8"), PROTO_OK, 0, 0, NULL },
		{ "x status trailing", B("\x00\x03" "\xc8" "ab"), PROTO_OK, 0,
		    0, NULL },
	};
	struct proto_req	 req;

	(void)state;
	check_table(t, NITEMS(t));
	assert_int_equal(decode(B("\x00\x01" "\xc8"), &req), PROTO_OK);
	assert_int_equal(req.op, PROTO_X_STATUS_REQ);
	assert_int_equal(decode(B("\x00\x01" "n"), &req), PROTO_OK);
	assert_int_equal(req.op, PROTO_NAMES_REQ);
	assert_null(req.refuse);
	assert_int_equal(req.node.namelen, 0);
}

/* §1.1: ALIVE2 decodes every field. */
static void
test_alive2_fields(void **state)
{
	static const uint8_t	 f[] = "\x00\x14" "x" "\x12\x34" "H" "\x07"
	    "\x00\x05" "\x00\x03" "\x00\x04" "b" "\xc3\xa9" "r" "\x00\x03"
	    "\x00" "e" "\x00";
	struct proto_req	 req;
	const char		*why;
	size_t			 used;

	(void)state;
	assert_int_equal(proto_decode(f, sizeof(f) - 1, &req, &used, &why),
	    PROTO_OK);
	assert_int_equal(used, sizeof(f) - 1);
	assert_null(why);
	assert_int_equal(req.op, PROTO_ALIVE2_REQ);
	assert_int_equal(req.node.port, 0x1234);
	assert_int_equal(req.node.type, 'H');
	assert_int_equal(req.node.proto, 7);
	assert_int_equal(req.node.high, 5);
	assert_int_equal(req.node.low, 3);
	assert_int_equal(req.node.namelen, 4);
	assert_ptr_equal(req.node.name, f + 13);
	assert_memory_equal(req.node.name, "b\xc3\xa9r", 4);
	assert_int_equal(req.node.extralen, 3);
	assert_ptr_equal(req.node.extra, f + 19);
	assert_memory_equal(req.node.extra, "\x00" "e" "\x00", 3);
	assert_null(req.refuse);
}

/* §1.1 checks 2-5: malformed ALIVE2 closes with no reply, in stock order. */
static void
test_alive2_malformed(void **state)
{
	static const struct vec t[] = {
		{ "x alone", B("\x00\x01" "x"), PROTO_ERR, 0, 0, NULL },
		{ "bsize 12", B("\x00\x0c" A2HEAD "\x00\x00" "\x00"),
		    PROTO_ERR, 0, 0, NULL },
		{ "bsize 13, Nlen 0", B("\x00\x0d" A2HEAD "\x00\x00"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "bsize 13, Nlen huge", B("\x00\x0d" A2HEAD "\xff\xff"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "Nlen one too many", B("\x00\x10" A2HEAD "\x00\x04" "foo"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "Nlen 65535", B("\x00\x10" A2HEAD "\xff\xff" "foo"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "Nlen eats Elen", B("\x00\x10" A2HEAD "\x00\x05" "foo"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "Elen 1, none sent", B("\x00\x10" A2HEAD "\x00\x03" "foo"
		    "\x00\x01"), PROTO_ERR, 0, 0, NULL },
		{ "Elen 2, one sent", B("\x00\x11" A2HEAD "\x00\x03" "foo"
		    "\x00\x02" "E"), PROTO_ERR, 0, 0, NULL },
		{ "Elen 65535", B("\x00\x11" A2HEAD "\x00\x03" "foo"
		    "\xff\xff" "E"), PROTO_ERR, 0, 0, NULL },
		{ "NUL inside name", B("\x00\x10" A2HEAD "\x00\x03" "f"
		    "\x00" "o" "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "NUL first", B("\x00\x10" A2HEAD "\x00\x03" "\x00" "oo"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "trailing NUL in Nlen", B("\x00\x11" A2HEAD "\x00\x04" "foo"
		    "\x00" "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "name is one NUL", B("\x00\x0e" A2HEAD "\x00\x01" "\x00"
		    "\x00\x00"), PROTO_ERR, 0, 0, NULL },
		{ "NUL and bad UTF-8", B("\x00\x10" A2HEAD "\x00\x03" "\xc0"
		    "\x00" "o" "\x00\x00"), PROTO_ERR, 0, 0, NULL },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 used;

	(void)state;
	check_table(t, NITEMS(t));

	/* The reasons follow stock's order of checks. */
	assert_int_equal(proto_decode(B("\x00\x0d" A2HEAD "\xff\xff"
	    "\x00\x00"), &req, &used, &why), PROTO_ERR);
	assert_string_equal(why, "packet too small for request ALIVE2_REQ");
	assert_int_equal(proto_decode(B("\x00\x10" A2HEAD "\x00\x04" "foo"
	    "\x00\x00"), &req, &used, &why), PROTO_ERR);
	assert_string_equal(why, "node name size error in ALIVE2_REQ");
	assert_int_equal(proto_decode(B("\x00\x10" A2HEAD "\x00\x03" "f"
	    "\x00" "o" "\x00\x01"), &req, &used, &why), PROTO_ERR);
	assert_string_equal(why, "extra info size error in ALIVE2_REQ");
	assert_int_equal(proto_decode(B("\x00\x11" A2HEAD "\x00\x04" "foo"
	    "\x00" "\x00\x00"), &req, &used, &why), PROTO_ERR);
	assert_string_equal(why, "node name contains ascii 0 in ALIVE2_REQ");
}

/* §1.1: well-formed ALIVE2 quirks: Nlen 0, trailing bytes, NULs in Extra. */
static void
test_alive2_accepted(void **state)
{
	static const struct vec t[] = {
		{ "foo", B("\x00\x10" A2HEAD "\x00\x03" "foo" "\x00\x00"),
		    PROTO_OK, 0, 0, "foo" },
		{ "one-char name", B("\x00\x0e" A2HEAD "\x00\x01" "a"
		    "\x00\x00"), PROTO_OK, 0, 0, "a" },
		{ "Nlen 0, one Extra byte", B("\x00\x0e" A2HEAD "\x00\x00"
		    "\x00\x01" "E"), PROTO_OK, 0, 0, "" },
		{ "Nlen 0, one trailing byte", B("\x00\x0e" A2HEAD "\x00\x00"
		    "\x00\x00" "T"), PROTO_OK, 0, 0, "" },
		{ "bytes after Extra", B("\x00\x13" A2HEAD "\x00\x03" "foo"
		    "\x00\x00" "XYZ"), PROTO_OK, 0, 0, "foo" },
		{ "bytes after non-empty Extra", B("\x00\x14" A2HEAD "\x00\x03"
		    "foo" "\x00\x01" "E" "\x00\x00\x00"), PROTO_OK, 0, 0,
		    "foo" },
		{ "Extra of NULs", B("\x00\x13" A2HEAD "\x00\x03" "foo"
		    "\x00\x03" "\x00\x01\x00"), PROTO_OK, 0, 0, "foo" },
		{ "UTF-8 name", B("\x00\x16" A2HEAD "\x00\x09" "\xc3\xa9"
		    "\xe2\x82\xac" "\xf0\x9f\x98\x80" "\x00\x00"), PROTO_OK,
		    0, 0, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "U+10FFFF", B("\x00\x11" A2HEAD "\x00\x04"
		    "\xf4\x8f\xbf\xbf" "\x00\x00"), PROTO_OK, 0, 0,
		    "\xf4\x8f\xbf\xbf" },
		{ "U+D7FF", B("\x00\x10" A2HEAD "\x00\x03" "\xed\x9f\xbf"
		    "\x00\x00"), PROTO_OK, 0, 0, "\xed\x9f\xbf" },
		{ "high 5", B("\x00\x10" "x" "\x04\x57" "M" "\x00" "\x00\x05"
		    "\x00\x05" "\x00\x03" "foo" "\x00\x00"), PROTO_OK, 0, 0,
		    "foo" },
		{ "hidden", B("\x00\x10" "x" "\x04\x57" "H" "\x00" "\x00\x06"
		    "\x00\x05" "\x00\x03" "foo" "\x00\x00"), PROTO_OK, 0, 0,
		    "foo" },
		{ "odd type and proto", B("\x00\x10" "x" "\x00\x00" "\xff"
		    "\xff" "\xff\xff" "\xff\xff" "\x00\x03" "foo" "\x00\x00"),
		    PROTO_OK, 0, 0, "foo" },
	};
	struct proto_req	 req;

	(void)state;
	check_table(t, NITEMS(t));

	assert_int_equal(decode(B("\x00\x13" A2HEAD "\x00\x03" "foo"
	    "\x00\x00" "XYZ"), &req), PROTO_OK);
	assert_int_equal(req.node.extralen, 0);
	assert_int_equal(decode(B("\x00\x0e" A2HEAD "\x00\x00" "\x00\x01"
	    "E"), &req), PROTO_OK);
	assert_non_null(req.node.name);
	assert_int_equal(req.node.extralen, 1);
	assert_memory_equal(req.node.extra, "E", 1);
}

/* §1.1 check 6: bad UTF-8 names get an error reply, not a close. */
static void
test_alive2_bad_utf8(void **state)
{
	static const struct vec t[] = {
		{ "overlong 2", B("\x00\x0f" A2HEAD "\x00\x02" "\xc0\xaf"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "overlong 2 C1", B("\x00\x0f" A2HEAD "\x00\x02" "\xc1\xbf"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "overlong 3", B("\x00\x10" A2HEAD "\x00\x03" "\xe0\x80\xaf"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "overlong 3 max", B("\x00\x10" A2HEAD "\x00\x03"
		    "\xe0\x9f\xbf" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "overlong 4", B("\x00\x11" A2HEAD "\x00\x04"
		    "\xf0\x80\x80\xaf" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "overlong 4 max", B("\x00\x11" A2HEAD "\x00\x04"
		    "\xf0\x8f\xbf\xbf" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "surrogate D800", B("\x00\x10" A2HEAD "\x00\x03"
		    "\xed\xa0\x80" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "surrogate DFFF", B("\x00\x10" A2HEAD "\x00\x03"
		    "\xed\xbf\xbf" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "U+110000", B("\x00\x11" A2HEAD "\x00\x04" "\xf4\x90\x80\x80"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "F5 lead", B("\x00\x11" A2HEAD "\x00\x04" "\xf5\x80\x80\x80"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "FF", B("\x00\x0e" A2HEAD "\x00\x01" "\xff" "\x00\x00"),
		    PROTO_OK, 0, 1, NULL },
		{ "lone continuation", B("\x00\x0e" A2HEAD "\x00\x01" "\x80"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated 2", B("\x00\x0e" A2HEAD "\x00\x01" "\xc3"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated 2 at end", B("\x00\x10" A2HEAD "\x00\x03" "fo"
		    "\xc3" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated 3", B("\x00\x0f" A2HEAD "\x00\x02" "\xe2\x82"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated 4", B("\x00\x10" A2HEAD "\x00\x03" "\xf0\x9f\x98"
		    "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated before ASCII", B("\x00\x0f" A2HEAD "\x00\x02"
		    "\xc3" "a" "\x00\x00"), PROTO_OK, 0, 1, NULL },
		{ "truncated, Extra follows", B("\x00\x0f" A2HEAD "\x00\x01"
		    "\xc3" "\x00\x01" "\xa9"), PROTO_OK, 0, 1, NULL },
	};
	struct proto_req	 req;

	(void)state;
	check_table(t, NITEMS(t));
	assert_int_equal(decode(B("\x00\x0f" A2HEAD "\x00\x02" "\xc0\xaf"
	    "\x00\x00"), &req), PROTO_OK);
	assert_string_equal(req.refuse, "invalid node name encoding");
	/* The fields are still decoded for the log. */
	assert_int_equal(req.node.namelen, 2);
	assert_int_equal(req.node.high, 6);
}

/* §1.1 check 6 and §8.18: name and Extra length limits. */
static void
test_alive2_limits(void **state)
{
	static const struct {
		const char	*what;
		const char	*unit;	/* the name is count units */
		size_t		 count;
		size_t		 elen;
		int		 nul;	/* overwrite the last name byte */
		int		 rv;
		const char	*refuse; /* NULL: accepted */
	} t[] = {
		{ "255 ASCII", "a", 255, 0, 0, PROTO_OK, NULL },
		{ "256 ASCII", "a", 256, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "1020 ASCII", "a", 1020, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "1021 ASCII", "a", 1021, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "2000 ASCII", "a", 2000, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "255 two-byte", "\xc3\xa9", 255, 0, 0, PROTO_OK, NULL },
		{ "256 two-byte", "\xc3\xa9", 256, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "255 three-byte", "\xe2\x82\xac", 255, 0, 0, PROTO_OK,
		    NULL },
		{ "255 four-byte (1020 bytes)", "\xf0\x9f\x98\x80", 255, 0, 0,
		    PROTO_OK, NULL },
		{ "256 four-byte (1024 bytes)", "\xf0\x9f\x98\x80", 256, 0, 0,
		    PROTO_OK, "node name is too long" },
		{ "Extra 1020", "foo", 1, 1020, 0, PROTO_OK, NULL },
		{ "Extra 1021", "foo", 1, 1021, 0, PROTO_OK,
		    "extra data is too long" },
		{ "Extra 2000", "foo", 1, 2000, 0, PROTO_OK,
		    "extra data is too long" },
		{ "name and Extra too long", "a", 1021, 1021, 0, PROTO_OK,
		    "node name is too long" },
		{ "bad UTF-8 and Extra 1021", "\xc0\xaf", 1, 1021, 0, PROTO_OK,
		    "invalid node name encoding" },
		{ "300 ASCII", "a", 300, 0, 0, PROTO_OK,
		    "node name is too long" },
		{ "1021 bytes ending in NUL", "a", 1021, 0, 1, PROTO_ERR,
		    NULL },
		{ "1021 bytes, NUL, Extra 1021", "a", 1021, 1021, 1, PROTO_ERR,
		    NULL },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 i, n, nlen, used;
	int			 r;

	(void)state;
	memset(big2 + 4096, 0, 4096);	/* Extra: all NULs */
	for (i = 0; i < NITEMS(t); i++) {
		nlen = fill(big2, t[i].unit, t[i].count);
		if (t[i].nul)
			big2[nlen - 1] = '\0';
		n = mk_alive2(big, 6, big2, nlen, big2 + 4096, t[i].elen, 0);
		r = proto_decode(big, n, &req, &used, &why);
		if (r != t[i].rv)
			fail_msg("%s: got %d, want %d", t[i].what, r,
			    t[i].rv);
		if (r != PROTO_OK)
			continue;
		assert_int_equal(req.node.namelen, nlen);
		assert_int_equal(req.node.extralen, t[i].elen);
		if (t[i].refuse == NULL && req.refuse != NULL)
			fail_msg("%s: refused: %s", t[i].what, req.refuse);
		if (t[i].refuse != NULL && (req.refuse == NULL ||
		    strcmp(req.refuse, t[i].refuse) != 0))
			fail_msg("%s: refuse %s, want %s", t[i].what,
			    req.refuse != NULL ? req.refuse : "NULL",
			    t[i].refuse);
		feed(big, n, t[i].rv, 0, t[i].what);
	}
}

/* §1.3: PORT2 request names. */
static void
test_port2(void **state)
{
	static const struct vec t[] = {
		{ "foo", B("\x00\x04" "zfoo"), PROTO_OK, 0, 0, "foo" },
		{ "foo NUL", B("\x00\x05" "zfoo" "\x00"), PROTO_OK, 0, 0,
		    "foo" },
		{ "one char", B("\x00\x02" "za"), PROTO_OK, 0, 0, "a" },
		{ "case kept", B("\x00\x04" "zFoO"), PROTO_OK, 0, 0, "FoO" },
		{ "UTF-8", B("\x00\x0a" "z" "\xc3\xa9" "\xe2\x82\xac"
		    "\xf0\x9f\x98\x80"), PROTO_OK, 0, 0,
		    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "U+10FFFF NUL", B("\x00\x06" "z" "\xf4\x8f\xbf\xbf" "\x00"),
		    PROTO_OK, 0, 0, "\xf4\x8f\xbf\xbf" },
		{ "z alone", B("\x00\x01" "z"), PROTO_ERR, 0, 0, NULL },
		{ "only NUL", B("\x00\x02" "z" "\x00"), PROTO_ERR, 0, 0,
		    NULL },
		{ "two NULs", B("\x00\x03" "z" "\x00\x00"), PROTO_ERR, 0, 0,
		    NULL },
		{ "foo two NULs", B("\x00\x06" "zfoo" "\x00\x00"), PROTO_ERR,
		    0, 0, NULL },
		{ "embedded NUL", B("\x00\x05" "zf" "\x00" "oo"), PROTO_ERR,
		    0, 0, NULL },
		{ "leading NUL", B("\x00\x05" "z" "\x00" "foo"), PROTO_ERR,
		    0, 0, NULL },
		{ "overlong", B("\x00\x03" "z" "\xc0\xaf"), PROTO_ERR, 0, 0,
		    NULL },
		{ "overlong 3", B("\x00\x04" "z" "\xe0\x80\xaf"), PROTO_ERR,
		    0, 0, NULL },
		{ "surrogate", B("\x00\x04" "z" "\xed\xa0\x80"), PROTO_ERR,
		    0, 0, NULL },
		{ "above U+10FFFF", B("\x00\x05" "z" "\xf4\x90\x80\x80"),
		    PROTO_ERR, 0, 0, NULL },
		{ "truncated", B("\x00\x02" "z" "\xc3"), PROTO_ERR, 0, 0,
		    NULL },
		{ "truncated NUL", B("\x00\x03" "z" "\xc3" "\x00"), PROTO_ERR,
		    0, 0, NULL },
		{ "truncated 4", B("\x00\x05" "zab" "\xf0\x9f"), PROTO_ERR,
		    0, 0, NULL },
		{ "lone continuation", B("\x00\x02" "z" "\x80"), PROTO_ERR,
		    0, 0, NULL },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 used;

	(void)state;
	check_table(t, NITEMS(t));
	assert_int_equal(proto_decode(B("\x00\x05" "zfoo" "\x00"), &req,
	    &used, &why), PROTO_OK);
	assert_int_equal(req.op, PROTO_PORT2_REQ);
	assert_int_equal(req.node.namelen, 3);
	assert_null(req.refuse);
	assert_int_equal(used, 7);
	assert_int_equal(proto_decode(B("\x00\x01" "z"), &req, &used, &why),
	    PROTO_ERR);
	assert_string_equal(why, "packet too small for request PORT2_REQ");
	assert_int_equal(proto_decode(B("\x00\x05" "zf" "\x00" "oo"), &req,
	    &used, &why), PROTO_ERR);
	assert_string_equal(why, "node name contains ascii 0 in PORT2_REQ");
	assert_int_equal(proto_decode(B("\x00\x02" "z" "\xc3"), &req, &used,
	    &why), PROTO_ERR);
	assert_string_equal(why, "invalid node name in PORT2_REQ");
}

/*
 * §1.3: the PORT2 character limit.  Stock validates the name with its C
 * terminator, so the NUL counts: 254 characters pass and 255 are closed
 * (checked against /usr/bin/epmd of OTP 25.2.3: a 255-char name that
 * ALIVE2 registered cannot be looked up).
 */
static void
test_port2_limits(void **state)
{
	static const struct {
		const char	*unit;
		size_t		 count;
		int		 nul;	/* append the optional NUL */
		int		 rv;
	} t[] = {
		{ "a", 254, 0, PROTO_OK },
		{ "a", 254, 1, PROTO_OK },
		{ "a", 255, 0, PROTO_ERR },
		{ "a", 255, 1, PROTO_ERR },
		{ "a", 256, 0, PROTO_ERR },
		{ "\xc3\xa9", 254, 0, PROTO_OK },
		{ "\xc3\xa9", 255, 0, PROTO_ERR },
		{ "\xe2\x82\xac", 254, 1, PROTO_OK },
		{ "\xf0\x9f\x98\x80", 254, 0, PROTO_OK },
		{ "\xf0\x9f\x98\x80", 254, 1, PROTO_OK },
		{ "\xf0\x9f\x98\x80", 255, 1, PROTO_ERR },
		{ "a", 3056, 0, PROTO_ERR },
		{ "a", 3055, 1, PROTO_ERR },
	};
	struct proto_req	 req;
	size_t			 i, n, nlen;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		big2[0] = 'z';
		nlen = fill(big2 + 1, t[i].unit, t[i].count);
		if (t[i].nul)
			big2[1 + nlen] = '\0';
		n = mk_frame(big, big2, 1 + nlen + (t[i].nul ? 1 : 0));
		if (decode(big, n, &req) != t[i].rv)
			fail_msg("%zu x %zu bytes%s: want %d", t[i].count,
			    strlen(t[i].unit), t[i].nul ? " + NUL" : "",
			    t[i].rv);
		if (t[i].rv == PROTO_OK) {
			assert_int_equal(req.node.namelen, nlen);
			assert_ptr_equal(req.node.name, big + 3);
		}
		feed(big, n, t[i].rv, 0, "port2 limits");
	}
}

/* §1.7: STOP needs a byte after 's'; its name ends at the first NUL. */
static void
test_stop(void **state)
{
	static const struct vec t[] = {
		{ "s alone", B("\x00\x01" "s"), PROTO_ERR, 0, 0, NULL },
		{ "s NUL", B("\x00\x02" "s" "\x00"), PROTO_OK, 0, 0, "" },
		{ "foo", B("\x00\x04" "sfoo"), PROTO_OK, 0, 0, "foo" },
		{ "foo NUL", B("\x00\x05" "sfoo" "\x00"), PROTO_OK, 0, 0,
		    "foo" },
		{ "foo NUL bar", B("\x00\x08" "sfoo" "\x00" "bar"), PROTO_OK,
		    0, 0, "foo" },
		{ "NUL foo", B("\x00\x05" "s" "\x00" "foo"), PROTO_OK, 0, 0,
		    "" },
		{ "no UTF-8 check", B("\x00\x04" "s" "\xc0\xaf" "x"),
		    PROTO_OK, 0, 0, "\xc0\xaf" "x" },
	};
	struct proto_req	 req;
	const char		*why;
	size_t			 used;

	(void)state;
	check_table(t, NITEMS(t));
	assert_int_equal(proto_decode(B("\x00\x01" "s"), &req, &used, &why),
	    PROTO_ERR);
	assert_string_equal(why, "packet too small for request STOP_REQ");
	assert_int_equal(decode(B("\x00\x04" "sfoo"), &req), PROTO_OK);
	assert_int_equal(req.op, PROTO_STOP_REQ);
}

/* proto_decode() accepts NULL for used and why. */
static void
test_decode_null_outputs(void **state)
{
	struct proto_req	 req;

	(void)state;
	assert_int_equal(proto_decode(B("\x00\x01" "n"), &req, NULL, NULL),
	    PROTO_OK);
	assert_int_equal(proto_decode(B("\x00\x00"), &req, NULL, NULL),
	    PROTO_ERR);
	assert_int_equal(proto_decode(B("\x00"), &req, NULL, NULL),
	    PROTO_NEED_MORE);
}

/* UTF-8 validation and character counts. */
static void
test_utf8(void **state)
{
	static const struct {
		const uint8_t	*s;
		size_t		 len;
		int		 chars;
	} t[] = {
		{ B(""), 0 },
		{ B("a"), 1 },
		{ B("foo"), 3 },
		{ B("\x00"), 1 },
		{ B("a" "\x00" "b"), 3 },
		{ B("\x7f"), 1 },
		{ B("\xc2\x80"), 1 },
		{ B("\xc3\xa9"), 1 },
		{ B("\xdf\xbf"), 1 },
		{ B("\xe0\xa0\x80"), 1 },
		{ B("\xe2\x82\xac"), 1 },
		{ B("\xed\x9f\xbf"), 1 },
		{ B("\xee\x80\x80"), 1 },
		{ B("\xef\xbf\xbf"), 1 },
		{ B("\xef\xbf\xbe"), 1 },
		{ B("\xf0\x90\x80\x80"), 1 },
		{ B("\xf0\x9f\x98\x80"), 1 },
		{ B("\xf4\x8f\xbf\xbf"), 1 },
		{ B("a" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80"), 4 },
		/* overlongs */
		{ B("\xc0\x80"), -1 },
		{ B("\xc0\xaf"), -1 },
		{ B("\xc1\xbf"), -1 },
		{ B("\xe0\x80\x80"), -1 },
		{ B("\xe0\x9f\xbf"), -1 },
		{ B("\xf0\x80\x80\x80"), -1 },
		{ B("\xf0\x8f\xbf\xbf"), -1 },
		/* surrogates */
		{ B("\xed\xa0\x80"), -1 },
		{ B("\xed\xaf\xbf"), -1 },
		{ B("\xed\xb0\x80"), -1 },
		{ B("\xed\xbf\xbf"), -1 },
		{ B("\xed\xa0\xbd" "\xed\xb8\x80"), -1 },
		/* above U+10FFFF, and leads that cannot start anything */
		{ B("\xf4\x90\x80\x80"), -1 },
		{ B("\xf4\xbf\xbf\xbf"), -1 },
		{ B("\xf5\x80\x80\x80"), -1 },
		{ B("\xf7\xbf\xbf\xbf"), -1 },
		{ B("\xf8\x88\x80\x80\x80"), -1 },
		{ B("\xfc\x84\x80\x80\x80\x80"), -1 },
		{ B("\xfe"), -1 },
		{ B("\xff"), -1 },
		/* stray continuations */
		{ B("\x80"), -1 },
		{ B("\xbf"), -1 },
		{ B("a" "\x80"), -1 },
		{ B("\xc3\xa9\xa9"), -1 },
		/* truncated */
		{ B("\xc3"), -1 },
		{ B("\xe2\x82"), -1 },
		{ B("\xe2"), -1 },
		{ B("\xf0\x9f\x98"), -1 },
		{ B("\xf0\x9f"), -1 },
		{ B("\xf0"), -1 },
		{ B("abc" "\xc3"), -1 },
		/* bad continuation bytes */
		{ B("\xc3\x28"), -1 },
		{ B("\xc3\xc3\xa9"), -1 },
		{ B("\xe2\x28\xac"), -1 },
		{ B("\xe2\x82\x28"), -1 },
		{ B("\xf0\x28\x98\x80"), -1 },
		{ B("\xf0\x9f\x28\x80"), -1 },
		{ B("\xf0\x9f\x98\x28"), -1 },
		{ B("\xe2\x82" "\x00"), -1 },
	};
	uint8_t	*copy;
	size_t	 i;
	int	 r;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		copy = malloc(t[i].len > 0 ? t[i].len : 1);
		assert_non_null(copy);
		memcpy(copy, t[i].s, t[i].len);
		r = proto_utf8_chars(copy, t[i].len);
		free(copy);
		if (r != t[i].chars)
			fail_msg("utf8 case %zu: got %d, want %d", i, r,
			    t[i].chars);
	}
	assert_int_equal(proto_utf8_chars(big, fill(big,
	    "\xf0\x9f\x98\x80", 1000)), 1000);
}

/* §1.1/§8.3: ALIVE2 replies, 'v' for high >= 6, error creation 99. */
static void
test_encode_alive2_resp(void **state)
{
	static const struct {
		uint16_t	 high;
		uint8_t		 result;
		uint32_t	 creation;
		const uint8_t	*want;
		size_t		 len;
	} t[] = {
		{ 6, 1, PROTO_ERR_CREATION, B("\x76\x01\x00\x00\x00\x63") },
		{ 5, 1, PROTO_ERR_CREATION, B("\x79\x01\x00\x63") },
		{ 0, 1, PROTO_ERR_CREATION, B("\x79\x01\x00\x63") },
		{ 6, 0, 1795488434, B("\x76\x00\x6b\x04\xfa\xb2") },
		{ 7, 0, 4, B("\x76\x00\x00\x00\x00\x04") },
		{ 0xffff, 0, 0xffffffff, B("\x76\x00\xff\xff\xff\xff") },
		{ 5, 0, 3, B("\x79\x00\x00\x03") },
		{ 5, 0, 1, B("\x79\x00\x00\x01") },
	};
	uint8_t	 buf[16];
	size_t	 i, s;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(proto_encode_alive2_resp(buf, sizeof(buf),
		    t[i].high, t[i].result, t[i].creation), t[i].len);
		assert_memory_equal(buf, t[i].want, t[i].len);
		assert_int_equal(buf[t[i].len], 0xaa);
		assert_int_equal(proto_encode_alive2_resp(buf, t[i].len,
		    t[i].high, t[i].result, t[i].creation), t[i].len);
		for (s = 0; s < t[i].len; s++)
			assert_int_equal(proto_encode_alive2_resp(buf, s,
			    t[i].high, t[i].result, t[i].creation), -1);
	}
}

/* §1.3: PORT2 replies, found and not found. */
static void
test_encode_port2_resp(void **state)
{
	static const uint8_t	 foo_want[] = "\x77\x00\x04\x57\x4d\x00"
	    "\x00\x06\x00\x05\x00\x03" "foo" "\x00\x00";
	static const uint8_t	 ext_want[] = "\x77\x00\x12\x34\x48\x01"
	    "\x00\x05\x00\x01\x00\x02" "\xc3\xa9" "\x00\x03" "\x00" "e"
	    "\x00";
	struct proto_node	 foo = { 1111, 77, 0, 6, 5,
	    (const uint8_t *)"foo", 3, NULL, 0 };
	struct proto_node	 ext = { 0x1234, 'H', 1, 5, 1,
	    (const uint8_t *)"\xc3\xa9", 2, (const uint8_t *)"\x00" "e" "\x00",
	    3 };
	uint8_t			 buf[64];
	size_t			 s;

	(void)state;
	assert_int_equal(proto_encode_port2_resp(buf, sizeof(buf), &foo), 17);
	assert_memory_equal(buf, foo_want, 17);
	assert_int_equal(proto_encode_port2_resp(buf, 17, &foo), 17);
	for (s = 0; s < 17; s++)
		assert_int_equal(proto_encode_port2_resp(buf, s, &foo), -1);

	assert_int_equal(proto_encode_port2_resp(buf, sizeof(buf), &ext),
	    sizeof(ext_want) - 1);
	assert_memory_equal(buf, ext_want, sizeof(ext_want) - 1);
	for (s = 0; s < sizeof(ext_want) - 1; s++)
		assert_int_equal(proto_encode_port2_resp(buf, s, &ext), -1);

	assert_int_equal(proto_encode_port2_resp(buf, sizeof(buf), NULL), 2);
	assert_memory_equal(buf, "\x77\x01", 2);
	assert_int_equal(proto_encode_port2_resp(buf, 2, NULL), 2);
	assert_int_equal(proto_encode_port2_resp(buf, 1, NULL), -1);
	assert_int_equal(proto_encode_port2_resp(buf, 0, NULL), -1);
}

/* §1.4/§8.1: the 4-byte port header. */
static void
test_encode_port_header(void **state)
{
	uint8_t	 buf[8];

	(void)state;
	assert_int_equal(proto_encode_port_header(buf, sizeof(buf),
	    EPMD_PORT_DEFAULT), 4);
	assert_memory_equal(buf, "\x00\x00\x11\x11", 4);
	assert_int_equal(proto_encode_port_header(buf, 4, 24369), 4);
	assert_memory_equal(buf, "\x00\x00\x5f\x31", 4);
	assert_int_equal(proto_encode_port_header(buf, 4, 0x01020304), 4);
	assert_memory_equal(buf, "\x01\x02\x03\x04", 4);
	assert_int_equal(proto_encode_port_header(buf, 3, 4369), -1);
	assert_int_equal(proto_encode_port_header(buf, 0, 4369), -1);
}

/* §1.4: NAMES lines, no NUL. */
static void
test_encode_names_line(void **state)
{
	static const struct {
		const char	*name;
		unsigned int	 port;
		const char	*want;
	} t[] = {
		{ "foo", 1111, "name foo at port 1111\n" },
		{ "bar", 0, "name bar at port 0\n" },
		{ "x", 65535, "name x at port 65535\n" },
		{ "\xc3\xa9t\xc3\xa9", 4370, "name \xc3\xa9t\xc3\xa9 at port "
		    "4370\n" },
		{ "", 1, "name  at port 1\n" },
	};
	char	 buf[PROTO_LINE_MAX];
	size_t	 i, s, len;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		len = strlen(t[i].want);
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(proto_encode_names_line(buf, sizeof(buf),
		    (const uint8_t *)t[i].name, strlen(t[i].name), t[i].port),
		    len);
		assert_memory_equal(buf, t[i].want, len);
		assert_int_equal(buf[len], 'Z');
		assert_int_equal(proto_encode_names_line(buf, len,
		    (const uint8_t *)t[i].name, strlen(t[i].name), t[i].port),
		    len);
		for (s = 0; s < len; s++)
			assert_int_equal(proto_encode_names_line(buf, s,
			    (const uint8_t *)t[i].name, strlen(t[i].name),
			    t[i].port), -1);
	}
	/* The longest name fits PROTO_LINE_MAX. */
	memset(big, 'a', PROTO_MAXSYMLEN);
	assert_int_equal(proto_encode_names_line(buf, sizeof(buf), big,
	    PROTO_MAXSYMLEN, 65535), PROTO_MAXSYMLEN + 20);
}

/* §1.5/§8.8: DUMP lines with exact spacing and their NUL byte. */
static void
test_encode_dump_line(void **state)
{
	/* sizeof() of each literal counts its NUL: the byte stock sends. */
	static const char	 act[] =
	    "active name     <foo> at port 1111, fd = 6\n";
	static const char	 old[] =
	    "old/unused name <foo>, port = 1111, fd = 5 \n";
	static const char	 neg[] =
	    "old/unused name <\xc3\xa9>, port = 0, fd = -1 \n";
	static const char	 max[] =
	    "active name     <b> at port 65535, fd = 1023\n";
	static const struct {
		int		 active;
		const char	*name;
		unsigned int	 port;
		int		 fd;
		const char	*want;
		size_t		 len;
	} t[] = {
		{ 1, "foo", 1111, 6, act, sizeof(act) },
		{ 0, "foo", 1111, 5, old, sizeof(old) },
		{ 0, "\xc3\xa9", 0, -1, neg, sizeof(neg) },
		{ 1, "b", 65535, 1023, max, sizeof(max) },
	};
	char	 buf[PROTO_LINE_MAX];
	size_t	 i, s;

	(void)state;
	assert_int_equal(sizeof(act), 44);
	for (i = 0; i < NITEMS(t); i++) {
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(proto_encode_dump_line(buf, sizeof(buf),
		    t[i].active, (const uint8_t *)t[i].name,
		    strlen(t[i].name), t[i].port, t[i].fd), t[i].len);
		assert_memory_equal(buf, t[i].want, t[i].len);
		assert_int_equal(buf[t[i].len - 1], '\0');
		assert_int_equal(buf[t[i].len], 'Z');
		assert_int_equal(proto_encode_dump_line(buf, t[i].len,
		    t[i].active, (const uint8_t *)t[i].name,
		    strlen(t[i].name), t[i].port, t[i].fd), t[i].len);
		for (s = 0; s < t[i].len; s++)
			assert_int_equal(proto_encode_dump_line(buf, s,
			    t[i].active, (const uint8_t *)t[i].name,
			    strlen(t[i].name), t[i].port, t[i].fd), -1);
	}
	/* The longest line fits PROTO_LINE_MAX. */
	memset(big, 'a', PROTO_MAXSYMLEN);
	assert_true(proto_encode_dump_line(buf, sizeof(buf), 0, big,
	    PROTO_MAXSYMLEN, 65535, -2147483647 - 1) > 0);
}

/* Request framing for the client side. */
static void
test_encode_req(void **state)
{
	struct proto_req	 req;
	uint8_t			 buf[16];
	size_t			 s;

	(void)state;
	assert_int_equal(proto_encode_req(buf, sizeof(buf), PROTO_NAMES_REQ,
	    NULL, 0), 3);
	assert_memory_equal(buf, "\x00\x01\x6e", 3);
	assert_int_equal(proto_encode_req(buf, 3, PROTO_KILL_REQ, NULL, 0), 3);
	assert_memory_equal(buf, "\x00\x01\x6b", 3);
	assert_int_equal(proto_encode_req(buf, 2, PROTO_KILL_REQ, NULL, 0), -1);

	assert_int_equal(proto_encode_req(buf, sizeof(buf), PROTO_PORT2_REQ,
	    "foo", 3), 6);
	assert_memory_equal(buf, "\x00\x04" "zfoo", 6);
	assert_int_equal(decode(buf, 6, &req), PROTO_OK);
	assert_int_equal(req.op, PROTO_PORT2_REQ);
	assert_int_equal(req.node.namelen, 3);
	for (s = 0; s < 6; s++)
		assert_int_equal(proto_encode_req(buf, s, PROTO_PORT2_REQ,
		    "foo", 3), -1);

	assert_int_equal(proto_encode_req(buf, sizeof(buf), PROTO_STOP_REQ,
	    "foo", 3), 6);
	assert_memory_equal(buf, "\x00\x04" "sfoo", 6);

	/* Len is 16 bits: a body of 65534 is the most it can frame. */
	assert_int_equal(proto_encode_req(big, sizeof(big), PROTO_NAMES_REQ,
	    big2, 65534), 65537);
	assert_memory_equal(big, "\xff\xff\x6e", 3);
	assert_int_equal(proto_encode_req(big, sizeof(big), PROTO_NAMES_REQ,
	    big2, 65535), -1);
}

/* ALIVE2 requests: exact bytes, and decode(encode(n)) == n. */
static void
test_alive2_round_trip(void **state)
{
	static const uint8_t	 foo_want[] = "\x00\x10" A2HEAD "\x00\x03"
	    "foo" "\x00\x00";
	struct proto_node	 t[] = {
		{ 1111, 77, 0, 6, 5, (const uint8_t *)"foo", 3, NULL, 0 },
		{ 0, 72, 1, 5, 5, (const uint8_t *)"a", 1,
		    (const uint8_t *)"\x00\x01\x00", 3 },
		{ 65535, 255, 255, 65535, 0,
		    (const uint8_t *)"\xc3\xa9t\xc3\xa9", 5,
		    (const uint8_t *)"extra", 5 },
		{ 4370, 77, 0, 6, 5, (const uint8_t *)"", 0,
		    (const uint8_t *)"E", 1 },
		{ 1, 77, 0, 6, 5, big2, 1020, big2 + 1024, 1020 },
		{ 2, 77, 0, 6, 5, big2, 255, big2 + 1024, 1021 },
	};
	struct proto_req	 req;
	const char		*why;
	uint8_t			 buf[4096];
	size_t			 i, s, used;
	int			 n;

	(void)state;
	fill(big2, "\xf0\x9f\x98\x80", 255);
	memset(big2 + 1024, 0, 1021);
	n = proto_encode_alive2(buf, sizeof(buf), &t[0]);
	assert_int_equal(n, sizeof(foo_want) - 1);
	assert_memory_equal(buf, foo_want, n);

	for (i = 0; i < NITEMS(t); i++) {
		n = proto_encode_alive2(buf, sizeof(buf), &t[i]);
		assert_int_equal(n, 2 + 13 + t[i].namelen + t[i].extralen);
		assert_int_equal(proto_decode(buf, n, &req, &used, &why),
		    PROTO_OK);
		assert_int_equal(used, n);
		assert_int_equal(req.op, PROTO_ALIVE2_REQ);
		assert_int_equal(req.node.port, t[i].port);
		assert_int_equal(req.node.type, t[i].type);
		assert_int_equal(req.node.proto, t[i].proto);
		assert_int_equal(req.node.high, t[i].high);
		assert_int_equal(req.node.low, t[i].low);
		assert_int_equal(req.node.namelen, t[i].namelen);
		assert_memory_equal(req.node.name, t[i].name, t[i].namelen);
		assert_int_equal(req.node.extralen, t[i].extralen);
		if (t[i].extralen > 0)
			assert_memory_equal(req.node.extra, t[i].extra,
			    t[i].extralen);
		if (t[i].extralen > PROTO_MAXSYMLEN)
			assert_non_null(req.refuse);
		else
			assert_null(req.refuse);
		feed(buf, (size_t)n, PROTO_OK, 0, "alive2 round trip");
		assert_int_equal(proto_encode_alive2(buf, (size_t)n, &t[i]),
		    n);
		for (s = 0; s < (size_t)n; s++)
			assert_int_equal(proto_encode_alive2(buf, s, &t[i]),
			    -1);
	}
}

/* ALIVE2 encoding refuses what a 16-bit Len cannot frame. */
static void
test_alive2_encode_limits(void **state)
{
	struct proto_node	 n = { 1, 77, 0, 6, 5, big2, 0, big2, 0 };
	struct proto_req	 req;

	(void)state;
	/* Empty name and Extra frame fine, but stock needs 14 bytes. */
	assert_int_equal(proto_encode_alive2(big, sizeof(big), &n), 15);
	assert_int_equal(decode(big, 15, &req), PROTO_ERR);
	n.namelen = 65535 - 13;
	assert_int_equal(proto_encode_alive2(big, sizeof(big), &n), 65537);
	n.extralen = 1;
	assert_int_equal(proto_encode_alive2(big, sizeof(big), &n), -1);
	n.namelen = 65536;
	n.extralen = 0;
	assert_int_equal(proto_encode_alive2(big, sizeof(big), &n), -1);
	n.namelen = 0;
	n.extralen = 65536;
	assert_int_equal(proto_encode_alive2(big, sizeof(big), &n), -1);
}

/* PORT2 replies: decode(encode(n)) == n, one byte at a time. */
static void
test_port2_resp_round_trip(void **state)
{
	struct proto_node	 t[] = {
		{ 1111, 77, 0, 6, 5, (const uint8_t *)"foo", 3, NULL, 0 },
		{ 0x1234, 72, 1, 5, 1, (const uint8_t *)"\xc3\xa9", 2,
		    (const uint8_t *)"\x00" "e" "\x00", 3 },
		{ 65535, 0, 0, 0, 0, (const uint8_t *)"", 0, NULL, 0 },
		{ 1, 77, 0, 6, 5, big2, 1020, big2 + 1024, 1020 },
	};
	struct proto_node	 got;
	uint8_t			 buf[4096], *copy, result;
	size_t			 i, k;
	int			 n, r;

	(void)state;
	memset(big2, 'n', 1020);
	memset(big2 + 1024, 0, 1020);
	for (i = 0; i < NITEMS(t); i++) {
		n = proto_encode_port2_resp(buf, sizeof(buf), &t[i]);
		assert_int_equal(n, 14 + t[i].namelen + t[i].extralen);
		for (k = 0; k < (size_t)n; k++) {
			copy = malloc(k > 0 ? k : 1);
			assert_non_null(copy);
			memcpy(copy, buf, k);
			r = proto_decode_port2_resp(copy, k, &result, &got);
			free(copy);
			assert_int_equal(r, PROTO_NEED_MORE);
		}
		memset(&got, 0xaa, sizeof(got));
		assert_int_equal(proto_decode_port2_resp(buf, n, &result,
		    &got), PROTO_OK);
		assert_int_equal(result, 0);
		assert_int_equal(got.port, t[i].port);
		assert_int_equal(got.type, t[i].type);
		assert_int_equal(got.proto, t[i].proto);
		assert_int_equal(got.high, t[i].high);
		assert_int_equal(got.low, t[i].low);
		assert_int_equal(got.namelen, t[i].namelen);
		assert_memory_equal(got.name, t[i].name, t[i].namelen);
		assert_int_equal(got.extralen, t[i].extralen);
		if (t[i].extralen > 0)
			assert_memory_equal(got.extra, t[i].extra,
			    t[i].extralen);
		/* Bytes after Extra do not matter: the server closes. */
		buf[n] = 'X';
		assert_int_equal(proto_decode_port2_resp(buf, n + 1, &result,
		    &got), PROTO_OK);
	}

	/* Not found. */
	n = proto_encode_port2_resp(buf, sizeof(buf), NULL);
	assert_int_equal(proto_decode_port2_resp(buf, 0, &result, &got),
	    PROTO_NEED_MORE);
	assert_int_equal(proto_decode_port2_resp(buf, 1, &result, &got),
	    PROTO_NEED_MORE);
	result = 0;
	assert_int_equal(proto_decode_port2_resp(buf, n, &result, &got),
	    PROTO_OK);
	assert_int_equal(result, 1);
	assert_int_equal(got.namelen, 0);
	assert_null(got.name);
	assert_int_equal(proto_decode_port2_resp(B("\x77\x02"), &result,
	    NULL), PROTO_OK);
	assert_int_equal(result, 2);

	/* Anything but 'w' first is garbage, however short. */
	assert_int_equal(proto_decode_port2_resp(B("y"), &result, &got),
	    PROTO_ERR);
	assert_int_equal(proto_decode_port2_resp(B("\x79\x00\x00\x01"),
	    &result, &got), PROTO_ERR);
	assert_int_equal(proto_decode_port2_resp(B("\x76\x01\x00\x00\x00\x63"),
	    &result, &got), PROTO_ERR);
	assert_int_equal(proto_decode_port2_resp(B("\x00"), &result, &got),
	    PROTO_ERR);
	assert_int_equal(proto_decode_port2_resp(B("W" "\x00"), &result,
	    &got), PROTO_ERR);
}

/* Every request round-trips through proto_encode_req() one byte a time. */
static void
test_encode_req_feed(void **state)
{
	static const struct {
		uint8_t		 op;
		const char	*body;
	} t[] = {
		{ PROTO_NAMES_REQ, "" },
		{ PROTO_DUMP_REQ, "" },
		{ PROTO_KILL_REQ, "" },
		{ PROTO_X_STATUS_REQ, "" },
		{ PROTO_PORT2_REQ, "foo" },
		{ PROTO_STOP_REQ, "foo" },
	};
	uint8_t	 buf[64];
	size_t	 i;
	int	 n;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		n = proto_encode_req(buf, sizeof(buf), t[i].op, t[i].body,
		    strlen(t[i].body));
		assert_true(n > 0);
		feed(buf, (size_t)n, PROTO_OK, 0, "encode_req");
	}
}

/* Names as one text field: control bytes, DEL, '\\' as \xHH. */
static void
test_escape_name(void **state)
{
	char	 buf[32];

	(void)state;
	assert_int_equal(proto_escape_name(buf, sizeof(buf),
	    (const uint8_t *)"a\tb\\c\x7f\xc3\xa9", 8), 17);
	assert_string_equal(buf, "a\\x09b\\x5cc\\x7f\xc3\xa9");
	/* Exactly fits, and one byte short. */
	assert_int_equal(proto_escape_name(buf, 5, (const uint8_t *)"\n",
	    1), 4);
	assert_int_equal(proto_escape_name(buf, 4, (const uint8_t *)"\n",
	    1), -1);
	assert_int_equal(proto_escape_name(buf, 1, (const uint8_t *)"", 0),
	    0);
}

/* WATCH lines: "+" with every field, "-" with name and host. */
static void
test_watch_line(void **state)
{
	struct proto_node	 n;
	char			 buf[PROTO_WATCH_LINE_MAX], host[256];
	uint8_t			 large[PROTO_MAXSYMLEN];
	int			 len;

	(void)state;
	memset(&n, 0, sizeof(n));
	n.name = (const uint8_t *)"app\n1";
	n.namelen = 5;
	n.port = 39167;
	n.type = 77;
	n.high = 6;
	n.low = 5;
	len = proto_encode_watch_line(buf, sizeof(buf), 1, &n, "beta",
	    "192.0.2.12");
	assert_string_equal(buf,
	    "+\tapp\\x0a1\tbeta\t39167\t77\t0\t6\t5\t192.0.2.12\n");
	assert_int_equal(len, (int)strlen(buf));
	len = proto_encode_watch_line(buf, sizeof(buf), 0, &n, "beta", "x");
	assert_string_equal(buf, "-\tapp\\x0a1\tbeta\n");
	assert_int_equal(len, (int)strlen(buf));
	/* Too small: -1, never a cut line. */
	assert_int_equal(proto_encode_watch_line(buf, 12, 1, &n, "beta",
	    "192.0.2.12"), -1);
	/* The largest name, all escaped, and two long hosts still fit. */
	memset(large, 1, sizeof(large));
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	n.name = large;
	n.namelen = sizeof(large);
	n.port = n.high = n.low = 65535;
	n.type = n.proto = 255;
	assert_true(proto_encode_watch_line(buf, sizeof(buf), 1, &n, host,
	    host) > 4 * PROTO_MAXSYMLEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_framing_max),
		cmocka_unit_test(test_framing_overlong),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_sync_open_lengths),
		cmocka_unit_test(test_opcode_only),
		cmocka_unit_test(test_alive2_fields),
		cmocka_unit_test(test_alive2_malformed),
		cmocka_unit_test(test_alive2_accepted),
		cmocka_unit_test(test_alive2_bad_utf8),
		cmocka_unit_test(test_alive2_limits),
		cmocka_unit_test(test_port2),
		cmocka_unit_test(test_port2_limits),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_decode_null_outputs),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_encode_alive2_resp),
		cmocka_unit_test(test_encode_port2_resp),
		cmocka_unit_test(test_encode_port_header),
		cmocka_unit_test(test_encode_names_line),
		cmocka_unit_test(test_encode_dump_line),
		cmocka_unit_test(test_encode_req),
		cmocka_unit_test(test_encode_req_feed),
		cmocka_unit_test(test_alive2_round_trip),
		cmocka_unit_test(test_alive2_encode_limits),
		cmocka_unit_test(test_port2_resp_round_trip),
		cmocka_unit_test(test_escape_name),
		cmocka_unit_test(test_watch_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
