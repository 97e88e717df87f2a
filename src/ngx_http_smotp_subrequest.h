
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_SUBREQUEST_H_INCLUDED_
#define _NGX_HTTP_SMOTP_SUBREQUEST_H_INCLUDED_


#include "ngx_http_smotp.h"


/* one attempt of the API call: a subrequest into the API location */

ngx_int_t ngx_http_smotp_subrequest(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
void ngx_http_smotp_subrequest_wake(ngx_http_smotp_ctx_t *ctx);
void ngx_http_smotp_subrequest_abort(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
ngx_int_t ngx_http_smotp_subrequest_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SMOTP_SUBREQUEST_H_INCLUDED_ */
