/* Answers to the requests that only read state. */
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "answer.h"
#include "epmdx.h"
#include "log.h"
#include "mono.h"
#include "proto.h"
#include "registry.h"
#include "sync.h"

/* NAMES: the port header, then one line per node, newest first. */
void
answer_names(struct server *srv, struct evbuffer *out)
{
	struct node	*n;
	uint8_t		 hdr[4];
	char		 line[PROTO_LINE_MAX];
	int		 len;

	proto_encode_port_header(hdr, sizeof(hdr), srv->names_port);
	evbuffer_add(out, hdr, sizeof(hdr));
	for (n = registry_first(srv->reg); n != NULL;
	    n = registry_next(n)) {
		len = proto_encode_names_line(line, sizeof(line), n->name,
		    n->namelen, n->port);
		if (len > 0)
			evbuffer_add(out, line, (size_t)len);
	}
}

/* DUMP: header, active nodes, then remembered ones, each line + NUL. */
void
answer_dump(struct server *srv, struct evbuffer *out)
{
	struct node	*n;
	uint8_t		 hdr[4];
	char		 line[PROTO_LINE_MAX];
	int		 len;

	proto_encode_port_header(hdr, sizeof(hdr), srv->names_port);
	evbuffer_add(out, hdr, sizeof(hdr));
	for (n = registry_first(srv->reg); n != NULL;
	    n = registry_next(n)) {
		len = proto_encode_dump_line(line, sizeof(line), 1, n->name,
		    n->namelen, n->port, n->fd);
		if (len > 0)
			evbuffer_add(out, line, (size_t)len);
	}
	for (n = registry_unreg_first(srv->reg); n != NULL;
	    n = registry_next(n)) {
		len = proto_encode_dump_line(line, sizeof(line), 0, n->name,
		    n->namelen, n->port, n->fd);
		if (len > 0)
			evbuffer_add(out, line, (size_t)len);
	}
}

/* STATUS (ours): key=value lines describing the daemon. */
void
answer_status(struct server *srv, struct evbuffer *out)
{
	evbuffer_add_printf(out,
	    "version=%s\npid=%ld\nuptime=%lld\nport=%u\n"
	    "registrations=%zu\nunreg_cached=%zu\nconnections=%u\n"
	    "max_connections=%u\nnofile_limit=%lu\nlisteners=%u\n"
	    "relaxed_command_check=%d\npacket_timeout=%u\n"
	    "accepted=%llu\nrefused=%llu\ndropped=%llu\nevicted=%llu\n"
	    "timeouts=%llu\nsync=%s\nwatchers=%u\ncluster=%s\n",
	    EPMDX_VERSION, (long)getpid(),
	    (long long)(mono_now() - srv->started_mono), srv->names_port,
	    registry_count(srv->reg), registry_unreg_count(srv->reg),
	    srv->nrequests, srv->conf.max_connections, srv->nofile,
	    srv->nlisteners, srv->conf.relaxed, srv->conf.packet_timeout,
	    (unsigned long long)srv->stats.accepted,
	    (unsigned long long)srv->stats.refused,
	    (unsigned long long)srv->stats.dropped,
	    (unsigned long long)srv->stats.evicted,
	    (unsigned long long)srv->stats.timeouts,
	    srv->sync != NULL ? "on" : "off", srv->nwatchers,
	    sync_cluster(srv));
}

/*
 * RESOLVE name@host: the node from the cluster table, or NULL; addr gets
 * the address of the host it runs on.
 */
const struct node *
answer_resolve(struct server *srv, const struct proto_req *req, char *addr,
    size_t addrsize)
{
	const uint8_t	*at;
	char		 host[256];
	size_t		 namelen, hostlen;

	at = memrchr(req->node.name, '@', req->node.namelen);
	namelen = (size_t)(at - req->node.name);
	hostlen = req->node.namelen - namelen - 1;
	if (namelen == 0 || hostlen == 0 || hostlen >= sizeof(host))
		return NULL;
	memcpy(host, at + 1, hostlen);
	host[hostlen] = '\0';
	return sync_resolve(srv, req->node.name, namelen, host, addr,
	    addrsize);
}

/* PORT2 reply for n, or 'w',1 when NULL. */
int
answer_port2(const struct node *n, uint8_t *buf, size_t size)
{
	struct proto_node	 view;
	int			 len;

	if (n != NULL)
		registry_node_view(n, &view);
	if ((len = proto_encode_port2_resp(buf, size, n != NULL ? &view :
	    NULL)) < 0)
		fatalx("answer_port2: reply does not fit");
	return len;
}
