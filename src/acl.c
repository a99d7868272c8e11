/* Allow lists of networks: parse "addr[/prefix], ..." and match peers. */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "xmalloc.h"

#define ACL_MAX_NETS	1024	/* networks in one list */

/* One network: family, address (masked), prefix length in bits. */
struct acl_net {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* network byte order */
	unsigned int	 bits;
};

struct acl {
	unsigned int	 n;
	unsigned int	 size;
	struct acl_net	*nets;		/* n == 0: matches nobody */
};

/* Whether the first bits bits of a and b are equal. */
static int
acl_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int	 bytes = bits / 8, rest = bits % 8;
	uint8_t		 mask;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* Parse one item into net; NULL or an error message (caller frees). */
static char *
acl_parse_net(const char *item, struct acl_net *net)
{
	char		 addr[INET6_ADDRSTRLEN + 1], *msg, *end;
	const char	*slash;
	unsigned long	 ul;
	unsigned int	 max, i;
	size_t		 len;

	memset(net, 0, sizeof(*net));
	slash = strchr(item, '/');
	len = slash != NULL ? (size_t)(slash - item) : strlen(item);
	if (len == 0 || len >= sizeof(addr))
		goto bad;
	memcpy(addr, item, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		goto bad;
	net->bits = max;
	if (slash != NULL) {
		errno = 0;
		ul = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    errno != 0 || ul > max) {
			xasprintf(&msg, "\"%s\": prefix length is not a number "
			    "from 0 to %u", item, max);
			return msg;
		}
		net->bits = (unsigned int)ul;
	}
	/* Host bits set is most likely a typo: say so, do not guess. */
	for (i = net->bits; i < max; i++)
		if (net->addr[i / 8] & (0x80 >> (i % 8))) {
			xasprintf(&msg, "\"%s\": address has bits set beyond "
			    "the /%u prefix", item, net->bits);
			return msg;
		}
	return NULL;
bad:
	xasprintf(&msg, "\"%s\" is not an IPv4 or IPv6 address or "
	    "address/prefix", item);
	return msg;
}

int
acl_parse(const char *text, struct acl **aclp, char **cause)
{
	struct acl	*acl;
	struct acl_net	 net;
	char		*copy, *p, *tok, *msg;
	unsigned int	 n0;
	int		 none = 0, created = *aclp == NULL;

	acl = created ? xcalloc(1, sizeof(*acl)) : *aclp;
	n0 = acl->n;
	copy = xstrdup(text);
	msg = NULL;
	for (p = copy; msg == NULL && (tok = strsep(&p, ", \t")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (strcmp(tok, "none") == 0) {
			none = 1;
			continue;
		}
		if ((msg = acl_parse_net(tok, &net)) != NULL)
			break;
		if (acl->n == ACL_MAX_NETS) {
			xasprintf(&msg, "more than %d networks",
			    ACL_MAX_NETS);
			break;
		}
		if (acl->n == acl->size) {
			acl->size = acl->size == 0 ? 8 : acl->size * 2;
			acl->nets = xreallocarray(acl->nets, acl->size,
			    sizeof(*acl->nets));
		}
		acl->nets[acl->n++] = net;
	}
	free(copy);
	if (msg == NULL && !none && acl->n == 0)
		msg = xstrdup("empty list (write \"none\" to allow nobody)");
	if (msg != NULL) {
		/* Leave *aclp as it was: drop what this call appended. */
		if (created)
			acl_free(acl);
		else
			acl->n = n0;
		*cause = msg;
		return -1;
	}
	*aclp = acl;
	return 0;
}

int
acl_match(const struct acl *acl, const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	const uint8_t			*addr;
	unsigned int			 i;
	int				 family;

	if (acl == NULL)
		return 1;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		family = AF_INET;
		addr = (const uint8_t *)&s4->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		family = AF_INET6;
		addr = s6->sin6_addr.s6_addr;
		/* ::ffff:a.b.c.d is the IPv4 peer a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			family = AF_INET;
			addr += 12;
		}
	} else
		return 0;
	for (i = 0; i < acl->n; i++)
		if (acl->nets[i].family == family &&
		    acl_prefix_eq(acl->nets[i].addr, addr, acl->nets[i].bits))
			return 1;
	return 0;
}

unsigned int
acl_count(const struct acl *acl)
{
	return acl != NULL ? acl->n : 0;
}

struct acl *
acl_copy(const struct acl *acl)
{
	struct acl	*c;

	if (acl == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->n = c->size = acl->n;
	if (acl->n > 0) {
		c->nets = xreallocarray(NULL, acl->n, sizeof(*c->nets));
		memcpy(c->nets, acl->nets, acl->n * sizeof(*c->nets));
	}
	return c;
}

void
acl_free(struct acl *acl)
{
	if (acl == NULL)
		return;
	free(acl->nets);
	free(acl);
}
