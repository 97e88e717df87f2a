
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_KEY_H_INCLUDED_
#define _NGX_HTTP_SMOTP_KEY_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the API key: checked at configuration, or evaluated per request */

ngx_int_t ngx_http_smotp_key_valid(ngx_str_t *key);
ngx_int_t ngx_http_smotp_key_get(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


#endif /* _NGX_HTTP_SMOTP_KEY_H_INCLUDED_ */
