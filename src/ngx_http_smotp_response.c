
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Every answer the module writes is JSON, with its status and
 * "Content-Type: application/json", errors included.  The filter here
 * turns the error pages nginx itself makes in smotp locations (a body over
 * client_max_body_size, a broken chunked body...) into JSON as well.
 */


#include "ngx_http_smotp_response.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_json.h"


static ngx_http_smotp_loc_conf_t *ngx_http_smotp_early_conf(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_gate_header(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_smotp_error_text(ngx_uint_t status, ngx_str_t *text);
static ngx_int_t ngx_http_smotp_set_headers(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_uint_t status, size_t len);


static ngx_str_t  ngx_http_smotp_no_store = ngx_string("no-store");


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_http_smotp_ctx_t *
ngx_http_smotp_get_ctx(ngx_http_request_t *r)
{
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_smotp_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_smotp_module);
    }

    return ctx;
}


ngx_int_t
ngx_http_smotp_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_int_t              rc;
    ngx_buf_t             *b;
    ngx_chain_t            out;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_smotp_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->responded = 1;

    if (ngx_http_smotp_set_headers(r, ctx, status, json->len) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_smotp_set_headers(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_uint_t status, size_t len)
{
    r->headers_out.status = status;
    r->headers_out.status_line.len = 0;

    r->headers_out.content_type = ngx_http_smotp_json_media_type;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    r->headers_out.content_length_n = len;

    /* an OTP answer is for this visitor, now */

    if (ngx_http_smotp_add_header(r, "Cache-Control",
                                  &ngx_http_smotp_no_store)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS && ctx->retry_after.len
        && ngx_http_smotp_add_header(r, "Retry-After", &ctx->retry_after)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_smotp_send_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *message)
{
    ngx_str_t                      json;
    ngx_uint_t                     n;
    ngx_http_smotp_ctx_t          *ctx;
    ngx_http_smotp_json_member_t   m[2];

    ngx_str_set(&m[0].name, "error");
    m[0].type = NGX_HTTP_SMOTP_JSON_STRING;

    if (message && message->len) {
        m[0].str = *message;

    } else {
        ngx_http_smotp_error_text(status, &m[0].str);
    }

    n = 1;

    /* a refusal of the module's own limits says when to come back */

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx && ctx->limit_wait) {
        ngx_str_set(&m[1].name, "retryAfter");
        m[1].type = NGX_HTTP_SMOTP_JSON_NUMBER;
        m[1].num = ctx->limit_wait;
        n = 2;
    }

    if (ngx_http_smotp_json_object(r->pool, m, n, &json) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_smotp_send_json(r, status, &json);
}


static void
ngx_http_smotp_error_text(ngx_uint_t status, ngx_str_t *text)
{
    switch (status) {

    case NGX_HTTP_BAD_REQUEST:
        ngx_str_set(text, "bad request");
        break;

    case NGX_HTTP_NOT_ALLOWED:
        ngx_str_set(text, "method not allowed");
        break;

    case NGX_HTTP_REQUEST_TIME_OUT:
        ngx_str_set(text, "request timed out");
        break;

    case NGX_HTTP_LENGTH_REQUIRED:
        ngx_str_set(text, "Content-Length is required");
        break;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        ngx_str_set(text, "request body is too large");
        break;

    case NGX_HTTP_TOO_MANY_REQUESTS:
        ngx_str_set(text, "too many requests, try again later");
        break;

    case NGX_HTTP_BAD_GATEWAY:
        ngx_str_set(text, "OTP service error");
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        ngx_str_set(text, "OTP service unavailable");
        break;

    case NGX_HTTP_GATEWAY_TIME_OUT:
        ngx_str_set(text, "OTP service timed out");
        break;

    case NGX_HTTP_NOT_IMPLEMENTED:
        ngx_str_set(text, "Transfer-Encoding not supported");
        break;

    default:
        if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
            ngx_str_set(text, "internal error");

        } else {
            ngx_str_set(text, "request failed");
        }
    }
}


ngx_int_t
ngx_http_smotp_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_smotp_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_smotp_body_filter;

    return NGX_OK;
}


/*
 * The smotp location a request was sent to when nginx refused it before
 * choosing a location (a bad Content-Length, Content-Length with
 * Transfer-Encoding, a Transfer-Encoding it does not know, headers too
 * large): the exact-match one whose URI is the request's, or NULL.  A
 * location is then not chosen yet when the request still has its server's
 * configuration; an exact match is the location nginx would have chosen.
 */

static ngx_http_smotp_loc_conf_t *
ngx_http_smotp_early_conf(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_http_smotp_exact_t     *e;
    ngx_http_core_srv_conf_t   *cscf;
    ngx_http_smotp_srv_conf_t  *sscf;

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_smotp_module);

    if (sscf->exact == NULL || r->uri.len == 0) {
        return NULL;
    }

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    if (r->loc_conf != cscf->ctx->loc_conf) {
        return NULL;
    }

    e = sscf->exact->elts;

    for (i = 0; i < sscf->exact->nelts; i++) {
        if (e[i].uri.len == r->uri.len
            && ngx_strncmp(e[i].uri.data, r->uri.data, r->uri.len) == 0)
        {
            return e[i].slcf;
        }
    }

    return NULL;
}


/*
 * An error response in an smotp location that the module did not write
 * is one of nginx's own HTML pages: its headers become the module's.
 */

static ngx_int_t
ngx_http_smotp_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                   text;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    /* smotp_require's refusal: the 401 page nginx makes for it */

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx && ctx->gate && !ctx->replaced
        && r->err_status == NGX_HTTP_UNAUTHORIZED)
    {
        return ngx_http_smotp_gate_header(r, ctx);
    }

    if (r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->endpoint == NULL && ngx_http_smotp_early_conf(r) == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_smotp_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->responded) {
        return ngx_http_next_header_filter(r);
    }

    ctx->replaced = 1;

    ngx_http_smotp_error_text(r->headers_out.status, &text);
    ctx->error = text;

    if (ngx_http_smotp_set_headers(r, ctx, r->headers_out.status,
                                   sizeof("{\"error\":\"\"}") - 1 + text.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


/*
 * The gate's 401, or its redirect to the sign-in page, with the module's
 * JSON in place of nginx's page
 */

static ngx_int_t
ngx_http_smotp_gate_header(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t        status;
    ngx_table_elt_t  *h;

    ctx->replaced = 1;

    status = NGX_HTTP_UNAUTHORIZED;

    if (ctx->redirect.len) {
        status = NGX_HTTP_MOVED_TEMPORARILY;

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
        ngx_str_set(&h->key, "Location");
        h->value = ctx->redirect;

        r->headers_out.location = h;
    }

    if (ngx_http_smotp_set_headers(r, ctx, status,
                                   sizeof("{\"error\":\"\"}") - 1
                                   + ctx->error.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_smotp_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_str_t                     json;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl, out;
    ngx_http_smotp_ctx_t         *ctx;
    ngx_http_smotp_json_member_t  m;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (r != r->main || ctx == NULL || !ctx->replaced || r->header_only) {
        return ngx_http_next_body_filter(r, in);
    }

    /* the HTML goes nowhere */

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->replacement_sent) {
        return NGX_OK;
    }

    ctx->replacement_sent = 1;

    ngx_str_set(&m.name, "error");
    m.type = NGX_HTTP_SMOTP_JSON_STRING;
    m.str = ctx->error;

    if (ngx_http_smotp_json_object(r->pool, &m, 1, &json) != NGX_OK) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json.data;
    b->last = json.data + json.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
