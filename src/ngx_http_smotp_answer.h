
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_ANSWER_H_INCLUDED_
#define _NGX_HTTP_SMOTP_ANSWER_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the API's answer mapped to the client's */

ngx_int_t ngx_http_smotp_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


#endif /* _NGX_HTTP_SMOTP_ANSWER_H_INCLUDED_ */
