/*
 * api_cache: a server thread's cache of the API's most frequent answer,
 * GET /v1/invoices/{id}, as the personal page's cache (src/portal.c) keeps
 * rendered pages: the answer's bytes, kept with the store's version when
 * they were read, served again while the version has not moved.
 *
 * The version is the pair (the store's data version, this process's write
 * count): a write through any connection of this process moves the count
 * at once (and again when it commits); a write by another process (a
 * `dunwell run`, a second server) moves the data version, which is read at
 * most every API_CACHE_CHECK_MS per thread: such a write is seen within
 * that time. SQLite only (PostgreSQL has no cheap data version: no cache).
 * Entries are keyed by tenant and invoice id; an answer is cached only for
 * the tenant whose key asked, so tenants never see each other's.
 */
#ifndef DUNWELL_API_CACHE_H
#define DUNWELL_API_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define API_CACHE_SLOTS 2048    /* entries per thread (direct-mapped) */
#define API_CACHE_BODY_MAX 2048 /* an answer larger than this is not kept */
#define API_CACHE_CHECK_MS 100  /* data version read at most this often */

struct api_cache;

/* NULL when the store has no cheap data version (no caching). */
struct api_cache *api_cache_new(struct store *s);
void api_cache_free(struct api_cache *c);

/* The current version, to be read before the data it will label. -1 when
 * it cannot be read (then nothing is cached or served). */
int api_cache_version(struct api_cache *c, struct store *s, int64_t *ret_dv,
		      long *ret_w);

/* Append the cached answer for (tenant, id) to out when there is one of
 * the current version: 1 when served, 0 otherwise. */
int api_cache_get(struct api_cache *c, struct store *s, int64_t tenant_id,
		  const char *id, struct buf *out);

/* Keep an answer read at version (dv, w). */
void api_cache_put(struct api_cache *c, int64_t tenant_id, const char *id,
		   const char *body, size_t len, int64_t dv, long w);

#endif
