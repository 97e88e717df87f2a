
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The signed handle a send answers for its request: the API's request id
 * and the phone, encrypted, until the API's expiresAt or smotp_handle_ttl,
 * whichever is sooner.  A verify or resend takes only a handle this
 * server's secrets sealed; the phone comes out of it for the cookie.
 */


#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_secret.h"


static ngx_int_t ngx_http_smotp_handle_open(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *handle);
static time_t ngx_http_smotp_handle_time(ngx_str_t *iso);
static ngx_int_t ngx_http_smotp_handle_digits(u_char *p, ngx_uint_t n);


ngx_int_t
ngx_http_smotp_handle_issue(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_str_t *id, ngx_str_t *expires_at, ngx_str_t *handle)
{
    u_char                     *p;
    time_t                      expires;
    ngx_http_smotp_token_t      token;
    ngx_http_smotp_loc_conf_t  *slcf;
    u_char                      plain[NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX];

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (ctx->phone.len == 0 || ctx->phone.len > NGX_HTTP_SMOTP_PHONE_MAX_LEN
        || id->len == 0 || id->len > NGX_HTTP_SMOTP_MAX_ID_LEN)
    {
        return NGX_HTTP_BAD_GATEWAY;
    }

    token.kind = NGX_HTTP_SMOTP_TOKEN_HANDLE;
    token.issued = ngx_time();
    token.expires = token.issued + (time_t) (slcf->handle_ttl / 1000);

    if (expires_at && expires_at->len) {
        expires = ngx_http_smotp_handle_time(expires_at);

        if (expires != NGX_ERROR && expires < token.expires) {
            token.expires = expires;
        }
    }

    p = plain;
    *p++ = (u_char) ctx->phone.len;
    p = ngx_cpymem(p, ctx->phone.data, ctx->phone.len);
    p = ngx_cpymem(p, id->data, id->len);

    token.plain.data = plain;
    token.plain.len = p - plain;

    if (ngx_http_smotp_token_seal(r->pool, slcf->secret, &token, handle,
                                  r->connection->log)
        != NGX_OK)
    {
        ngx_explicit_memzero(plain, sizeof(plain));
        return NGX_ERROR;
    }

    ngx_explicit_memzero(plain, sizeof(plain));

    return NGX_OK;
}


/*
 * The request a verify or resend names, in ctx->request_id: with a secret
 * out of its handle (and ctx->phone with it), else the API's own id;
 * NGX_OK, or NGX_HTTP_BAD_REQUEST with the reason in ctx->error
 */

ngx_int_t
ngx_http_smotp_handle_request_id(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_field_t *id)
{
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->secret && id->type == NGX_HTTP_SMOTP_STRING) {
        return ngx_http_smotp_handle_open(r, ctx, &id->value);
    }

    if (id->type != NGX_HTTP_SMOTP_STRING
        || ngx_http_smotp_id_valid(&id->value) != NGX_OK)
    {
        ngx_str_set(&ctx->error, "requestId must be the id that sending "
                                 "the OTP returned");
        return NGX_HTTP_BAD_REQUEST;
    }

    ctx->request_id = id->value;

    return NGX_OK;
}


/*
 * ctx->request_id and ctx->phone from a handle: NGX_OK, or
 * NGX_HTTP_BAD_REQUEST for anything this server did not seal as a handle
 * that is still alive
 */

static ngx_int_t
ngx_http_smotp_handle_open(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_str_t *handle)
{
    size_t                      len;
    ngx_int_t                   rc;
    ngx_str_t                   phone, id;
    ngx_http_smotp_token_t      token;
    ngx_http_smotp_loc_conf_t  *slcf;
    u_char                      plain[NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX];

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    token.kind = NGX_HTTP_SMOTP_TOKEN_HANDLE;

    rc = ngx_http_smotp_token_open(slcf->secret, handle, &token, plain,
                                   r->connection->log);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        goto invalid;
    }

    len = plain[0];

    if (token.plain.len < 2 + len) {
        goto invalid;
    }

    phone.data = &plain[1];
    phone.len = len;
    id.data = &plain[1 + len];
    id.len = token.plain.len - 1 - len;

    if (ngx_http_smotp_phone_valid(&phone) != NGX_OK
        || ngx_http_smotp_id_valid(&id) != NGX_OK)
    {
        goto invalid;
    }

    ctx->phone.data = ngx_pnalloc(r->pool, token.plain.len - 1);
    if (ctx->phone.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->phone.data, &plain[1], token.plain.len - 1);
    ctx->phone.len = phone.len;

    ctx->request_id.data = ctx->phone.data + phone.len;
    ctx->request_id.len = id.len;

    ngx_explicit_memzero(plain, sizeof(plain));

    return NGX_OK;

invalid:

    ngx_explicit_memzero(plain, sizeof(plain));

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "smotp %V: requestId is not a valid handle (altered, "
                  "expired, or sealed by another secret)",
                  &ctx->endpoint->name);

    ngx_str_set(&ctx->error, "requestId is not valid");

    return NGX_HTTP_BAD_REQUEST;
}


/*
 * The API's expiresAt, "2026-02-15T10:30:00.000Z" (a fraction and an
 * offset such as "+05:30" allowed), as Unix seconds; NGX_ERROR for any
 * other text
 */

static time_t
ngx_http_smotp_handle_time(ngx_str_t *iso)
{
    u_char     *p, *last;
    time_t      t, off;
    ngx_int_t   y, mo, d, h, mi, s, era, yoe, doy, doe;

    p = iso->data;
    last = p + iso->len;

    if (iso->len < 19
        || ngx_http_smotp_handle_digits(p, 4) != NGX_OK || p[4] != '-'
        || ngx_http_smotp_handle_digits(p + 5, 2) != NGX_OK || p[7] != '-'
        || ngx_http_smotp_handle_digits(p + 8, 2) != NGX_OK
        || (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
        || ngx_http_smotp_handle_digits(p + 11, 2) != NGX_OK || p[13] != ':'
        || ngx_http_smotp_handle_digits(p + 14, 2) != NGX_OK || p[16] != ':'
        || ngx_http_smotp_handle_digits(p + 17, 2) != NGX_OK)
    {
        return NGX_ERROR;
    }

    y = ngx_atoi(p, 4);
    mo = ngx_atoi(p + 5, 2);
    d = ngx_atoi(p + 8, 2);
    h = ngx_atoi(p + 11, 2);
    mi = ngx_atoi(p + 14, 2);
    s = ngx_atoi(p + 17, 2);

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23
        || mi > 59 || s > 60)
    {
        return NGX_ERROR;
    }

    p += 19;

    if (p < last && *p == '.') {
        do {
            p++;
        } while (p < last && *p >= '0' && *p <= '9');
    }

    off = 0;

    if (p < last && (*p == '+' || *p == '-')) {
        if (last - p != 6
            || ngx_http_smotp_handle_digits(p + 1, 2) != NGX_OK
            || p[3] != ':'
            || ngx_http_smotp_handle_digits(p + 4, 2) != NGX_OK)
        {
            return NGX_ERROR;
        }

        off = ngx_atoi(p + 1, 2) * 3600 + ngx_atoi(p + 4, 2) * 60;

        if (*p == '-') {
            off = -off;
        }

        p = last;

    } else if (p < last && (*p == 'Z' || *p == 'z')) {
        p++;
    }

    if (p != last) {
        return NGX_ERROR;
    }

    /* days from 1970-01-01 of a proleptic Gregorian date */

    y -= (mo <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    t = (time_t) (era * 146097 + doe - 719468) * 86400
        + h * 3600 + mi * 60 + s;

    return t - off;
}


static ngx_int_t
ngx_http_smotp_handle_digits(u_char *p, ngx_uint_t n)
{
    while (n--) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        p++;
    }

    return NGX_OK;
}
