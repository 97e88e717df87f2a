
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * One attempt of the API call: a background subrequest into the internal
 * API location (smotp_api_location, a proxy_pass location the user
 * configures), with a body and headers of the module's own making.  Its
 * answer is captured in memory by the module's own filters, on top of
 * every other, and goes nowhere else; a preaccess handler keeps the call,
 * and the key it carries, out of any location that is not the internal
 * one it was made for.
 */


#include "ngx_http_smotp_subrequest.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_fault.h"
#include "ngx_http_smotp_json.h"


/* the first buffer for an answer of unknown length */
#define NGX_HTTP_SMOTP_ANSWER_SIZE           512


typedef struct {
    ngx_str_t                   key;
    ngx_str_t                   lowcase;
    ngx_uint_t                  hash;
} ngx_http_smotp_api_header_t;


static ngx_int_t ngx_http_smotp_subrequest_headers(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_list_t *headers, ngx_table_elt_t **type);
static ngx_int_t ngx_http_smotp_subrequest_header(ngx_list_t *headers,
    ngx_http_smotp_api_header_t *name, ngx_str_t *value,
    ngx_table_elt_t **elt);
static ngx_int_t ngx_http_smotp_subrequest_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_http_smotp_ctx_t *ngx_http_smotp_subrequest_ctx(
    ngx_http_request_t *sr);
static void ngx_http_smotp_subrequest_retry_after(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_capture_header(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_capture_body(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_smotp_capture_room(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx, off_t size);
static ngx_int_t ngx_http_smotp_subrequest_guard(ngx_http_request_t *r);


/*
 * The headers of the API call, with their lowercase names and hashes, as
 * nginx keeps a request's headers: proxy_set_header in the API location
 * then replaces one of them (the proxy module looks its own up by hash)
 * instead of sending a second.  The hashes are made at configuration.
 */

static ngx_http_smotp_api_header_t  ngx_http_smotp_api_key_header =
    { ngx_string("X-API-Key"), ngx_string("x-api-key"), 0 };
static ngx_http_smotp_api_header_t  ngx_http_smotp_content_type_header =
    { ngx_string("Content-Type"), ngx_string("content-type"), 0 };
static ngx_http_smotp_api_header_t  ngx_http_smotp_accept_header =
    { ngx_string("Accept"), ngx_string("accept"), 0 };


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/*
 * One attempt: a background subrequest, so that the visitor can be
 * answered at the deadline while an attempt is still under way; its end
 * wakes the request up (ngx_http_smotp_subrequest_done()).  Every attempt
 * sends the same body, so a send keeps its idempotency key.  All that can
 * fail is done before the subrequest is made: once made, it runs, and it
 * must not run half made.  NGX_DONE, or NGX_ERROR.
 */

ngx_int_t
ngx_http_smotp_subrequest(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_buf_t                   *b;
    ngx_list_t                  *headers;
    ngx_chain_t                 *cl;
    ngx_table_elt_t             *type;
    ngx_http_request_t          *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_smotp_subrequest_done;
    ps->data = ctx;

    headers = ngx_list_create(r->pool, 4, sizeof(ngx_table_elt_t));
    if (headers == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_smotp_subrequest_headers(r, ctx, headers, &type) != NGX_OK) {
        return NGX_ERROR;
    }

    rb = NULL;

    if (ctx->api_body.len) {
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
    }

    if (ngx_http_smotp_fault_attempt(ctx)) {
        return NGX_ERROR;
    }

    if (ngx_http_subrequest(r, &ctx->api_uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->api_state = NGX_HTTP_SMOTP_API_CALLING;
    ctx->api_sr = sr;
    ctx->attempts++;
    ctx->api_start = ngx_current_msec;

    ctx->api_request_sent = 0;
    ctx->api_complete = 0;
    ctx->api_too_big = 0;
    ctx->api_proxied = 0;
    ctx->api_redirected = 0;
    ctx->api_buf = NULL;
    ctx->api_status = 0;
    ctx->api_rc = NGX_OK;
    ngx_str_null(&ctx->api_answer);
    ngx_str_null(&ctx->retry_after);

    /*
     * the subrequest's own context: nginx wipes it in an internal
     * redirect (X-Accel-Redirect, error_page), which the guard refuses
     */

    ngx_http_set_ctx(sr, ctx, ngx_http_smotp_module);

    /* the answer is captured by ngx_http_smotp_capture_body(), in memory */

    sr->filter_need_in_memory = 1;

    /* the API's errors are the module's to map: no error_page of the user */

    sr->error_page = 1;

    sr->method = ctx->endpoint->api_method;
    sr->method_name = ctx->endpoint->api_method_name;
    sr->request_body = rb;

    /*
     * The API sees only the headers the module chooses: nothing of the
     * client's (no Cookie, Authorization or X-Forwarded-For) reaches it.
     * proxy_set_header in the API location may still add its own.
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.headers = *headers;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;
    sr->headers_in.content_type = type;
    sr->headers_in.content_length_n = rb ? (off_t) ctx->api_body.len : -1;
    sr->headers_in.keep_alive_n = -1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp %V: API call \"%V\", attempt %ui",
                   &ctx->endpoint->name, &ctx->api_uri, ctx->attempts);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_smotp_subrequest_headers(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_list_t *headers, ngx_table_elt_t **type)
{
    ngx_table_elt_t  *h;

    if (ngx_http_smotp_subrequest_header(headers,
                                         &ngx_http_smotp_api_key_header,
                                         &ctx->api_key, &h)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *type = NULL;

    if (ctx->api_body.len) {
        if (ngx_http_smotp_subrequest_header(headers,
                                        &ngx_http_smotp_content_type_header,
                                        &ngx_http_smotp_json_media_type, type)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_smotp_subrequest_header(headers,
                                            &ngx_http_smotp_accept_header,
                                            &ngx_http_smotp_json_media_type,
                                            &h);
}


static ngx_int_t
ngx_http_smotp_subrequest_header(ngx_list_t *headers,
    ngx_http_smotp_api_header_t *name, ngx_str_t *value,
    ngx_table_elt_t **elt)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = name->key;
    h->value = *value;
    h->lowcase_key = name->lowcase.data;
    h->hash = name->hash;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    *elt = h;

    return NGX_OK;
}


/*
 * Called when an attempt's subrequest ends, and again if nginx then makes
 * an error page for it: only the first call counts.  Failures are
 * answered by the module, so they are not passed on to nginx, which would
 * end the visitor's request with them.
 */

static ngx_int_t
ngx_http_smotp_subrequest_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_smotp_ctx_t *ctx = data;

    ngx_http_upstream_t  *u;

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        return rc;
    }

    if (ctx->api_state != NGX_HTTP_SMOTP_API_CALLING || rc == NGX_AGAIN) {
        return NGX_OK;
    }

    u = sr->upstream;

    ctx->api_state = NGX_HTTP_SMOTP_API_ANSWERED;
    ctx->api_proxied = (u != NULL);
    ctx->api_request_sent = (u && u->request_sent);
    ctx->api_redirected =
                  (ngx_http_get_module_ctx(sr, ngx_http_smotp_module) == NULL);

    /*
     * the API's own status, as the upstream read it: what the location
     * does with it (proxy_intercept_errors) changes sr's status, not this
     */

    ctx->api_status = (u && u->headers_in.status_n) ? u->headers_in.status_n
                                                    : sr->headers_out.status;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE && u
        && rc == (ngx_int_t) u->headers_in.status_n)
    {
        /* an answer of the API that proxy_intercept_errors took: no body */

        rc = NGX_OK;
        ctx->api_complete = 1;
        ctx->api_buf = NULL;

    } else if (rc == NGX_OK && !ctx->api_complete && !ctx->api_redirected) {

        /* nginx ends an answer cut short as if it were whole, but unmarked */

        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "smotp %V: the API's answer was cut short",
                      &ctx->endpoint->name);
        rc = NGX_HTTP_BAD_GATEWAY;
    }

    ctx->api_rc = rc;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "smotp %V: API call done, rc: %i, status: %ui",
                   &ctx->endpoint->name, rc, ctx->api_status);

    if (ctx->api_buf) {
        ctx->api_answer.data = ctx->api_buf->pos;
        ctx->api_answer.len = ctx->api_buf->last - ctx->api_buf->pos;
    }

    ngx_http_smotp_subrequest_retry_after(sr, ctx);

    if (ngx_http_post_request(sr->main, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The module's context when sr is one of its API subrequests (the one
 * whose post-subrequest handler is ngx_http_smotp_subrequest_done()), or
 * NULL.  It holds through an internal redirect, which the sr's own
 * module context does not.
 */

static ngx_http_smotp_ctx_t *
ngx_http_smotp_subrequest_ctx(ngx_http_request_t *sr)
{
    if (sr->post_subrequest == NULL
        || sr->post_subrequest->handler != ngx_http_smotp_subrequest_done)
    {
        return NULL;
    }

    return sr->post_subrequest->data;
}


/*
 * An attempt still under way is given up (the deadline came): one in the
 * upstream is ended as nginx ends the upstream of a request whose client
 * left, its connection to the API closed; one that a module of the API
 * location holds back in an earlier phase (limit_req's delay, which
 * waits on the client connection's write event) is let go of, with the
 * delay it put on the connection, so that the visitor's answer is not
 * held back by it.  Either way it gives back its hold on the request.
 */

void
ngx_http_smotp_subrequest_abort(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_event_t         *wev;
    ngx_http_request_t  *sr;

    sr = ctx->api_sr;

    ctx->api_state = NGX_HTTP_SMOTP_API_FINISHED;

    if (sr->upstream) {
        if (sr->upstream->cleanup) {
            (*sr->upstream->cleanup)(sr);
        }

        return;
    }

    wev = r->connection->write;

    if (wev->delayed) {
        wev->delayed = 0;

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }
    }

    sr->read_event_handler = ngx_http_block_reading;
    sr->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(sr, NGX_DONE);
}


/*
 * The client connection's write event, while an attempt is under way, is
 * the attempt's: nginx hands a connection's events to its main request,
 * and a module of the API location that holds the subrequest back waits
 * for one of them (limit_req's delay ends on a write event's timer).
 */

void
ngx_http_smotp_subrequest_wake(ngx_http_smotp_ctx_t *ctx)
{
    ngx_http_request_t  *sr;

    sr = ctx->api_sr;

    ngx_http_set_log_request(sr->connection->log, sr);

    sr->write_event_handler(sr);
}


static void
ngx_http_smotp_subrequest_retry_after(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("Retry-After");

    part = &sr->headers_out.headers.part;
    i = 0;

    h = ngx_http_smotp_header_next(&part, &i, &name);

    /* delta-seconds or an HTTP-date, nothing else is passed on */

    if (h == NULL || h->value.len == 0 || h->value.len > 40) {
        return;
    }

    last = h->value.data + h->value.len;

    for (p = h->value.data; p < last; p++) {
        if (!((*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a'
                                           && (*p | 0x20) <= 'z')
              || *p == ' ' || *p == ',' || *p == ':'))
        {
            return;
        }
    }

    ctx->retry_after = h->value;
}


/*
 * The header filter of the module's API subrequests: their headers go no
 * further, as the body goes nowhere but into ngx_http_smotp_capture_body().
 * nginx's own header filter would only mark them sent, as done here; the
 * filters in between have nothing to do for a subrequest whose output
 * never reaches the client.
 */

static ngx_int_t
ngx_http_smotp_capture_header(ngx_http_request_t *r)
{
    if (r == r->main || ngx_http_smotp_subrequest_ctx(r) == NULL) {
        return ngx_http_next_header_filter(r);
    }

    r->header_sent = 1;

    return NGX_OK;
}


/*
 * The body filter of the module's API subrequests: the answer is kept, up
 * to subrequest_output_buffer_size of the API location, and never goes on
 * to the client.  A larger answer is dropped, not an error: nginx would
 * end the client's connection for it.
 */

static ngx_int_t
ngx_http_smotp_capture_body(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                  size;
    ngx_int_t              rc;
    ngx_buf_t             *b;
    ngx_chain_t           *cl;
    ngx_http_smotp_ctx_t  *ctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_smotp_subrequest_ctx(r);
    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size && !ctx->api_too_big) {

            rc = ngx_buf_in_memory(b)
                 ? ngx_http_smotp_capture_room(r, ctx, size) : NGX_DECLINED;

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_OK) {
                ctx->api_buf->last = ngx_cpymem(ctx->api_buf->last, b->pos,
                                                (size_t) size);

            } else {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "smotp %V: the API's answer is larger than "
                              "subrequest_output_buffer_size",
                              &ctx->endpoint->name);
                ctx->api_too_big = 1;
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

/*
 * Room in ctx->api_buf for "size" more bytes of the answer: NGX_OK,
 * NGX_DECLINED when the answer would be larger than the API location's
 * subrequest_output_buffer_size, or NGX_ERROR.  The buffer is made as
 * large as the answer's Content-Length, which for any usual answer is
 * small enough to come from the pool's own memory rather than malloc();
 * without a length it starts small and doubles.
 */

static ngx_int_t
ngx_http_smotp_capture_room(ngx_http_request_t *sr, ngx_http_smotp_ctx_t *ctx,
    off_t size)
{
    off_t                      have, need, len;
    ngx_buf_t                 *b;
    ngx_http_core_loc_conf_t  *clcf;

    b = ctx->api_buf;

    if (b && size <= b->end - b->last) {
        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

    have = b ? b->last - b->pos : 0;
    need = have + size;

    if (need > (off_t) clcf->subrequest_output_buffer_size) {
        return NGX_DECLINED;
    }

    if (sr->headers_out.content_length_n >= need) {
        len = sr->headers_out.content_length_n;

    } else {
        len = ngx_max(need, 2 * have);
        len = ngx_max(len, NGX_HTTP_SMOTP_ANSWER_SIZE);
    }

    len = ngx_min(len, (off_t) clcf->subrequest_output_buffer_size);

    ctx->api_buf = ngx_create_temp_buf(sr->pool, (size_t) len);
    if (ctx->api_buf == NULL) {
        return NGX_ERROR;
    }

    if (b) {
        ctx->api_buf->last = ngx_cpymem(ctx->api_buf->last, b->pos,
                                        (size_t) have);
    }

    return NGX_OK;
}


/*
 * The headers' hashes, the capture filters (registered after the
 * module's other filters, so that they come first) and the guard
 */

ngx_int_t
ngx_http_smotp_subrequest_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_http_smotp_api_key_header.hash =
        ngx_hash_key(ngx_http_smotp_api_key_header.lowcase.data,
                     ngx_http_smotp_api_key_header.lowcase.len);
    ngx_http_smotp_content_type_header.hash =
        ngx_hash_key(ngx_http_smotp_content_type_header.lowcase.data,
                     ngx_http_smotp_content_type_header.lowcase.len);
    ngx_http_smotp_accept_header.hash =
        ngx_hash_key(ngx_http_smotp_accept_header.lowcase.data,
                     ngx_http_smotp_accept_header.lowcase.len);

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_smotp_capture_header;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_smotp_capture_body;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_smotp_subrequest_guard;

    return NGX_OK;
}


/*
 * The API call carries the API key, so it goes only to the internal
 * location it was made for.  When smotp_api_location has a typo, or the
 * API location was never included, the call would land in whatever
 * location matches its URI ("location /" proxying to the application,
 * say); when the API's answer redirects it (X-Accel-Redirect), it would
 * be made again wherever the redirect points.  Either would hand the key
 * and the phone number to another server.  Checked in the preaccess
 * phase, which nginx runs for subrequests too (and again after an
 * internal redirect), before any content handler.
 */

static ngx_int_t
ngx_http_smotp_subrequest_guard(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (r == r->main || ngx_http_smotp_subrequest_ctx(r) == NULL) {
        return NGX_DECLINED;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* redirected: ngx_http_smotp_answer() says so */

    if (ngx_http_get_module_ctx(r, ngx_http_smotp_module) == NULL) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (clcf->internal) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smotp: the API call \"%V\" matches location \"%V\", "
                  "which is not internal: the call is not made; check "
                  "smotp_api_location and that its location is "
                  "\"internal\"", &r->uri, &clcf->name);

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}
