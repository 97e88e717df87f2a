
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_BODY_H_INCLUDED_
#define _NGX_HTTP_SMOTP_BODY_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the client's request: checked, its body read and parsed into fields */

ngx_int_t ngx_http_smotp_check_request(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
ngx_int_t ngx_http_smotp_parse_body(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
ngx_int_t ngx_http_smotp_parse_fields(ngx_pool_t *pool, ngx_str_t *body,
    ngx_uint_t form, ngx_http_smotp_field_t *fields, ngx_str_t *error);


#endif /* _NGX_HTTP_SMOTP_BODY_H_INCLUDED_ */
