/*
 * Which accepted sync streams hold a slot, and when a peer is this
 * daemon: the caps on streams that have not yet authenticated (per
 * source, and in all), and the one rule that marks a peer self.  Pure
 * over the session and peer lists: no I/O, no timers.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sync_int.h"

/*
 * The source of an accepted stream, as a key for the per-source cap: an
 * IPv4 address (as v4-mapped), or the /64 of an IPv6 one; zeros when the
 * family is neither.
 */
void
sync_admit_source(const struct sockaddr_storage *ss,
    uint8_t key[SYNC_SRC_BYTES])
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	memset(key, 0, SYNC_SRC_BYTES);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			memcpy(key, &sin6->sin6_addr, 16);
		else
			memcpy(key, &sin6->sin6_addr, 8);
	}
}

/*
 * Room for one more accepted stream from src.  Streams that have not yet
 * authenticated give way: the oldest from src when src holds
 * SYNC_MAX_UNAUTH_SRC of them, else the oldest of all when the
 * SYNC_MAX_INBOUND slots are taken.  An authenticated stream is never
 * closed for a new one.  NULL with *why NULL: there is room.  A session
 * with *why: close it (why says which cap) and there is room.  NULL with
 * *why: refuse the new stream, every slot is authenticated.
 */
struct sync_session *
sync_admit(struct sync *s, const uint8_t src[SYNC_SRC_BYTES],
    const char **why)
{
	struct sync_session	*sess, *oldest = NULL, *oldest_src = NULL;
	unsigned int		 nsrc = 0;

	*why = NULL;
	TAILQ_FOREACH(sess, &s->inbound, entry) {	/* oldest first */
		if (sess->state == SESS_ESTABLISHED)
			continue;
		if (oldest == NULL)
			oldest = sess;
		if (memcmp(sess->src, src, SYNC_SRC_BYTES) == 0) {
			if (oldest_src == NULL)
				oldest_src = sess;
			nsrc++;
		}
	}
	if (nsrc >= SYNC_MAX_UNAUTH_SRC) {
		*why = "too many unauthenticated sync streams from one "
		    "source, closing the oldest";
		return oldest_src;
	}
	if (s->ninbound < SYNC_MAX_INBOUND)
		return NULL;
	*why = oldest != NULL ? "sync slots full, closing the oldest "
	    "unauthenticated stream" : "every sync slot holds an "
	    "authenticated stream, refusing";
	return oldest;
}

/*
 * An accepted stream's first HELLO, authenticated: if it names our host
 * name and incarnation and the dialer's random is one of our own dialled
 * streams', we dialled ourselves and that peer is marked self; 1 then.
 * Only a holder of the secret can seal that HELLO under this stream's
 * keys, which our fresh random makes new: a replayed opening cannot.
 */
int
sync_self_check(struct sync_session *sess, const struct sync_msg *m)
{
	struct sync		*s = sess->sync;
	struct sync_peer	*p;

	if (sess->outbound || m->incarnation != s->incarnation ||
	    m->originlen != strlen(s->hostname) ||
	    memcmp(m->origin, s->hostname, m->originlen) != 0)
		return 0;
	TAILQ_FOREACH(p, &s->peers, entry) {
		if (p->sess == NULL || !p->sess->outbound ||
		    memcmp(p->sess->mine, sess->theirs, SYNC_RANDOM_BYTES) != 0)
			continue;
		p->self = 1;
		log_info("sync: peer %s is this daemon", p->sess->addr);
		return 1;
	}
	return 0;
}
