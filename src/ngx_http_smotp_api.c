
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

/* the first buffer for an answer of unknown length */
#define NGX_HTTP_SMOTP_ANSWER_SIZE           512


typedef struct {
    ngx_str_t                   key;
    ngx_str_t                   lowcase;
    ngx_uint_t                  hash;
} ngx_http_smotp_api_header_t;


static ngx_int_t ngx_http_smotp_api_attempt(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_api_headers(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_api_header(ngx_list_t *headers,
    ngx_http_smotp_api_header_t *name, ngx_str_t *value,
    ngx_table_elt_t **elt);
static ngx_int_t ngx_http_smotp_api_guard(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_api_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static ngx_http_smotp_ctx_t *ngx_http_smotp_api_ctx(ngx_http_request_t *sr);
static ngx_int_t ngx_http_smotp_api_room(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx, off_t size);
static void ngx_http_smotp_api_retry_after(ngx_http_request_t *sr,
    ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_api_resume(ngx_http_request_t *r);
static ngx_msec_t ngx_http_smotp_api_retry_delay(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_msec_t ngx_http_smotp_api_retry_after_ms(ngx_str_t *value);
static void ngx_http_smotp_api_retry_handler(ngx_event_t *ev);
static void ngx_http_smotp_api_deadline_handler(ngx_event_t *ev);
static void ngx_http_smotp_api_finish(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_smotp_api_cleanup(void *data);
static ngx_int_t ngx_http_smotp_api_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_api_error(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, cJSON *json);


static ngx_str_t  ngx_http_smotp_post = ngx_string("POST");


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


/*
 * The call as a whole: the deadline starts, the visitor's going away is
 * watched for, and the first attempt is made.
 */

ngx_int_t
ngx_http_smotp_api_call(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_cleanup_t         *cln;
    ngx_http_smotp_loc_conf_t  *slcf;

    rc = ngx_http_smotp_api_key_get(r, ctx);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    /* the location's own, made when nginx read the configuration */

    ctx->api_uri = slcf->api_uri;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_smotp_api_cleanup;
    cln->data = ctx;

    ctx->retry_ev.handler = ngx_http_smotp_api_retry_handler;
    ctx->retry_ev.data = r;
    ctx->retry_ev.log = r->connection->log;

    ctx->deadline_ev.handler = ngx_http_smotp_api_deadline_handler;
    ctx->deadline_ev.data = r;
    ctx->deadline_ev.log = r->connection->log;

    ctx->deadline = ngx_current_msec + slcf->deadline;
    ngx_add_timer(&ctx->deadline_ev, slcf->deadline);

    /* a visitor who leaves ends the request, its timers and its call */

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_smotp_api_resume;

    return ngx_http_smotp_api_attempt(r, ctx);
}


/*
 * One attempt: a background subrequest, so that the visitor can be
 * answered at the deadline while an attempt is still under way; its end
 * wakes the request up (ngx_http_smotp_api_done()).  Every attempt sends
 * the same body, so a send keeps its idempotency key.
 */

static ngx_int_t
ngx_http_smotp_api_attempt(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_smotp_api_done;
    ps->data = ctx;

    ctx->api_state = NGX_HTTP_SMOTP_API_CALLING;
    ctx->attempts++;

    ctx->api_request_sent = 0;
    ctx->api_complete = 0;
    ctx->api_too_big = 0;
    ctx->api_proxied = 0;
    ctx->api_buf = NULL;
    ctx->api_status = 0;
    ctx->api_rc = NGX_OK;
    ngx_str_null(&ctx->api_answer);
    ngx_str_null(&ctx->retry_after);

    if (ngx_http_subrequest(r, &ctx->api_uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->api_sr = sr;

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

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp %V: API call \"%V\", attempt %ui",
                   &ctx->endpoint->name, &ctx->api_uri, ctx->attempts);

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

    if (ngx_http_smotp_api_header(&sr->headers_in.headers,
                                  &ngx_http_smotp_api_key_header,
                                  &ctx->api_key, &h)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_smotp_api_header(&sr->headers_in.headers,
                                  &ngx_http_smotp_content_type_header,
                                  &ngx_http_smotp_json_media_type, &h)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_type = h;

    return ngx_http_smotp_api_header(&sr->headers_in.headers,
                                     &ngx_http_smotp_accept_header,
                                     &ngx_http_smotp_json_media_type, &h);
}


static ngx_int_t
ngx_http_smotp_api_header(ngx_list_t *headers,
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
ngx_http_smotp_api_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_smotp_ctx_t *ctx = data;

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        return rc;
    }

    if (ctx->api_state != NGX_HTTP_SMOTP_API_CALLING || rc == NGX_AGAIN) {
        return NGX_OK;
    }

    ctx->api_state = NGX_HTTP_SMOTP_API_ANSWERED;
    ctx->api_rc = rc;
    ctx->api_status = sr->headers_out.status;
    ctx->api_proxied = (sr->upstream != NULL);
    ctx->api_request_sent = (sr->upstream && sr->upstream->request_sent);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "smotp %V: API call done, rc: %i, status: %ui",
                   &ctx->endpoint->name, rc, ctx->api_status);

    /* nginx ends an answer cut short as if it were whole, but unmarked */

    if (rc == NGX_OK && !ctx->api_complete) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "smotp %V: the API's answer was cut short",
                      &ctx->endpoint->name);
        ctx->api_rc = NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->api_buf) {
        ctx->api_answer.data = ctx->api_buf->pos;
        ctx->api_answer.len = ctx->api_buf->last - ctx->api_buf->pos;
    }

    ngx_http_smotp_api_retry_after(sr, ctx);

    if (ngx_http_post_request(sr->main, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The module's context when sr is one of its API subrequests (the one
 * whose post-subrequest handler is ngx_http_smotp_api_done()), or NULL
 */

static ngx_http_smotp_ctx_t *
ngx_http_smotp_api_ctx(ngx_http_request_t *sr)
{
    if (sr->post_subrequest == NULL
        || sr->post_subrequest->handler != ngx_http_smotp_api_done)
    {
        return NULL;
    }

    return sr->post_subrequest->data;
}


/*
 * The header filter of the module's API subrequests: their headers go no
 * further, as the body goes nowhere but into ngx_http_smotp_api_capture().
 * nginx's own header filter would only mark them sent, as done here; the
 * filters in between have nothing to do for a subrequest whose output
 * never reaches the client.
 */

ngx_int_t
ngx_http_smotp_api_capture_header(ngx_http_request_t *sr)
{
    if (ngx_http_smotp_api_ctx(sr) == NULL) {
        return NGX_DECLINED;
    }

    sr->header_sent = 1;

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
    off_t                  size;
    ngx_int_t              rc;
    ngx_buf_t             *b;
    ngx_chain_t           *cl;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_smotp_api_ctx(sr);
    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size && !ctx->api_too_big) {

            rc = ngx_buf_in_memory(b) ? ngx_http_smotp_api_room(sr, ctx, size)
                                      : NGX_DECLINED;

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_OK) {
                ctx->api_buf->last = ngx_cpymem(ctx->api_buf->last, b->pos,
                                                (size_t) size);

            } else {
                ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
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
ngx_http_smotp_api_room(ngx_http_request_t *sr, ngx_http_smotp_ctx_t *ctx,
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


static void
ngx_http_smotp_api_retry_after(ngx_http_request_t *sr,
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


static void
ngx_http_smotp_api_resume(ngx_http_request_t *r)
{
    ngx_msec_t                  delay;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx == NULL || ctx->api_state != NGX_HTTP_SMOTP_API_ANSWERED) {
        return;
    }

    delay = ngx_http_smotp_api_retry_delay(r, ctx);

    if (delay) {
        slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

        if (ctx->api_rc == NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "smotp %V: the API answered %ui, retrying in "
                          "%Mms (attempt %ui of %ui)", &ctx->endpoint->name,
                          ctx->api_status, delay, ctx->attempts + 1,
                          slcf->retries + 1);

        } else {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "smotp %V: no answer from the API, retrying in "
                          "%Mms (attempt %ui of %ui)", &ctx->endpoint->name,
                          delay, ctx->attempts + 1, slcf->retries + 1);
        }

        ctx->api_state = NGX_HTTP_SMOTP_API_WAITING;
        ngx_add_timer(&ctx->retry_ev, delay);
        return;
    }

    ngx_http_smotp_api_finish(r, ctx, ngx_http_smotp_api_answer(r, ctx));
}


/*
 * 0, or how long to wait before the next attempt.  A send may be made
 * again whatever became of the last attempt (the idempotency key makes it
 * safe); a verify uses up one of the code's attempts, so it is made again
 * only when the API never got it.  No retry starts that would end after
 * the deadline.
 */

static ngx_msec_t
ngx_http_smotp_api_retry_delay(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                  i, retry;
    ngx_msec_t                  delay, wait;
    ngx_msec_int_t              left;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (ctx->attempts > slcf->retries || !ctx->api_proxied) {
        return 0;
    }

    retry = ctx->endpoint->idempotent || !ctx->api_request_sent;
    wait = 0;

    if (ctx->api_rc != NGX_OK) {
        /* refused, reset, timed out, cut short */

    } else if (ctx->api_status >= NGX_HTTP_INTERNAL_SERVER_ERROR
               && ctx->api_status < 600)
    {
        retry = ctx->endpoint->idempotent;

    } else if (ctx->api_status == NGX_HTTP_TOO_MANY_REQUESTS) {
        retry = ctx->endpoint->idempotent;
        wait = ngx_http_smotp_api_retry_after_ms(&ctx->retry_after);

    } else {
        return 0;
    }

    if (!retry) {
        return 0;
    }

    /* exponential, with jitter: between half and all of the step */

    delay = slcf->backoff_base;

    for (i = 1; i < ctx->attempts && delay < slcf->backoff_max; i++) {
        delay *= 2;
    }

    delay = ngx_min(delay, slcf->backoff_max);
    delay = delay / 2 + (ngx_msec_t) ngx_random() % (delay / 2 + 1);

    delay = ngx_max(delay, wait);
    delay = ngx_max(delay, 1);

    left = (ngx_msec_int_t) (ctx->deadline - ngx_current_msec);

    if ((ngx_msec_int_t) delay >= left) {
        return 0;
    }

    return delay;
}


/* Retry-After: delta-seconds or an HTTP-date */

static ngx_msec_t
ngx_http_smotp_api_retry_after_ms(ngx_str_t *value)
{
    time_t     t;
    ngx_int_t  n;

    if (value->len == 0) {
        return 0;
    }

    n = ngx_atoi(value->data, value->len);

    if (n != NGX_ERROR) {
        return (ngx_msec_t) ngx_min(n, 86400) * 1000;
    }

    t = ngx_parse_http_time(value->data, value->len);

    if (t == NGX_ERROR || t <= ngx_time()) {
        return 0;
    }

    return (ngx_msec_t) ngx_min(t - ngx_time(), 86400) * 1000;
}


static void
ngx_http_smotp_api_retry_handler(ngx_event_t *ev)
{
    ngx_connection_t      *c;
    ngx_http_request_t    *r;
    ngx_http_smotp_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ngx_http_smotp_api_attempt(r, ctx) != NGX_DONE) {
        ngx_http_smotp_api_finish(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * The visitor is answered now.  An attempt under way is ended as nginx
 * ends the upstream of a request whose client left: its connection to
 * the API is closed, and it gives back its hold on the request.
 */

static void
ngx_http_smotp_api_deadline_handler(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r, *sr;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "smotp %V: no answer from the API within smotp_deadline "
                  "(%Mms, %ui attempts)", &ctx->endpoint->name,
                  slcf->deadline, ctx->attempts);

    ngx_str_set(&ctx->error, "OTP service timed out");

    sr = ctx->api_sr;

    if (ctx->api_state == NGX_HTTP_SMOTP_API_CALLING) {
        ctx->api_state = NGX_HTTP_SMOTP_API_FINISHED;

        if (sr->upstream && sr->upstream->cleanup) {
            (*sr->upstream->cleanup)(sr);
        }
    }

    ngx_http_smotp_api_finish(r, ctx, NGX_HTTP_GATEWAY_TIME_OUT);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_smotp_api_finish(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_int_t rc)
{
    ctx->api_state = NGX_HTTP_SMOTP_API_FINISHED;

    ngx_http_smotp_api_cleanup(ctx);

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE && !ctx->responded) {
        rc = ngx_http_smotp_send_error(r, rc, &ctx->error);
    }

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_smotp_api_cleanup(void *data)
{
    ngx_http_smotp_ctx_t *ctx = data;

    if (ctx->retry_ev.timer_set) {
        ngx_del_timer(&ctx->retry_ev);
    }

    if (ctx->deadline_ev.timer_set) {
        ngx_del_timer(&ctx->deadline_ev);
    }
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

    /* a location that is not the API's answers whatever it answers */

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
        return ngx_http_smotp_api_error(r, ctx, json);
    }

    data = cJSON_IsObject(json)
           ? cJSON_GetObjectItemCaseSensitive(json, "data") : NULL;

    if (!cJSON_IsObject(data)) {
        rc = NGX_HTTP_BAD_GATEWAY;
        goto unexpected;
    }

    rc = ctx->endpoint->answer(r->pool, ctx, data, &answer);

    if (rc == NGX_OK) {
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


/*
 * The API call carries the API key, so it goes only to an internal
 * location: when smotp_api_location has a typo, or the API location was
 * never included, the call would land in whatever location matches its
 * URI ("location /" proxying to the application, say) and hand that the
 * key and the phone number.  Checked in the preaccess phase, which nginx
 * runs for subrequests too, before any content handler.
 */

ngx_int_t
ngx_http_smotp_api_init(ngx_conf_t *cf)
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

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_smotp_api_guard;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_api_guard(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (r == r->main || ngx_http_smotp_api_ctx(r) == NULL) {
        return NGX_DECLINED;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

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
