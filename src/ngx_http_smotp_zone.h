
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_ZONE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_ZONE_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * The counts of the abuse limits, in a shared memory zone (smotp_zone),
 * behind a small interface: a count is reserved before the API call and
 * released when the call fails, a gap is kept between two events, and
 * a count is read or cleared.  An entry is named by a keyed hash of what
 * it counts, never by the phone number or address itself.
 */

typedef enum {
    NGX_HTTP_SMOTP_ZONE_LIMIT = 1,      /* a rolling count over a period */
    NGX_HTTP_SMOTP_ZONE_TALLY,          /* a count until cleared */
    NGX_HTTP_SMOTP_ZONE_RECORD          /* a short text, for a while */
} ngx_http_smotp_zone_kind_e;


/* up to this many in a period, the times themselves are kept: exact */
#define NGX_HTTP_SMOTP_ZONE_EXACT    8

/* the longest text a record keeps: an E.164 number */
#define NGX_HTTP_SMOTP_ZONE_RECORD_LEN  16


/*
 * A limit's own hash key, made from the zone's key and what names the
 * limit (its kind and rate) on its first use in a worker: the entries of
 * two limits of one key are apart, and a key's text is hashed once for
 * all of them
 */

typedef struct {
    uint64_t                    k0;
    uint64_t                    k1;
    ngx_uint_t                  made;
} ngx_http_smotp_zone_name_t;


/*
 * A zone whose counts are kept in Redis (smotp_zone ... redis=uri): the
 * location of smotp_redis_pass to call, what to do when Redis fails, the
 * prefix of its keys, and whether Redis was failing at the last call,
 * shared by the workers so that a switch is logged once
 */

typedef enum {
    NGX_HTTP_SMOTP_ZONE_ON_ERROR_LOCAL = 0,
    NGX_HTTP_SMOTP_ZONE_ON_ERROR_ALLOW,
    NGX_HTTP_SMOTP_ZONE_ON_ERROR_DENY
} ngx_http_smotp_zone_on_error_e;


typedef struct {
    ngx_str_t                   uri;
    ngx_uint_t                  on_error;
    ngx_str_t                   prefix;
    ngx_str_t                   name;
    u_char                      key[16];
    ngx_uint_t                  keyed;
    ngx_atomic_t               *down;
    /* a worker's requests waiting for the next call (fleet.c) */
    void                       *batch;
} ngx_http_smotp_zone_remote_t;


/* a count to take, and once taken, where it was made, to give it back */

typedef struct {
    ngx_shm_zone_t             *zone;
    uint64_t                    text;       /* ngx_http_smotp_zone_text() */
    uint64_t                    hash;
    ngx_msec_t                  period;
    ngx_uint_t                  limit;
    ngx_msec_t                  mark;
    ngx_http_smotp_zone_kind_e  kind;
    ngx_uint_t                  remote;     /* taken in Redis */
    ngx_str_t                  *resp;       /* its Redis arguments */
    void                       *data;       /* the caller's own */
} ngx_http_smotp_hold_t;


char *ngx_http_smotp_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_shm_zone_t *ngx_http_smotp_zone_find(ngx_conf_t *cf, ngx_str_t *name);
uint64_t ngx_http_smotp_zone_hash(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id, ngx_str_t *key);
uint64_t ngx_http_smotp_zone_text(ngx_shm_zone_t *zone, ngx_str_t *key);
uint64_t ngx_http_smotp_zone_name_of(ngx_shm_zone_t *zone,
    ngx_http_smotp_zone_name_t *name, ngx_http_smotp_zone_kind_e kind,
    ngx_str_t *id, uint64_t text);
ngx_http_smotp_zone_remote_t *ngx_http_smotp_zone_remote(
    ngx_shm_zone_t *zone);
ngx_int_t ngx_http_smotp_zone_reserve(ngx_array_t *holds, ngx_uint_t remote,
    ngx_uint_t *refused, ngx_msec_t *wait);
void ngx_http_smotp_zone_release(ngx_http_smotp_hold_t *hold);
void ngx_http_smotp_zone_clear(ngx_http_smotp_hold_t *hold);
void ngx_http_smotp_zone_recalled(ngx_shm_zone_t *zone);
ngx_int_t ngx_http_smotp_zone_record(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_str_t *value, ngx_msec_t ttl);
ngx_int_t ngx_http_smotp_zone_recall(ngx_shm_zone_t *zone, ngx_str_t *key,
    ngx_str_t *value);


#endif /* _NGX_HTTP_SMOTP_ZONE_H_INCLUDED_ */
