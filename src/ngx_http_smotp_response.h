
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_RESPONSE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_RESPONSE_H_INCLUDED_


#include "ngx_http_smotp.h"


/* every answer the module writes */

ngx_http_smotp_ctx_t *ngx_http_smotp_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_smotp_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_smotp_send_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *message);
ngx_int_t ngx_http_smotp_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SMOTP_RESPONSE_H_INCLUDED_ */
