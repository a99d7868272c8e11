/*
 * A bounded JSON reader: a recursive descent over one document (depth
 * capped at JSON_MAX_DEPTH, tokens at the caller's maximum) that checks
 * RFC 8259's grammar and records tokens; lookups by key and index, and
 * string and integer decoding on demand.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct json_p {
	struct json	*j;
	size_t		 pos;
	int		 depth;
};

static int	json_value(struct json_p *);

/* Skip JSON whitespace. */
static void
json_ws(struct json_p *p)
{
	const char	*t = p->j->text;

	while (p->pos < p->j->len && (t[p->pos] == ' ' ||
	    t[p->pos] == '\t' || t[p->pos] == '\n' || t[p->pos] == '\r'))
		p->pos++;
}

/* A new token of type at the current position; its index or -1. */
static int
json_tok_new(struct json_p *p, enum json_type type)
{
	struct json	*j = p->j;
	struct json_tok	*t;
	size_t		 ncap;

	if (j->ntok >= j->max || j->ntok >= INT32_MAX)
		return -1;
	if (j->ntok == j->cap) {
		ncap = j->cap == 0 ? 64 : j->cap * 2;
		if (ncap > j->max)
			ncap = j->max;
		if ((t = reallocarray(j->tok, ncap, sizeof(*t))) == NULL)
			return -1;
		j->tok = t;
		j->cap = ncap;
	}
	t = &j->tok[j->ntok];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->start = p->pos;
	t->span = 1;
	return (int)j->ntok++;
}

/* A string from its opening quote; the token covers what is inside. */
static int
json_string(struct json_p *p)
{
	const char	*s = p->j->text;
	size_t		 len = p->j->len;
	int		 t, i;

	p->pos++;
	if ((t = json_tok_new(p, JSON_STRING)) == -1)
		return -1;
	while (p->pos < len && s[p->pos] != '"') {
		if ((unsigned char)s[p->pos] < 0x20)
			return -1;
		if (s[p->pos] != '\\') {
			p->pos++;
			continue;
		}
		if (++p->pos >= len)
			return -1;
		if (s[p->pos] == 'u') {
			for (i = 1; i <= 4; i++)
				if (p->pos + (size_t)i >= len ||
				    strchr("0123456789abcdefABCDEF",
				    s[p->pos + (size_t)i]) == NULL ||
				    s[p->pos + (size_t)i] == '\0')
					return -1;
			p->pos += 5;
		} else if (strchr("\"\\/bfnrt", s[p->pos]) != NULL &&
		    s[p->pos] != '\0')
			p->pos++;
		else
			return -1;
	}
	if (p->pos >= len)
		return -1;
	p->j->tok[t].end = p->pos++;
	return t;
}

/* A number, as RFC 8259 writes them. */
static int
json_number(struct json_p *p)
{
	const char	*s = p->j->text;
	size_t		 len = p->j->len, digits;
	int		 t;

	if ((t = json_tok_new(p, JSON_NUMBER)) == -1)
		return -1;
	if (p->pos < len && s[p->pos] == '-')
		p->pos++;
	if (p->pos < len && s[p->pos] == '0')
		p->pos++;
	else {
		for (digits = 0; p->pos < len && s[p->pos] >= '0' &&
		    s[p->pos] <= '9'; digits++)
			p->pos++;
		if (digits == 0)
			return -1;
	}
	if (p->pos < len && s[p->pos] == '.') {
		p->pos++;
		for (digits = 0; p->pos < len && s[p->pos] >= '0' &&
		    s[p->pos] <= '9'; digits++)
			p->pos++;
		if (digits == 0)
			return -1;
	}
	if (p->pos < len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		for (digits = 0; p->pos < len && s[p->pos] >= '0' &&
		    s[p->pos] <= '9'; digits++)
			p->pos++;
		if (digits == 0)
			return -1;
	}
	p->j->tok[t].end = p->pos;
	return t;
}

/* true, false or null. */
static int
json_word(struct json_p *p, const char *w, enum json_type type)
{
	size_t	 n = strlen(w);
	int	 t;

	if (p->j->len - p->pos < n || memcmp(p->j->text + p->pos, w, n) != 0)
		return -1;
	if ((t = json_tok_new(p, type)) == -1)
		return -1;
	p->pos += n;
	p->j->tok[t].end = p->pos;
	return t;
}

/* An object or an array, from its opening bracket. */
static int
json_container(struct json_p *p, int object)
{
	struct json	*j = p->j;
	char		 close = object ? '}' : ']';
	int		 t, k;

	if (++p->depth > JSON_MAX_DEPTH)
		return -1;
	if ((t = json_tok_new(p, object ? JSON_OBJECT : JSON_ARRAY)) == -1)
		return -1;
	p->pos++;
	json_ws(p);
	if (p->pos < j->len && j->text[p->pos] == close)
		goto done;
	for (;;) {
		json_ws(p);
		if (object) {
			if (p->pos >= j->len || j->text[p->pos] != '"' ||
			    (k = json_string(p)) == -1)
				return -1;
			j->tok[t].size++;
			json_ws(p);
			if (p->pos >= j->len || j->text[p->pos] != ':')
				return -1;
			p->pos++;
			json_ws(p);
		}
		if ((k = json_value(p)) == -1)
			return -1;
		j->tok[t].size++;
		json_ws(p);
		if (p->pos < j->len && j->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < j->len && j->text[p->pos] == close)
			break;
		return -1;
	}
done:
	p->pos++;
	j->tok[t].end = p->pos;
	j->tok[t].span = j->ntok - (size_t)t;
	p->depth--;
	return t;
}

/* Any value. */
static int
json_value(struct json_p *p)
{
	char	 c;

	if (p->pos >= p->j->len)
		return -1;
	c = p->j->text[p->pos];
	switch (c) {
	case '{':
		return json_container(p, 1);
	case '[':
		return json_container(p, 0);
	case '"':
		return json_string(p);
	case 't':
		return json_word(p, "true", JSON_TRUE);
	case 'f':
		return json_word(p, "false", JSON_FALSE);
	case 'n':
		return json_word(p, "null", JSON_NULL);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return json_number(p);
		return -1;
	}
}

/* Parse one document. */
int
json_parse(struct json *j, const char *text, size_t len, size_t maxtok)
{
	struct json_p	 p;

	memset(j, 0, sizeof(*j));
	j->text = text;
	j->len = len;
	j->max = maxtok;
	memset(&p, 0, sizeof(p));
	p.j = j;
	json_ws(&p);
	if (json_value(&p) == -1)
		goto bad;
	json_ws(&p);
	if (p.pos != len)
		goto bad;
	return 0;
bad:
	json_free(j);
	return -1;
}

/* Free the tokens. */
void
json_free(struct json *j)
{
	free(j->tok);
	j->tok = NULL;
	j->ntok = j->cap = 0;
}

/* Whether t is a token of j. */
static int
json_valid(const struct json *j, int t)
{
	return t >= 0 && (size_t)t < j->ntok;
}

/* The value of key in object t. */
int
json_get(const struct json *j, int t, const char *key)
{
	size_t	 i, k;

	if (!json_valid(j, t) || j->tok[t].type != JSON_OBJECT)
		return -1;
	k = (size_t)t + 1;
	for (i = 0; i < j->tok[t].size / 2; i++) {
		if (json_eq(j, (int)k, key))
			return (int)k + 1;
		k += 1 + j->tok[k + 1].span;
	}
	return -1;
}

/* Keys one after the other. */
int
json_path(const struct json *j, int t, ...)
{
	va_list		 ap;
	const char	*key;

	va_start(ap, t);
	while (t != -1 && (key = va_arg(ap, const char *)) != NULL)
		t = json_get(j, t, key);
	va_end(ap);
	return t;
}

/* The first element of array t. */
int
json_first(const struct json *j, int t)
{
	if (!json_valid(j, t) || j->tok[t].type != JSON_ARRAY ||
	    j->tok[t].size == 0)
		return -1;
	return t + 1;
}

/* The element after c in array t. */
int
json_next(const struct json *j, int t, int c)
{
	size_t	 n;

	if (!json_valid(j, t) || !json_valid(j, c) || c <= t)
		return -1;
	n = (size_t)c + j->tok[c].span;
	if (n >= (size_t)t + j->tok[t].span)
		return -1;
	return (int)n;
}

/* Whether string t is s, byte for byte as written. */
int
json_eq(const struct json *j, int t, const char *s)
{
	size_t	 n = strlen(s);

	return json_valid(j, t) && j->tok[t].type == JSON_STRING &&
	    j->tok[t].end - j->tok[t].start == n &&
	    memcmp(j->text + j->tok[t].start, s, n) == 0;
}

/* Four hex digits. */
static unsigned int
json_hex4(const char *s)
{
	unsigned int	 v = 0;
	int		 i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (unsigned int)(s[i] - 'a' + 10);
		else
			v |= (unsigned int)(s[i] - 'A' + 10);
	}
	return v;
}

/* Append code point c as UTF-8; -1 if it does not fit. */
static int
json_utf8(char *buf, size_t size, size_t *o, unsigned int c)
{
	uint8_t	 b[4];
	size_t	 n, i;

	if (c < 0x80) {
		b[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | c >> 6);
		b[1] = (uint8_t)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | c >> 12);
		b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | c >> 18);
		b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*o + n >= size)
		return -1;
	for (i = 0; i < n; i++)
		buf[(*o)++] = (char)b[i];
	return 0;
}

/* String t, decoded. */
int
json_str(const struct json *j, int t, char *buf, size_t size)
{
	const char	*s;
	size_t		 i, end, o = 0;
	unsigned int	 c, lo;
	const char	*esc = "\"\\/bfnrt", *val = "\"\\/\b\f\n\r\t";

	if (!json_valid(j, t) || j->tok[t].type != JSON_STRING || size == 0 ||
	    j->tok[t].end - j->tok[t].start > INT32_MAX)
		return -1;
	s = j->text;
	end = j->tok[t].end;
	for (i = j->tok[t].start; i < end;) {
		if (s[i] != '\\') {
			if (o + 1 >= size)
				return -1;
			buf[o++] = s[i++];
			continue;
		}
		i++;			/* json_string() checked the escape */
		if (s[i] != 'u') {
			if (o + 1 >= size)
				return -1;
			buf[o++] = val[strchr(esc, s[i]) - esc];
			i++;
			continue;
		}
		c = json_hex4(s + i + 1);
		i += 5;
		if (c >= 0xd800 && c < 0xdc00 && i + 6 <= end &&
		    s[i] == '\\' && s[i + 1] == 'u' &&
		    (lo = json_hex4(s + i + 2)) >= 0xdc00 && lo < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (c >= 0xd800 && c < 0xe000)
			return -1;	/* a lone surrogate */
		if (c == 0 || json_utf8(buf, size, &o, c) == -1)
			return -1;
	}
	buf[o] = '\0';
	return (int)o;
}

/* An integer, from a number or a string of digits. */
int
json_u64(const struct json *j, int t, uint64_t *v)
{
	const char	*s;
	size_t		 i, start, end;
	uint64_t	 n = 0;

	if (!json_valid(j, t) || (j->tok[t].type != JSON_NUMBER &&
	    j->tok[t].type != JSON_STRING))
		return -1;
	s = j->text;
	start = j->tok[t].start;
	end = j->tok[t].end;
	if (start == end || end - start > 20)
		return -1;
	for (i = start; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return 0;
}

/* A boolean; absent is false. */
int
json_bool(const struct json *j, int t)
{
	if (t == -1)
		return 0;
	if (!json_valid(j, t))
		return -1;
	if (j->tok[t].type == JSON_TRUE)
		return 1;
	if (j->tok[t].type == JSON_FALSE)
		return 0;
	return -1;
}
