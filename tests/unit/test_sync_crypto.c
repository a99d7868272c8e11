/*
 * Unit tests for sync_crypto.c: the secret file, master and stream keys,
 * sealed streams (wrong key, replay, reorder, truncation, tampering) and
 * sealed datagrams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync_crypto.h"

#define SECRET		"0123456789abcdef"	/* exactly SYNC_SECRET_MIN */
#define NMSG		200

/* A temp file holding len bytes of data with the given mode. */
static char *
secret_file(const void *data, size_t len, mode_t mode)
{
	char	*path;
	int	 fd;

	path = strdup("/tmp/epmdx-test-secret.XXXXXX");
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* Remove and free a secret_file() path. */
static void
secret_gone(char *path)
{
	unlink(path);
	free(path);
}

/* sodium_init() once for the group. */
static int
setup(void **state)
{
	(void)state;
	return sync_crypto_init();
}

/* 0600 (and 0400, 0640) load; the key is the one the secret derives. */
static void
test_secret_private_ok(void **state)
{
	static const mode_t	 modes[] = { 0600, 0400, 0640, 0660 };
	uint8_t			 master[SYNC_KEY_BYTES], want[SYNC_KEY_BYTES];
	char			*path, *cause;
	size_t			 i;

	(void)state;
	sync_master_derive((const uint8_t *)SECRET, strlen(SECRET), want);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		path = secret_file(SECRET, strlen(SECRET), modes[i]);
		cause = NULL;
		if (sync_secret_load(path, master, &cause) != 0)
			fail_msg("mode %04o refused: %s", (unsigned)modes[i],
			    cause);
		assert_null(cause);
		assert_memory_equal(master, want, SYNC_KEY_BYTES);
		secret_gone(path);
	}
}

/* Others may read (or write) it: refused, naming the path. */
static void
test_secret_others_refused(void **state)
{
	static const mode_t	 modes[] = { 0604, 0644, 0602, 0606, 0666,
	    0777 };
	uint8_t			 master[SYNC_KEY_BYTES];
	char			*path, *cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		path = secret_file(SECRET, strlen(SECRET), modes[i]);
		cause = NULL;
		if (sync_secret_load(path, master, &cause) != -1)
			fail_msg("mode %04o accepted", (unsigned)modes[i]);
		assert_non_null(cause);
		assert_non_null(strstr(cause, path));
		free(cause);
		secret_gone(path);
	}
}

/* Trailing newline and blanks are cut before the length check. */
static void
test_secret_trailing_newline(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES], want[SYNC_KEY_BYTES];
	char	*path, *cause = NULL;

	(void)state;
	sync_master_derive((const uint8_t *)SECRET, strlen(SECRET), want);

	/* 16 bytes and a newline: fine, and the newline is not key. */
	path = secret_file(SECRET "\n", strlen(SECRET) + 1, 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), 0);
	assert_memory_equal(master, want, SYNC_KEY_BYTES);
	secret_gone(path);
	path = secret_file(SECRET "\r\n \t\n", strlen(SECRET) + 5, 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), 0);
	assert_memory_equal(master, want, SYNC_KEY_BYTES);
	secret_gone(path);

	/* 15 bytes and a newline (16 in the file): refused. */
	path = secret_file("0123456789abcde\n", 16, 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	secret_gone(path);

	/* 15 bytes and blanks, and an empty file: refused. */
	path = secret_file("0123456789abcde    \n\n\n", 22, 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), -1);
	free(cause);
	cause = NULL;
	secret_gone(path);
	path = secret_file("", 0, 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), -1);
	free(cause);
	secret_gone(path);
}

/* A missing file: refused, naming it. */
static void
test_secret_missing(void **state)
{
	uint8_t		 master[SYNC_KEY_BYTES];
	char		*path, *cause = NULL;

	(void)state;
	path = secret_file(SECRET, strlen(SECRET), 0600);
	unlink(path);
	assert_int_equal(sync_secret_load(path, master, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	free(path);
}

/* A directory (even a private one): refused. */
static void
test_secret_directory(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES];
	char	 dir[] = "/tmp/epmdx-test-secretdir.XXXXXX";
	char	*cause = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(sync_secret_load(dir, master, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, dir));
	free(cause);
	rmdir(dir);
}

/* A NUL or binary byte in the secret is part of it. */
static void
test_secret_binary(void **state)
{
	static const uint8_t	 bin[20] = { 0, 1, 2, 0xff, 0, 0, 0x80, 9,
	    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0x7f };
	uint8_t			 master[SYNC_KEY_BYTES], want[SYNC_KEY_BYTES];
	char			*path, *cause = NULL;

	(void)state;
	path = secret_file(bin, sizeof(bin), 0600);
	assert_int_equal(sync_secret_load(path, master, &cause), 0);
	sync_master_derive(bin, sizeof(bin), want);
	assert_memory_equal(master, want, SYNC_KEY_BYTES);
	secret_gone(path);
}

/* The master key: the same secret gives the same key, any change not. */
static void
test_master_derive(void **state)
{
	uint8_t	 a[SYNC_KEY_BYTES], b[SYNC_KEY_BYTES], c[SYNC_KEY_BYTES];
	uint8_t	 d[SYNC_KEY_BYTES], zero[SYNC_KEY_BYTES];

	(void)state;
	memset(zero, 0, sizeof(zero));
	sync_master_derive((const uint8_t *)SECRET, 16, a);
	sync_master_derive((const uint8_t *)SECRET, 16, b);
	assert_memory_equal(a, b, SYNC_KEY_BYTES);
	assert_memory_not_equal(a, zero, SYNC_KEY_BYTES);
	sync_master_derive((const uint8_t *)"0123456789abcdeF", 16, c);
	assert_memory_not_equal(a, c, SYNC_KEY_BYTES);
	sync_master_derive((const uint8_t *)SECRET "0", 17, d);
	assert_memory_not_equal(a, d, SYNC_KEY_BYTES);
	/* Not the secret itself. */
	assert_memory_not_equal(a, SECRET SECRET, SYNC_KEY_BYTES);
}

/* A master key from a secret string. */
static void
master_of(const char *secret, uint8_t master[SYNC_KEY_BYTES])
{
	sync_master_derive((const uint8_t *)secret, strlen(secret), master);
}

/* Both ends derive the same c2s and s2c; they differ from each other. */
static void
test_stream_keys_agree(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES], other[SYNC_KEY_BYTES];
	uint8_t	 r1[SYNC_RANDOM_BYTES], r2[SYNC_RANDOM_BYTES];
	uint8_t	 c2s_d[SYNC_KEY_BYTES], s2c_d[SYNC_KEY_BYTES];
	uint8_t	 c2s_a[SYNC_KEY_BYTES], s2c_a[SYNC_KEY_BYTES];
	uint8_t	 x[SYNC_KEY_BYTES], y[SYNC_KEY_BYTES];

	(void)state;
	master_of(SECRET, master);
	master_of(SECRET "-other", other);
	sync_random(r1, sizeof(r1));
	sync_random(r2, sizeof(r2));
	assert_memory_not_equal(r1, r2, SYNC_RANDOM_BYTES);

	sync_stream_keys(master, r1, r2, c2s_d, s2c_d);	/* dialer */
	sync_stream_keys(master, r1, r2, c2s_a, s2c_a);	/* acceptor */
	assert_memory_equal(c2s_d, c2s_a, SYNC_KEY_BYTES);
	assert_memory_equal(s2c_d, s2c_a, SYNC_KEY_BYTES);
	assert_memory_not_equal(c2s_d, s2c_d, SYNC_KEY_BYTES);
	assert_memory_not_equal(c2s_d, master, SYNC_KEY_BYTES);

	/* Another master, swapped or new randoms: other keys. */
	sync_stream_keys(other, r1, r2, x, y);
	assert_memory_not_equal(x, c2s_d, SYNC_KEY_BYTES);
	assert_memory_not_equal(y, s2c_d, SYNC_KEY_BYTES);
	sync_stream_keys(master, r2, r1, x, y);
	assert_memory_not_equal(x, c2s_d, SYNC_KEY_BYTES);
	assert_memory_not_equal(y, s2c_d, SYNC_KEY_BYTES);
	r2[SYNC_RANDOM_BYTES - 1] ^= 1;
	sync_stream_keys(master, r1, r2, x, y);
	assert_memory_not_equal(x, c2s_d, SYNC_KEY_BYTES);
	assert_memory_not_equal(y, s2c_d, SYNC_KEY_BYTES);
}

/* One direction of a stream: a pusher and a puller on one key. */
struct pipe_ {
	struct sync_stream	 tx;
	struct sync_stream	 rx;
	uint8_t			 key[SYNC_KEY_BYTES];
};

/* Both ends of a fresh stream keyed from random randoms. */
static void
pipe_open(struct pipe_ *p, int s2c)
{
	uint8_t	 master[SYNC_KEY_BYTES], r1[SYNC_RANDOM_BYTES];
	uint8_t	 r2[SYNC_RANDOM_BYTES], c2s_key[SYNC_KEY_BYTES];
	uint8_t	 s2c_key[SYNC_KEY_BYTES], header[SYNC_STREAM_HEADER];

	master_of(SECRET, master);
	sync_random(r1, sizeof(r1));
	sync_random(r2, sizeof(r2));
	sync_stream_keys(master, r1, r2, c2s_key, s2c_key);
	memcpy(p->key, s2c ? s2c_key : c2s_key, SYNC_KEY_BYTES);
	sync_stream_push_init(&p->tx, p->key, header);
	assert_int_equal(sync_stream_pull_init(&p->rx, p->key, header), 0);
}

/* Message i of a test stream: length and bytes vary with i. */
static size_t
msg_i(int i, uint8_t *buf)
{
	size_t	 len = (size_t)(i * 37) % 300, k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)(i + k * 7);
	return len;
}

/* Many messages, each direction, in order: all open, bytes intact. */
static void
test_stream_round_trip(void **state)
{
	struct pipe_	 p;
	uint8_t		 in[400], ct[400 + SYNC_STREAM_ABYTES], out[400];
	size_t		 len;
	int		 i, dir;

	(void)state;
	for (dir = 0; dir < 2; dir++) {
		pipe_open(&p, dir);
		for (i = 0; i < NMSG; i++) {
			len = msg_i(i, in);
			sync_stream_seal(&p.tx, in, len, ct);
			memset(out, 0xee, sizeof(out));
			assert_int_equal(sync_stream_open(&p.rx, ct,
			    len + SYNC_STREAM_ABYTES, out), 0);
			if (len > 0)
				assert_memory_equal(in, out, len);
			/* The ciphertext is not the plaintext. */
			if (len >= 8)
				assert_memory_not_equal(in, ct, len);
		}
	}
}

/* A puller keyed wrongly (the other direction, another master) fails. */
static void
test_stream_wrong_key(void **state)
{
	uint8_t			 master[SYNC_KEY_BYTES], other[SYNC_KEY_BYTES];
	uint8_t			 r1[SYNC_RANDOM_BYTES], r2[SYNC_RANDOM_BYTES];
	uint8_t			 c2s[SYNC_KEY_BYTES], s2c[SYNC_KEY_BYTES];
	uint8_t			 oc2s[SYNC_KEY_BYTES], os2c[SYNC_KEY_BYTES];
	uint8_t			 header[SYNC_STREAM_HEADER];
	uint8_t			 ct[16 + SYNC_STREAM_ABYTES], out[16];
	struct sync_stream	 tx, rx;

	(void)state;
	master_of(SECRET, master);
	master_of("a wholly different secret", other);
	sync_random(r1, sizeof(r1));
	sync_random(r2, sizeof(r2));
	sync_stream_keys(master, r1, r2, c2s, s2c);
	sync_stream_keys(other, r1, r2, oc2s, os2c);

	sync_stream_push_init(&tx, c2s, header);
	sync_stream_seal(&tx, (const uint8_t *)"hello, cluster!", 16, ct);

	/* The other direction's key. */
	if (sync_stream_pull_init(&rx, s2c, header) == 0)
		assert_int_equal(sync_stream_open(&rx, ct, sizeof(ct), out),
		    -1);
	/* The same randoms under another secret. */
	if (sync_stream_pull_init(&rx, oc2s, header) == 0)
		assert_int_equal(sync_stream_open(&rx, ct, sizeof(ct), out),
		    -1);
	/* The right key opens it. */
	assert_int_equal(sync_stream_pull_init(&rx, c2s, header), 0);
	assert_int_equal(sync_stream_open(&rx, ct, sizeof(ct), out), 0);
	assert_memory_equal(out, "hello, cluster!", 16);
}

/* The right key with another stream's header fails. */
static void
test_stream_wrong_header(void **state)
{
	struct pipe_	 p;
	uint8_t		 header[SYNC_STREAM_HEADER];
	uint8_t		 ct[8 + SYNC_STREAM_ABYTES], out[8];
	struct sync_stream other;

	(void)state;
	pipe_open(&p, 0);
	sync_stream_push_init(&other, p.key, header);	/* a 2nd header */
	sync_stream_seal(&p.tx, (const uint8_t *)"abcdefg", 8, ct);
	assert_int_equal(sync_stream_pull_init(&p.rx, p.key, header), 0);
	assert_int_equal(sync_stream_open(&p.rx, ct, sizeof(ct), out), -1);
}

/* Opening the same ciphertext twice: the second time fails. */
static void
test_stream_replay(void **state)
{
	struct pipe_	 p;
	uint8_t		 in[64], c1[64 + SYNC_STREAM_ABYTES];
	uint8_t		 c2[64 + SYNC_STREAM_ABYTES], out[64];

	(void)state;
	pipe_open(&p, 0);
	memset(in, 'x', sizeof(in));
	sync_stream_seal(&p.tx, in, sizeof(in), c1);
	sync_stream_seal(&p.tx, in, sizeof(in), c2);
	/* Same plaintext, different ciphertexts. */
	assert_memory_not_equal(c1, c2, sizeof(c1));
	assert_int_equal(sync_stream_open(&p.rx, c1, sizeof(c1), out), 0);
	assert_int_equal(sync_stream_open(&p.rx, c1, sizeof(c1), out), -1);

	/* A replay after several messages fails too. */
	pipe_open(&p, 1);
	sync_stream_seal(&p.tx, in, sizeof(in), c1);
	sync_stream_seal(&p.tx, in, sizeof(in), c2);
	assert_int_equal(sync_stream_open(&p.rx, c1, sizeof(c1), out), 0);
	assert_int_equal(sync_stream_open(&p.rx, c2, sizeof(c2), out), 0);
	assert_int_equal(sync_stream_open(&p.rx, c1, sizeof(c1), out), -1);
	assert_int_equal(sync_stream_open(&p.rx, c2, sizeof(c2), out), -1);
}

/* Messages opened out of order fail. */
static void
test_stream_reorder(void **state)
{
	struct pipe_	 p;
	uint8_t		 c[3][16 + SYNC_STREAM_ABYTES], out[16];
	struct sync_stream saved;
	int		 i;

	(void)state;
	pipe_open(&p, 0);
	for (i = 0; i < 3; i++)
		sync_stream_seal(&p.tx, (const uint8_t *)"0123456789abcdef",
		    16, c[i]);
	saved = p.rx;
	assert_int_equal(sync_stream_open(&p.rx, c[1], sizeof(c[1]), out), -1);
	p.rx = saved;
	assert_int_equal(sync_stream_open(&p.rx, c[2], sizeof(c[2]), out), -1);
	p.rx = saved;
	assert_int_equal(sync_stream_open(&p.rx, c[0], sizeof(c[0]), out), 0);
	saved = p.rx;
	assert_int_equal(sync_stream_open(&p.rx, c[2], sizeof(c[2]), out), -1);
	p.rx = saved;
	assert_int_equal(sync_stream_open(&p.rx, c[1], sizeof(c[1]), out), 0);
	assert_int_equal(sync_stream_open(&p.rx, c[2], sizeof(c[2]), out), 0);
}

/* Every cut of a ciphertext fails, down to zero bytes. */
static void
test_stream_truncated(void **state)
{
	struct pipe_		 p;
	struct sync_stream	 saved;
	uint8_t			 in[48], ct[48 + SYNC_STREAM_ABYTES], out[48];
	uint8_t			*cut;
	size_t			 len;

	(void)state;
	pipe_open(&p, 0);
	memset(in, 'q', sizeof(in));
	sync_stream_seal(&p.tx, in, sizeof(in), ct);
	saved = p.rx;
	for (len = 0; len < sizeof(ct); len++) {
		cut = malloc(len > 0 ? len : 1);
		assert_non_null(cut);
		memcpy(cut, ct, len);
		p.rx = saved;
		if (sync_stream_open(&p.rx, cut, len, out) != -1)
			fail_msg("a ciphertext cut to %zu of %zu bytes opened",
			    len, sizeof(ct));
		free(cut);
	}
	p.rx = saved;
	assert_int_equal(sync_stream_open(&p.rx, ct, sizeof(ct), out), 0);
}

/* One flipped bit anywhere in the ciphertext fails. */
static void
test_stream_bit_flip(void **state)
{
	struct pipe_		 p;
	struct sync_stream	 saved;
	uint8_t			 in[32], ct[32 + SYNC_STREAM_ABYTES], out[32];
	size_t			 i;
	int			 bit;

	(void)state;
	pipe_open(&p, 0);
	memset(in, 'z', sizeof(in));
	sync_stream_seal(&p.tx, in, sizeof(in), ct);
	saved = p.rx;
	for (i = 0; i < sizeof(ct); i++)
		for (bit = 0; bit < 8; bit++) {
			ct[i] ^= (uint8_t)(1 << bit);
			p.rx = saved;
			if (sync_stream_open(&p.rx, ct, sizeof(ct), out) != -1)
				fail_msg("bit %d of byte %zu flipped: opened",
				    bit, i);
			ct[i] ^= (uint8_t)(1 << bit);
		}
	p.rx = saved;
	assert_int_equal(sync_stream_open(&p.rx, ct, sizeof(ct), out), 0);
	assert_memory_equal(in, out, sizeof(in));
}

/* A message sealed with a tag other than 0 (a FINAL) is refused. */
static void
test_stream_tagged_refused(void **state)
{
	struct pipe_	 p;
	uint8_t		 ct[4 + SYNC_STREAM_ABYTES], out[4];

	(void)state;
	pipe_open(&p, 0);
	crypto_secretstream_xchacha20poly1305_push(&p.tx.st, ct, NULL,
	    (const uint8_t *)"abc", 4, NULL, 0,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	assert_int_equal(sync_stream_open(&p.rx, ct, sizeof(ct), out), -1);
}

/* Datagrams: round trip, and each seal is different (random nonce). */
static void
test_dgram_round_trip(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES], in[300];
	uint8_t	 c1[300 + SYNC_DGRAM_OVERHEAD], c2[300 + SYNC_DGRAM_OVERHEAD];
	uint8_t	 out[300];
	size_t	 len, n;

	(void)state;
	master_of(SECRET, master);
	for (len = 0; len <= sizeof(in); len += 50) {
		memset(in, (int)len, len);
		n = sync_dgram_seal(master, in, len, c1);
		assert_int_equal(n, len + SYNC_DGRAM_OVERHEAD);
		assert_int_equal(sync_dgram_seal(master, in, len, c2), n);
		assert_memory_not_equal(c1, c2, n);
		assert_int_equal(sync_dgram_open(master, c1, n, out),
		    (long)len);
		if (len > 0)
			assert_memory_equal(in, out, len);
		assert_int_equal(sync_dgram_open(master, c2, n, out),
		    (long)len);
	}
}

/* Datagrams: another secret, a cut, a flipped bit, too short: -1. */
static void
test_dgram_rejections(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES], other[SYNC_KEY_BYTES];
	uint8_t	 in[40], ct[40 + SYNC_DGRAM_OVERHEAD], out[40 + 64];
	uint8_t	*cut;
	size_t	 n, len, i;
	int	 bit;

	(void)state;
	master_of(SECRET, master);
	master_of(SECRET "x", other);
	memset(in, 'd', sizeof(in));
	n = sync_dgram_seal(master, in, sizeof(in), ct);

	assert_int_equal(sync_dgram_open(other, ct, n, out), -1);

	for (len = 0; len < n; len++) {
		cut = malloc(len > 0 ? len : 1);
		assert_non_null(cut);
		memcpy(cut, ct, len);
		if (sync_dgram_open(master, cut, len, out) != -1)
			fail_msg("a datagram cut to %zu of %zu bytes opened",
			    len, n);
		free(cut);
	}

	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			ct[i] ^= (uint8_t)(1 << bit);
			if (sync_dgram_open(master, ct, n, out) != -1)
				fail_msg("bit %d of byte %zu flipped: opened",
				    bit, i);
			ct[i] ^= (uint8_t)(1 << bit);
		}

	/* Extra bytes after the tag: forged. */
	memcpy(out, ct, n);
	out[n] = 0;
	assert_int_equal(sync_dgram_open(master, out, n + 1, out + 50), -1);

	assert_int_equal(sync_dgram_open(master, ct, n, out),
	    (long)sizeof(in));
}

/* Shorter than the overhead (nonce and tag): -1 without reading. */
static void
test_dgram_too_short(void **state)
{
	uint8_t	 master[SYNC_KEY_BYTES], *buf, out[8];
	size_t	 len;

	(void)state;
	master_of(SECRET, master);
	for (len = 0; len < SYNC_DGRAM_OVERHEAD; len++) {
		buf = calloc(1, len > 0 ? len : 1);
		assert_non_null(buf);
		assert_int_equal(sync_dgram_open(master, buf, len, out), -1);
		free(buf);
	}
	/* An all-zero datagram of exactly the overhead: forged. */
	buf = calloc(1, SYNC_DGRAM_OVERHEAD);
	assert_non_null(buf);
	assert_int_equal(sync_dgram_open(master, buf, SYNC_DGRAM_OVERHEAD,
	    out), -1);
	free(buf);
}

/* A datagram is not a stream message, nor the other way round. */
static void
test_dgram_not_stream(void **state)
{
	struct pipe_	 p;
	uint8_t		 master[SYNC_KEY_BYTES];
	uint8_t		 ct[32 + SYNC_DGRAM_OVERHEAD], out[64];
	size_t		 n;

	(void)state;
	master_of(SECRET, master);
	pipe_open(&p, 0);
	n = sync_dgram_seal(master, (const uint8_t *)"0123456789abcdef"
	    "0123456789abcde", 32, ct);
	assert_int_equal(sync_stream_open(&p.rx, ct + 24, n - 24, out), -1);
	/* Stream keys never open a datagram. */
	assert_int_equal(sync_dgram_open(p.key, ct, n, out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_private_ok),
		cmocka_unit_test(test_secret_others_refused),
		cmocka_unit_test(test_secret_trailing_newline),
		cmocka_unit_test(test_secret_missing),
		cmocka_unit_test(test_secret_directory),
		cmocka_unit_test(test_secret_binary),
		cmocka_unit_test(test_master_derive),
		cmocka_unit_test(test_stream_keys_agree),
		cmocka_unit_test(test_stream_round_trip),
		cmocka_unit_test(test_stream_wrong_key),
		cmocka_unit_test(test_stream_wrong_header),
		cmocka_unit_test(test_stream_replay),
		cmocka_unit_test(test_stream_reorder),
		cmocka_unit_test(test_stream_truncated),
		cmocka_unit_test(test_stream_bit_flip),
		cmocka_unit_test(test_stream_tagged_refused),
		cmocka_unit_test(test_dgram_round_trip),
		cmocka_unit_test(test_dgram_rejections),
		cmocka_unit_test(test_dgram_too_short),
		cmocka_unit_test(test_dgram_not_stream),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
