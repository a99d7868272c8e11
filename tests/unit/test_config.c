/* Unit tests for config.c: defaults, inih input, errors, environment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "config.h"

#define NAME		"t.conf"	/* the name causes start with */
#define MISSING		"/nonexistent/epmdx-test/epmdx.conf"

/* Recognisable values no default or test input uses. */
#define PRE_PORT	1111
#define PRE_ADDRESS	"192.0.2.1 192.0.2.2"
#define PRE_TIMEOUT	77
#define PRE_ACCEPT	3
#define PRE_WRITE	4
#define PRE_MAXCONN	555
#define PRE_UNREG	66
#define PRE_LEVEL	2

/* Fill conf with the recognisable values (owns a strdup'd address). */
static void
prefill(struct epmd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->port = PRE_PORT;
	conf->address = strdup(PRE_ADDRESS);
	assert_non_null(conf->address);
	conf->relaxed = 1;
	conf->packet_timeout = PRE_TIMEOUT;
	conf->delay_accept = PRE_ACCEPT;
	conf->delay_write = PRE_WRITE;
	conf->max_connections = PRE_MAXCONN;
	conf->unreg_cache = PRE_UNREG;
	conf->log_level = PRE_LEVEL;
}

/* 1 if conf still holds every prefill() value. */
static int
is_prefilled(const struct epmd_conf *conf)
{
	return conf->port == PRE_PORT && conf->address != NULL &&
	    strcmp(conf->address, PRE_ADDRESS) == 0 && conf->relaxed == 1 &&
	    conf->packet_timeout == PRE_TIMEOUT &&
	    conf->delay_accept == PRE_ACCEPT &&
	    conf->delay_write == PRE_WRITE &&
	    conf->max_connections == PRE_MAXCONN &&
	    conf->unreg_cache == PRE_UNREG && conf->log_level == PRE_LEVEL;
}

/* Assert conf holds the built-in defaults. */
static void
assert_defaults(const struct epmd_conf *conf)
{
	assert_int_equal(conf->port, 4369);
	assert_null(conf->address);
	assert_int_equal(conf->relaxed, 0);
	assert_int_equal(conf->packet_timeout, 60);
	assert_int_equal(conf->delay_accept, 0);
	assert_int_equal(conf->delay_write, 0);
	assert_int_equal(conf->max_connections, 8192);
	assert_int_equal(conf->unreg_cache, 1000);
	assert_int_equal(conf->log_level, 1);
}

/* Load text that must parse; conf starts prefilled and must be replaced. */
static void
load_ok(const char *text, struct epmd_conf *conf)
{
	char	*cause = NULL;
	int	 rc;

	prefill(conf);
	rc = config_load_string(text, NAME, conf, &cause);
	if (rc != 0)
		print_message("text %s: cause %s\n", text, cause);
	free(cause);
	assert_int_equal(rc, 0);
	assert_null(cause);
}

/*
 * Load text that must fail; copy the cause into got, free everything and
 * return whether the prefilled conf survived untouched.
 */
static int
load_bad(const char *text, char *got, size_t gotsize)
{
	struct epmd_conf conf;
	char		*cause = NULL;
	int		 rc, untouched;

	prefill(&conf);
	rc = config_load_string(text, NAME, &conf, &cause);
	snprintf(got, gotsize, "%s", rc == -1 && cause != NULL ? cause :
	    "(no error)");
	free(cause);
	untouched = is_prefilled(&conf);
	config_free(&conf);
	if (rc == 0)
		return 0;
	return untouched;
}

/* text must fail with exactly want, leaving the caller's conf alone. */
static void
expect_error(const char *text, const char *want)
{
	char	 got[512];
	int	 untouched;

	untouched = load_bad(text, got, sizeof(got));
	assert_string_equal(got, want);
	assert_true(untouched);
}

/* text must fail with a cause starting with want. */
static void
expect_error_prefix(const char *text, const char *want)
{
	char	 got[512];
	int	 untouched;

	untouched = load_bad(text, got, sizeof(got));
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("text \"%s\": got \"%s\", want prefix \"%s\"", text,
		    got, want);
	assert_true(untouched);
}

/* The unsigned member for key. */
static unsigned int
uint_field(const struct epmd_conf *conf, const char *key)
{
	if (strcmp(key, "port") == 0)
		return conf->port;
	if (strcmp(key, "packet_timeout") == 0)
		return conf->packet_timeout;
	if (strcmp(key, "delay_accept") == 0)
		return conf->delay_accept;
	if (strcmp(key, "delay_write") == 0)
		return conf->delay_write;
	if (strcmp(key, "max_connections") == 0)
		return conf->max_connections;
	if (strcmp(key, "unreg_cache") == 0)
		return conf->unreg_cache;
	fail_msg("no key %s", key);
	return 0;
}

/* Unset the three variables config_apply_env() reads. */
static void
clear_env(void)
{
	unsetenv("ERL_EPMD_PORT");
	unsetenv("ERL_EPMD_ADDRESS");
	unsetenv("ERL_EPMD_RELAXED_COMMAND_CHECK");
}

/* config_defaults() and an empty text give the documented defaults. */
static void
test_defaults(void **state)
{
	struct epmd_conf conf;

	(void)state;
	memset(&conf, 0xa5, sizeof(conf));
	config_defaults(&conf);
	assert_defaults(&conf);

	load_ok("", &conf);
	assert_defaults(&conf);
	config_free(&conf);

	load_ok("; only a comment\n# and another\n\n   \n", &conf);
	assert_defaults(&conf);
	config_free(&conf);
	config_free(&conf);		/* twice is harmless */
}

/* Every key set to a valid value. */
static void
test_all_keys(void **state)
{
	struct epmd_conf conf;

	(void)state;
	load_ok("port = 4370\n"
	    "address = 127.0.0.1, ::1\n"
	    "relaxed_command_check = yes\n"
	    "packet_timeout = 120\n"
	    "delay_accept = 2\n"
	    "delay_write = 5\n"
	    "max_connections = 100\n"
	    "unreg_cache = 0\n"
	    "log_level = debug\n", &conf);
	assert_int_equal(conf.port, 4370);
	assert_non_null(conf.address);
	assert_string_equal(conf.address, "127.0.0.1, ::1");
	assert_int_equal(conf.relaxed, 1);
	assert_int_equal(conf.packet_timeout, 120);
	assert_int_equal(conf.delay_accept, 2);
	assert_int_equal(conf.delay_write, 5);
	assert_int_equal(conf.max_connections, 100);
	assert_int_equal(conf.unreg_cache, 0);
	assert_int_equal(conf.log_level, 2);
	config_free(&conf);
	assert_null(conf.address);

	/* Unmentioned keys keep their defaults, not the caller's values. */
	load_ok("port=5000", &conf);
	assert_int_equal(conf.port, 5000);
	assert_null(conf.address);
	assert_int_equal(conf.relaxed, 0);
	assert_int_equal(conf.packet_timeout, 60);
	config_free(&conf);

	/* The last of repeated keys wins; an inline ';' comment is dropped. */
	load_ok("port = 1\nport = 2 ; the second\n", &conf);
	assert_int_equal(conf.port, 2);
	config_free(&conf);
}

/* Booleans: six spellings each way, any case; anything else rejected. */
static void
test_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
	    "True", "oN" };
	static const char *const no[] = { "no", "false", "off", "0", "NO",
	    "False", "OFF" };
	static const char *const bad[] = { "2", "y", "n", "yess", "enabled",
	    "-1", "01" };
	struct epmd_conf conf;
	char		 text[128], want[160];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "relaxed_command_check = %s\n",
		    yes[i]);
		load_ok(text, &conf);
		if (conf.relaxed != 1)
			fail_msg("%s did not set relaxed", yes[i]);
		config_free(&conf);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), "relaxed_command_check = on\n"
		    "relaxed_command_check = %s\n", no[i]);
		load_ok(text, &conf);
		if (conf.relaxed != 0)
			fail_msg("%s did not clear relaxed", no[i]);
		config_free(&conf);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "relaxed_command_check = %s\n",
		    bad[i]);
		snprintf(want, sizeof(want), NAME ":1: relaxed_command_check: "
		    "\"%s\" is not yes or no", bad[i]);
		expect_error(text, want);
	}
	expect_error("relaxed_command_check =\n", NAME
	    ":1: relaxed_command_check: \"\" is not yes or no");
}

/* Integer keys: bounds and malformed numbers. */
static void
test_integers(void **state)
{
	static const struct {
		const char	*key;
		const char	*value;
		long long	 want;		/* -1: rejected */
	} cases[] = {
		{ "port", "0", -1 },
		{ "port", "1", 1 },
		{ "port", "65535", 65535 },
		{ "port", "65536", -1 },
		{ "port", "4369", 4369 },
		{ "port", "04370", 4370 },
		{ "port", "-1", -1 },
		{ "port", "-4369", -1 },
		{ "port", "+5", -1 },
		{ "port", "12abc", -1 },
		{ "port", "0x10", -1 },
		{ "port", "1e3", -1 },
		{ "port", "5.0", -1 },
		{ "port", "", -1 },
		{ "port", "99999999999", -1 },
		{ "port", "4294967297", -1 },	/* 1 after a 32-bit wrap */
		{ "port", "99999999999999999999999", -1 },	/* ERANGE */
		{ "packet_timeout", "0", -1 },
		{ "packet_timeout", "1", 1 },
		{ "packet_timeout", "86400", 86400 },
		{ "packet_timeout", "86401", -1 },
		{ "delay_accept", "0", 0 },
		{ "delay_accept", "3600", 3600 },
		{ "delay_accept", "3601", -1 },
		{ "delay_write", "0", 0 },
		{ "delay_write", "3600", 3600 },
		{ "delay_write", "3601", -1 },
		{ "max_connections", "15", -1 },
		{ "max_connections", "16", 16 },
		{ "max_connections", "10000000", 10000000 },
		{ "max_connections", "10000001", -1 },
		{ "max_connections", "-16", -1 },
		{ "unreg_cache", "0", 0 },
		{ "unreg_cache", "10000000", 10000000 },
		{ "unreg_cache", "10000001", -1 },
		{ "unreg_cache", "12abc", -1 },
	};
	struct epmd_conf conf;
	char		 text[128], want[160];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s = %s\n", cases[i].key,
		    cases[i].value);
		if (cases[i].want == -1) {
			snprintf(want, sizeof(want), NAME ":1: %s: \"%s\" is "
			    "not a number from ", cases[i].key,
			    cases[i].value);
			expect_error_prefix(text, want);
			continue;
		}
		load_ok(text, &conf);
		if (uint_field(&conf, cases[i].key) != cases[i].want)
			fail_msg("%s: got %u", text,
			    uint_field(&conf, cases[i].key));
		config_free(&conf);
	}

	/* The whole message, with the bounds. */
	expect_error("port = 0\n",
	    NAME ":1: port: \"0\" is not a number from 1 to 65535");
	expect_error("max_connections = 15\n", NAME ":1: max_connections: "
	    "\"15\" is not a number from 16 to 10000000");

	/*
	 * " 5" cannot reach config.c through a file: inih trims the blanks
	 * around a value, so "port =  5 " is a plain 5.  A leading sign or
	 * blank is refused by config.c itself (the '+5' and '-1' cases).
	 */
	load_ok("port =  \t5 \t\n", &conf);
	assert_int_equal(conf.port, 5);
	config_free(&conf);
}

/* log_level names, any case; config_log_level() directly. */
static void
test_log_level(void **state)
{
	struct epmd_conf conf;

	(void)state;
	assert_int_equal(config_log_level("warning"), 0);
	assert_int_equal(config_log_level("info"), 1);
	assert_int_equal(config_log_level("debug"), 2);
	assert_int_equal(config_log_level("DEBUG"), 2);
	assert_int_equal(config_log_level("Warning"), 0);
	assert_int_equal(config_log_level("warn"), -1);
	assert_int_equal(config_log_level("2"), -1);
	assert_int_equal(config_log_level(""), -1);
	assert_int_equal(config_log_level("debug2"), -1);

	load_ok("log_level = warning\n", &conf);
	assert_int_equal(conf.log_level, 0);
	config_free(&conf);
	load_ok("log_level = info\n", &conf);
	assert_int_equal(conf.log_level, 1);
	config_free(&conf);
	load_ok("log_level = Debug\n", &conf);
	assert_int_equal(conf.log_level, 2);
	config_free(&conf);

	expect_error("log_level = verbose\n", NAME ":1: log_level: "
	    "\"verbose\" is not one of warning, info, debug");
	expect_error("log_level = 2\n", NAME ":1: log_level: "
	    "\"2\" is not one of warning, info, debug");
	expect_error("log_level =\n", NAME ":1: log_level: "
	    "\"\" is not one of warning, info, debug");
}

/* Address lists: separators, families, the 16 limit, hostnames, empty. */
static void
test_address(void **state)
{
	struct epmd_conf conf;
	char		 text[256], got[512];
	int		 i, untouched;

	(void)state;
	load_ok("address = 127.0.0.1,::1\n", &conf);
	assert_string_equal(conf.address, "127.0.0.1, ::1");
	config_free(&conf);
	load_ok("address = 10.0.0.1 fe80::1, ::ffff:192.0.2.7,,  0.0.0.0\n",
	    &conf);
	assert_string_equal(conf.address,	/* a list is kept as "a, b" */
	    "10.0.0.1, fe80::1, ::ffff:192.0.2.7, 0.0.0.0");
	config_free(&conf);
	load_ok("address = ::\n", &conf);
	assert_string_equal(conf.address, "::");
	config_free(&conf);

	/* 16 addresses are fine, 17 are not. */
	snprintf(text, sizeof(text), "address = 10.0.0.1");
	for (i = 2; i <= 16; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    ", 10.0.0.%d", i);
	load_ok(text, &conf);
	assert_string_equal(conf.address, text + strlen("address = "));
	config_free(&conf);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
	    " 10.0.0.17\n");
	expect_error(text, NAME ":1: address: more than 16 addresses");

	/* A hostname is refused, naming it. */
	untouched = load_bad("address = 127.0.0.1, name\n", got, sizeof(got));
	assert_true(untouched);
	assert_true(strncmp(got, NAME ":1: ", strlen(NAME ":1: ")) == 0);
	assert_non_null(strstr(got, "cannot parse IP address \"name\""));
	expect_error("address = localhost\n",
	    NAME ":1: address: cannot parse IP address \"localhost\"");
	expect_error("address = 1.2.3\n",
	    NAME ":1: address: cannot parse IP address \"1.2.3\"");
	expect_error("address = 256.0.0.1\n",
	    NAME ":1: address: cannot parse IP address \"256.0.0.1\"");
	expect_error("address = 127.0.0.1;x\n",
	    NAME ":1: address: cannot parse IP address \"127.0.0.1;x\"");

	/* An empty value means none, also after an earlier one. */
	load_ok("address =\n", &conf);
	assert_null(conf.address);
	config_free(&conf);
	load_ok("address = ::1\naddress =\n", &conf);
	assert_null(conf.address);
	config_free(&conf);
	/* A list: a repeated key adds to it (test_config_list.c). */
	load_ok("address = ::1\naddress = 127.0.0.1\n", &conf);
	assert_string_equal(conf.address, "::1, 127.0.0.1");
	config_free(&conf);
}

/* Unknown keys and sections are errors. */
static void
test_unknown(void **state)
{
	(void)state;
	expect_error("bogus = 1\n", NAME ":1: unknown key \"bogus\"");
	expect_error("Port = 1\n", NAME ":1: unknown key \"Port\"");
	expect_error("port = 1\n[bogus]\nkey = dns\n",
	    NAME ":3: unknown section [bogus]");
	expect_error("port = 1\n[sync]\nbackend = dns\n",
	    NAME ":3: unknown key \"backend\" in [sync]");
	expect_error("[global]\nport = 4369\n",
	    NAME ":2: unknown section [global]");
}

/* Causes are "NAME:LINE: message" counting comments and blank lines. */
static void
test_line_numbers(void **state)
{
	(void)state;
	expect_error("; comment\n"
	    "# comment\n"
	    "port = 0\n",
	    NAME ":3: port: \"0\" is not a number from 1 to 65535");
	expect_error("# epmdx.conf\n"
	    "\n"
	    "port = 4370\n"
	    "; the log\n"
	    "log_level = debug\n"
	    "   \n"
	    "bogus = 1\n"
	    "max_connections = 100\n",
	    NAME ":7: unknown key \"bogus\"");
	expect_error("\n\n\n\n\n\n\n\n\n# ten\nrelaxed_command_check = maybe\n",
	    NAME ":11: relaxed_command_check: \"maybe\" is not yes or no");
	/* CRLF line ends count the same. */
	expect_error("port = 1\r\n\r\nport = 0\r\n",
	    NAME ":3: port: \"0\" is not a number from 1 to 65535");
	/* The last line without a newline. */
	expect_error("port = 1\n;\nlog_level = x",
	    NAME ":3: log_level: \"x\" is not one of warning, info, debug");
}

/* A line without '=' (or a broken section header) is a syntax error. */
static void
test_syntax_error(void **state)
{
	(void)state;
	expect_error("port = 4370\n"
	    "; fine\n"
	    "this line has no equals sign\n",
	    NAME ":3: syntax error");
	expect_error("# a\n\nport\n", NAME ":3: syntax error");
	expect_error("port = 1\n[sync\nport = 2\n", NAME ":2: syntax error");
}

/* With several bad lines the first one is reported. */
static void
test_first_error(void **state)
{
	(void)state;
	expect_error("port = 1\n"
	    "port = 0\n"
	    "bogus = 1\n"
	    "log_level = loud\n",
	    NAME ":2: port: \"0\" is not a number from 1 to 65535");
	expect_error("# c\n"
	    "bogus = 1\n"
	    "no equals here\n",
	    NAME ":2: unknown key \"bogus\"");
	/*
	 * BUG(config.c): the syntax error on line 2 is the first error, and
	 * inih returns 2, but config_handler() only records handler errors,
	 * so the cause pairs line 2 with line 3's message:
	 * got "t.conf:2: unknown key \"bogus\"".
	 */
	expect_error("port = 1\n"
	    "no equals here\n"
	    "bogus = 1\n",
	    NAME ":2: syntax error");
}

/* A failed load leaves the caller's struct (and its address) untouched. */
static void
test_error_leaves_conf(void **state)
{
	struct epmd_conf conf;
	char		*cause = NULL;

	(void)state;
	prefill(&conf);
	assert_int_equal(config_load_string("port = 4370\n"
	    "address = ::1\n"
	    "relaxed_command_check = no\n"
	    "packet_timeout = 5\n"
	    "max_connections = 100\n"
	    "unreg_cache = 1\n"
	    "log_level = warning\n"
	    "bogus = 1\n", NAME, &conf, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, NAME ":8: unknown key \"bogus\"");
	free(cause);
	assert_true(is_prefilled(&conf));
	config_free(&conf);

	/* And a good load replaces it, freeing the old address. */
	prefill(&conf);
	cause = NULL;
	assert_int_equal(config_load_string("address = ::1\n", NAME, &conf,
	    &cause), 0);
	assert_null(cause);
	assert_string_equal(conf.address, "::1");
	assert_int_equal(conf.port, 4369);
	config_free(&conf);
}

/* A missing file: defaults if missing_ok, else an error naming it. */
static void
test_load_missing(void **state)
{
	struct epmd_conf conf;
	char		*cause = NULL;

	(void)state;
	prefill(&conf);
	assert_int_equal(config_load(MISSING, 1, &conf, &cause), 0);
	assert_null(cause);
	assert_defaults(&conf);
	config_free(&conf);

	prefill(&conf);
	assert_int_equal(config_load(MISSING, 0, &conf, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, MISSING ": No such file or directory");
	free(cause);
	assert_true(is_prefilled(&conf));
	config_free(&conf);
}

/* Write text to a fresh temporary file; path receives its name. */
static void
write_temp(char *path, size_t size, const char *text)
{
	FILE	*f;
	int	 fd;

	snprintf(path, size, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A real file: good values load, a bad line gives "PATH:LINE: ...". */
static void
test_load_file(void **state)
{
	struct epmd_conf conf;
	char		 path[64], want[256], *cause = NULL;
	int		 rc;

	(void)state;
	write_temp(path, sizeof(path), "# epmdx\n"
	    "\n"
	    "port = 4400\n"
	    "address = 127.0.0.1 ::1\n"
	    "log_level = debug\n");
	prefill(&conf);
	rc = config_load(path, 0, &conf, &cause);
	unlink(path);
	assert_int_equal(rc, 0);
	assert_null(cause);
	assert_int_equal(conf.port, 4400);
	assert_string_equal(conf.address, "127.0.0.1, ::1");
	assert_int_equal(conf.log_level, 2);
	assert_int_equal(conf.packet_timeout, 60);
	config_free(&conf);

	write_temp(path, sizeof(path), "; epmdx\n"
	    "port = 4400\n"
	    "\n"
	    "# next is bad\n"
	    "packet_timeout = 0\n"
	    "port = 0\n");
	prefill(&conf);
	rc = config_load(path, 1, &conf, &cause);
	unlink(path);
	snprintf(want, sizeof(want), "%s:5: packet_timeout: \"0\" is not a "
	    "number from 1 to 86400", path);
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	assert_true(is_prefilled(&conf));
	config_free(&conf);
}

/*
 * A path that opens but cannot be read (a directory) must not load as an
 * empty file.
 * BUG(config.c): config_load() never checks ferror() after
 * ini_parse_file(): fgets() fails with EISDIR, inih sees end of file and
 * config_load("/tmp", 0, ...) returns 0 with the defaults.
 */
static void
test_load_directory(void **state)
{
	struct epmd_conf conf;
	char		*cause = NULL, got[256];
	int		 rc, untouched;

	(void)state;
	prefill(&conf);
	rc = config_load("/tmp", 0, &conf, &cause);
	snprintf(got, sizeof(got), "%s", cause != NULL ? cause : "(null)");
	free(cause);
	untouched = is_prefilled(&conf);
	config_free(&conf);
	assert_int_equal(rc, -1);
	assert_true(strncmp(got, "/tmp", 4) == 0);
	assert_true(untouched);
}

/* ERL_EPMD_PORT: a valid number sets the port, garbage leaves it. */
static void
test_env_port(void **state)
{
	struct epmd_conf conf;

	(void)state;
	clear_env();
	config_defaults(&conf);
	config_apply_env(&conf);
	assert_defaults(&conf);

	setenv("ERL_EPMD_PORT", "1234", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);

	setenv("ERL_EPMD_PORT", "abc", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);
	setenv("ERL_EPMD_PORT", "0", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);
	setenv("ERL_EPMD_PORT", "65536", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);
	setenv("ERL_EPMD_PORT", "-5", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);
	setenv("ERL_EPMD_PORT", "", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.port, 1234);
	setenv("ERL_EPMD_PORT", "4370xyz", 1);	/* atoi, as stock */
	config_apply_env(&conf);
	assert_int_equal(conf.port, 4370);
	clear_env();
	config_free(&conf);
}

/* ERL_EPMD_ADDRESS: a list replaces, only separators leave it alone. */
static void
test_env_address(void **state)
{
	struct epmd_conf conf;

	(void)state;
	clear_env();
	config_defaults(&conf);
	setenv("ERL_EPMD_ADDRESS", ", ,", 1);
	config_apply_env(&conf);
	assert_null(conf.address);
	setenv("ERL_EPMD_ADDRESS", "", 1);
	config_apply_env(&conf);
	assert_null(conf.address);

	setenv("ERL_EPMD_ADDRESS", "127.0.0.1, ::1", 1);
	config_apply_env(&conf);
	assert_non_null(conf.address);
	assert_string_equal(conf.address, "127.0.0.1, ::1");

	/* Replacing frees the old list; separators keep the current one. */
	setenv("ERL_EPMD_ADDRESS", "10.0.0.1", 1);
	config_apply_env(&conf);
	assert_string_equal(conf.address, "10.0.0.1");
	setenv("ERL_EPMD_ADDRESS", " ,, ", 1);
	config_apply_env(&conf);
	assert_string_equal(conf.address, "10.0.0.1");
	assert_int_equal(conf.port, 4369);
	assert_int_equal(conf.relaxed, 0);
	clear_env();
	config_free(&conf);
}

/* ERL_EPMD_RELAXED_COMMAND_CHECK: set to anything, even "", is on. */
static void
test_env_relaxed(void **state)
{
	struct epmd_conf conf;

	(void)state;
	clear_env();
	config_defaults(&conf);
	config_apply_env(&conf);
	assert_int_equal(conf.relaxed, 0);
	setenv("ERL_EPMD_RELAXED_COMMAND_CHECK", "", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.relaxed, 1);

	config_defaults(&conf);
	setenv("ERL_EPMD_RELAXED_COMMAND_CHECK", "no", 1);
	config_apply_env(&conf);
	assert_int_equal(conf.relaxed, 1);	/* as stock: presence counts */
	assert_int_equal(conf.port, 4369);
	assert_null(conf.address);
	clear_env();
	config_free(&conf);
}

/* config_copy() duplicates the address string. */
static void
test_copy(void **state)
{
	struct epmd_conf src, dst;

	(void)state;
	prefill(&src);
	config_copy(&dst, &src);
	assert_true(is_prefilled(&dst));
	assert_true(dst.address != src.address);
	config_free(&src);
	assert_string_equal(dst.address, PRE_ADDRESS);
	config_free(&dst);

	config_defaults(&src);
	config_copy(&dst, &src);
	assert_null(dst.address);
	assert_defaults(&dst);
	config_free(&dst);
}

/* config_split_addresses(): separators, empty tokens, the limit. */
static void
test_split_addresses(void **state)
{
	const char	*tok[CONF_MAX_ADDRESSES + 1];
	char		 buf[512], list[512];
	int		 i;

	(void)state;
	assert_int_equal(config_split_addresses("127.0.0.1, ::1 10.0.0.1,,"
	    "  fe80::1 ", buf, sizeof(buf), tok, CONF_MAX_ADDRESSES), 4);
	assert_string_equal(tok[0], "127.0.0.1");
	assert_string_equal(tok[1], "::1");
	assert_string_equal(tok[2], "10.0.0.1");
	assert_string_equal(tok[3], "fe80::1");
	assert_int_equal(config_split_addresses("", buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES), 0);
	assert_int_equal(config_split_addresses(", ,", buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES), 0);
	assert_int_equal(config_split_addresses("a", buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES), 1);
	assert_string_equal(tok[0], "a");

	/* Exactly max is fine, one more is -1. */
	list[0] = '\0';
	for (i = 1; i <= CONF_MAX_ADDRESSES; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s10.0.0.%d", i == 1 ? "" : ",", i);
	assert_int_equal(config_split_addresses(list, buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES), CONF_MAX_ADDRESSES);
	assert_string_equal(tok[CONF_MAX_ADDRESSES - 1], "10.0.0.16");
	snprintf(list + strlen(list), sizeof(list) - strlen(list),
	    ",10.0.0.17");
	assert_int_equal(config_split_addresses(list, buf, sizeof(buf), tok,
	    CONF_MAX_ADDRESSES), -1);
	assert_int_equal(config_split_addresses("a b c", buf, sizeof(buf),
	    tok, 2), -1);
	assert_int_equal(config_split_addresses("a b ,, ", buf, sizeof(buf),
	    tok, 2), 2);

	/* A list that does not fit the buffer is refused, not truncated. */
	assert_int_equal(config_split_addresses("127.0.0.1", buf, 9, tok,
	    CONF_MAX_ADDRESSES), -1);
	assert_int_equal(config_split_addresses("127.0.0.1", buf, 10, tok,
	    CONF_MAX_ADDRESSES), 1);
}

/* config_check_address(): IPv4 and IPv6 literals only. */
static void
test_check_address(void **state)
{
	(void)state;
	assert_int_equal(config_check_address("127.0.0.1"), 0);
	assert_int_equal(config_check_address("0.0.0.0"), 0);
	assert_int_equal(config_check_address("::"), 0);
	assert_int_equal(config_check_address("::1"), 0);
	assert_int_equal(config_check_address("fe80::1"), 0);
	assert_int_equal(config_check_address("::ffff:192.0.2.1"), 0);
	assert_int_equal(config_check_address("2001:db8::a:b:c"), 0);
	assert_int_equal(config_check_address(""), -1);
	assert_int_equal(config_check_address("name"), -1);
	assert_int_equal(config_check_address("localhost"), -1);
	assert_int_equal(config_check_address("1.2.3"), -1);
	assert_int_equal(config_check_address("256.1.1.1"), -1);
	assert_int_equal(config_check_address("127.0.0.1 "), -1);
	assert_int_equal(config_check_address("[::1]"), -1);
	assert_int_equal(config_check_address("::1::2"), -1);
}

/* [sync] and [metrics] keys: values, defaults and errors. */
static void
test_sync_keys(void **state)
{
	struct epmd_conf	 conf;
	char			*cause = NULL;
	char			 host[64];
	unsigned int		 port;

	(void)state;
	config_defaults(&conf);
	assert_int_equal(conf.sync.ttl, 10);
	assert_int_equal(conf.sync.interval, 2);
	assert_null(conf.sync.backends);
	assert_int_equal(config_load_string("[sync]\n"
	    "backends = static, dns\nhostname = alpha\n"
	    "advertise = 127.0.0.2:24001\nsecret_file = /etc/s\n"
	    "ttl = 5\ninterval = 1\npeers = 127.0.0.3:24002, [::1]:24003, "
	    "b.example\ndns_type = srv\n[metrics]\nlisten = 127.0.0.1:9369\n",
	    NAME, &conf, &cause), 0);
	assert_string_equal(conf.sync.backends, "static, dns");
	assert_string_equal(conf.sync.hostname, "alpha");
	assert_string_equal(conf.sync.peers,
	    "127.0.0.3:24002, [::1]:24003, b.example");
	assert_string_equal(conf.metrics_listen, "127.0.0.1:9369");
	assert_int_equal(conf.sync.ttl, 5);
	config_free(&conf);

	expect_error("[sync]\nbackends = static, consul\n", NAME ":2: "
	    "backends: unknown backend \"consul\" (static, hosts, dns, "
	    "mcast, etcd)");
	expect_error("[sync]\npeers = a:0\n",
	    NAME ":2: peers: \"a:0\" is not host[:port]");
	expect_error("[sync]\nadvertise = a:1, b:2\n",
	    NAME ":2: advertise: \"a:1, b:2\" is not host[:port]");
	expect_error("[sync]\ndns_type = mx\n",
	    NAME ":2: dns_type: \"mx\" is not a or srv");
	expect_error("[metrics]\nlisten = [::1\n",
	    NAME ":2: listen: \"[::1\" is not host[:port]");

	/* The etcd keys; etcd runs alone and needs its endpoints. */
	config_defaults(&conf);
	assert_int_equal(config_load_string("[sync]\nbackends = etcd\n"
	    "secret_file = /s\netcd_endpoints = http://127.0.0.1:2379\n"
	    "etcd_prefix = /x/\ncluster = blue\netcd_cacert = /ca\n"
	    "etcd_cert = /c\netcd_key = /k\netcd_password_file = /p\n",
	    NAME, &conf, &cause), 0);
	assert_string_equal(conf.sync.etcd_endpoints, "http://127.0.0.1:2379");
	assert_string_equal(conf.sync.etcd_prefix, "/x/");
	assert_string_equal(conf.sync.cluster, "blue");
	assert_string_equal(conf.sync.etcd_password_file, "/p");
	assert_int_equal(config_validate(&conf, &cause), 0);
	free(conf.sync.etcd_endpoints);
	conf.sync.etcd_endpoints = NULL;
	assert_int_equal(config_validate(&conf, &cause), -1);
	assert_string_equal(cause, "[sync] backends are set but "
	    "etcd_endpoints, for the etcd backend is missing");
	free(cause);
	cause = NULL;
	conf.sync.etcd_endpoints = strdup("http://a:1");
	free(conf.sync.backends);
	conf.sync.backends = strdup("etcd, mcast");
	assert_int_equal(config_validate(&conf, &cause), -1);
	assert_non_null(strstr(cause, "etcd runs alone"));
	free(cause);
	cause = NULL;
	config_free(&conf);

	/* A peers list adds up over repeated keys and continuation lines. */
	config_defaults(&conf);
	assert_int_equal(config_load_string("[sync]\npeers = a:1\n"
	    "peers = b:2, c\n  d:4\n", NAME, &conf, &cause), 0);
	assert_string_equal(conf.sync.peers, "a:1, b:2, c, d:4");
	config_free(&conf);

	assert_int_equal(config_hostport("[::1]:99", host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 99);
	assert_int_equal(config_hostport("::1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_equal(config_hostport("h:70000", host, sizeof(host), &port),
	    -1);
}

/* A sockaddr_in for an IPv4 literal (the [access] tests). */
static const struct sockaddr *
v4(const char *addr)
{
	static struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return (const struct sockaddr *)&sin;
}

/* reply_buffer_total: default, suffixes, bounds. */
static void
test_reply_buffer_total(void **state)
{
	struct epmd_conf conf;

	(void)state;
	config_defaults(&conf);
	assert_int_equal(conf.reply_buffer_total, 64 << 20);
	config_free(&conf);
	load_ok("reply_buffer_total = 8M\n", &conf);
	assert_int_equal(conf.reply_buffer_total, 8 << 20);
	config_free(&conf);
	load_ok("reply_buffer_total = 512k\n", &conf);
	assert_int_equal(conf.reply_buffer_total, 512 << 10);
	config_free(&conf);
	load_ok("reply_buffer_total = 2G\n", &conf);
	assert_true(conf.reply_buffer_total == (size_t)2 << 30);
	config_free(&conf);
	load_ok("reply_buffer_total = 1048576\n", &conf);
	assert_int_equal(conf.reply_buffer_total, 1 << 20);
	config_free(&conf);
	expect_error("port = 1\nreply_buffer_total = 1K\n", NAME ":2: "
	    "reply_buffer_total: \"1K\" is not a size from 64K to 64G "
	    "(bytes, or with K, M or G)");
	expect_error_prefix("reply_buffer_total = 65G\n", NAME ":1: "
	    "reply_buffer_total: \"65G\" is not a size");
	expect_error_prefix("reply_buffer_total = 8MB\n", NAME ":1: ");
	expect_error_prefix("reply_buffer_total = M\n", NAME ":1: ");
	expect_error_prefix("reply_buffer_total = -8M\n", NAME ":1: ");
}

/* watch_queue_max and max_watchers: defaults, sizes, bounds. */
static void
test_watch_limits(void **state)
{
	struct epmd_conf conf;

	(void)state;
	config_defaults(&conf);
	assert_int_equal(conf.watch_queue_max, 1 << 20);
	assert_int_equal(conf.max_watchers, 4096);
	config_free(&conf);
	load_ok("watch_queue_max = 64K\nmax_watchers = 0\n", &conf);
	assert_int_equal(conf.watch_queue_max, 64 << 10);
	assert_int_equal(conf.max_watchers, 0);
	config_free(&conf);
	load_ok("watch_queue_max = 1G\nmax_watchers = 1000000\n", &conf);
	assert_true(conf.watch_queue_max == (size_t)1 << 30);
	config_free(&conf);
	expect_error("watch_queue_max = 1K\n", NAME ":1: "
	    "watch_queue_max: \"1K\" is not a size from 4K to 1G "
	    "(bytes, or with K, M or G)");
	expect_error_prefix("max_watchers = 1000001\n", NAME ":1: ");
	expect_error_prefix("max_watchers = -1\n", NAME ":1: ");
}

/* [access]: absent lets everyone in; lists parse, append and copy. */
static void
test_access(void **state)
{
	struct epmd_conf conf, copy;

	(void)state;
	config_defaults(&conf);
	assert_null(conf.access.names);
	assert_null(conf.access.port_please);
	assert_null(conf.access.sync);
	config_free(&conf);

	load_ok("[access]\nnames_allow = 127.0.0.0/8, 10.0.0.0/8\n"
	    "port_please_allow = none\n"
	    "sync_allow = 192.0.2.0/24\nsync_allow = 198.51.100.7\n", &conf);
	assert_true(acl_match(conf.access.names, v4("10.1.2.3")));
	assert_false(acl_match(conf.access.names, v4("192.0.2.1")));
	assert_false(acl_match(conf.access.port_please, v4("127.0.0.1")));
	assert_true(acl_match(conf.access.sync, v4("192.0.2.9")));
	assert_true(acl_match(conf.access.sync, v4("198.51.100.7")));
	config_copy(&copy, &conf);
	config_free(&conf);
	assert_true(acl_match(copy.access.sync, v4("198.51.100.7")));
	assert_int_equal(acl_count(copy.access.names), 2);
	config_free(&copy);

	/* An empty value is the default again: everyone. */
	load_ok("[access]\nnames_allow = 10.0.0.0/8\nnames_allow =\n", &conf);
	assert_null(conf.access.names);
	config_free(&conf);

	expect_error("[access]\n\nnames_allow = 10.0.0.1/8\n", NAME ":3: "
	    "names_allow: \"10.0.0.1/8\": address has bits set beyond the "
	    "/8 prefix");
	expect_error("[access]\nsync_allow = ::1, example.org\n", NAME ":2: "
	    "sync_allow: \"example.org\" is not an IPv4 or IPv6 address or "
	    "address/prefix");
	expect_error("[access]\nport_please_allow = 10.0.0.0/40\n",
	    NAME ":2: port_please_allow: \"10.0.0.0/40\": prefix length is "
	    "not a number from 0 to 32");
	expect_error("[access]\nnames = 10.0.0.0/8\n",
	    NAME ":2: unknown key \"names\" in [access]");
}

/* control_socket and control_group: defaults, the derived path, checks. */
static void
test_control_keys(void **state)
{
	struct epmd_conf conf;
	char		 buf[128], longpath[200];

	(void)state;
	load_ok("", &conf);
	assert_null(conf.control_socket);
	assert_string_equal(config_control_group(&conf), "epmdx");
	assert_string_equal(config_control_path(&conf, 4369, buf,
	    sizeof(buf)), "/run/epmdx/control.sock");
	assert_string_equal(config_control_path(&conf, 0, buf, sizeof(buf)),
	    "/run/epmdx/control.sock");
	assert_string_equal(config_control_path(&conf, 4370, buf,
	    sizeof(buf)), "/run/epmdx/control.4370.sock");
	config_free(&conf);

	load_ok("control_socket = /tmp/x/c.sock\ncontrol_group = wheel_2.a-b\n",
	    &conf);
	assert_string_equal(config_control_path(&conf, 4370, buf,
	    sizeof(buf)), "/tmp/x/c.sock");
	assert_string_equal(config_control_group(&conf), "wheel_2.a-b");
	config_free(&conf);
	assert_null(conf.control_socket);
	assert_null(conf.control_group);

	/* Empty means the default again. */
	load_ok("control_group = staff\ncontrol_group =\n", &conf);
	assert_string_equal(config_control_group(&conf), "epmdx");
	config_free(&conf);

	expect_error("control_socket = run/c.sock\n", NAME ":1: "
	    "control_socket: \"run/c.sock\" is not an absolute path");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(buf, sizeof(buf), "control_socket = %.108s\n", longpath);
	expect_error(buf, NAME ":1: control_socket: longer than 107 "
	    "characters");
	expect_error("\ncontrol_group = -x\n", NAME ":2: control_group: "
	    "\"-x\" is not a group name");
	expect_error("control_group = a:b\n", NAME ":1: control_group: "
	    "\"a:b\" is not a group name");
	expect_error("control_group = abcdefghijabcdefghijabcdefghijabc\n",
	    NAME ":1: control_group: \"abcdefghijabcdefghijabcdefghijabc\" "
	    "is not a group name");
}

/* The multicast hop limit: mcast_hops, or its first name mcast_ttl. */
static void
test_mcast_hops(void **state)
{
	struct epmd_conf conf;
	char		 got[256];

	(void)state;
	config_defaults(&conf);
	assert_int_equal(conf.sync.mcast_hops, 1);
	load_ok("[sync]\nmcast_hops = 7\n", &conf);
	assert_int_equal(conf.sync.mcast_hops, 7);
	config_free(&conf);
	load_ok("[sync]\nmcast_ttl = 9\n", &conf);
	assert_int_equal(conf.sync.mcast_hops, 9);
	config_free(&conf);
	assert_true(load_bad("[sync]\nmcast_hops = 0\n", got, sizeof(got)));
	assert_true(load_bad("[sync]\nmcast_ttl = 256\n", got, sizeof(got)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_sync_keys),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_first_error),
		cmocka_unit_test(test_error_leaves_conf),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_directory),
		cmocka_unit_test(test_env_port),
		cmocka_unit_test(test_env_address),
		cmocka_unit_test(test_env_relaxed),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_split_addresses),
		cmocka_unit_test(test_check_address),
		cmocka_unit_test(test_reply_buffer_total),
		cmocka_unit_test(test_watch_limits),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_control_keys),
		cmocka_unit_test(test_mcast_hops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
