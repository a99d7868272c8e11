/*
 * Allow lists of networks ("10.0.0.0/8, 2001:db8::/32, ::1"): parsed
 * once from the configuration, matched against a peer's address.  Pure:
 * no libevent, no sockets beyond the address types.
 */
#ifndef ACL_H
#define ACL_H

#include <sys/socket.h>

struct acl;

/*
 * Parse a list of networks (address or address/prefix, IPv4 or IPv6,
 * separated by commas or spaces; the word "none" matches nobody) and
 * append them to *acl (allocated when NULL).  -1 with *cause set (caller
 * frees) on a bad item; *acl is then unchanged.
 */
int		 acl_parse(const char *text, struct acl **acl, char **cause);
/* Whether sa's address is in the list; a NULL list lets everyone in. */
int		 acl_match(const struct acl *, const struct sockaddr *sa);
/* The number of networks in the list. */
unsigned int	 acl_count(const struct acl *);
/* A deep copy (NULL for NULL). */
struct acl	*acl_copy(const struct acl *);
/* Free a list (NULL is fine). */
void		 acl_free(struct acl *);

#endif /* ACL_H */
