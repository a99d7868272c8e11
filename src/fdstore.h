/*
 * systemd fd store: every registration socket is stored with systemd
 * (FDNAME=epmdx-reg-ID) and the registrations are journaled, in the
 * handover format, to a memfd stored beside them (epmdx-state-a or -b).
 * After `systemctl restart` or a crash with Restart=, systemd passes it
 * all back and the new process adopts every registration still open.
 * On when EPMDX_FDSTORE=1 (the unit sets it with FileDescriptorStoreMax)
 * and NOTIFY_SOCKET are set.
 */
#ifndef FDSTORE_H
#define FDSTORE_H

struct node;
struct server;

/* Decide whether the fd store is used. */
void	fdstore_init(struct server *);
/*
 * After the event base exists and before the listeners open: adopt
 * what systemd passed back.  Returns the registrations adopted.
 */
int	fdstore_load(struct server *);
/* Once running: write a fresh journal with the current state. */
void	fdstore_start(struct server *);
/* A registration came: store its socket, journal it. */
void	fdstore_added(struct server *, struct node *);
/* A registration went: drop its socket from the store, journal it. */
void	fdstore_removed(struct server *, struct node *);
/* Before an exec: keep the journal across it; its fd or -1. */
int	fdstore_export(void);
/* The journal inherited over an exec, or -1 (after fdstore_init()). */
int	fdstore_fd(void);
/*
 * A handed-over state was rejected: drop every journaled registration's
 * socket from the store, so none outlives the state that described it.
 */
void	fdstore_forget(void);
/* Shutting down: keep the store as it is, so a restart finds it all. */
void	fdstore_freeze(void);

#endif /* FDSTORE_H */
