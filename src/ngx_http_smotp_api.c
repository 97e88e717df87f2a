
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The one path to the API, shared by every endpoint: a POST subrequest into
 * the internal API location (smotp_api_location, a proxy_pass location the
 * user configures), with a body and headers of the module's own making; its
 * answer kept in memory, then mapped to the client's answer.
 */


#include "ngx_http_smotp.h"


/* statuses nginx has no names for */
#define NGX_HTTP_SMOTP_PAYMENT_REQUIRED      402
#define NGX_HTTP_SMOTP_GONE                  410
#define NGX_HTTP_SMOTP_UNPROCESSABLE         422


static ngx_int_t ngx_http_smotp_api_headers(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_api_header(ngx_list_t *headers, char *name,
    ngx_str_t *value, ngx_table_elt_t **elt);
static ngx_int_t ngx_http_smotp_api_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_smotp_api_retry_after(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_api_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_api_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_api_error(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *json);


static ngx_str_t  ngx_http_smotp_post = ngx_string("POST");
static ngx_str_t  ngx_http_smotp_json_type = ngx_string("application/json");


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
ngx_http_smotp_api_key_get(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_http_smotp_loc_conf_t  *slcf;

    if (ctx->api_key.len) {
        return NGX_OK;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

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


ngx_int_t
ngx_http_smotp_api_call(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_str_t                    uri;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_smotp_loc_conf_t   *slcf;
    ngx_http_post_subrequest_t  *ps;

    rc = ngx_http_smotp_api_key_get(r, ctx);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    uri.len = slcf->api_location.len + ctx->endpoint->api_path.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(uri.data, slcf->api_location.data,
                          slcf->api_location.len),
               ctx->endpoint->api_path.data, ctx->endpoint->api_path.len);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_smotp_api_done;
    ps->data = ctx;

    ctx->api_done = 0;
    ctx->api_complete = 0;
    ctx->api_too_big = 0;
    ctx->api_buf = NULL;
    ctx->api_proxied = 0;
    ctx->api_status = 0;
    ctx->api_rc = NGX_OK;
    ngx_str_null(&ctx->api_answer);
    ngx_str_null(&ctx->retry_after);

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the answer is captured by ngx_http_smotp_api_capture(), in memory */

    sr->filter_need_in_memory = 1;

    /* a POST of the module's own body, not the client's */

    sr->method = NGX_HTTP_POST;
    sr->method_name = ngx_http_smotp_post;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->api_body.data;
    b->last = ctx->api_body.data + ctx->api_body.len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->rest = 0;

    sr->request_body = rb;

    if (ngx_http_smotp_api_headers(r, sr, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    r->write_event_handler = ngx_http_smotp_api_resume;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp %V: API call \"%V\"", &ctx->endpoint->name, &uri);

    return NGX_DONE;
}


/*
 * The API sees only the headers the module chooses: nothing of the
 * client's (no Cookie, Authorization or X-Forwarded-For) reaches it.
 * proxy_set_header in the API location may still add its own.
 */

static ngx_int_t
ngx_http_smotp_api_headers(ngx_http_request_t *r, ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 4,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = ctx->api_body.len;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_http_smotp_api_header(&sr->headers_in.headers, "X-API-Key",
                                  &ctx->api_key, &h)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_smotp_api_header(&sr->headers_in.headers, "Content-Type",
                                  &ngx_http_smotp_json_type, &h)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_type = h;

    return ngx_http_smotp_api_header(&sr->headers_in.headers, "Accept",
                                     &ngx_http_smotp_json_type, &h);
}


static ngx_int_t
ngx_http_smotp_api_header(ngx_list_t *headers, char *name, ngx_str_t *value,
    ngx_table_elt_t **elt)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
    h->lowcase_key = h->key.data;
    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    *elt = h;

    return NGX_OK;
}


/*
 * Called when the subrequest ends, and again if nginx then makes an error
 * page for it: only the first call counts.  Failures are answered by the
 * module, so they are not passed on to nginx, which would otherwise end
 * the client's request with them.
 */

static ngx_int_t
ngx_http_smotp_api_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_smotp_ctx_t *ctx = data;

    if (ctx->api_done) {
        return rc;
    }

    if (rc == NGX_AGAIN) {
        return rc;
    }

    ctx->api_done = 1;
    ctx->api_rc = rc;

    /* nginx ends an answer cut short as if it were whole, but unmarked */

    if (rc == NGX_OK && !ctx->api_complete) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "smotp %V: the API's answer was cut short",
                      &ctx->endpoint->name);
        ctx->api_rc = NGX_HTTP_BAD_GATEWAY;
    }

    ctx->api_status = sr->headers_out.status;
    ctx->api_proxied = (sr->upstream != NULL);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "smotp %V: API call done, rc: %i, status: %ui",
                   &ctx->endpoint->name, rc, ctx->api_status);

    if (ctx->api_buf) {
        ctx->api_answer.data = ctx->api_buf->pos;
        ctx->api_answer.len = ctx->api_buf->last - ctx->api_buf->pos;
    }

    ngx_http_smotp_api_retry_after(sr, ctx);

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        return rc;
    }

    return NGX_OK;
}


/*
 * The body filter of the module's API subrequests: the answer is kept, up
 * to subrequest_output_buffer_size of the API location, and never goes on
 * to the client.  A larger answer is dropped, not an error: nginx would
 * end the client's connection for it.
 */

ngx_int_t
ngx_http_smotp_api_capture(ngx_http_request_t *sr, ngx_chain_t *in)
{
    off_t                      size;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_http_smotp_ctx_t      *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    if (sr->post_subrequest == NULL
        || sr->post_subrequest->handler != ngx_http_smotp_api_done)
    {
        return NGX_DECLINED;
    }

    ctx = sr->post_subrequest->data;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size && !ctx->api_too_big) {

            if (ctx->api_buf == NULL) {
                clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

                ctx->api_buf = ngx_create_temp_buf(sr->pool,
                                        clcf->subrequest_output_buffer_size);
                if (ctx->api_buf == NULL) {
                    return NGX_ERROR;
                }
            }

            if (!ngx_buf_in_memory(b)
                || size > ctx->api_buf->end - ctx->api_buf->last)
            {
                ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                              "smotp %V: the API's answer is larger than "
                              "subrequest_output_buffer_size",
                              &ctx->endpoint->name);
                ctx->api_too_big = 1;

            } else {
                ctx->api_buf->last = ngx_cpymem(ctx->api_buf->last, b->pos,
                                                (size_t) size);
            }
        }

        if (b->last_in_chain || b->last_buf) {
            ctx->api_complete = 1;
        }

        b->pos = b->last;

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}


static void
ngx_http_smotp_api_retry_after(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Retry-After") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               sizeof("Retry-After") - 1)
               != 0)
        {
            continue;
        }

        /* delta-seconds or an HTTP-date, nothing else is passed on */

        if (h[i].value.len == 0 || h[i].value.len > 40) {
            return;
        }

        last = h[i].value.data + h[i].value.len;

        for (p = h[i].value.data; p < last; p++) {
            if (!((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a'
                                               && (*p | 0x20) <= 'z')
                  || *p == ' ' || *p == ',' || *p == ':'))
            {
                return;
            }
        }

        ctx->retry_after = h[i].value;
        return;
    }
}


static void
ngx_http_smotp_api_resume(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx == NULL || !ctx->api_done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    rc = ngx_http_smotp_api_answer(r, ctx);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE && !ctx->responded) {
        rc = ngx_http_smotp_send_error(r, rc, &ctx->error);
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_smotp_api_answer(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
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

    if (!ctx->api_proxied) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp %V: the API location did not proxy the call: "
                      "check smotp_api_location and its proxy_pass",
                      &ctx->endpoint->name);
        ngx_str_set(&ctx->error, "OTP service unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    json = ngx_http_smotp_json_parse(&ctx->api_answer);

    if (ctx->api_status < NGX_HTTP_OK
        || ctx->api_status >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        rc = ngx_http_smotp_api_error(r, ctx, json);
        goto done;
    }

    data = cJSON_IsObject(json)
           ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;

    if (!cJSON_IsObject(data)) {
        rc = NGX_HTTP_BAD_GATEWAY;
        goto unexpected;
    }

    rc = ctx->endpoint->answer(r->pool, ctx, data, &answer);

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_send_json(r, NGX_HTTP_OK, &answer);
        goto done;
    }

    if (rc != NGX_HTTP_BAD_GATEWAY) {
        goto done;
    }

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smotp %V: unexpected answer from the API "
                  "(status %ui, %uz bytes)",
                  &ctx->endpoint->name, ctx->api_status, ctx->api_answer.len);

    ngx_str_set(&ctx->error, "unexpected answer from OTP service");

done:

    if (json) {
        cJSON_Delete(json);
    }

    return rc;
}


static ngx_int_t
ngx_http_smotp_api_error(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
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
                                              &ctx->error)
               != NGX_OK
            && ngx_http_smotp_json_get_string(r->pool, json, "error",
                                              &ctx->error)
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
