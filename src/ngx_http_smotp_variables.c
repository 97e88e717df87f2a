
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * $smotp_phone, $smotp_phone_prefix and $smotp_client_net, keys of
 * limits and maps; $smotp_api_status, $smotp_request_id,
 * $smotp_phone_masked, $smotp_result, $smotp_api_attempts and
 * $smotp_api_time, for log_format; $smotp_verified_phone and
 * $smotp_verified_at, for the app behind smotp_require.
 */


#include "ngx_http_smotp_variables.h"
#include "ngx_http_smotp_client.h"
#include "ngx_http_smotp_limit.h"
#include "ngx_http_smotp_metrics.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_prefix.h"
#include "ngx_http_smotp_require.h"


static ngx_int_t ngx_http_smotp_phone_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_client_net_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_api_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_phone_masked_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_result_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_api_attempts_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smotp_api_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_smotp_ctx_t *ngx_http_smotp_endpoint_ctx(
    ngx_http_request_t *r);


static ngx_http_variable_t  ngx_http_smotp_vars[] = {

    { ngx_string("smotp_phone"), NULL,
      ngx_http_smotp_phone_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_phone_prefix"), NULL,
      ngx_http_smotp_phone_variable, 1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_client_net"), NULL,
      ngx_http_smotp_client_net_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_api_status"), NULL,
      ngx_http_smotp_api_status_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_request_id"), NULL,
      ngx_http_smotp_request_id_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_limit_status"), NULL,
      ngx_http_smotp_limit_status_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_phone_masked"), NULL,
      ngx_http_smotp_phone_masked_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_result"), NULL,
      ngx_http_smotp_result_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_api_attempts"), NULL,
      ngx_http_smotp_api_attempts_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smotp_api_time"), NULL,
      ngx_http_smotp_api_time_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* a request's cookie is opened once, whoever asks first */

    { ngx_string("smotp_verified_phone"), NULL,
      ngx_http_smotp_verified_variable, 0, 0, 0 },

    { ngx_string("smotp_verified_at"), NULL,
      ngx_http_smotp_verified_variable, 1, 0, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_smotp_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_smotp_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * the send's phone number, or (data 1) its country code; known once the
 * body is read, and on a verify or resend only from a handle (with
 * smotp_secret_file) or from the limits' record of the send
 */

static ngx_int_t
ngx_http_smotp_phone_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                 len;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx == NULL || ctx->phone.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    len = data ? ngx_http_smotp_prefix_len(&ctx->phone) : ctx->phone.len;

    if (len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = ctx->phone.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_client_net_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t  rc;
    ngx_str_t  net;

    rc = ngx_http_smotp_client_net(r, &net);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = net.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = net.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_api_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx == NULL || ctx->api_status == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%ui", ctx->api_status) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx == NULL || ctx->request_id.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->request_id.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = ctx->request_id.data;

    return NGX_OK;
}


/* the phone number as the module's log lines have it: "+91******3210" */

static ngx_int_t
ngx_http_smotp_phone_masked_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx == NULL || ctx->phone.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_SMOTP_PHONE_MAX_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_http_smotp_phone_mask(p, &ctx->phone);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


/* the request's result, in the words of smotp_requests_total's label */

static ngx_int_t
ngx_http_smotp_result_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t             *result;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    result = ngx_http_smotp_metrics_result(r->main, ctx);

    if (result == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = result->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = result->data;

    return NGX_OK;
}


/* the attempts of the API call made, retries included: "0" for none */

static ngx_int_t
ngx_http_smotp_api_attempts_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_smotp_endpoint_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%ui", ctx->attempts) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


/*
 * the time of all the attempts, in seconds with milliseconds, as
 * $upstream_response_time has it; not found when no call was made
 */

static ngx_int_t
ngx_http_smotp_api_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_smotp_endpoint_ctx(r);

    if (ctx == NULL || ctx->attempts == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%M.%03M", ctx->api_time / 1000,
                         ctx->api_time % 1000)
             - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


/* the context of a request an endpoint has seen, or NULL */

static ngx_http_smotp_ctx_t *
ngx_http_smotp_endpoint_ctx(ngx_http_request_t *r)
{
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx == NULL || ctx->endpoint == NULL) {
        return NULL;
    }

    return ctx;
}
