/*
 * The control socket: a unix socket for the requests that change the
 * daemon (UPGRADE), answered only for those the kernel says may ask:
 * root, the daemon's own user, members of control_group (SO_PEERCRED,
 * SO_PEERGROUPS).  TCP never carries these requests.
 */
#ifndef CONTROL_H
#define CONTROL_H

struct server;

/*
 * Listen on the configured control socket: the one handed over by the
 * process we replaced (live upgrade), else a new one (a stale file from
 * a crash is replaced; a live daemon's socket is never taken).  A failure
 * is logged and the daemon serves on without it.
 */
void	control_open(struct server *);
/* After a reload: re-create the socket if its path or group changed. */
void	control_reload(struct server *);
/*
 * Before an upgrade's exec (on 1): keep the listener open across it and
 * name it in the environment; returns its fd or -1.  After a failed
 * exec (on 0): undo that.
 */
int	control_handover(int on);
/* Shutdown: close clients and the listener, remove the socket file. */
void	control_close(void);

#endif /* CONTROL_H */
