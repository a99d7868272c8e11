/*
 * systemd glue (sd-daemon API only): the descriptors systemd passes
 * (socket activation and the fd store), notify, and storing descriptors.
 * Built with WITH_SYSTEMD=0 these are stubs: nothing passed, nothing
 * stored, notify ignored.
 */
#ifndef SD_H
#define SD_H

#define SD_MAX_LISTEN_FDS	16	/* listening sockets, as stock's -systemd */
#define SD_FDS_START		3	/* SD_LISTEN_FDS_START */

/*
 * Collect what systemd passed (LISTEN_FDS for our pid, with names), once.
 * Returns how many, or -1 with *cause set.
 */
int	sd_collect(char **cause);
/*
 * Claim the passed descriptors whose name starts with prefix: up to max
 * fds (and their names, caller frees, when names is not NULL).
 */
int	sd_take(const char *prefix, int *fds, char **names, int max);
/* The unclaimed descriptors: listening sockets.  -1 with *cause. */
int	sd_listen(int *fds, int max, char **cause);
/* Put fd in the service's fd store under name; -1 if refused. */
int	sd_store_fd(int fd, const char *name);
/* Drop every stored descriptor of that name. */
void	sd_store_remove(const char *name);
/* The watchdog interval systemd asks for, in microseconds; 0 if none. */
unsigned long long sd_watchdog_usec(void);
/* sd_notify(0, state); no-op when not under systemd. */
void	sd_notifyf_state(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif /* SD_H */
