
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_ID_H_INCLUDED_
#define _NGX_HTTP_SMOTP_ID_H_INCLUDED_


#include "ngx_http_smotp.h"


/* idempotency keys, the API's ids and the codes visitors type */

ngx_int_t ngx_http_smotp_idempotency_key(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *subject, ngx_str_t *key);
ngx_int_t ngx_http_smotp_id_valid(ngx_str_t *id);
ngx_int_t ngx_http_smotp_id_get(cJSON *obj, const char *name, ngx_str_t *id);
ngx_int_t ngx_http_smotp_digits_valid(ngx_str_t *s, size_t min, size_t max);
void ngx_http_smotp_uuid_format(u_char *dst, u_char *bytes,
    ngx_uint_t version);


#endif /* _NGX_HTTP_SMOTP_ID_H_INCLUDED_ */
