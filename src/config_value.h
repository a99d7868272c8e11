/*
 * The value checks config.c's key table uses (config_value.c); those other
 * modules use too are in config.h.  Each check returns NULL or an error
 * message the caller frees.
 */
#ifndef CONFIG_VALUE_H
#define CONFIG_VALUE_H

/* A boolean (yes/no, true/false, on/off, 1/0); -1 if it is none. */
int	 config_bool(const char *);
/* A size: bytes, or a number with K, M or G (1024-based); -1 if none. */
int	 config_size(const char *, unsigned long long *bytes);
/* An address list (IP literals, at most CONF_MAX_ADDRESSES). */
char	*config_check_list(const char *list);
/* One host[:port] list (or a single one when single). */
char	*config_check_hostports(const char *key, const char *value,
	    int single);
/* A list of sync backend names. */
char	*config_check_backends(const char *value);
/* An absolute path a unix socket can be bound to. */
char	*config_check_sockpath(const char *key, const char *value);
/* A group name as useradd(8) takes it. */
char	*config_check_groupname(const char *key, const char *value);

#endif /* CONFIG_VALUE_H */
