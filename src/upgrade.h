/*
 * Live upgrade: re-execute the binary on disk, handing over the listening
 * sockets, every registration socket with its node and creation counter,
 * the memory of unregistered names and the sync state, through a memfd
 * in the handover format (handover.h).  Nodes see no disconnect.
 */
#ifndef UPGRADE_H
#define UPGRADE_H

struct server;

/* What the old process tells the new one (upgrade.c to upgrade_adopt.c). */
#define UPGRADE_ENV_FD		"EPMDX_HANDOVER_FD"	/* the snapshot */
#define UPGRADE_ENV_LISTEN	"EPMDX_HANDOVER_LISTEN"	/* "fd,fd,..." */
#define UPGRADE_ENV_READY	"EPMDX_UPGRADE_READY"	/* "fd,pid": standby */

/* The old process: upgrade.c. */

/* Remember the binary's path and arguments for the re-exec. */
void	upgrade_init(int argc, char **argv);
/*
 * Start an upgrade (SIGUSR2: reply_fd -1; epmdxctl upgrade: the client's
 * socket, answered "OK pid version" by the new process or "ERR reason"
 * by this one).  If the new binary fails its check or exec fails, this
 * process keeps serving.
 */
void	upgrade_start(struct server *, int reply_fd);
/* Write a line to the epmdxctl client on *fd (if not -1); close it. */
void	upgrade_answer(int *fd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The new process: upgrade_adopt.c. */

/*
 * First thing at start, before any descriptor is opened: read and
 * validate a handed-over state (EPMDX_HANDOVER_FD); a damaged one is
 * logged and its sockets closed, but for the listeners.
 */
void	upgrade_load(struct server *);
/*
 * Once the event base exists: adopt what upgrade_load() validated.
 * Returns 1 when listeners (and state) were adopted, 0 when there was no
 * handover; a damaged state is logged, its sockets closed, and only the
 * listeners kept (1) so the daemon starts clean without a port clash.
 */
int	upgrade_adopt(struct server *);
/* The new process serves: release the standby the old one left. */
void	upgrade_ready(void);
/* After sync started: put back remote origins, answer epmdxctl. */
void	upgrade_finish(struct server *);

#endif /* UPGRADE_H */
