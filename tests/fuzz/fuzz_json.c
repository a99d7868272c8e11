/*
 * libFuzzer target for the JSON reader: json_parse() on the input with a
 * small and a large token budget, then every lookup and decoder on every
 * token it made.  Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Walk every token: children stay inside their parent. */
static void
walk(const struct json *j)
{
	char		 buf[64];
	uint64_t	 v;
	size_t		 i;
	int		 c, n;

	for (i = 0; i < j->ntok; i++) {
		if (j->tok[i].span == 0 || i + j->tok[i].span > j->ntok)
			abort();
		if (j->tok[i].end > j->len || j->tok[i].start > j->tok[i].end)
			abort();
		n = json_str(j, (int)i, buf, sizeof(buf));
		if (n >= (int)sizeof(buf) || (n >= 0 && buf[n] != '\0'))
			abort();
		(void)json_u64(j, (int)i, &v);
		(void)json_bool(j, (int)i);
		(void)json_get(j, (int)i, "kvs");
		for (c = json_first(j, (int)i); c != -1;
		    c = json_next(j, (int)i, c))
			if ((size_t)c <= i || (size_t)c >= i + j->tok[i].span)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json	 j;
	char		*copy;

	/* No NUL at the end: the reader must stop at size. */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (json_parse(&j, copy, size, 8) == 0) {
		walk(&j);
		json_free(&j);
	}
	if (json_parse(&j, copy, size, 100000) == 0) {
		walk(&j);
		json_free(&j);
	}
	free(copy);
	return 0;
}
