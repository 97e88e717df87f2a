
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_send: a phone number in, an OTP request id out.
 */


#include "ngx_http_smotp_send.h"
#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_prefix.h"
#include "ngx_http_smotp_send_field.h"


static ngx_int_t ngx_http_smotp_send_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_send_done(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


ngx_http_smotp_endpoint_t  ngx_http_smotp_send_endpoint = {
    ngx_string("send"),
    NGX_HTTP_POST,                         /* the client's methods */
    ngx_string("POST"),
    1,                                     /* with a body */
    NGX_HTTP_POST,                         /* the API call */
    ngx_string("POST"),
    ngx_string("/otp/send"),
    1,                                     /* idempotent */
    1,                                     /* bills an SMS */
    ngx_http_smotp_send_prepare,
    ngx_http_smotp_send_answer,
    ngx_http_smotp_send_done,
    NULL
};


static ngx_int_t
ngx_http_smotp_send_prepare(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_str_t                      key;
    ngx_http_smotp_field_t        *phone;
    ngx_http_smotp_loc_conf_t     *slcf;
    ngx_http_smotp_json_member_t   m[2];
    u_char                         masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];

    phone = &ctx->fields[NGX_HTTP_SMOTP_PHONE_NUMBER];

    if (phone->type == NGX_HTTP_SMOTP_MISSING) {
        ngx_str_set(&ctx->error, "phoneNumber is required");
        return NGX_HTTP_BAD_REQUEST;
    }

    if (phone->type != NGX_HTTP_SMOTP_STRING
        || ngx_http_smotp_phone_valid(&phone->value) != NGX_OK)
    {
        ngx_str_set(&ctx->error, "phoneNumber must be in E.164 format: "
                                 "\"+\", the country code and the number, "
                                 "such as +919876543210");
        return NGX_HTTP_BAD_REQUEST;
    }

    ctx->phone = phone->value;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (ngx_http_smotp_prefix_allowed(slcf, &ctx->phone) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smotp send: %*s refused by smotp_allowed_prefixes or "
                      "smotp_denied_prefixes",
                      ngx_http_smotp_phone_mask(masked, &ctx->phone), masked);

        ctx->denied_prefix = 1;

        ngx_str_set(&ctx->error,
                    "phone numbers of this country are not accepted");
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_http_smotp_idempotency_key(r, ctx, &ctx->phone, &key);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp send: phone %*s",
                   ngx_http_smotp_phone_mask(masked, &ctx->phone), masked);

    ngx_str_set(&m[0].name, "phoneNumber");
    m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[0].str = ctx->phone;

    ngx_str_set(&m[1].name, "idempotencyKey");
    m[1].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[1].str = key;

    return ngx_http_smotp_send_field_body(r, ctx, m, 2, &ctx->api_body);
}


/*
 * The OTP request's id, and its expiresAt and attemptsLeft when the API
 * gives them: the answer of a send, and of a resend
 */

ngx_int_t
ngx_http_smotp_send_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    cJSON *data, ngx_str_t *json)
{
    ngx_int_t                      rc;
    ngx_str_t                      id;
    ngx_uint_t                     n;
    ngx_http_smotp_loc_conf_t     *slcf;
    ngx_http_smotp_json_member_t   m[3];

    /* newer revisions of the API name the id "otpRequestId" */

    rc = ngx_http_smotp_id_get(data, "requestId", &id);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_smotp_id_get(data, "otpRequestId", &id);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    ngx_str_set(&m[0].name, "requestId");
    m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[0].str = id;
    n = 1;

    /* expiresAt and attemptsLeft, when the API gives them */

    rc = ngx_http_smotp_json_member(r->pool, data, "expiresAt",
                                    NGX_HTTP_SMOTP_JSON_STRING, &m[n]);
    if (rc == NGX_OK) {
        n++;

    } else if (rc != NGX_DECLINED) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_HTTP_BAD_GATEWAY;
    }

    /* with a secret, the client gets the request's handle, not its id */

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->secret) {
        rc = ngx_http_smotp_handle_issue(r, ctx, &id,
                                         (n > 1) ? &m[1].str : NULL,
                                         &m[0].str);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    rc = ngx_http_smotp_json_member(r->pool, data, "attemptsLeft",
                                    NGX_HTTP_SMOTP_JSON_NUMBER, &m[n]);
    if (rc == NGX_OK) {
        n++;

    } else if (rc != NGX_DECLINED) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ngx_http_smotp_json_object(r->pool, m, n, json) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->request_id = id;

    return NGX_OK;
}


static void
ngx_http_smotp_send_done(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    u_char  masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "smotp send: OTP sent to %*s, request %V",
                  ngx_http_smotp_phone_mask(masked, &ctx->phone), masked,
                  &ctx->request_id);
}
