
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_HANDLE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_HANDLE_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * With smotp_secret_file, the requestId a send answers is a handle: the
 * API's request id and the phone, sealed (ngx_http_smotp_secret.c), so
 * that a verify knows the phone it proves without any state of its own
 */

#define NGX_HTTP_SMOTP_HANDLE_TTL  600000


ngx_int_t ngx_http_smotp_handle_issue(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *id, ngx_str_t *expires_at,
    ngx_str_t *handle);
ngx_int_t ngx_http_smotp_handle_request_id(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_field_t *id);


#endif /* _NGX_HTTP_SMOTP_HANDLE_H_INCLUDED_ */
