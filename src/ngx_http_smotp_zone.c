
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_zone: the abuse limits' counts, shared by every worker, kept
 * across reloads.  A hash table of entries named by a 64-bit keyed hash
 * of what they count (SipHash-1-3, with a key of each limit's own made
 * from the zone's random key): a lookup reads a bucket and, nearly
 * always, one entry, where a tree of a full zone would walk 17 levels,
 * each a likely cache miss.  An LRU queue expires a few stale entries at
 * each new one and evicts the oldest when the zone is full; the slab
 * allocator gives the entries, and an entry deleted is kept on a free
 * list for the next one made (every entry is of one size, and the list
 * is a few instructions where the slab's search is some two hundred).
 * A request's counts in a zone are taken under one hold of its lock.
 */


#include "ngx_http_smotp_zone.h"
#include "ngx_http_smotp_fault.h"

#include <openssl/rand.h>


/* a verify's tally of wrong codes outlives any OTP request */
#define NGX_HTTP_SMOTP_TALLY_TTL   ((ngx_msec_t) 24 * 3600 * 1000)

/* the part of a limit's id that names it: a rate is a few characters */
#define NGX_HTTP_SMOTP_ZONE_ID_LEN  32

/* how often a full zone is said, at most */
#define NGX_HTTP_SMOTP_FULL_LOG    60


/* a zone's buckets: about one for each entry it has room for */
#define NGX_HTTP_SMOTP_ZONE_ENTRY  128


/*
 * A rolling count is kept one of two ways: up to ZONE_EXACT a period, by
 * the times themselves ("cur" of them, in ms after "mark", oldest first),
 * which is exact; above it, by the count of the current window ("cur",
 * which starts at "mark") and of the one before ("prev").  A tally is
 * "cur".  A record is sealed text in "times", "prev" bytes of it, named
 * as the tally of the same key is, so that an OTP request's record (made
 * by its send) and its wrong codes (counted by its verifies) are one
 * entry.
 */

typedef struct ngx_http_smotp_entry_s  ngx_http_smotp_entry_t;

struct ngx_http_smotp_entry_s {
    ngx_http_smotp_entry_t     *next;       /* in its bucket */
    uint64_t                    hash;
    ngx_msec_t                  mark;
    ngx_msec_t                  expire;
    ngx_queue_t                 queue;
    uint32_t                    prev;
    uint32_t                    cur;
    uint32_t                    times[NGX_HTTP_SMOTP_ZONE_EXACT];
};


typedef struct {
    ngx_http_smotp_entry_t    **buckets;
    uint64_t                    mask;
    ngx_queue_t                 queue;
    /* entries deleted, linked by their "next", for the next ones made */
    ngx_http_smotp_entry_t     *free;
    u_char                      key[16];
    time_t                      full_logged;

    /* a Redis zone's: Redis failed at its last call (fleet.c) */
    ngx_atomic_t                remote_down;

    /*
     * the latest time any worker has come with: a worker's clock is the
     * time of its last event loop, and may be behind another's
     */
    ngx_msec_t                  now;
} ngx_http_smotp_zone_sh_t;


typedef struct {
    ngx_http_smotp_zone_sh_t   *sh;
    ngx_slab_pool_t            *shpool;
    ngx_uint_t                  size;
    /* the hash keys of the zone's records and of their seal, once a worker */
    ngx_http_smotp_zone_name_t  text;
    ngx_http_smotp_zone_name_t  record;
    ngx_http_smotp_zone_name_t  seal[2];
    /* smotp_zone ... redis=: the counts are in Redis, this is the fallback */
    ngx_http_smotp_zone_remote_t  *remote;
    /* an smotp_resend's checks are in the zone: sends record their phone */
    ngx_uint_t                  recalled;
} ngx_http_smotp_zone_ctx_t;


static ngx_int_t ngx_http_smotp_zone_init(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_smotp_zone_share(ngx_http_smotp_zone_ctx_t *ctx);
static void ngx_http_smotp_zone_name(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id);
static ngx_int_t ngx_http_smotp_zone_take(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_ctx_t *ctx, ngx_http_smotp_hold_t *hold,
    ngx_msec_t now, ngx_msec_t *wait);
static ngx_msec_t ngx_http_smotp_zone_clock(ngx_http_smotp_zone_ctx_t *ctx);
static ngx_inline ngx_http_smotp_entry_t **ngx_http_smotp_zone_bucket(
    ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash);
static ngx_http_smotp_entry_t **ngx_http_smotp_zone_link(
    ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash);
static ngx_http_smotp_entry_t *ngx_http_smotp_zone_entry(
    ngx_shm_zone_t *zone, ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash,
    ngx_uint_t create, ngx_msec_t now);
static void ngx_http_smotp_zone_expire(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_uint_t n, ngx_msec_t now);
static void ngx_http_smotp_zone_unlink(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_entry_t **link);
static void ngx_http_smotp_zone_delete(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_entry_t *e);
static void ngx_http_smotp_zone_seal(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_ctx_t *ctx, ngx_str_t *key, u_char *text,
    size_t len);
static ngx_msec_t ngx_http_smotp_zone_times(ngx_http_smotp_entry_t *e,
    ngx_msec_t period, ngx_uint_t limit, ngx_msec_t now);
static ngx_msec_t ngx_http_smotp_zone_window(ngx_http_smotp_entry_t *e,
    ngx_msec_t period, ngx_uint_t limit, ngx_msec_t now);
static ngx_inline uint64_t ngx_http_smotp_le64(u_char *p);
static ngx_inline uint64_t ngx_http_smotp_siphash(uint64_t k0, uint64_t k1,
    u_char *p, size_t len);


/*
 * A record is named as the tally of smotp_verify_attempts is (its id is
 * that check's), and sealed with two key streams of ids of their own
 */

static ngx_str_t  ngx_http_smotp_zone_record_id = ngx_string("attempts");

/* the zone's key for the texts themselves: "#" is in no rate */
static ngx_str_t  ngx_http_smotp_zone_text_id = ngx_string("#text");

static ngx_str_t  ngx_http_smotp_zone_seal_ids[2] = {
    ngx_string("seal0"),
    ngx_string("seal1")
};


char *
ngx_http_smotp_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_main_conf_t *smcf = conf;

    u_char                        *p;
    ssize_t                        size;
    ngx_str_t                     *value, name, s;
    ngx_uint_t                     i;
    ngx_shm_zone_t                *shm_zone, **zp;
    ngx_http_smotp_zone_ctx_t     *ctx;
    ngx_http_smotp_zone_remote_t  *remote;

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "name:size is expected", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "a size of at least %uzk is expected",
                           &value[1], &cmd->name, 8 * ngx_pagesize / 1024);
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_zone_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->size = size;

    remote = NULL;

    for (i = 2; i < cf->args->nelts; i++) {

        if (remote == NULL) {
            remote = ngx_pcalloc(cf->pool,
                                 sizeof(ngx_http_smotp_zone_remote_t));
            if (remote == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        if (ngx_strncmp(value[i].data, "redis=", 6) == 0
            && value[i].len > 7 && value[i].data[6] == '/'
            && remote->uri.len == 0)
        {
            remote->uri.data = value[i].data + 6;
            remote->uri.len = value[i].len - 6;
            continue;
        }

        if (ngx_strcmp(value[i].data, "on_error=local") == 0) {
            remote->on_error = NGX_HTTP_SMOTP_ZONE_ON_ERROR_LOCAL;
            continue;
        }

        if (ngx_strcmp(value[i].data, "on_error=allow") == 0) {
            remote->on_error = NGX_HTTP_SMOTP_ZONE_ON_ERROR_ALLOW;
            continue;
        }

        if (ngx_strcmp(value[i].data, "on_error=deny") == 0) {
            remote->on_error = NGX_HTTP_SMOTP_ZONE_ON_ERROR_DENY;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive: "
                           "redis=/location and on_error=local|allow|deny "
                           "are expected", &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (remote && remote->uri.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" directive: on_error= needs redis=",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_smotp_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V \"%V\" is already defined",
                           &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_smotp_zone_init;
    shm_zone->data = ctx;

    if (remote) {

        /* the keys in Redis: "smotp:<zone>:<hash>" */

        remote->name = name;
        remote->prefix.len = sizeof("smotp::") - 1 + name.len;
        remote->prefix.data = ngx_pnalloc(cf->pool, remote->prefix.len);
        if (remote->prefix.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(remote->prefix.data, "smotp:%V:", &name);

        ctx->remote = remote;

        if (smcf->remote_zones == NULL) {
            smcf->remote_zones = ngx_array_create(cf->pool, 2,
                                                  sizeof(ngx_shm_zone_t *));
            if (smcf->remote_zones == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        zp = ngx_array_push(smcf->remote_zones);
        if (zp == NULL) {
            return NGX_CONF_ERROR;
        }

        *zp = shm_zone;
    }

    return NGX_CONF_OK;
}


/* the Redis side of a zone, or NULL for one of shared memory alone */

ngx_http_smotp_zone_remote_t *
ngx_http_smotp_zone_remote(ngx_shm_zone_t *zone)
{
    ngx_http_smotp_zone_ctx_t  *ctx = zone->data;

    return ctx->remote;
}


/*
 * The zone of that name, as smotp_limit and the others name it: one
 * defined further down is found too (nginx keeps it under its name, sized
 * when its smotp_zone is read); one never defined has no data, which the
 * location's merge reports.
 */

ngx_shm_zone_t *
ngx_http_smotp_zone_find(ngx_conf_t *cf, ngx_str_t *name)
{
    return ngx_shared_memory_add(cf, name, 0, &ngx_http_smotp_module);
}


static ngx_int_t
ngx_http_smotp_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_smotp_zone_ctx_t  *octx = data;

    size_t                      len;
    ngx_uint_t                  n;
    ngx_http_smotp_zone_ctx_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        /* a reload: the counts go on */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return ngx_http_smotp_zone_share(ctx);
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return ngx_http_smotp_zone_share(ctx);
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_smotp_zone_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    /*
     * buckets: the largest power of two not above the entries the zone
     * could hold without them, 64 at least
     */

    for (n = 64; 2 * n <= ctx->size / NGX_HTTP_SMOTP_ZONE_ENTRY; n <<= 1) {
        /* void */
    }

    ctx->sh->buckets = ngx_slab_calloc(ctx->shpool,
                                       n * sizeof(ngx_http_smotp_entry_t *));
    if (ctx->sh->buckets == NULL) {
        return NGX_ERROR;
    }

    ctx->sh->mask = n - 1;

    ngx_queue_init(&ctx->sh->queue);
    ctx->sh->free = NULL;

    /* made once, by the master: every worker and every reload keeps it */

    if (RAND_bytes(ctx->sh->key, sizeof(ctx->sh->key)) != 1) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "smotp_zone \"%V\": RAND_bytes() failed",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    ctx->sh->full_logged = 0;
    ctx->sh->now = ngx_current_msec;
    ctx->sh->remote_down = 0;

    if (ngx_http_smotp_zone_share(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    len = sizeof(" in smotp_zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in smotp_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is said by the module, once a minute, not by the slab */

    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * A Redis zone's entries are named alike on every server of the fleet:
 * by a key that the servers' common secret gives (set by the module's
 * postconfiguration), not the zone's random one, which is then replaced
 */

static ngx_int_t
ngx_http_smotp_zone_share(ngx_http_smotp_zone_ctx_t *ctx)
{
    if (ctx->remote == NULL) {
        return NGX_OK;
    }

    if (!ctx->remote->keyed) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->sh->key, ctx->remote->key, sizeof(ctx->sh->key));

    ctx->remote->down = &ctx->sh->remote_down;

    return NGX_OK;
}


/*
 * The entry's name: the key's text hashed with the zone's key, then
 * mixed with the limit's own key (ngx_http_smotp_zone_name_of())
 */

uint64_t
ngx_http_smotp_zone_hash(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id, ngx_str_t *key)
{
    return ngx_http_smotp_zone_name_of(zone, name, kind, id,
                                       ngx_http_smotp_zone_text(zone, key));
}


/* a key's text hashed with the zone's own key, once for all its limits */

uint64_t
ngx_http_smotp_zone_text(ngx_shm_zone_t *zone, ngx_str_t *key)
{
    ngx_http_smotp_zone_ctx_t  *ctx = zone->data;

    if (!ctx->text.made) {
        ngx_http_smotp_zone_name(ctx, &ctx->text, NGX_HTTP_SMOTP_ZONE_LIMIT,
                                 &ngx_http_smotp_zone_text_id);
    }

    return ngx_http_smotp_siphash(ctx->text.k0, ctx->text.k1, key->data,
                                  key->len);
}


/*
 * A limit's entry of a text (ngx_http_smotp_zone_text()): the text's hash
 * and the limit's own key, which is made once a worker from the zone's
 * key, the kind and the limit's id (its rate, so that two limits of one
 * key count apart), mixed by a bijection (SplitMix64's): texts that share
 * a bucket are as unknown as their hashes, and a text hashed once a
 * request names its entry of every limit
 */

uint64_t
ngx_http_smotp_zone_name_of(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id, uint64_t text)
{
    uint64_t  h;

    if (!name->made) {
        ngx_http_smotp_zone_name(zone->data, name, kind, id);
    }

    h = text ^ name->k0;

    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;

    return (h ^ (h >> 31)) ^ name->k1;
}


static void
ngx_http_smotp_zone_name(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id)
{
    u_char    *p;
    size_t     len;
    uint64_t   k0, k1;
    u_char     buf[NGX_HTTP_SMOTP_ZONE_ID_LEN + 2];

    k0 = ngx_http_smotp_le64(ctx->sh->key);
    k1 = ngx_http_smotp_le64(ctx->sh->key + 8);

    len = ngx_min(id->len, NGX_HTTP_SMOTP_ZONE_ID_LEN);

    p = buf;
    *p++ = (u_char) kind;
    p = ngx_cpymem(p, id->data, len);

    *p = '0';
    name->k0 = ngx_http_smotp_siphash(k0, k1, buf, p + 1 - buf);

    *p = '1';
    name->k1 = ngx_http_smotp_siphash(k0, k1, buf, p + 1 - buf);

    name->made = 1;
}


/*
 * A request's counts taken, in order, each if its limit lets it, with one
 * lock of a zone for all of them, of the holds on the side "remote" says
 * (0: the zones' own; 1: a Redis zone's, counted here when Redis fails,
 * on_error=local): NGX_OK when all are (each hold filled
 * in for a release); else none is kept, "refused" is the hold that was
 * not let through, and NGX_BUSY comes with how long until it would be,
 * NGX_ERROR when the zone had no room even after evicting the oldest.
 */

ngx_int_t
ngx_http_smotp_zone_reserve(ngx_array_t *holds, ngx_uint_t remote,
    ngx_uint_t *refused, ngx_msec_t *wait)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_msec_t                  now;
    ngx_shm_zone_t             *locked;
    ngx_http_smotp_hold_t      *hold;
    ngx_http_smotp_zone_ctx_t  *ctx;

    hold = holds->elts;
    locked = NULL;
    ctx = NULL;
    now = 0;
    rc = NGX_OK;

    for (i = 0; i < holds->nelts; i++) {

        if (hold[i].remote != remote) {
            continue;
        }

        if (hold[i].zone != locked) {

            if (locked) {
                ngx_shmtx_unlock(&ctx->shpool->mutex);
            }

            locked = hold[i].zone;
            ctx = locked->data;

            ngx_shmtx_lock(&ctx->shpool->mutex);

            now = ngx_http_smotp_zone_clock(ctx);
        }

        rc = ngx_http_smotp_zone_take(locked, ctx, &hold[i], now, wait);

        if (rc != NGX_OK) {
            break;
        }
    }

    if (locked) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
    }

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    /* those taken before the refusal are given back */

    *refused = i;

    while (i--) {
        if (hold[i].remote == remote) {
            ngx_http_smotp_zone_release(&hold[i]);
        }
    }

    return rc;
}


/* one count, under the zone's lock */

static ngx_int_t
ngx_http_smotp_zone_take(ngx_shm_zone_t *zone, ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_hold_t *hold, ngx_msec_t now, ngx_msec_t *wait)
{
    ngx_http_smotp_entry_t  *e;

    e = ngx_http_smotp_zone_entry(zone, ctx, hold->hash, 1, now);

    if (e == NULL) {
        return NGX_ERROR;
    }

    *wait = 0;

    if (hold->kind == NGX_HTTP_SMOTP_ZONE_TALLY) {

        if (e->cur >= hold->limit) {
            return NGX_BUSY;
        }

        e->cur++;
        e->expire = now + NGX_HTTP_SMOTP_TALLY_TTL;

        return NGX_OK;
    }

    if (hold->limit <= NGX_HTTP_SMOTP_ZONE_EXACT) {
        *wait = ngx_http_smotp_zone_times(e, hold->period, hold->limit,
                                          now);

        if (*wait) {
            return NGX_BUSY;
        }

        e->times[e->cur++] = (uint32_t) (now - e->mark);
        hold->mark = now;
        e->expire = now + hold->period;

        return NGX_OK;
    }

    *wait = ngx_http_smotp_zone_window(e, hold->period, hold->limit, now);

    if (*wait) {
        return NGX_BUSY;
    }

    e->cur++;
    hold->mark = e->mark;
    e->expire = e->mark + 2 * hold->period;

    return NGX_OK;
}


/* a reservation given back: the call it was for did not happen */

void
ngx_http_smotp_zone_release(ngx_http_smotp_hold_t *hold)
{
    ngx_uint_t                  i;
    ngx_http_smotp_entry_t     *e;
    ngx_http_smotp_zone_ctx_t  *ctx;

    ctx = hold->zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    e = ngx_http_smotp_zone_entry(hold->zone, ctx, hold->hash, 0,
                                  ngx_http_smotp_zone_clock(ctx));

    if (e == NULL) {
        goto done;
    }

    if (hold->kind == NGX_HTTP_SMOTP_ZONE_TALLY) {
        if (e->cur) {
            e->cur--;
        }

        goto done;
    }

    if (hold->limit <= NGX_HTTP_SMOTP_ZONE_EXACT) {

        /* the time it was counted at, unless it has left the period */

        for (i = 0; i < e->cur; i++) {
            if (e->mark + e->times[i] == hold->mark) {
                ngx_memmove(&e->times[i], &e->times[i + 1],
                            (e->cur - i - 1) * sizeof(uint32_t));
                e->cur--;
                break;
            }
        }

        goto done;
    }

    /* counted in the window that is now current, or in the one before */

    if (e->mark == hold->mark && e->cur) {
        e->cur--;

    } else if (e->mark == hold->mark + hold->period && e->prev) {
        e->prev--;
    }

done:

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/*
 * A tally cleared (a right code): its entry goes, found where it is
 * linked and not made the newest first; an OTP request's record in it,
 * if it has one still in use, stays
 */

void
ngx_http_smotp_zone_clear(ngx_http_smotp_hold_t *hold)
{
    ngx_msec_t                  now;
    ngx_http_smotp_entry_t     *e, **link;
    ngx_http_smotp_zone_ctx_t  *ctx;

    ctx = hold->zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    now = ngx_http_smotp_zone_clock(ctx);

    link = ngx_http_smotp_zone_link(ctx, hold->hash);
    e = *link;

    if (e && e->prev && (ngx_msec_int_t) (now - e->expire) < 0) {
        e->cur = 0;

    } else if (e) {
        ngx_http_smotp_zone_unlink(ctx, link);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* an smotp_resend counts in the zone: it will recall what sends record */

void
ngx_http_smotp_zone_recalled(ngx_shm_zone_t *zone)
{
    ngx_http_smotp_zone_ctx_t  *ctx = zone->data;

    ctx->recalled = 1;
}


/*
 * A record: a short text kept under the key's name until "ttl" passes
 * (the phone number of an OTP request, which a resend of it needs), in
 * the room of an entry's times; NGX_ERROR when the zone has no room.  A
 * zone no resend counts in keeps none: NGX_OK at once
 */

ngx_int_t
ngx_http_smotp_zone_record(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_str_t *value, ngx_msec_t ttl)
{
    uint64_t                    hash;
    ngx_msec_t                  now;
    ngx_http_smotp_entry_t     *e;
    ngx_http_smotp_zone_ctx_t  *ctx;
    size_t                      len;
    u_char                      text[NGX_HTTP_SMOTP_ZONE_RECORD_LEN];

    ctx = zone->data;

    if (!ctx->recalled) {
        return NGX_OK;
    }

    hash = ngx_http_smotp_zone_hash(zone, &ctx->record,
                                    NGX_HTTP_SMOTP_ZONE_TALLY,
                                    &ngx_http_smotp_zone_record_id, key);

    len = ngx_min(value->len, NGX_HTTP_SMOTP_ZONE_RECORD_LEN);

    ngx_memcpy(text, value->data, len);
    ngx_http_smotp_zone_seal(zone, ctx, key, text, len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    now = ngx_http_smotp_zone_clock(ctx);

    e = ngx_http_smotp_zone_entry(zone, ctx, hash, 1, now);

    if (e) {
        e->prev = len;
        ngx_memcpy(e->times, text, len);

        if ((ngx_msec_int_t) (now + ttl - e->expire) > 0) {
            e->expire = now + ttl;
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return e ? NGX_OK : NGX_ERROR;
}


/*
 * The text recorded under the key's name, into value->data (room for
 * NGX_HTTP_SMOTP_ZONE_RECORD_LEN): NGX_OK, or NGX_DECLINED when there is
 * none or it has expired
 */

ngx_int_t
ngx_http_smotp_zone_recall(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_str_t *value)
{
    uint64_t                    hash;
    ngx_http_smotp_entry_t     *e;
    ngx_http_smotp_zone_ctx_t  *ctx;

    ctx = zone->data;

    hash = ngx_http_smotp_zone_hash(zone, &ctx->record,
                                    NGX_HTTP_SMOTP_ZONE_TALLY,
                                    &ngx_http_smotp_zone_record_id, key);

    value->len = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    e = ngx_http_smotp_zone_entry(zone, ctx, hash, 0,
                                  ngx_http_smotp_zone_clock(ctx));

    if (e) {
        value->len = e->prev;
        ngx_memcpy(value->data, e->times, e->prev);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (value->len == 0) {
        return NGX_DECLINED;
    }

    ngx_http_smotp_zone_seal(zone, ctx, key, value->data, value->len);

    return NGX_OK;
}


/*
 * A record's text sealed, or opened, in place: XORed with a key stream
 * made from the key it is kept under (a request id), which the zone holds
 * only as a hash, so that the shared memory shows no phone number
 */

static void
ngx_http_smotp_zone_seal(ngx_shm_zone_t *zone, ngx_http_smotp_zone_ctx_t *ctx,
    ngx_str_t *key, u_char *text, size_t len)
{
    size_t      i;
    uint64_t    pad[2];
    ngx_uint_t  n;

    for (n = 0; n < 2; n++) {
        pad[n] = ngx_http_smotp_zone_hash(zone, &ctx->seal[n],
                                          NGX_HTTP_SMOTP_ZONE_RECORD,
                                          &ngx_http_smotp_zone_seal_ids[n],
                                          key);
    }

    for (i = 0; i < len; i++) {
        text[i] ^= ((u_char *) pad)[i];
    }
}


/*
 * The times kept, those out of the period dropped: 0 when one more is
 * let through, else how long until the oldest leaves the period
 */

static ngx_msec_t
ngx_http_smotp_zone_times(ngx_http_smotp_entry_t *e, ngx_msec_t period,
    ngx_uint_t limit, ngx_msec_t now)
{
    uint32_t    base;
    ngx_uint_t  i, n;

    for (n = 0; n < e->cur && now - (e->mark + e->times[n]) >= period; n++) {
        /* void */
    }

    e->cur -= n;

    if (e->cur == 0) {
        e->mark = now;
        return 0;
    }

    /* the oldest kept becomes the mark: the offsets stay small */

    base = e->times[n];
    e->mark += base;

    for (i = 0; i < e->cur; i++) {
        e->times[i] = e->times[i + n] - base;
    }

    if (e->cur < limit) {
        return 0;
    }

    return e->mark + e->times[e->cur - limit] + period - now;
}


/*
 * Above ZONE_EXACT, a rolling count over "period" (the sliding window
 * counter of Cloudflare's kind): the count of the current window, and
 * that of the window before weighted by how much of it the period still
 * covers.  0 when one more is let through, else how long until it would
 * be.
 */

static ngx_msec_t
ngx_http_smotp_zone_window(ngx_http_smotp_entry_t *e, ngx_msec_t period,
    ngx_uint_t limit, ngx_msec_t now)
{
    uint64_t    left, need, over;
    ngx_msec_t  start, elapsed;

    start = now - now % period;

    if (start != e->mark) {
        e->prev = (start - e->mark == period) ? e->cur : 0;
        e->cur = 0;
        e->mark = start;
    }

    elapsed = now - start;
    left = period - elapsed;

    /* prev * left / period + cur + 1 <= limit, in whole numbers */

    if ((uint64_t) e->prev * left + ((uint64_t) e->cur + 1) * period
        <= (uint64_t) limit * period)
    {
        return 0;
    }

    if (e->cur + 1 <= limit) {

        /* when the window before weighs little enough: prev * l <= room */

        need = ((uint64_t) limit - e->cur - 1) * period;
        over = (uint64_t) e->prev * left - need;

        return (ngx_msec_t) ((over + e->prev - 1) / e->prev);
    }

    /* the next window, with this one's count as the one before */

    need = ((uint64_t) limit - 1) * period;

    return left + (ngx_msec_t) (((uint64_t) e->cur * period - need
                                 + e->cur - 1) / e->cur);
}


/* the zone's time, under its lock: it never goes back */

static ngx_msec_t
ngx_http_smotp_zone_clock(ngx_http_smotp_zone_ctx_t *ctx)
{
    if ((ngx_msec_int_t) (ngx_current_msec - ctx->sh->now) > 0) {
        ctx->sh->now = ngx_current_msec;
    }

    return ctx->sh->now;
}


/* the bucket of a hash: its low bits (all in the first, for a test) */

static ngx_inline ngx_http_smotp_entry_t **
ngx_http_smotp_zone_bucket(ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash)
{
    if (ngx_http_smotp_fault_one_bucket()) {
        return &ctx->sh->buckets[0];
    }

    return &ctx->sh->buckets[hash & ctx->sh->mask];
}


/*
 * Where the entry of that hash is linked in its bucket (a zone has one
 * entry a hash), or the bucket's end, which points at none
 */

static ngx_http_smotp_entry_t **
ngx_http_smotp_zone_link(ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash)
{
    ngx_http_smotp_entry_t  **link;

    for (link = ngx_http_smotp_zone_bucket(ctx, hash);
         *link && (*link)->hash != hash;
         link = &(*link)->next)
    {
        /* void */
    }

    return link;
}


/*
 * The entry of that hash, made when "create" is set (and the zone has
 * room, after evicting the oldest if need be); under the zone's lock.
 * An entry found is made the newest; one past its use counts as new.
 */

static ngx_http_smotp_entry_t *
ngx_http_smotp_zone_entry(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_ctx_t *ctx, uint64_t hash, ngx_uint_t create,
    ngx_msec_t now)
{
    ngx_uint_t                n;
    ngx_http_smotp_entry_t   *e, **bucket;

    e = *ngx_http_smotp_zone_link(ctx, hash);

    if (e) {

        if ((ngx_msec_int_t) (now - e->expire) >= 0) {
            e->prev = 0;
            e->cur = 0;
        }

        ngx_queue_remove(&e->queue);
        ngx_queue_insert_head(&ctx->sh->queue, &e->queue);

        return e;
    }

    if (!create) {
        return NULL;
    }

    ngx_http_smotp_zone_expire(ctx, 2, now);

    for (n = 0; /* void */; n++) {

        e = ctx->sh->free;

        if (e) {
            ctx->sh->free = e->next;
            break;
        }

        e = ngx_slab_alloc_locked(ctx->shpool, sizeof(ngx_http_smotp_entry_t));

        if (e) {
            break;
        }

        if (ngx_queue_empty(&ctx->sh->queue) || n == 16) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "smotp_zone \"%V\" has no room for an entry",
                          &zone->shm.name);
            return NULL;
        }

        /* the oldest goes: the limits still apply to every other */

        if (ngx_time() - ctx->sh->full_logged >= NGX_HTTP_SMOTP_FULL_LOG) {
            ctx->sh->full_logged = ngx_time();
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "smotp_zone \"%V\" is full: the oldest entries "
                          "are evicted; make it larger", &zone->shm.name);
        }

        ngx_http_smotp_zone_delete(ctx,
                     ngx_queue_data(ngx_queue_last(&ctx->sh->queue),
                                    ngx_http_smotp_entry_t, queue));
    }

    e->prev = 0;
    e->cur = 0;
    e->hash = hash;
    e->mark = 0;
    e->expire = now;

    /* the bucket read after the eviction above, which may have emptied it */

    bucket = ngx_http_smotp_zone_bucket(ctx, hash);

    e->next = *bucket;
    *bucket = e;

    ngx_queue_insert_head(&ctx->sh->queue, &e->queue);

    return e;
}


/* a few entries past their use, from the oldest */

static void
ngx_http_smotp_zone_expire(ngx_http_smotp_zone_ctx_t *ctx, ngx_uint_t n,
    ngx_msec_t now)
{
    ngx_queue_t             *q;
    ngx_http_smotp_entry_t  *e;

    while (n--) {

        if (ngx_queue_empty(&ctx->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&ctx->sh->queue);
        e = ngx_queue_data(q, ngx_http_smotp_entry_t, queue);

        if ((ngx_msec_int_t) (now - e->expire) < 0) {
            return;
        }

        ngx_http_smotp_zone_delete(ctx, e);
    }
}


static void
ngx_http_smotp_zone_delete(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_entry_t *e)
{
    ngx_http_smotp_zone_unlink(ctx, ngx_http_smotp_zone_link(ctx, e->hash));
}


/* the entry a link of its bucket points at, taken out and kept for reuse */

static void
ngx_http_smotp_zone_unlink(ngx_http_smotp_zone_ctx_t *ctx,
    ngx_http_smotp_entry_t **link)
{
    ngx_http_smotp_entry_t  *e;

    e = *link;
    *link = e->next;

    ngx_queue_remove(&e->queue);

    e->next = ctx->sh->free;
    ctx->sh->free = e;
}


/*
 * SipHash-1-3 (Aumasson and Bernstein's SipHash, with one compression and
 * three finalization rounds, the variant CPython and Rust hash their
 * tables with): a keyed hash, fast on short input, whose output cannot be
 * made to collide or be read back without the key.  Little-endian reads,
 * as the algorithm is defined.
 */

#define ngx_http_smotp_rotl(x, b)  (((x) << (b)) | ((x) >> (64 - (b))))

#define ngx_http_smotp_sipround(v0, v1, v2, v3)                               \
    v0 += v1; v1 = ngx_http_smotp_rotl(v1, 13); v1 ^= v0;                     \
    v0 = ngx_http_smotp_rotl(v0, 32);                                         \
    v2 += v3; v3 = ngx_http_smotp_rotl(v3, 16); v3 ^= v2;                     \
    v0 += v3; v3 = ngx_http_smotp_rotl(v3, 21); v3 ^= v0;                     \
    v2 += v1; v1 = ngx_http_smotp_rotl(v1, 17); v1 ^= v2;                     \
    v2 = ngx_http_smotp_rotl(v2, 32)


static ngx_inline uint64_t
ngx_http_smotp_le64(u_char *p)
{
#if (NGX_HAVE_LITTLE_ENDIAN)
    uint64_t  v;

    /* one load */
    ngx_memcpy(&v, p, sizeof(uint64_t));

    return v;
#else
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
#endif
}


static ngx_inline uint64_t
ngx_http_smotp_siphash(uint64_t k0, uint64_t k1, u_char *p, size_t len)
{
    u_char    *last;
    uint64_t   v0, v1, v2, v3, m, b;

    v0 = k0 ^ 0x736f6d6570736575ULL;
    v1 = k1 ^ 0x646f72616e646f6dULL;
    v2 = k0 ^ 0x6c7967656e657261ULL;
    v3 = k1 ^ 0x7465646279746573ULL;

    last = p + (len & ~(size_t) 7);

    for ( /* void */ ; p < last; p += 8) {
        m = ngx_http_smotp_le64(p);
        v3 ^= m;
        ngx_http_smotp_sipround(v0, v1, v2, v3);
        v0 ^= m;
    }

    b = (uint64_t) len << 56;

    switch (len & 7) {
    case 7:
        b |= (uint64_t) p[6] << 48;
        /* fall through */
    case 6:
        b |= (uint64_t) p[5] << 40;
        /* fall through */
    case 5:
        b |= (uint64_t) p[4] << 32;
        /* fall through */
    case 4:
        b |= (uint64_t) p[3] << 24;
        /* fall through */
    case 3:
        b |= (uint64_t) p[2] << 16;
        /* fall through */
    case 2:
        b |= (uint64_t) p[1] << 8;
        /* fall through */
    case 1:
        b |= (uint64_t) p[0];
    }

    v3 ^= b;
    ngx_http_smotp_sipround(v0, v1, v2, v3);
    v0 ^= b;

    v2 ^= 0xff;
    ngx_http_smotp_sipround(v0, v1, v2, v3);
    ngx_http_smotp_sipround(v0, v1, v2, v3);
    ngx_http_smotp_sipround(v0, v1, v2, v3);

    return v0 ^ v1 ^ v2 ^ v3;
}
