/*
 * Multicast announcement codec, cluster tag and replay filter: pure, no
 * I/O, no allocation, no libevent.  The format is in sync_mcast_msg.h.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sync_mcast_msg.h"
#include "wire.h"

/* Whether a host field holds only printable ASCII without blanks. */
static int
sync_mcast_host_ok(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* Encode an announcement; -1 if a field is invalid or buf too small. */
int
sync_mcast_encode(uint8_t *buf, size_t size, const struct sync_mcast_ann *a)
{
	struct wire_w	 w;
	size_t		 len;

	if (a->port == 0 || a->originlen == 0 ||
	    a->originlen > SYNC_MCAST_HOST_MAX || a->advertiselen == 0 ||
	    a->advertiselen > SYNC_MCAST_HOST_MAX ||
	    !sync_mcast_host_ok(a->origin, a->originlen) ||
	    !sync_mcast_host_ok(a->advertise, a->advertiselen))
		return -1;
	len = SYNC_MCAST_FIXED + a->originlen + a->advertiselen;
	if (len > size)
		return -1;
	w.p = buf;
	w.left = size;
	w.err = 0;
	wire_put(&w, SYNC_MCAST_MAGIC, SYNC_MCAST_MAGIC_LEN);
	wire_put_int(&w, a->incarnation, 8);
	wire_put_int(&w, a->seq, 8);
	wire_put_int(&w, a->time, 8);
	wire_put_int(&w, a->port, 2);
	wire_put_str(&w, (const uint8_t *)a->origin, a->originlen);
	wire_put_str(&w, (const uint8_t *)a->advertise, a->advertiselen);
	if (w.err)
		return -1;
	return (int)len;
}

/* Decode exactly len bytes; every length is checked against what is left. */
int
sync_mcast_decode(const uint8_t *buf, size_t len, struct sync_mcast_ann *a,
    const char **why)
{
	struct wire_r	 r;
	size_t		 off, n;

	memset(a, 0, sizeof(*a));
	*why = NULL;
	if (len < SYNC_MCAST_MAGIC_LEN ||
	    memcmp(buf, SYNC_MCAST_MAGIC, SYNC_MCAST_MAGIC_LEN) != 0) {
		*why = "bad magic";
		return -1;
	}
	if (len > SYNC_MCAST_PLAIN_MAX) {
		*why = "too long";
		return -1;
	}
	off = SYNC_MCAST_MAGIC_LEN;
	if (len - off < 8 + 8 + 8 + 2 + 2) {
		*why = "truncated header";
		return -1;
	}
	r.p = buf + off;
	r.left = len - off;
	r.err = 0;
	a->incarnation = wire_get_int(&r, 8);
	a->seq = wire_get_int(&r, 8);
	a->time = wire_get_int(&r, 8);
	a->port = (uint16_t)wire_get_int(&r, 2);
	n = (size_t)wire_get_int(&r, 2);
	off += 8 + 8 + 8 + 2 + 2;
	if (n == 0 || n > SYNC_MCAST_HOST_MAX) {
		*why = "bad origin length";
		return -1;
	}
	if (len - off < n) {
		*why = "truncated origin";
		return -1;
	}
	a->origin = (const char *)buf + off;
	a->originlen = n;
	off += n;
	if (len - off < 2) {
		*why = "truncated advertise length";
		return -1;
	}
	r.p = buf + off;
	r.left = len - off;
	n = (size_t)wire_get_int(&r, 2);
	off += 2;
	if (n == 0 || n > SYNC_MCAST_HOST_MAX) {
		*why = "bad advertise length";
		return -1;
	}
	if (len - off < n) {
		*why = "truncated advertise";
		return -1;
	}
	a->advertise = (const char *)buf + off;
	a->advertiselen = n;
	off += n;
	if (off != len) {
		*why = "trailing bytes";
		return -1;
	}
	if (a->port == 0) {
		*why = "port 0";
		return -1;
	}
	if (!sync_mcast_host_ok(a->origin, a->originlen) ||
	    !sync_mcast_host_ok(a->advertise, a->advertiselen)) {
		*why = "bad host name";
		return -1;
	}
	return 0;
}

/* Empty the filter. */
void
sync_mcast_replay_init(struct sync_mcast_replay *r)
{
	r->n = 0;
}

/* The entry of an origin, or NULL. */
static struct sync_mcast_replay_ent *
sync_mcast_replay_find(struct sync_mcast_replay *r, const char *origin,
    size_t originlen)
{
	struct sync_mcast_replay_ent	*e;
	size_t				 i;

	for (i = 0; i < r->n; i++) {
		e = &r->ents[i];
		if (strlen(e->origin) == originlen &&
		    memcmp(e->origin, origin, originlen) == 0)
			return e;
	}
	return NULL;
}

/*
 * Accept the incarnation accepted last only with a higher seq, another
 * one only with a later time or once the last one has been silent for
 * over ttl.  Times only ever grow in an entry, so a replay of an older
 * incarnation stays behind whichever took over, even one that took over
 * after silence with a time stepped back.
 */
int
sync_mcast_replay_check(struct sync_mcast_replay *r,
    const struct sync_mcast_ann *a, time_t now, unsigned int ttl)
{
	struct sync_mcast_replay_ent	*e;
	size_t				 i, oldest = 0;

	if (a->originlen == 0 || a->originlen > SYNC_MCAST_HOST_MAX)
		return 0;
	if ((e = sync_mcast_replay_find(r, a->origin, a->originlen)) != NULL) {
		if (a->incarnation == e->incarnation) {
			if (a->seq <= e->seq)
				return 0;
		} else if (a->time <= e->time && now - e->last <= (time_t)ttl)
			return -1;
		e->incarnation = a->incarnation;
		e->seq = a->seq;
		if (a->time > e->time)
			e->time = a->time;
		e->last = now;
		return 1;
	}
	if (r->n < SYNC_MCAST_REPLAY_MAX)
		e = &r->ents[r->n++];
	else {
		for (i = 1; i < r->n; i++)
			if (r->ents[i].last < r->ents[oldest].last)
				oldest = i;
		e = &r->ents[oldest];
	}
	memcpy(e->origin, a->origin, a->originlen);
	e->origin[a->originlen] = '\0';
	e->incarnation = a->incarnation;
	e->seq = a->seq;
	e->time = a->time;
	e->last = now;
	return 1;
}

/* The next seq: on the boot clock, and always above the last. */
uint64_t
sync_mcast_seq_next(uint64_t last, uint64_t boot_us)
{
	if (boot_us > last)
		return boot_us;
	return last == UINT64_MAX ? last : last + 1;
}

/* Whether s[0..len) may name a cluster. */
static int
sync_mcast_cluster_ok(const uint8_t *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SYNC_MCAST_CLUSTER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* The clear tag of a cluster's datagrams; none for "default". */
size_t
sync_mcast_tag_encode(uint8_t *buf, const char *cluster)
{
	size_t	 len = strlen(cluster);

	if (strcmp(cluster, "default") == 0 ||
	    !sync_mcast_cluster_ok((const uint8_t *)cluster, len))
		return 0;
	memcpy(buf, SYNC_MCAST_TAG_MAGIC, 4);
	buf[4] = (uint8_t)len;
	memcpy(buf + 5, cluster, len);
	return 5 + len;
}

/* Read a datagram's tag; the offset of its sealed part. */
size_t
sync_mcast_tag_decode(const uint8_t *buf, size_t len,
    char cluster[SYNC_MCAST_CLUSTER_MAX + 1])
{
	size_t	 n;

	if (len < 5 || memcmp(buf, SYNC_MCAST_TAG_MAGIC, 4) != 0 ||
	    (n = buf[4]) > len - 5 || !sync_mcast_cluster_ok(buf + 5, n)) {
		memcpy(cluster, "default", sizeof("default"));
		return 0;
	}
	memcpy(cluster, buf + 5, n);
	cluster[n] = '\0';
	return 5 + n;
}
