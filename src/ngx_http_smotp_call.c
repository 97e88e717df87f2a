
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The API call as a whole, shared by every endpoint: its attempts (each a
 * subrequest, ngx_http_smotp_subrequest.c), the retries between them with
 * their backoff, and the deadline by which the visitor is answered, with
 * the API's answer mapped (ngx_http_smotp_answer.c) or without it.
 */


#include "ngx_http_smotp_call.h"
#include "ngx_http_smotp_answer.h"
#include "ngx_http_smotp_key.h"
#include "ngx_http_smotp_limit.h"
#include "ngx_http_smotp_metrics.h"
#include "ngx_http_smotp_response.h"
#include "ngx_http_smotp_subrequest.h"


static void ngx_http_smotp_call_resume(ngx_http_request_t *r);
static ngx_msec_t ngx_http_smotp_call_retry_delay(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_msec_t ngx_http_smotp_call_retry_after_ms(ngx_str_t *value);
static void ngx_http_smotp_call_retry_handler(ngx_event_t *ev);
static void ngx_http_smotp_call_deadline_handler(ngx_event_t *ev);
static void ngx_http_smotp_call_finish(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_smotp_call_cleanup(void *data);


/*
 * The call as a whole: the first attempt is made, the deadline starts and
 * the visitor's going away is watched for.  NGX_DONE while the call is
 * under way, else a status or NGX_ERROR, with nothing left behind.
 */

ngx_int_t
ngx_http_smotp_call(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_cleanup_t         *cln;
    ngx_http_smotp_loc_conf_t  *slcf;

    rc = ngx_http_smotp_key_get(r, ctx);

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

    cln->handler = ngx_http_smotp_call_cleanup;
    cln->data = ctx;

    ctx->retry_ev.handler = ngx_http_smotp_call_retry_handler;
    ctx->retry_ev.data = r;
    ctx->retry_ev.log = r->connection->log;

    ctx->deadline_ev.handler = ngx_http_smotp_call_deadline_handler;
    ctx->deadline_ev.data = r;
    ctx->deadline_ev.log = r->connection->log;

    ctx->deadline = ngx_current_msec + slcf->deadline;

    rc = ngx_http_smotp_subrequest(r, ctx);

    if (rc != NGX_DONE) {
        return rc;
    }

    ngx_add_timer(&ctx->deadline_ev, slcf->deadline);

    /* a visitor who leaves ends the request, its timers and its call */

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_smotp_call_resume;

    return NGX_DONE;
}


static void
ngx_http_smotp_call_resume(ngx_http_request_t *r)
{
    ngx_msec_t                  delay;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx->api_state == NGX_HTTP_SMOTP_API_CALLING) {
        ngx_http_smotp_subrequest_wake(ctx);
        return;
    }

    if (ctx->api_state != NGX_HTTP_SMOTP_API_ANSWERED) {
        return;
    }

    r->connection->log->action = NULL;

    ngx_http_smotp_metrics_attempt(r, ctx, 0);

    delay = ngx_http_smotp_call_retry_delay(r, ctx);

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

    ngx_http_smotp_call_finish(r, ctx, ngx_http_smotp_answer(r, ctx));
}


/*
 * 0, or how long to wait before the next attempt.  A send may be made
 * again whatever became of the last attempt (the idempotency key makes it
 * safe); a verify uses up one of the code's attempts, so it is made again
 * only when the API never got it.  No retry starts that would end after
 * the deadline.
 */

static ngx_msec_t
ngx_http_smotp_call_retry_delay(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                  i, retry;
    ngx_msec_t                  delay, wait;
    ngx_msec_int_t              left;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (ctx->attempts > slcf->retries || !ctx->api_proxied
        || ctx->api_redirected)
    {
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
        wait = ngx_http_smotp_call_retry_after_ms(&ctx->retry_after);

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
ngx_http_smotp_call_retry_after_ms(ngx_str_t *value)
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
ngx_http_smotp_call_retry_handler(ngx_event_t *ev)
{
    ngx_connection_t      *c;
    ngx_http_request_t    *r;
    ngx_http_smotp_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);
    c->log->action = NULL;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ngx_http_smotp_subrequest(r, ctx) != NGX_DONE) {
        ngx_http_smotp_call_finish(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * The visitor is answered now, and an attempt under way is given up
 * (ngx_http_smotp_subrequest_abort()).
 */

static void
ngx_http_smotp_call_deadline_handler(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    c->log->action = NULL;

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "smotp %V: no answer from the API within smotp_deadline "
                  "(%Mms, %ui attempt%s)", &ctx->endpoint->name,
                  slcf->deadline, ctx->attempts,
                  (ctx->attempts == 1) ? "" : "s");

    ngx_str_set(&ctx->error, "OTP service timed out");

    if (ctx->api_state == NGX_HTTP_SMOTP_API_CALLING) {
        ngx_http_smotp_metrics_attempt(r, ctx, 1);
        ngx_http_smotp_subrequest_abort(r, ctx);
    }

    ngx_http_smotp_call_finish(r, ctx, NGX_HTTP_GATEWAY_TIME_OUT);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_smotp_call_finish(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_int_t rc)
{
    ctx->api_state = NGX_HTTP_SMOTP_API_FINISHED;

    ngx_http_smotp_limit_finish(r, ctx);

    ngx_http_smotp_call_cleanup(ctx);

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE && !ctx->responded) {
        rc = ngx_http_smotp_send_error(r, rc, &ctx->error);
    }

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_smotp_call_cleanup(void *data)
{
    ngx_http_smotp_ctx_t *ctx = data;

    if (ctx->retry_ev.timer_set) {
        ngx_del_timer(&ctx->retry_ev);
    }

    if (ctx->deadline_ev.timer_set) {
        ngx_del_timer(&ctx->deadline_ev);
    }
}
