/*
 * The dns backend's peer table and its drop rule.  Pure: no I/O, no
 * libevent, no allocation, the time given by the caller.
 */
#ifndef SYNC_DNS_SET_H
#define SYNC_DNS_SET_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYNC_DNS_MAX_PEERS	256	/* addresses a set holds */
#define SYNC_DNS_MISSES		2	/* complete polls in a row a peer
					   must be absent from to be dropped */
#define SYNC_DNS_TTL_MAX	3600	/* seconds of a record's TTL honoured */

/* One peer address. */
struct sync_dns_addr {
	char		 host[INET6_ADDRSTRLEN];
	unsigned int	 port;		/* 0: the cluster's default */
	uint32_t	 ttl;		/* a poll's: its records' TTL, capped */
	unsigned int	 misses;	/* known: complete polls lacking it */
	time_t		 until;		/* known: its last TTL runs out */
};

/* A set of peer addresses. */
struct sync_dns_set {
	struct sync_dns_addr	 v[SYNC_DNS_MAX_PEERS];
	size_t			 n;
};

/* A change sync_dns_set_merge() reports: up 1 a new peer, 0 one gone. */
typedef void	(*sync_dns_report_fn)(void *, const struct sync_dns_addr *,
		    int up);

/* The entry for host:port, or NULL. */
struct sync_dns_addr *sync_dns_set_find(struct sync_dns_set *,
		    const char *host, unsigned int port);
/*
 * Add host:port, found by a record with that TTL (capped at
 * SYNC_DNS_TTL_MAX); found again, it keeps the longer TTL.  0, or -1 when
 * the set is full.
 */
int		 sync_dns_set_add(struct sync_dns_set *, const char *host,
		    unsigned int port, uint32_t ttl);
/* Empty a set. */
void		 sync_dns_set_clear(struct sync_dns_set *);
/*
 * Fold a complete poll's set cur, at monotonic second now, into the known
 * peers: each peer in cur is kept (a new one reported up), its misses
 * reset and its TTL counted from now.  A known peer absent from cur is
 * reported gone and forgotten once SYNC_DNS_MISSES complete polls in a
 * row lacked it and its last record's TTL has run out, not before;
 * partial (a truncated answer) counts no miss.  When the known set is
 * full, absent peers make room for new ones, the most missed first.
 */
void		 sync_dns_set_merge(struct sync_dns_set *known,
		    const struct sync_dns_set *cur, int partial, time_t now,
		    sync_dns_report_fn, void *);

#endif /* SYNC_DNS_SET_H */
