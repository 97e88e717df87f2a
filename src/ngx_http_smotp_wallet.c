
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_wallet: the account's balance, for monitoring before it runs out.
 * A GET with nothing of the client's: no body, no fields; the API's
 * answer checked and copied.
 */


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_json.h"


static ngx_int_t ngx_http_smotp_wallet_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_wallet_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *data, ngx_str_t *json);


ngx_http_smotp_endpoint_t  ngx_http_smotp_wallet_endpoint = {
    ngx_string("wallet"),
    NGX_HTTP_GET|NGX_HTTP_HEAD,            /* the client's methods */
    ngx_string("GET, HEAD"),
    0,                                     /* without a body */
    NGX_HTTP_GET,                          /* the API call */
    ngx_string("GET"),
    ngx_string("/wallet"),
    1,                                     /* a GET may be made again */
    0,                                     /* no SMS */
    ngx_http_smotp_wallet_prepare,
    ngx_http_smotp_wallet_answer,
    NULL,
    NULL
};


static ngx_int_t
ngx_http_smotp_wallet_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    /* the call has no body: nothing of the client's goes to the API */

    ngx_str_null(&ctx->api_body);

    return NGX_OK;
}


/* {"balance": a decimal, "currency": "INR"}, as the API gives them */

static ngx_int_t
ngx_http_smotp_wallet_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    cJSON *data, ngx_str_t *json)
{
    ngx_int_t                      rc;
    ngx_uint_t                     n;
    ngx_http_smotp_json_member_t   m[2];

    rc = ngx_http_smotp_json_member(r->pool, data, "balance",
                                    NGX_HTTP_SMOTP_JSON_DECIMAL, &m[0]);
    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_HTTP_BAD_GATEWAY;
    }

    n = 1;

    rc = ngx_http_smotp_json_member(r->pool, data, "currency",
                                    NGX_HTTP_SMOTP_JSON_STRING, &m[n]);
    if (rc == NGX_OK) {
        n++;

    } else if (rc != NGX_DECLINED) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_HTTP_BAD_GATEWAY;
    }

    return ngx_http_smotp_json_object(r->pool, m, n, json);
}
