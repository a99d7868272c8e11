/*
 * Sync cryptography (libsodium): the cluster secret, the master key bound
 * to the cluster name, per-stream keys and sealed datagrams.  No libevent,
 * no I/O besides reading the secret.
 *
 * Streams: the dialer sends a 32-byte random, the acceptor answers with
 * its own; both derive c2s/s2c keys from the master key and the two
 * randoms, and each direction is a crypto_secretstream (ordered,
 * authenticated; a replayed, reordered or truncated stream fails).
 * Datagrams: XChaCha20-Poly1305 with a random nonce; the sender puts a
 * sequence number in the plaintext for replay checks.
 */
#ifndef SYNC_CRYPTO_H
#define SYNC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SYNC_KEY_BYTES		32
#define SYNC_RANDOM_BYTES	32
#define SYNC_SECRET_MIN		16	/* bytes of secret, at least */
#define SYNC_CLUSTER_DEFAULT	"default" /* the key of no cluster name */
#define SYNC_STREAM_HEADER	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SYNC_STREAM_ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES
#define SYNC_DGRAM_OVERHEAD	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + \
				 crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* One direction of a sealed stream. */
struct sync_stream {
	crypto_secretstream_xchacha20poly1305_state st;
};

/* sodium_init(); -1 if the library cannot start. */
int	sync_crypto_init(void);
/*
 * Read the secret file (refused if others may read it, or shorter than
 * SYNC_SECRET_MIN bytes once trailing white space is cut) and derive the
 * master key.  -1 with *cause.
 */
int	sync_secret_load(const char *path, uint8_t master[SYNC_KEY_BYTES],
	    char **cause);
/* Derive the master key from secret bytes (tests, and the loader). */
void	sync_master_derive(const uint8_t *secret, size_t len,
	    uint8_t master[SYNC_KEY_BYTES]);
/*
 * Bind master to a cluster name in place: "default" (SYNC_CLUSTER_DEFAULT)
 * leaves it as the secret gives it, so that daemons older than cluster
 * names still talk to it; another name derives a key of its own.
 */
void	sync_master_cluster(uint8_t master[SYNC_KEY_BYTES],
	    const char *cluster);
/* Fill buf with random bytes. */
void	sync_random(void *buf, size_t len);
/* Derive a stream's two direction keys. */
void	sync_stream_keys(const uint8_t master[SYNC_KEY_BYTES],
	    const uint8_t dialer[SYNC_RANDOM_BYTES],
	    const uint8_t acceptor[SYNC_RANDOM_BYTES],
	    uint8_t c2s[SYNC_KEY_BYTES], uint8_t s2c[SYNC_KEY_BYTES]);
/* Start the sending side: writes SYNC_STREAM_HEADER bytes of header. */
void	sync_stream_push_init(struct sync_stream *,
	    const uint8_t key[SYNC_KEY_BYTES], uint8_t *header);
/* Start the receiving side from the peer's header; -1 if refused. */
int	sync_stream_pull_init(struct sync_stream *,
	    const uint8_t key[SYNC_KEY_BYTES], const uint8_t *header);
/* Seal len bytes into out (len + SYNC_STREAM_ABYTES bytes). */
void	sync_stream_seal(struct sync_stream *, const uint8_t *in, size_t len,
	    uint8_t *out);
/* Open a sealed message into out (len - ABYTES bytes); -1 if forged. */
int	sync_stream_open(struct sync_stream *, const uint8_t *in, size_t len,
	    uint8_t *out);
/* Seal a datagram: out holds len + SYNC_DGRAM_OVERHEAD bytes. */
size_t	sync_dgram_seal(const uint8_t master[SYNC_KEY_BYTES],
	    const uint8_t *in, size_t len, uint8_t *out);
/* Open a datagram into out; returns the plaintext length or -1. */
long	sync_dgram_open(const uint8_t master[SYNC_KEY_BYTES],
	    const uint8_t *in, size_t len, uint8_t *out);

#endif /* SYNC_CRYPTO_H */
