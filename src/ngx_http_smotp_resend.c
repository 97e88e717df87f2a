
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_resend: an OTP request id in, a new code sent to the same phone,
 * the request's id out.  A resend bills an SMS as a send does: it carries
 * an idempotency key kept across retries, and the limits count it as a
 * send to the phone its send recorded.
 */


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_send.h"


static ngx_int_t ngx_http_smotp_resend_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_resend_done(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


ngx_http_smotp_endpoint_t  ngx_http_smotp_resend_endpoint = {
    ngx_string("resend"),
    NGX_HTTP_POST,                         /* the client's methods */
    ngx_string("POST"),
    1,                                     /* with a body */
    NGX_HTTP_POST,                         /* the API call */
    ngx_string("POST"),
    ngx_string("/otp/resend"),
    1,                                     /* idempotent */
    1,                                     /* bills an SMS */
    ngx_http_smotp_resend_prepare,
    ngx_http_smotp_send_answer,
    ngx_http_smotp_resend_done,
    NULL
};


static ngx_int_t
ngx_http_smotp_resend_prepare(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_str_t                      key;
    ngx_http_smotp_field_t        *id;
    ngx_http_smotp_json_member_t   m[2];

    id = &ctx->fields[NGX_HTTP_SMOTP_REQUEST_ID];

    if (id->type == NGX_HTTP_SMOTP_MISSING) {
        ngx_str_set(&ctx->error, "requestId is required");
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_http_smotp_handle_request_id(r, ctx, id);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_smotp_idempotency_key(r, ctx, &ctx->request_id, &key);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_str_set(&m[0].name, "requestId");
    m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[0].str = ctx->request_id;

    ngx_str_set(&m[1].name, "idempotencyKey");
    m[1].type = NGX_HTTP_SMOTP_JSON_PLAIN;
    m[1].str = key;

    return ngx_http_smotp_json_object(r->pool, m, 2, &ctx->api_body);
}


static void
ngx_http_smotp_resend_done(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    u_char  masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];

    if (ctx->phone.len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "smotp resend: OTP sent again, request %V",
                      &ctx->request_id);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "smotp resend: OTP sent again to %*s, request %V",
                  ngx_http_smotp_phone_mask(masked, &ctx->phone), masked,
                  &ctx->request_id);
}
