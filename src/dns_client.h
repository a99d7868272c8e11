/*
 * A UDP stub resolver for one batch of questions at a time: asks one name
 * server (configured, else resolv.conf's first) on a connected socket per
 * question, with a random source port and id, a timeout and one retry,
 * and hands each matching answer to the asker.  One failure (no socket,
 * timeout, an answer the asker rejects) gives the whole batch up.
 */
#ifndef DNS_CLIENT_H
#define DNS_CLIENT_H

#include <sys/socket.h>

#include <stdint.h>

struct event_base;
struct dns_client;
struct dns_resp;

#define DNS_CLIENT_RESOLV	"/etc/resolv.conf"

/* An answer to a question about name of type qtype. */
typedef void	dns_client_answer_cb(void *arg, const char *name,
		    uint16_t qtype, const struct dns_resp *);
/*
 * The batch is over: failed is NULL, or why it was given up; ignored
 * counts the stray or malformed datagrams it saw.
 */
typedef void	dns_client_done_cb(void *arg, const char *failed,
		    unsigned int ignored);

struct dns_client *dns_client_new(struct event_base *, dns_client_done_cb *,
		    void *arg);
/*
 * Start a batch asking spec ("ip[:port]", "[v6]:port"; NULL: resolv.conf)
 * and forget the last one's questions.  0, or -1 with *why (the batch is
 * then over and done is not called).
 */
int		 dns_client_begin(struct dns_client *, const char *spec,
		    const char **why);
/* Queue a question; cb(arg, ...) hears its answer. */
void		 dns_client_ask(struct dns_client *, const char *name,
		    uint16_t qtype, dns_client_answer_cb *cb, void *arg);
/* Ask what is queued (answers' callbacks may queue more). */
void		 dns_client_run(struct dns_client *);
/* From an answer callback: give the batch up. */
void		 dns_client_fail(struct dns_client *, const char *why);
/* Forget the batch under way, if any, without calling done. */
void		 dns_client_cancel(struct dns_client *);
void		 dns_client_free(struct dns_client *);
/* The name server last asked, "ip:port", or "" before the first batch. */
const char	*dns_client_server(const struct dns_client *);
/* Parse a dns_server value; 0, or -1 with *cause. */
int		 dns_client_server_addr(const char *spec,
		    struct sockaddr_storage *, socklen_t *, char **cause);

#endif /* DNS_CLIENT_H */
