/*
 * libFuzzer target for the DNS response parser: dns_parse() on the input
 * (its first two bytes taken as the expected id, so most inputs get past
 * the header), then checks on what it kept: names fit and are plain text,
 * counts are within bounds, and a kept SRV target or owner name encodes
 * back into a query.  Any broken invariant aborts.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	    tests/fuzz/fuzz_dns.c src/dns.c src/wire.c -o fuzz_dns
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "dns.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_name(const char *);

static struct dns_resp	 resp;

/* A kept name: NUL-terminated in bounds, printable, no empty label. */
static void
check_name(const char *name)
{
	size_t	 len = strnlen(name, DNS_NAME_MAX + 1), i;
	uint8_t	 q[DNS_QUERY_MAX];

	check(len <= DNS_NAME_MAX);
	for (i = 0; i < len; i++)
		check(name[i] > 0x20 && name[i] < 0x7f);
	if (len == 0)
		return;
	check(name[0] != '.' && name[len - 1] != '.' &&
	    strstr(name, "..") == NULL);
	check(dns_name_valid(name));
	check(dns_query_encode(q, sizeof(q), 1, name, DNS_T_A, 1232) > 0);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	const char	*why = NULL;
	uint16_t	 id;
	int		 i, r;

	id = len >= 2 ? (uint16_t)(buf[0] << 8 | buf[1]) : 0;
	r = dns_parse(buf, len, id, &resp, &why);
	check(r == 0 || r == -1);
	if (r == -1) {
		check(why != NULL);
		return 0;
	}
	check(why == NULL && len >= DNS_HDR_LEN);
	check(resp.id == id && (resp.flags & DNS_F_QR) != 0);
	check(resp.rcode >= 0 && resp.rcode <= 15);
	check(resp.nrr >= 0 && resp.nrr <= DNS_MAX_RR && resp.skipped >= 0);
	check_name(resp.qname);
	for (i = 0; i < resp.nrr; i++) {
		check(resp.rr[i].section >= DNS_S_ANSWER &&
		    resp.rr[i].section <= DNS_S_ADDITIONAL);
		check(resp.rr[i].type == DNS_T_A ||
		    resp.rr[i].type == DNS_T_AAAA ||
		    resp.rr[i].type == DNS_T_SRV);
		check_name(resp.rr[i].name);
		if (resp.rr[i].type == DNS_T_SRV)
			check_name(resp.rr[i].u.srv.target);
	}
	return 0;
}
