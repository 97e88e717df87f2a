
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The API's answer becomes the client's: its data through the endpoint's
 * answer(), the visitor's own mistakes (an unknown or expired request, a
 * wrong input) with the API's words and status, and the operator's
 * (a rejected key, an empty wallet, an API in trouble) as the OTP service
 * being unavailable, with the reason in the error log.
 */


#include "ngx_http_smotp_answer.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_response.h"


/* statuses nginx has no names for */
#define NGX_HTTP_SMOTP_PAYMENT_REQUIRED      402
#define NGX_HTTP_SMOTP_GONE                  410
#define NGX_HTTP_SMOTP_UNPROCESSABLE         422


static ngx_int_t ngx_http_smotp_answer_error(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *json);


ngx_int_t
ngx_http_smotp_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    cJSON      *json, *data;
    ngx_int_t   rc;
    ngx_str_t   answer;

    if (ctx->api_rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API did not answer in time",
                      &ctx->endpoint->name);
        ngx_str_set(&ctx->error, "OTP service timed out");
        return NGX_HTTP_GATEWAY_TIME_OUT;
    }

    /* the API's answer sent the call elsewhere: not followed */

    if (ctx->api_redirected) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API's answer redirected the call to "
                      "\"%V\" (X-Accel-Redirect): it is not followed; set "
                      "\"proxy_ignore_headers X-Accel-Redirect\" in the API "
                      "location", &ctx->endpoint->name, &ctx->api_sr->uri);
        ngx_str_set(&ctx->error, "unexpected answer from OTP service");
        return NGX_HTTP_BAD_GATEWAY;
    }

    /* a location that is not the API's answers whatever it answers */

    if (!ctx->api_proxied && ctx->api_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API location did not proxy the call, "
                      "it refused it (%i)", &ctx->endpoint->name,
                      ctx->api_rc);
        ngx_str_set(&ctx->error, "OTP service unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (!ctx->api_proxied) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API location did not proxy the call: "
                      "check smotp_api_location and its proxy_pass",
                      &ctx->endpoint->name);
        ngx_str_set(&ctx->error, "OTP service unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ctx->api_rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API call failed (%i)",
                      &ctx->endpoint->name, ctx->api_rc);
        ngx_str_set(&ctx->error, "OTP service unreachable");
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->api_too_big) {
        ngx_str_set(&ctx->error, "unexpected answer from OTP service");
        return NGX_HTTP_BAD_GATEWAY;
    }

    json = ngx_http_smotp_json_parse(r->pool, &ctx->api_answer);

    if (ctx->api_status < NGX_HTTP_OK
        || ctx->api_status >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        return ngx_http_smotp_answer_error(r, ctx, json);
    }

    data = cJSON_IsObject(json)
           ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;

    if (!cJSON_IsObject(data)) {
        rc = NGX_HTTP_BAD_GATEWAY;
        goto unexpected;
    }

    rc = ctx->endpoint->answer(r, ctx, data, &answer);

    if (rc == NGX_OK) {
        ctx->succeeded = 1;

        if (ctx->endpoint->done) {
            ctx->endpoint->done(r, ctx);
        }

        return ngx_http_smotp_send_json(r, NGX_HTTP_OK, &answer);
    }

    if (rc != NGX_HTTP_BAD_GATEWAY) {
        return rc;
    }

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smotp %V: unexpected answer from the API "
                  "(status %ui, %uz bytes)",
                  &ctx->endpoint->name, ctx->api_status, ctx->api_answer.len);

    ngx_str_set(&ctx->error, "unexpected answer from OTP service");

    return rc;
}


static ngx_int_t
ngx_http_smotp_answer_error(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    cJSON *json)
{
    ngx_uint_t  status;

    status = ctx->api_status;

    switch (status) {

    case NGX_HTTP_BAD_REQUEST:
    case NGX_HTTP_NOT_FOUND:
    case NGX_HTTP_CONFLICT:
    case NGX_HTTP_SMOTP_GONE:
    case NGX_HTTP_SMOTP_UNPROCESSABLE:

        /* the visitor's own problem: the API's own words */

        if (cJSON_IsObject(json)
            && ngx_http_smotp_json_get_string(r->pool, json, "message",
                                              &ctx->error, NULL)
               != NGX_OK
            && ngx_http_smotp_json_get_string(r->pool, json, "error",
                                              &ctx->error, NULL)
               != NGX_OK)
        {
            ngx_str_null(&ctx->error);
        }

        if (ctx->error.len == 0) {
            if (status == NGX_HTTP_NOT_FOUND) {
                ngx_str_set(&ctx->error, "OTP request not found");

            } else if (status == NGX_HTTP_SMOTP_GONE) {
                ngx_str_set(&ctx->error, "OTP request expired");

            } else {
                ngx_str_set(&ctx->error, "rejected by OTP service");
            }
        }

        return status;

    case NGX_HTTP_UNAUTHORIZED:
    case NGX_HTTP_FORBIDDEN:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API rejected the API key (%ui): "
                      "check smotp_api_key", &ctx->endpoint->name, status);
        break;

    case NGX_HTTP_SMOTP_PAYMENT_REQUIRED:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API refused the call: the wallet "
                      "balance is too low (402)", &ctx->endpoint->name);
        break;

    case NGX_HTTP_TOO_MANY_REQUESTS:
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smotp %V: the API is rate limiting (429)",
                      &ctx->endpoint->name);
        ngx_str_set(&ctx->error, "too many requests, try again later");
        return NGX_HTTP_TOO_MANY_REQUESTS;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API answered %ui",
                      &ctx->endpoint->name, status);
        ngx_str_set(&ctx->error, "OTP service error");
        return NGX_HTTP_BAD_GATEWAY;
    }

    ngx_str_set(&ctx->error, "OTP service unavailable");

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}
