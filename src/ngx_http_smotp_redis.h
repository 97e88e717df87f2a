
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_REDIS_H_INCLUDED_
#define _NGX_HTTP_SMOTP_REDIS_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the room for a reply: a batch of requests' counts (ngx_http_smotp_fleet.c) */
#define NGX_HTTP_SMOTP_REDIS_BUFFER  16384


/*
 * One command to Redis, made through a subrequest into the location of
 * smotp_redis_pass: the caller writes "command" (RESP) and "handler",
 * the location's handler sends it (after an AUTH of its own, when the
 * location has a password) and reads the reply into the rest.
 */

typedef struct ngx_http_smotp_redis_call_s  ngx_http_smotp_redis_call_t;

struct ngx_http_smotp_redis_call_s {
    ngx_str_t                   command;

    /* the reply: NGX_OK with its values, else NGX_ERROR and "error" */
    ngx_int_t                   rc;
    ngx_str_t                   error;
    u_char                      type;       /* ':', '*', '$', '+' or 0 */
    ngx_uint_t                  nvalues;
    /* the caller's room for an array's integers: a longer one is refused */
    int64_t                    *values;
    ngx_uint_t                  nalloc;
    ngx_str_t                   bulk;

    /* the main request, once the call has ended; may be NULL */
    void                      (*handler)(ngx_http_request_t *r,
                                         ngx_http_smotp_redis_call_t *call);
    void                       *data;

    unsigned                    done:1;
    unsigned                    auth_failed:1;
    unsigned                    auth:1;
};


char *ngx_http_smotp_redis_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_smotp_redis_password_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_smotp_redis_merge(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *prev, ngx_http_smotp_loc_conf_t *conf);

ngx_int_t ngx_http_smotp_redis_command(ngx_pool_t *pool, ngx_str_t *out,
    ngx_uint_t n, ngx_str_t *args);
u_char *ngx_http_smotp_redis_head(u_char *p, u_char type, uint64_t n);
u_char *ngx_http_smotp_redis_bulk(u_char *p, u_char *data, size_t len);
u_char *ngx_http_smotp_redis_number(u_char *p, uint64_t n);
ngx_int_t ngx_http_smotp_redis_call(ngx_http_request_t *r, ngx_str_t *uri,
    ngx_http_smotp_redis_call_t *call);


#endif /* _NGX_HTTP_SMOTP_REDIS_H_INCLUDED_ */
