/* Unit tests for json.c: the grammar, the bounds, lookups, decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json.h"

static int
parses(const char *text, size_t maxtok)
{
	struct json	 j;
	int		 rc;

	rc = json_parse(&j, text, strlen(text), maxtok);
	json_free(&j);
	return rc == 0;
}

/* What RFC 8259 allows, and what it does not. */
static void
test_grammar(void **state)
{
	static const char *const good[] = {
		"{}", "[]", " {} ", "0", "-0", "1.5e-3", "\"\"", "true",
		"null", "[1,[2,[3]],{\"a\":{}}]",
		"{\"a\":1,\"b\":[true,false]}",
		"\"\\u00e9\\n\\\"\"", "\r\n\t[ 1 , 2 ]\n",
	};
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}",
		"01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc",
		"\"\\x\"", "\"\\u12g4\"", "\"a\nb\"", "[1 2]", "{} {}", "'a'",
		"[\"\\u12\"]", "{\"a\":1 \"b\":2}", "NaN",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!parses(good[i], 100))
			fail_msg("refused: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parses(bad[i], 100))
			fail_msg("accepted: %s", bad[i]);
}

/* Depth and token caps; input not NUL-terminated is read to len only. */
static void
test_bounds(void **state)
{
	char	 deep[2 * JSON_MAX_DEPTH + 8];
	size_t	 i;

	(void)state;
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAX_DEPTH + i] = ']';
	}
	deep[2 * JSON_MAX_DEPTH] = '\0';
	assert_true(parses(deep, 100));
	memmove(deep + 1, deep, 2 * JSON_MAX_DEPTH + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_false(parses(deep, 100));

	assert_true(parses("[1,2,3]", 4));
	assert_false(parses("[1,2,3]", 3));
	{
		struct json	 j;

		/* "[1]x" cut at 3 bytes is "[1]". */
		assert_int_equal(json_parse(&j, "[1]x", 3, 10), 0);
		json_free(&j);
		assert_int_equal(json_parse(&j, "[12", 2, 10), -1);
	}
}

/* Lookups in an etcd watch reply. */
static void
test_lookup(void **state)
{
	const char	*text = "{\"result\":{\"header\":{\"revision\":\"12\"},"
	    "\"events\":[{\"kv\":{\"key\":\"YQ==\",\"lease\":\"7\"}},"
	    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"Yg==\"}}],"
	    "\"created\":true},\"n\":42}";
	struct json	 j;
	uint64_t	 v;
	char		 buf[16];
	int		 r, evs, ev, n = 0;

	(void)state;
	assert_int_equal(json_parse(&j, text, strlen(text), 100), 0);
	r = json_get(&j, 0, "result");
	assert_true(r > 0);
	assert_int_equal(json_u64(&j, json_path(&j, r, "header", "revision",
	    (const char *)NULL), &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(json_u64(&j, json_get(&j, 0, "n"), &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(json_bool(&j, json_get(&j, r, "created")), 1);
	assert_int_equal(json_bool(&j, json_get(&j, r, "canceled")), 0);
	assert_int_equal(json_get(&j, r, "missing"), -1);
	assert_int_equal(json_get(&j, json_get(&j, 0, "n"), "x"), -1);
	evs = json_get(&j, r, "events");
	for (ev = json_first(&j, evs); ev != -1; ev = json_next(&j, evs, ev)) {
		assert_int_equal(json_str(&j, json_path(&j, ev, "kv", "key",
		    (const char *)NULL), buf, sizeof(buf)), 4);
		assert_string_equal(buf, n == 0 ? "YQ==" : "Yg==");
		assert_int_equal(json_eq(&j, json_get(&j, ev, "type"),
		    "DELETE"), n == 1);
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(json_first(&j, r), -1);	/* no array */
	json_free(&j);
}

/* Strings decoded: escapes, surrogate pairs, sizes; integers bounded. */
static void
test_decode(void **state)
{
	const char	*text = "[\"a\\\"\\\\\\/\\b\\f\\n\\r\\tz\","
	    "\"\\u00e9\\ud83d\\ude00\",\"\\ud800\",\"\\u0000\",\"abcdef\","
	    "\"18446744073709551615\",\"18446744073709551616\",-1,1.5,"
	    "\"\"]";
	struct json	 j;
	char		 buf[32];
	uint64_t	 v;
	int		 t[10], i;

	(void)state;
	assert_int_equal(json_parse(&j, text, strlen(text), 100), 0);
	t[0] = json_first(&j, 0);
	for (i = 1; i < 10; i++)
		t[i] = json_next(&j, 0, t[i - 1]);
	assert_int_equal(json_next(&j, 0, t[9]), -1);
	assert_int_equal(json_str(&j, t[0], buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "a\"\\/\b\f\n\r\tz", 11);
	assert_int_equal(json_str(&j, t[1], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "\xc3\xa9\xf0\x9f\x98\x80", 7);
	assert_int_equal(json_str(&j, t[2], buf, sizeof(buf)), -1);
	assert_int_equal(json_str(&j, t[3], buf, sizeof(buf)), -1);
	assert_int_equal(json_str(&j, t[4], buf, 7), 6);
	assert_int_equal(json_str(&j, t[4], buf, 6), -1);
	assert_int_equal(json_u64(&j, t[5], &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(json_u64(&j, t[6], &v), -1);
	assert_int_equal(json_u64(&j, t[7], &v), -1);
	assert_int_equal(json_u64(&j, t[8], &v), -1);
	assert_int_equal(json_u64(&j, t[9], &v), -1);
	assert_int_equal(json_u64(&j, t[4], &v), -1);
	assert_int_equal(json_str(&j, t[9], buf, sizeof(buf)), 0);
	json_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
