/*
 * Socket addresses and host names as text, in one form everywhere (see
 * addr.h).  No libevent: the unit tests and every module share it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"

/* The address alone, no port and no brackets; "?" if not IP. */
const char *
addr_host(const struct sockaddr *sa, char *buf, size_t size)
{
	const void	*a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
	else
		a = NULL;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}

/* The port of an IPv4 or IPv6 address, 0 otherwise. */
unsigned int
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return 0;
}

/* "host:port" from parts, brackets when host holds ':'. */
const char *
addr_join(const char *host, unsigned int port, char *buf, size_t size)
{
	snprintf(buf, size, strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u",
	    host, port);
	return buf;
}

/* "host:port" ("[host]:port" for IPv6) into buf; "?" if not IP. */
const char *
addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	char	 host[ADDR_TEXT_MAX];

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		snprintf(buf, size, "?");
		return buf;
	}
	addr_host(sa, host, sizeof(host));
	return addr_join(host, addr_port(sa), buf, size);
}

/* The peer (remote=1) or local address of a socket as addr_text(). */
const char *
addr_fd_text(int fd, int remote, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 rv;

	memset(&ss, 0, sizeof(ss));
	if (remote)
		rv = getpeername(fd, (struct sockaddr *)&ss, &len);
	else
		rv = getsockname(fd, (struct sockaddr *)&ss, &len);
	if (rv == -1) {
		snprintf(buf, size, "?");
		return buf;
	}
	return addr_text((struct sockaddr *)&ss, buf, size);
}

/* A unix socket's address for path; -1 if path does not fit. */
int
addr_unix(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path), "%s",
	    path) >= sizeof(sun->sun_path))
		return -1;
	return 0;
}

/* This host's name up to the first dot; -1 if gethostname() fails. */
int
addr_short_hostname(char *buf, size_t size)
{
	char	*dot;

	if (size == 0 || gethostname(buf, size) == -1)
		return -1;
	buf[size - 1] = '\0';
	if ((dot = strchr(buf, '.')) != NULL)
		*dot = '\0';
	return 0;
}
