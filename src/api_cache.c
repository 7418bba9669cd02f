/*
 * api_cache: the per-thread cache of GET /v1/invoices/{id} (see
 * api_cache.h).
 */
#include "api_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"

/* One kept answer. */
struct slot {
	int64_t tenant_id;      /* 0: free */
	char id[STORE_ID_MAX + 1]; /* the invoice's external id */
	int64_t data_version;   /* the version it was read at ... */
	long writes;            /* ... */
	size_t len;             /* bytes of body */
	char body[API_CACHE_BODY_MAX]; /* the answer */
};

struct api_cache {
	struct slot *slot;      /* API_CACHE_SLOTS of them */
	int64_t data_version;   /* as last read */
	double checked_at;      /* when (monotonic seconds); 0 never */
};

static double monotonic(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* FNV-1a over the tenant and the id. */
static size_t slot_of(int64_t tenant_id, const char *id)
{
	uint64_t h = 1469598103934665603u ^ (uint64_t)tenant_id;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		h ^= *p;
		h *= 1099511628211u;
	}
	return (size_t)(h & (API_CACHE_SLOTS - 1));
}

struct api_cache *api_cache_new(struct store *s)
{
	struct api_cache *c;
	int64_t dv;

	if (store_data_version(s, &dv, NULL) < 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->slot = xcalloc(API_CACHE_SLOTS, sizeof(*c->slot));
	return c;
}

void api_cache_free(struct api_cache *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c);
}

int api_cache_version(struct api_cache *c, struct store *s, int64_t *ret_dv,
		      long *ret_w)
{
	double now = monotonic();
	/* The process's writes first: a write between two reads of the data
	 * version is then never missed. */
	*ret_w = store_write_count(s);
	if (!c->checked_at ||
	    now - c->checked_at >= API_CACHE_CHECK_MS / 1000.0) {
		if (store_data_version(s, &c->data_version, NULL) < 0)
			return -1;
		c->checked_at = now;
	}
	*ret_dv = c->data_version;
	return 0;
}

int api_cache_get(struct api_cache *c, struct store *s, int64_t tenant_id,
		  const char *id, struct buf *out)
{
	struct slot *x;
	int64_t dv;
	long w;

	if (!c || strlen(id) > STORE_ID_MAX)
		return 0;
	x = &c->slot[slot_of(tenant_id, id)];
	if (x->tenant_id != tenant_id || strcmp(x->id, id) != 0 ||
	    api_cache_version(c, s, &dv, &w) < 0 || dv != x->data_version ||
	    w != x->writes)
		return 0;
	return buf_append(out, x->body, x->len) == 0;
}

void api_cache_put(struct api_cache *c, int64_t tenant_id, const char *id,
		   const char *body, size_t len, int64_t dv, long w)
{
	struct slot *x;

	if (!c || len > API_CACHE_BODY_MAX || strlen(id) > STORE_ID_MAX)
		return;
	x = &c->slot[slot_of(tenant_id, id)];
	x->tenant_id = tenant_id;
	memcpy(x->id, id, strlen(id) + 1);
	x->data_version = dv;
	x->writes = w;
	x->len = len;
	memcpy(x->body, body, len);
}
