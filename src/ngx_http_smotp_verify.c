
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_verify: an OTP request id and the code the visitor typed in,
 * verified or not out.  The code goes to the API and nowhere else.
 */


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_cookie.h"
#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"


static ngx_int_t ngx_http_smotp_verify_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_verify_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *data, ngx_str_t *json);
static void ngx_http_smotp_verify_done(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


ngx_http_smotp_endpoint_t  ngx_http_smotp_verify_endpoint = {
    ngx_string("verify"),
    NGX_HTTP_POST,                         /* the client's methods */
    ngx_string("POST"),
    1,                                     /* with a body */
    NGX_HTTP_POST,                         /* the API call */
    ngx_string("POST"),
    ngx_string("/otp/verify"),
    0,                                     /* a code's attempt is used up */
    0,                                     /* no SMS */
    ngx_http_smotp_verify_prepare,
    ngx_http_smotp_verify_answer,
    ngx_http_smotp_verify_done,
    NULL
};


static ngx_int_t
ngx_http_smotp_verify_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_http_smotp_field_t        *id, *code;
    ngx_http_smotp_json_member_t   m[2];

    id = &ctx->fields[NGX_HTTP_SMOTP_REQUEST_ID];
    code = &ctx->fields[NGX_HTTP_SMOTP_OTP_CODE];

    if (id->type == NGX_HTTP_SMOTP_MISSING
        || code->type == NGX_HTTP_SMOTP_MISSING)
    {
        ngx_str_set(&ctx->error, "requestId and otpCode are required");
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_http_smotp_handle_request_id(r, ctx, id);
    if (rc != NGX_OK) {
        return rc;
    }

    if (code->type != NGX_HTTP_SMOTP_STRING
        || ngx_http_smotp_digits_valid(&code->value,
                                       NGX_HTTP_SMOTP_CODE_MIN_LEN,
                                       NGX_HTTP_SMOTP_CODE_MAX_LEN)
           != NGX_OK)
    {
        ngx_str_set(&ctx->error, "otpCode must be a string of 4 to 8 digits");
        return NGX_HTTP_BAD_REQUEST;
    }

    ngx_str_set(&m[0].name, "requestId");
    m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[0].str = ctx->request_id;

    ngx_str_set(&m[1].name, "otpCode");
    m[1].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[1].str = code->value;

    return ngx_http_smotp_json_object(r->pool, m, 2, &ctx->api_body);
}


static ngx_int_t
ngx_http_smotp_verify_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    cJSON *data, ngx_str_t *json)
{
    cJSON                         *verified;
    ngx_int_t                      rc;
    ngx_uint_t                     n;
    ngx_http_smotp_json_member_t   m[3];

    verified = cJSON_GetObjectItemCaseSensitive(data, "verified");

    if (!cJSON_IsBool(verified)) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    ngx_str_set(&m[0].name, "verified");
    m[0].type = NGX_HTTP_SMOTP_JSON_BOOL;
    m[0].num = cJSON_IsTrue(verified);
    n = 1;

    rc = ngx_http_smotp_json_member(r->pool, data, "attemptsLeft",
                                    NGX_HTTP_SMOTP_JSON_NUMBER, &m[n]);
    if (rc == NGX_OK) {
        n++;

    } else if (rc != NGX_DECLINED) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    ctx->verified = m[0].num;

    /* with a secret, a proved phone gets its cookie, and is named masked */

    if (ctx->verified) {
        rc = ngx_http_smotp_cookie_issue(r, ctx, &m[n]);

        if (rc == NGX_OK) {
            n++;

        } else if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    return ngx_http_smotp_json_object(r->pool, m, n, json);
}


static void
ngx_http_smotp_verify_done(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "smotp verify: request %V %s", &ctx->request_id,
                  ctx->verified ? "verified" : "not verified");
}
