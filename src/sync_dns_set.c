/*
 * The dns backend's peer table: the addresses one poll found, the peers
 * known so far, and the rule that folds the first into the second.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sync_dns_set.h"

/* The index of host:port in set, or -1. */
static ssize_t
sync_dns_set_index(const struct sync_dns_set *set, const char *host,
    unsigned int port)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].port == port && strcmp(set->v[i].host, host) == 0)
			return (ssize_t)i;
	return -1;
}

/* The entry for host:port, or NULL. */
struct sync_dns_addr *
sync_dns_set_find(struct sync_dns_set *set, const char *host,
    unsigned int port)
{
	ssize_t	 i;

	if ((i = sync_dns_set_index(set, host, port)) == -1)
		return NULL;
	return &set->v[i];
}

/* Add host:port with a record's TTL; 0, or -1 when the set is full. */
int
sync_dns_set_add(struct sync_dns_set *set, const char *host,
    unsigned int port, uint32_t ttl)
{
	struct sync_dns_addr	*a;

	if (ttl > SYNC_DNS_TTL_MAX)
		ttl = SYNC_DNS_TTL_MAX;
	if ((a = sync_dns_set_find(set, host, port)) != NULL) {
		if (ttl > a->ttl)
			a->ttl = ttl;
		return 0;
	}
	if (set->n == SYNC_DNS_MAX_PEERS)
		return -1;
	a = &set->v[set->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
	a->ttl = ttl;
	return 0;
}

/* Empty a set. */
void
sync_dns_set_clear(struct sync_dns_set *set)
{
	set->n = 0;
}

/* Report known->v[i] gone and forget it (the last entry takes its place). */
static void
sync_dns_set_drop(struct sync_dns_set *known, size_t i,
    sync_dns_report_fn report, void *arg)
{
	report(arg, &known->v[i], 0);
	known->v[i] = known->v[--known->n];
}

/* The absent known peer missed most (earliest TTL end on a tie), or -1. */
static ssize_t
sync_dns_set_victim(const struct sync_dns_set *known)
{
	ssize_t	 best = -1;
	size_t	 i;

	for (i = 0; i < known->n; i++) {
		if (known->v[i].misses == 0)
			continue;
		if (best == -1 || known->v[i].misses > known->v[best].misses ||
		    (known->v[i].misses == known->v[best].misses &&
		    known->v[i].until < known->v[best].until))
			best = (ssize_t)i;
	}
	return best;
}

/* Fold a complete poll into the known peers: present kept, gone dropped. */
void
sync_dns_set_merge(struct sync_dns_set *known, const struct sync_dns_set *cur,
    int partial, time_t now, sync_dns_report_fn report, void *arg)
{
	struct sync_dns_addr	*k;
	ssize_t			 c, v;
	size_t			 i;

	for (i = 0; i < known->n; ) {
		k = &known->v[i];
		if ((c = sync_dns_set_index(cur, k->host, k->port)) != -1) {
			k->misses = 0;
			k->until = now + (time_t)cur->v[c].ttl;
		} else if (!partial) {
			if (k->misses < UINT_MAX)
				k->misses++;
			if (k->misses >= SYNC_DNS_MISSES && now >= k->until) {
				sync_dns_set_drop(known, i, report, arg);
				continue;
			}
		}
		i++;
	}
	for (i = 0; i < cur->n; i++) {
		if (sync_dns_set_index(known, cur->v[i].host,
		    cur->v[i].port) != -1)
			continue;
		if (known->n == SYNC_DNS_MAX_PEERS) {
			if ((v = sync_dns_set_victim(known)) == -1)
				continue;	/* cannot be: cur is bounded */
			sync_dns_set_drop(known, (size_t)v, report, arg);
		}
		k = &known->v[known->n++];
		*k = cur->v[i];
		k->misses = 0;
		k->until = now + (time_t)k->ttl;
		report(arg, k, 1);
	}
}
