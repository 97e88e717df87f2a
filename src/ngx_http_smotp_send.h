
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_SEND_H_INCLUDED_
#define _NGX_HTTP_SMOTP_SEND_H_INCLUDED_


#include "ngx_http_smotp.h"


ngx_int_t ngx_http_smotp_send_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *data, ngx_str_t *json);


#endif /* _NGX_HTTP_SMOTP_SEND_H_INCLUDED_ */
