/*
 * Socket addresses and host names as text, in one form everywhere:
 * "192.0.2.1:4369", "[2001:db8::1]:4369", and the short host name our
 * nodes carry after '@'; and a unix socket's address from its path.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

struct sockaddr;

/* Room for the longest "[v6-address]:port", NUL included. */
#define ADDR_TEXT_MAX	(46 + 8)

/* "host:port" ("[host]:port" for IPv6) into buf; "?" if not IP. */
const char	*addr_text(const struct sockaddr *, char *buf, size_t size);
/* The address alone, no port and no brackets; "?" if not IP. */
const char	*addr_host(const struct sockaddr *, char *buf, size_t size);
/* The port of an IPv4 or IPv6 address, 0 otherwise. */
unsigned int	 addr_port(const struct sockaddr *);
/* "host:port" from parts, brackets when host holds ':'. */
const char	*addr_join(const char *host, unsigned int port, char *buf,
		    size_t size);
/* The peer (remote=1) or local address of a socket as addr_text(). */
const char	*addr_fd_text(int fd, int remote, char *buf, size_t size);
/* A unix socket's address for path; -1 if path does not fit. */
struct sockaddr_un;
int		 addr_unix(const char *path, struct sockaddr_un *);
/* This host's name up to the first dot; -1 if gethostname() fails. */
int		 addr_short_hostname(char *buf, size_t size);

#endif /* ADDR_H */
