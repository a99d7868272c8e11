/*
 * A small, bounded JSON reader (pure: no I/O, no libevent), enough for
 * etcd's gateway replies.  json_parse() checks a whole document and
 * lays its values out as tokens in document order: an object's or an
 * array's children follow it, an object's as key, value pairs.  Values
 * are then looked up by token index; strings are decoded on demand.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_OBJECT = 1,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

#define JSON_MAX_DEPTH	32

struct json_tok {
	enum json_type	 type;
	size_t		 start;		/* first byte (a string's: after '"') */
	size_t		 end;		/* after the last (before '"') */
	size_t		 size;		/* children: pairs count twice */
	size_t		 span;		/* tokens in its subtree, itself too */
};

struct json {
	const char	*text;
	size_t		 len;
	struct json_tok	*tok;
	size_t		 ntok;
	size_t		 cap;
	size_t		 max;		/* most tokens allowed */
};

/*
 * Parse text[0..len) as one JSON value (whitespace around allowed) into
 * j, with at most maxtok tokens.  0, or -1 for bad or too deep or too
 * big input (j is then empty).  json_free() either way.
 */
int		 json_parse(struct json *j, const char *text, size_t len,
		    size_t maxtok);
void		 json_free(struct json *j);
/* The value of key in object t, or -1 (t no object, key absent). */
int		 json_get(const struct json *, int t, const char *key);
/* A path of keys from t, like json_get() repeated; NULL ends it. */
int		 json_path(const struct json *, int t, ...);
/* The first child of array t, the one after child c, or -1. */
int		 json_first(const struct json *, int t);
int		 json_next(const struct json *, int t, int c);
/*
 * String t decoded into buf (NUL-terminated, \u escapes to UTF-8);
 * its length, or -1 (no string, does not fit, bad escape).
 */
int		 json_str(const struct json *, int t, char *buf, size_t size);
/* Whether string t equals s (no escapes compared). */
int		 json_eq(const struct json *, int t, const char *s);
/*
 * A non-negative integer from number t or from string t (etcd writes
 * 64-bit numbers as strings); -1 if t is neither or out of range.
 */
int		 json_u64(const struct json *, int t, uint64_t *v);
/* 1 for true, 0 for false or absent (t = -1), -1 otherwise. */
int		 json_bool(const struct json *, int t);

#endif /* JSON_H */
