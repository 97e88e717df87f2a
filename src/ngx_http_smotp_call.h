
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_CALL_H_INCLUDED_
#define _NGX_HTTP_SMOTP_CALL_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the API call as a whole: its attempts, retries and deadline */

ngx_int_t ngx_http_smotp_call(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


#endif /* _NGX_HTTP_SMOTP_CALL_H_INCLUDED_ */
