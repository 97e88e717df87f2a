
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The API key: one word of printable characters, checked when nginx reads
 * it, or, when it has variables, when a request evaluates it.
 */


#include "ngx_http_smotp_key.h"


/* a key becomes a header value: one word of printable characters */

ngx_int_t
ngx_http_smotp_key_valid(ngx_str_t *key)
{
    u_char  *p, *last;

    if (key->len == 0 || key->len > 512) {
        return NGX_DECLINED;
    }

    last = key->data + key->len;

    for (p = key->data; p < last; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_smotp_key_get(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_http_smotp_loc_conf_t  *slcf;

    if (ctx->api_key.len) {
        return NGX_OK;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->api_key->lengths == NULL) {
        /* a key without variables was checked when nginx read it */
        ctx->api_key = slcf->api_key->value;
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, slcf->api_key, &ctx->api_key) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_smotp_key_valid(&ctx->api_key) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp: the API key for this request is empty or "
                      "not one word of printable characters");
        ngx_str_null(&ctx->api_key);
        ngx_str_null(&ctx->error);
        return NGX_DECLINED;
    }

    return NGX_OK;
}
