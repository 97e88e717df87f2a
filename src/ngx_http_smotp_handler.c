
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The content handler of every endpoint: the request's way is method and
 * headers checked -> body read -> fields validated by the endpoint -> the
 * abuse limits (which may wait for Redis) -> API call -> the endpoint's
 * answer (or, for a logout, its own answer).
 */


#include "ngx_http_smotp_handler.h"
#include "ngx_http_smotp_body.h"
#include "ngx_http_smotp_call.h"
#include "ngx_http_smotp_limit.h"
#include "ngx_http_smotp_origin.h"
#include "ngx_http_smotp_response.h"
#include "ngx_http_smotp_test_number.h"


static void ngx_http_smotp_body_handler(ngx_http_request_t *r);
static void ngx_http_smotp_limits_handler(ngx_http_request_t *r);
static void ngx_http_smotp_handler_end(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_int_t rc);


ngx_int_t
ngx_http_smotp_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    ctx = ngx_http_smotp_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->endpoint = slcf->endpoint;

    /*
     * nginx's own errors from here on (a bad chunked body, a body over
     * client_max_body_size) are answered in JSON by the module's filter,
     * not redirected to an HTML error_page
     */

    r->error_page = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp %V handler", &ctx->endpoint->name);

    /*
     * only a visitor's own request: as a subrequest (mirror, SSI,
     * auth_request, add_before_body) a send would be made again behind
     * the visitor's back, and the module's wait for the API is built on
     * being the main request
     */

    if (r != r->main) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp_%V does not answer subrequests (mirror, SSI, "
                      "auth_request...): location \"%V\" is reached by one",
                      &ctx->endpoint->name, &slcf->location);
        return ngx_http_smotp_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         NULL);
    }

    rc = ngx_http_smotp_check_request(r, ctx, slcf);

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_check_origin(r, ctx, slcf);
    }

    if (rc != NGX_OK) {

        /* the answer is final: no "100 Continue" invites the body first */

        r->expect_tested = 1;

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        return ngx_http_smotp_send_error(r, rc, &ctx->error);
    }

    if (!ctx->endpoint->body) {

        /* a call without a body (a GET) has nothing of the client's to read */

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        r->main->count++;
        ngx_http_smotp_body_handler(r);

        return NGX_DONE;
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_smotp_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_smotp_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_smotp_ctx_t       *ctx;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    rc = ngx_http_smotp_parse_body(r, ctx, slcf);

    if (rc == NGX_OK) {
        rc = ctx->endpoint->prepare(r, ctx);
    }

    if (rc == NGX_OK && ctx->endpoint->local) {
        rc = ctx->endpoint->local(r, ctx);

    /* a test number is answered here, with no limit counted, no call */

    } else if (rc == NGX_OK) {
        rc = ngx_http_smotp_test_number_answer(r, ctx);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_smotp_limit_check(r, ctx);

            if (rc == NGX_AGAIN) {

                /* counts taken in Redis: the request goes on when back */

                r->read_event_handler = ngx_http_test_reading;
                r->write_event_handler = ngx_http_smotp_limits_handler;
                return;
            }

            if (rc == NGX_OK) {
                rc = ngx_http_smotp_call(r, ctx);
            }
        }
    }

    ngx_http_smotp_handler_end(r, ctx, rc);
}


static void
ngx_http_smotp_limits_handler(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_http_smotp_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    if (ctx->fleet_waiting) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    rc = ngx_http_smotp_limit_resume(r, ctx);

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_call(r, ctx);
    }

    ngx_http_smotp_handler_end(r, ctx, rc);
}


static void
ngx_http_smotp_handler_end(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_int_t rc)
{
    if (rc == NGX_DONE) {
        /* the API call is under way: the subrequest holds the request */
        return;
    }

    /* a call that never started gives back what the limits counted */

    ngx_http_smotp_limit_finish(r, ctx);

    if (rc == NGX_ERROR) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE && !ctx->responded) {
        rc = ngx_http_smotp_send_error(r, rc, &ctx->error);
    }

    ngx_http_finalize_request(r, rc);
}
