
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_FLEET_H_INCLUDED_
#define _NGX_HTTP_SMOTP_FLEET_H_INCLUDED_


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_zone.h"


/* the most counts of one request that Redis takes in one call */
#define NGX_HTTP_SMOTP_FLEET_HOLDS  16


ngx_int_t ngx_http_smotp_fleet_init(ngx_conf_t *cf);
ngx_int_t ngx_http_smotp_fleet_args(ngx_pool_t *pool, ngx_str_t *out,
    ngx_uint_t kind, ngx_uint_t limit, ngx_msec_t period);
ngx_int_t ngx_http_smotp_fleet_reserve(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
void ngx_http_smotp_fleet_release(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_hold_t **holds, ngx_uint_t n,
    ngx_uint_t clear);
void ngx_http_smotp_fleet_state(ngx_http_request_t *r,
    ngx_http_smotp_zone_remote_t *remote, ngx_uint_t down, ngx_str_t *why);


#endif /* _NGX_HTTP_SMOTP_FLEET_H_INCLUDED_ */
