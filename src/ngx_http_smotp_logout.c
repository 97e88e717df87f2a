
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_logout: a POST that clears the cookie of a verified phone.  It
 * makes no API call; the method and cross-site checks are the other
 * endpoints'.
 */


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_cookie.h"
#include "ngx_http_smotp_response.h"


static ngx_int_t ngx_http_smotp_logout_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_logout_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


ngx_http_smotp_endpoint_t  ngx_http_smotp_logout_endpoint = {
    ngx_string("logout"),
    NGX_HTTP_POST,                         /* the client's methods */
    ngx_string("POST"),
    0,                                     /* a body is not read */
    0,                                     /* no API call */
    ngx_null_string,
    ngx_null_string,
    0,
    0,                                     /* no SMS */
    ngx_http_smotp_logout_prepare,
    NULL,
    NULL,
    ngx_http_smotp_logout_answer
};


static ngx_int_t
ngx_http_smotp_logout_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_logout_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    static ngx_str_t  json = ngx_string("{\"loggedOut\":true}");

    if (ngx_http_smotp_cookie_clear(r) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->succeeded = 1;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp logout: cookie cleared");

    return ngx_http_smotp_send_json(r, NGX_HTTP_OK, &json);
}
