/*
 * systemd glue (sd-daemon API only): socket activation and notify.
 * Built with WITH_SYSTEMD=0 these are stubs: no sockets, notify ignored.
 */
#ifndef SD_H
#define SD_H

#define SD_MAX_LISTEN_FDS	16	/* as stock's -systemd */

/*
 * Listening sockets passed by systemd (LISTEN_FDS for our pid).  Returns
 * how many, starting at fd 3, 0 if none, -1 on error with *cause set.
 */
int	sd_listen(char **cause);
/* sd_notify(0, state); no-op when not under systemd. */
void	sd_notifyf_state(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif /* SD_H */
