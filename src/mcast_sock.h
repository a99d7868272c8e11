/*
 * Multicast socket plumbing: the interface named by mcast_interface, one
 * UDP socket per group (bound to group:port, joined, hop limit and
 * loopback set), the address the kernel sends each group from, sending
 * to a group and reading what arrives.  No policy, no message format.
 */
#ifndef MCAST_SOCK_H
#define MCAST_SOCK_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <net/if.h>

#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;

#define MCAST_MAX_GROUPS	2	/* one IPv4 and one IPv6 group */
#define MCAST_ADDR_MAX		(INET6_ADDRSTRLEN + IF_NAMESIZE + 8)
#define MCAST_RECV_MAX		2048	/* more than any datagram we accept */

/* A datagram of len bytes from sa. */
typedef void	mcast_sock_recv_cb(void *arg, const uint8_t *buf, size_t len,
		    const struct sockaddr *sa, socklen_t salen);

/* One joined group: a socket bound to group:port. */
struct mcast_sock {
	int			 fd;
	int			 family;
	struct sockaddr_storage	 group;
	socklen_t		 grouplen;
	unsigned int		 ifindex;	/* 0: the kernel's choice */
	struct in_addr		 ifaddr;	/* IPv4 interface address */
	struct event		*ev;
	mcast_sock_recv_cb	*cb;
	void			*arg;
};

/*
 * Open every group of groups ("a, b": at most one per family) into socks;
 * all or nothing.  Returns the count, or -1 with *cause.
 */
int	mcast_socks_open(struct mcast_sock *socks, const char *groups,
	    unsigned int port, const char *iface, unsigned int hops,
	    char **cause);
/* Leave the group and close. */
void	mcast_sock_close(struct mcast_sock *);
/* The outgoing interface, hop limit and loopback of a socket. */
int	mcast_sock_sendopts(struct mcast_sock *, unsigned int hops,
	    char **cause);
/* Start reading: cb(arg, ...) for each datagram. */
void	mcast_sock_arm(struct mcast_sock *, struct event_base *,
	    mcast_sock_recv_cb *cb, void *arg);
/* The address the kernel sends to the group from, as text; -1 if none. */
int	mcast_sock_source(const struct mcast_sock *, char *buf, size_t size);
/* Send one datagram to the group; -1 with errno. */
int	mcast_sock_send(const struct mcast_sock *, const void *, size_t);
/* host, with "%if" of sa's interface if it is IPv6 link-local. */
void	mcast_sock_scoped(const char *host, size_t len,
	    const struct sockaddr *sa, char *buf, size_t size);
/* A socket address as text, numeric, with its scope: "[v6%if]:port". */
void	mcast_addr_text(const struct sockaddr *, socklen_t, char *buf,
	    size_t size);

#endif /* MCAST_SOCK_H */
