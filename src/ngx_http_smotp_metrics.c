
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_metrics: counters kept by every worker in a shared memory zone of
 * the module's own (made when nginx.conf has an endpoint or smotp_metrics,
 * kept across reloads), answered in Prometheus's text exposition format.
 * Each counter is an atomic add, with no lock: a request's result is
 * counted once, in the log phase; an attempt of the API call, its outcome
 * and its time, when it ends.
 */


#include "ngx_http_smotp_metrics.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_limit.h"
#include "ngx_http_smotp_response.h"


#define NGX_HTTP_SMOTP_METRICS_SLOTS     16
#define NGX_HTTP_SMOTP_METRICS_NAME_LEN  16
#define NGX_HTTP_SMOTP_METRICS_LINE_LEN  128


/* a request's result: the words of the "result" label */

typedef enum {
    NGX_HTTP_SMOTP_RESULT_SENT = 0,
    NGX_HTTP_SMOTP_RESULT_VERIFIED,
    NGX_HTTP_SMOTP_RESULT_WRONG_CODE,
    NGX_HTTP_SMOTP_RESULT_OK,
    NGX_HTTP_SMOTP_RESULT_INVALID,
    NGX_HTTP_SMOTP_RESULT_LIMITED,
    NGX_HTTP_SMOTP_RESULT_FAILED,
    NGX_HTTP_SMOTP_RESULT_TEST,
    NGX_HTTP_SMOTP_NRESULTS
} ngx_http_smotp_result_e;


/* an attempt's outcome: its answer's status class, or its fault */

typedef enum {
    NGX_HTTP_SMOTP_OUTCOME_2XX = 0,
    NGX_HTTP_SMOTP_OUTCOME_3XX,
    NGX_HTTP_SMOTP_OUTCOME_4XX,
    NGX_HTTP_SMOTP_OUTCOME_5XX,
    NGX_HTTP_SMOTP_OUTCOME_REFUSED,
    NGX_HTTP_SMOTP_OUTCOME_TIMEOUT,
    NGX_HTTP_SMOTP_OUTCOME_RESET,
    NGX_HTTP_SMOTP_NOUTCOMES
} ngx_http_smotp_outcome_e;


#define NGX_HTTP_SMOTP_NBUCKETS  9


/* one endpoint's counters, named by the endpoint, in the zone */

typedef struct {
    u_char                      name[NGX_HTTP_SMOTP_METRICS_NAME_LEN];
    ngx_atomic_t                len;

    ngx_atomic_t                requests[NGX_HTTP_SMOTP_NRESULTS];
    ngx_atomic_t                calls[NGX_HTTP_SMOTP_NOUTCOMES];
    ngx_atomic_t                retries;

    /* each attempt in its own bucket; the last is +Inf */
    ngx_atomic_t                buckets[NGX_HTTP_SMOTP_NBUCKETS + 1];
    ngx_atomic_t                msec;
} ngx_http_smotp_metrics_slot_t;


typedef struct {
    ngx_http_smotp_metrics_slot_t  slots[NGX_HTTP_SMOTP_METRICS_SLOTS];
} ngx_http_smotp_metrics_sh_t;


/* the endpoints of this configuration, each with its slot in the zone */

typedef struct {
    ngx_http_smotp_endpoint_t      *endpoint;
    ngx_http_smotp_metrics_slot_t  *slot;
} ngx_http_smotp_metrics_endpoint_t;


typedef struct {
    ngx_http_smotp_metrics_sh_t    *sh;
    ngx_array_t                     endpoints;
} ngx_http_smotp_metrics_zone_t;


static ngx_int_t ngx_http_smotp_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_smotp_metrics_slot_t *ngx_http_smotp_metrics_slot(
    ngx_http_smotp_metrics_sh_t *sh, ngx_str_t *name);
static ngx_http_smotp_metrics_slot_t *ngx_http_smotp_metrics_find(
    ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx);
static ngx_uint_t ngx_http_smotp_metrics_result_index(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_smotp_metrics_write(u_char *p, u_char *end,
    ngx_http_smotp_metrics_sh_t *sh);
static ngx_uint_t ngx_http_smotp_metrics_shown(
    ngx_http_smotp_metrics_slot_t *s);


static ngx_str_t  ngx_http_smotp_results[] = {
    ngx_string("sent"),
    ngx_string("verified"),
    ngx_string("wrong_code"),
    ngx_string("ok"),
    ngx_string("invalid"),
    ngx_string("limited"),
    ngx_string("failed"),
    ngx_string("test")
};


static ngx_str_t  ngx_http_smotp_outcomes[] = {
    ngx_string("2xx"),
    ngx_string("3xx"),
    ngx_string("4xx"),
    ngx_string("5xx"),
    ngx_string("refused"),
    ngx_string("timeout"),
    ngx_string("reset")
};


/* the buckets' upper bounds, in milliseconds and as Prometheus reads them */

static ngx_msec_t  ngx_http_smotp_bounds[NGX_HTTP_SMOTP_NBUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 7500, 10000
};

static ngx_str_t  ngx_http_smotp_les[NGX_HTTP_SMOTP_NBUCKETS + 1] = {
    ngx_string("0.05"),
    ngx_string("0.1"),
    ngx_string("0.25"),
    ngx_string("0.5"),
    ngx_string("1"),
    ngx_string("2.5"),
    ngx_string("5"),
    ngx_string("7.5"),
    ngx_string("10"),
    ngx_string("+Inf")
};


static ngx_str_t  ngx_http_smotp_metrics_zone_name =
    ngx_string("smotp_metrics");
static ngx_str_t  ngx_http_smotp_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_smotp_metrics_allow = ngx_string("GET, HEAD");


/* the zone's tag: a zone of another use by the same name is refused */
static ngx_uint_t  ngx_http_smotp_metrics_tag;


#define NGX_HTTP_SMOTP_METRICS_REQUESTS                                      \
    "# HELP smotp_requests_total Requests to the smotp endpoints, "          \
    "by endpoint and result.\n"                                              \
    "# TYPE smotp_requests_total counter\n"

#define NGX_HTTP_SMOTP_METRICS_CALLS                                         \
    "# HELP smotp_api_calls_total Attempts of the API call, by endpoint "    \
    "and outcome: the status class of the API's answer, or the fault "       \
    "(refused, timeout, reset) when there was none.\n"                       \
    "# TYPE smotp_api_calls_total counter\n"

#define NGX_HTTP_SMOTP_METRICS_RETRIES                                       \
    "# HELP smotp_api_retries_total Attempts of the API call made after "    \
    "the first of a request.\n"                                              \
    "# TYPE smotp_api_retries_total counter\n"

#define NGX_HTTP_SMOTP_METRICS_DURATION                                      \
    "# HELP smotp_api_duration_seconds Time of each attempt of the API "     \
    "call, from its start to its end.\n"                                     \
    "# TYPE smotp_api_duration_seconds histogram\n"


/* smotp_metrics; */

char *
ngx_http_smotp_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->metrics) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" cannot be combined with another content "
                           "handler in location \"%V\"",
                           &cmd->name, &clcf->name);
        return NGX_CONF_ERROR;
    }

    slcf->metrics = 1;
    clcf->handler = ngx_http_smotp_metrics_handler;

    return ngx_http_smotp_metrics_add(cf, NULL);
}


/*
 * The zone, made on the first endpoint or smotp_metrics of nginx.conf,
 * and the endpoint (if any) whose counters it keeps
 */

char *
ngx_http_smotp_metrics_add(ngx_conf_t *cf,
    ngx_http_smotp_endpoint_t *endpoint)
{
    ngx_uint_t                          i;
    ngx_shm_zone_t                     *zone;
    ngx_http_smotp_main_conf_t         *smcf;
    ngx_http_smotp_metrics_zone_t      *mz;
    ngx_http_smotp_metrics_endpoint_t  *e;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_smotp_module);

    if (smcf->metrics == NULL) {
        zone = ngx_shared_memory_add(cf, &ngx_http_smotp_metrics_zone_name,
                                     8 * ngx_pagesize,
                                     &ngx_http_smotp_metrics_tag);
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        mz = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_metrics_zone_t));
        if (mz == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_array_init(&mz->endpoints, cf->pool, 4,
                           sizeof(ngx_http_smotp_metrics_endpoint_t))
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        zone->init = ngx_http_smotp_metrics_init_zone;
        zone->data = mz;

        smcf->metrics = zone;
    }

    if (endpoint == NULL) {
        return NGX_CONF_OK;
    }

    mz = smcf->metrics->data;
    e = mz->endpoints.elts;

    for (i = 0; i < mz->endpoints.nelts; i++) {
        if (e[i].endpoint == endpoint) {
            return NGX_CONF_OK;
        }
    }

    e = ngx_array_push(&mz->endpoints);
    if (e == NULL) {
        return NGX_CONF_ERROR;
    }

    e->endpoint = endpoint;
    e->slot = NULL;

    return NGX_CONF_OK;
}


/* proxy_pass or the like after smotp_metrics took the location over */

char *
ngx_http_smotp_metrics_merge(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (!conf->metrics) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != ngx_http_smotp_metrics_handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"smotp_metrics\" cannot be combined with another "
                           "content handler in location \"%V\"", &clcf->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The counters go on from the old zone after a reload; each endpoint of
 * the configuration finds its slot by its name, or takes a free one
 */

static ngx_int_t
ngx_http_smotp_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_smotp_metrics_zone_t *omz = data;

    ngx_uint_t                          i;
    ngx_slab_pool_t                    *shpool;
    ngx_http_smotp_metrics_zone_t      *mz;
    ngx_http_smotp_metrics_endpoint_t  *e;

    mz = shm_zone->data;

    if (omz) {
        mz->sh = omz->sh;

    } else {
        shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

        if (shm_zone->shm.exists) {
            mz->sh = shpool->data;

        } else {
            mz->sh = ngx_slab_calloc(shpool,
                                     sizeof(ngx_http_smotp_metrics_sh_t));
            if (mz->sh == NULL) {
                return NGX_ERROR;
            }

            shpool->data = mz->sh;
        }
    }

    e = mz->endpoints.elts;

    for (i = 0; i < mz->endpoints.nelts; i++) {
        e[i].slot = ngx_http_smotp_metrics_slot(mz->sh, &e[i].endpoint->name);
    }

    return NGX_OK;
}


static ngx_http_smotp_metrics_slot_t *
ngx_http_smotp_metrics_slot(ngx_http_smotp_metrics_sh_t *sh, ngx_str_t *name)
{
    size_t                          len;
    ngx_uint_t                      i;
    ngx_http_smotp_metrics_slot_t  *s;

    len = ngx_min(name->len, NGX_HTTP_SMOTP_METRICS_NAME_LEN);

    for (i = 0; i < NGX_HTTP_SMOTP_METRICS_SLOTS; i++) {
        s = &sh->slots[i];

        if (s->len == 0) {

            /* the old workers may be answering smotp_metrics meanwhile */

            ngx_memcpy(s->name, name->data, len);
            ngx_memory_barrier();
            s->len = len;

            return s;
        }

        if (s->len == len && ngx_memcmp(s->name, name->data, len) == 0) {
            return s;
        }
    }

    return NULL;
}


static ngx_http_smotp_metrics_slot_t *
ngx_http_smotp_metrics_find(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                          i;
    ngx_http_smotp_endpoint_t          *endpoint;
    ngx_http_smotp_loc_conf_t          *slcf;
    ngx_http_smotp_main_conf_t         *smcf;
    ngx_http_smotp_metrics_zone_t      *mz;
    ngx_http_smotp_metrics_endpoint_t  *e;

    if (ctx && ctx->endpoint) {
        endpoint = ctx->endpoint;

    } else {
        slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);
        endpoint = slcf->endpoint;
    }

    if (endpoint == NULL) {
        return NULL;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_smotp_module);
    mz = smcf->metrics->data;
    e = mz->endpoints.elts;

    for (i = 0; i < mz->endpoints.nelts; i++) {
        if (e[i].endpoint == endpoint) {
            return e[i].slot;
        }
    }

    return NULL;
}


ngx_str_t *
ngx_http_smotp_metrics_result(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                  result;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if ((ctx == NULL || ctx->endpoint == NULL) && slcf->endpoint == NULL) {
        return NULL;
    }

    result = ngx_http_smotp_metrics_result_index(r, ctx);

    if (result == NGX_HTTP_SMOTP_NRESULTS) {
        return NULL;
    }

    return &ngx_http_smotp_results[result];
}


/*
 * What became of a request to an endpoint: NGX_HTTP_SMOTP_NRESULTS for
 * one that the endpoint never saw and that was not refused either (a
 * "return 200" of the rewrite phase)
 */

static ngx_uint_t
ngx_http_smotp_metrics_result_index(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t  status;

    if (ctx && ctx->test_number) {
        return NGX_HTTP_SMOTP_RESULT_TEST;
    }

    if (ctx && ctx->succeeded) {
        if (ctx->endpoint == &ngx_http_smotp_verify_endpoint) {
            return ctx->verified ? NGX_HTTP_SMOTP_RESULT_VERIFIED
                                 : NGX_HTTP_SMOTP_RESULT_WRONG_CODE;
        }

        if (ctx->endpoint == &ngx_http_smotp_wallet_endpoint) {
            return NGX_HTTP_SMOTP_RESULT_OK;
        }

        return NGX_HTTP_SMOTP_RESULT_SENT;
    }

    if (ctx && ctx->limit_status >= NGX_HTTP_SMOTP_LIMIT_LIMITED) {
        return NGX_HTTP_SMOTP_RESULT_LIMITED;
    }

    /* as $status has it */

    status = r->err_status ? r->err_status : r->headers_out.status;

    /* the API's own 429 is the API refusing the account, not the visitor */

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        return (ctx && ctx->api_status == NGX_HTTP_TOO_MANY_REQUESTS)
               ? NGX_HTTP_SMOTP_RESULT_FAILED : NGX_HTTP_SMOTP_RESULT_LIMITED;
    }

    if (status >= NGX_HTTP_BAD_REQUEST
        && status < NGX_HTTP_INTERNAL_SERVER_ERROR
        && status != NGX_HTTP_CLIENT_CLOSED_REQUEST)
    {
        return NGX_HTTP_SMOTP_RESULT_INVALID;
    }

    if (status >= NGX_HTTP_BAD_REQUEST || (ctx && ctx->endpoint)) {
        return NGX_HTTP_SMOTP_RESULT_FAILED;
    }

    return NGX_HTTP_SMOTP_NRESULTS;
}


/* a request's result, once, when it is logged */

static ngx_int_t
ngx_http_smotp_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                      result;
    ngx_http_smotp_ctx_t           *ctx;
    ngx_http_smotp_metrics_slot_t  *slot;

    /* the API's subrequests, logged with log_subrequest, carry the ctx */

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_smotp_module);

    slot = ngx_http_smotp_metrics_find(r, ctx);
    if (slot == NULL) {
        return NGX_OK;
    }

    result = ngx_http_smotp_metrics_result_index(r, ctx);

    if (result == NGX_HTTP_SMOTP_NRESULTS) {
        return NGX_OK;
    }

    (void) ngx_atomic_fetch_add(&slot->requests[result], 1);

    if (ctx && ctx->attempts > 1) {
        (void) ngx_atomic_fetch_add(&slot->retries, ctx->attempts - 1);
    }

    return NGX_OK;
}


void
ngx_http_smotp_metrics_attempt(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_uint_t aborted)
{
    ngx_uint_t                      outcome, status, b;
    ngx_msec_t                      ms;
    ngx_http_smotp_metrics_slot_t  *slot;

    ms = ngx_current_msec - ctx->api_start;
    ctx->api_time += ms;

    slot = ngx_http_smotp_metrics_find(r, ctx);
    if (slot == NULL) {
        return;
    }

    if (aborted || ctx->api_rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        outcome = NGX_HTTP_SMOTP_OUTCOME_TIMEOUT;

    } else if (ctx->api_proxied && ctx->api_rc != NGX_OK) {

        /*
         * no answer: refused when the request never went out (no
         * connection, no TLS session), reset when it did
         */

        outcome = ctx->api_request_sent ? NGX_HTTP_SMOTP_OUTCOME_RESET
                                        : NGX_HTTP_SMOTP_OUTCOME_REFUSED;

    } else {
        status = (ctx->api_rc == NGX_OK) ? ctx->api_status
                                         : (ngx_uint_t) ctx->api_rc;

        if (status < 300) {
            outcome = NGX_HTTP_SMOTP_OUTCOME_2XX;

        } else if (status < 400) {
            outcome = NGX_HTTP_SMOTP_OUTCOME_3XX;

        } else if (status < 500) {
            outcome = NGX_HTTP_SMOTP_OUTCOME_4XX;

        } else {
            outcome = NGX_HTTP_SMOTP_OUTCOME_5XX;
        }
    }

    for (b = 0; b < NGX_HTTP_SMOTP_NBUCKETS && ms > ngx_http_smotp_bounds[b];
         b++)
    {
        /* void */
    }

    (void) ngx_atomic_fetch_add(&slot->calls[outcome], 1);
    (void) ngx_atomic_fetch_add(&slot->buckets[b], 1);
    (void) ngx_atomic_fetch_add(&slot->msec, ms);
}


ngx_int_t
ngx_http_smotp_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_smotp_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_smotp_module);

    if (smcf->metrics == NULL) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_smotp_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_metrics_handler(ngx_http_request_t *r)
{
    size_t                          len;
    ngx_int_t                       rc;
    ngx_buf_t                      *b;
    ngx_chain_t                     out;
    ngx_http_smotp_main_conf_t     *smcf;
    ngx_http_smotp_metrics_zone_t  *mz;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        r->expect_tested = 1;

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        if (ngx_http_smotp_add_header(r, "Allow",
                                      &ngx_http_smotp_metrics_allow)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_smotp_send_error(r, NGX_HTTP_NOT_ALLOWED, NULL);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_smotp_module);
    mz = smcf->metrics->data;

    len = sizeof(NGX_HTTP_SMOTP_METRICS_REQUESTS NGX_HTTP_SMOTP_METRICS_CALLS
                 NGX_HTTP_SMOTP_METRICS_RETRIES
                 NGX_HTTP_SMOTP_METRICS_DURATION)
          + NGX_HTTP_SMOTP_METRICS_SLOTS * NGX_HTTP_SMOTP_METRICS_LINE_LEN
            * (NGX_HTTP_SMOTP_NRESULTS + NGX_HTTP_SMOTP_NOUTCOMES
               + NGX_HTTP_SMOTP_NBUCKETS + 4);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_smotp_metrics_write(b->last, b->end, mz->sh);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.content_type = ngx_http_smotp_metrics_type;
    r->headers_out.content_type_len = ngx_http_smotp_metrics_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_smotp_metrics_write(u_char *p, u_char *end,
    ngx_http_smotp_metrics_sh_t *sh)
{
    size_t                          len;
    ngx_uint_t                      i, j, shown;
    ngx_atomic_uint_t               n, ms;
    ngx_http_smotp_metrics_slot_t  *s;

    p = ngx_cpymem(p, NGX_HTTP_SMOTP_METRICS_REQUESTS,
                   sizeof(NGX_HTTP_SMOTP_METRICS_REQUESTS) - 1);

    for (i = 0; i < NGX_HTTP_SMOTP_METRICS_SLOTS; i++) {
        s = &sh->slots[i];
        len = s->len;

        if (len == 0) {
            continue;
        }

        shown = ngx_http_smotp_metrics_shown(s);

        for (j = 0; j < NGX_HTTP_SMOTP_NRESULTS; j++) {
            n = s->requests[j];

            if (n == 0 && !(shown & (1 << j))) {
                continue;
            }

            p = ngx_slprintf(p, end, "smotp_requests_total{endpoint=\"%*s\","
                             "result=\"%V\"} %uA\n", len, s->name,
                             &ngx_http_smotp_results[j], n);
        }
    }

    p = ngx_cpymem(p, NGX_HTTP_SMOTP_METRICS_CALLS,
                   sizeof(NGX_HTTP_SMOTP_METRICS_CALLS) - 1);

    for (i = 0; i < NGX_HTTP_SMOTP_METRICS_SLOTS; i++) {
        s = &sh->slots[i];
        len = s->len;

        for (j = 0; len && j < NGX_HTTP_SMOTP_NOUTCOMES; j++) {
            p = ngx_slprintf(p, end, "smotp_api_calls_total{endpoint=\"%*s\","
                             "outcome=\"%V\"} %uA\n", len, s->name,
                             &ngx_http_smotp_outcomes[j], s->calls[j]);
        }
    }

    p = ngx_cpymem(p, NGX_HTTP_SMOTP_METRICS_RETRIES,
                   sizeof(NGX_HTTP_SMOTP_METRICS_RETRIES) - 1);

    for (i = 0; i < NGX_HTTP_SMOTP_METRICS_SLOTS; i++) {
        s = &sh->slots[i];
        len = s->len;

        if (len) {
            p = ngx_slprintf(p, end, "smotp_api_retries_total{"
                             "endpoint=\"%*s\"} %uA\n",
                             len, s->name, s->retries);
        }
    }

    p = ngx_cpymem(p, NGX_HTTP_SMOTP_METRICS_DURATION,
                   sizeof(NGX_HTTP_SMOTP_METRICS_DURATION) - 1);

    for (i = 0; i < NGX_HTTP_SMOTP_METRICS_SLOTS; i++) {
        s = &sh->slots[i];
        len = s->len;

        if (len == 0) {
            continue;
        }

        /* the buckets are kept apart and written cumulative */

        n = 0;

        for (j = 0; j <= NGX_HTTP_SMOTP_NBUCKETS; j++) {
            n += s->buckets[j];

            p = ngx_slprintf(p, end, "smotp_api_duration_seconds_bucket{"
                             "endpoint=\"%*s\",le=\"%V\"} %uA\n", len,
                             s->name, &ngx_http_smotp_les[j], n);
        }

        ms = s->msec;

        p = ngx_slprintf(p, end, "smotp_api_duration_seconds_sum{"
                         "endpoint=\"%*s\"} %uA.%03uA\n"
                         "smotp_api_duration_seconds_count{"
                         "endpoint=\"%*s\"} %uA\n",
                         len, s->name, ms / 1000, ms % 1000, len, s->name, n);
    }

    return p;
}


/*
 * The results an endpoint can have, as bits: these are written at 0 too,
 * so that a series exists from the start; any other only once it is not
 */

static ngx_uint_t
ngx_http_smotp_metrics_shown(ngx_http_smotp_metrics_slot_t *s)
{
    ngx_uint_t  shown;
    ngx_str_t  *verify, *wallet;

    verify = &ngx_http_smotp_verify_endpoint.name;
    wallet = &ngx_http_smotp_wallet_endpoint.name;

    shown = (1 << NGX_HTTP_SMOTP_RESULT_INVALID)
            | (1 << NGX_HTTP_SMOTP_RESULT_LIMITED)
            | (1 << NGX_HTTP_SMOTP_RESULT_FAILED);

    if (s->len == wallet->len
        && ngx_memcmp(s->name, wallet->data, wallet->len) == 0)
    {
        return shown | (1 << NGX_HTTP_SMOTP_RESULT_OK);
    }

    shown |= 1 << NGX_HTTP_SMOTP_RESULT_TEST;

    if (s->len == verify->len
        && ngx_memcmp(s->name, verify->data, verify->len) == 0)
    {
        return shown | (1 << NGX_HTTP_SMOTP_RESULT_VERIFIED)
                     | (1 << NGX_HTTP_SMOTP_RESULT_WRONG_CODE);
    }

    return shown | (1 << NGX_HTTP_SMOTP_RESULT_SENT);
}
