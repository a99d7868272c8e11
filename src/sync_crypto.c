/*
 * Sync cryptography: secret file, the master key and its cluster, stream
 * keys, sealed datagrams.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sync_crypto.h"
#include "xmalloc.h"

#define SYNC_SECRET_MAX		4096	/* bytes read from the secret file */

static const char sync_ctx_stream[crypto_kdf_CONTEXTBYTES] = {
	'e', 'p', 'm', 'd', 'x', 's', 't', 'r'
};
static const char sync_ctx_dgram[crypto_kdf_CONTEXTBYTES] = {
	'e', 'p', 'm', 'd', 'x', 'm', 'c', 'a'
};
static const uint8_t sync_dgram_ad[] = "epmdx-dgram-v1";

/* Start libsodium. */
int
sync_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* master = BLAKE2b-256 keyed by a fixed label over the secret. */
void
sync_master_derive(const uint8_t *secret, size_t len,
    uint8_t master[SYNC_KEY_BYTES])
{
	static const uint8_t label[] = "epmdx-sync-master-v1";

	crypto_generichash(master, SYNC_KEY_BYTES, secret, len, label,
	    sizeof(label) - 1);
}

/*
 * Bind the master key to a cluster name: the cluster "default" keeps the
 * key as it is (what daemons without cluster names derive), any other
 * name replaces it with BLAKE2b-256 keyed by it over a fixed label and
 * the name, so that two clusters sharing one secret share no key.
 */
void
sync_master_cluster(uint8_t master[SYNC_KEY_BYTES], const char *cluster)
{
	static const uint8_t	 label[] = "epmdx-sync-cluster-v1";
	crypto_generichash_state h;

	if (strcmp(cluster, SYNC_CLUSTER_DEFAULT) == 0)
		return;
	crypto_generichash_init(&h, master, SYNC_KEY_BYTES, SYNC_KEY_BYTES);
	crypto_generichash_update(&h, label, sizeof(label));	/* with NUL */
	crypto_generichash_update(&h, (const uint8_t *)cluster,
	    strlen(cluster));
	crypto_generichash_final(&h, master, SYNC_KEY_BYTES);
	sodium_memzero(&h, sizeof(h));
}

/* Read and check the secret file, derive the master key. */
int
sync_secret_load(const char *path, uint8_t master[SYNC_KEY_BYTES],
    char **cause)
{
	uint8_t		 buf[SYNC_SECRET_MAX];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "secret_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "secret_file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		xasprintf(cause, "secret_file %s: readable by others (mode "
		    "%04o); chmod o-rw it", path, (unsigned)st.st_mode & 07777);
		close(fd);
		return -1;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "secret_file %s: %s", path,
			    strerror(errno));
			close(fd);
			sodium_memzero(buf, sizeof(buf));
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len < SYNC_SECRET_MIN) {
		xasprintf(cause, "secret_file %s: secret shorter than %d bytes",
		    path, SYNC_SECRET_MIN);
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	sync_master_derive(buf, len, master);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* Random bytes. */
void
sync_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

/* Session key from both randoms, then one subkey per direction. */
void
sync_stream_keys(const uint8_t master[SYNC_KEY_BYTES],
    const uint8_t dialer[SYNC_RANDOM_BYTES],
    const uint8_t acceptor[SYNC_RANDOM_BYTES],
    uint8_t c2s[SYNC_KEY_BYTES], uint8_t s2c[SYNC_KEY_BYTES])
{
	crypto_generichash_state	 h;
	uint8_t				 session[crypto_kdf_KEYBYTES];

	crypto_generichash_init(&h, master, SYNC_KEY_BYTES, sizeof(session));
	crypto_generichash_update(&h, dialer, SYNC_RANDOM_BYTES);
	crypto_generichash_update(&h, acceptor, SYNC_RANDOM_BYTES);
	crypto_generichash_final(&h, session, sizeof(session));
	crypto_kdf_derive_from_key(c2s, SYNC_KEY_BYTES, 1, sync_ctx_stream,
	    session);
	crypto_kdf_derive_from_key(s2c, SYNC_KEY_BYTES, 2, sync_ctx_stream,
	    session);
	sodium_memzero(session, sizeof(session));
}

/* Start the sending direction. */
void
sync_stream_push_init(struct sync_stream *s,
    const uint8_t key[SYNC_KEY_BYTES], uint8_t *header)
{
	crypto_secretstream_xchacha20poly1305_init_push(&s->st, header, key);
}

/* Start the receiving direction. */
int
sync_stream_pull_init(struct sync_stream *s,
    const uint8_t key[SYNC_KEY_BYTES], const uint8_t *header)
{
	return crypto_secretstream_xchacha20poly1305_init_pull(&s->st, header,
	    key) == 0 ? 0 : -1;
}

/* Seal one message. */
void
sync_stream_seal(struct sync_stream *s, const uint8_t *in, size_t len,
    uint8_t *out)
{
	crypto_secretstream_xchacha20poly1305_push(&s->st, out, NULL, in, len,
	    NULL, 0, 0);
}

/* Open one message; a forged, replayed or reordered one fails. */
int
sync_stream_open(struct sync_stream *s, const uint8_t *in, size_t len,
    uint8_t *out)
{
	unsigned char	 tag;

	if (len < SYNC_STREAM_ABYTES)
		return -1;
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, out, NULL, &tag,
	    in, len, NULL, 0) != 0)
		return -1;
	return tag == 0 ? 0 : -1;
}

/* The datagram key, derived from the master key. */
static void
sync_dgram_key(const uint8_t master[SYNC_KEY_BYTES], uint8_t *key)
{
	crypto_kdf_derive_from_key(key,
	    crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 1, sync_ctx_dgram,
	    master);
}

/* Seal a datagram: nonce, then ciphertext and tag. */
size_t
sync_dgram_seal(const uint8_t master[SYNC_KEY_BYTES], const uint8_t *in,
    size_t len, uint8_t *out)
{
	uint8_t			 key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned long long	 clen;
	uint8_t			*nonce = out;

	sync_dgram_key(master, key);
	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, in, len,
	    sync_dgram_ad, sizeof(sync_dgram_ad) - 1, NULL, nonce, key);
	sodium_memzero(key, sizeof(key));
	return (size_t)clen + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
}

/* Open a datagram; -1 if it is short or forged. */
long
sync_dgram_open(const uint8_t master[SYNC_KEY_BYTES], const uint8_t *in,
    size_t len, uint8_t *out)
{
	uint8_t			 key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned long long	 plen;
	int			 rc;

	if (len < SYNC_DGRAM_OVERHEAD)
		return -1;
	sync_dgram_key(master, key);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL,
	    in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    sync_dgram_ad, sizeof(sync_dgram_ad) - 1, in, key);
	sodium_memzero(key, sizeof(key));
	return rc == 0 ? (long)plen : -1;
}
