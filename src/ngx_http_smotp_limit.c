
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The abuse limits, checked once the body is read (the phone number is
 * known then, which limit_req never sees) and before the API call: the
 * wrong codes of a verify's request (smotp_verify_attempts), the gap
 * between two sends to one phone (smotp_resend_interval), and every
 * smotp_limit that applies.  Each count is taken before the call, in the
 * shared zone (ngx_http_smotp_zone.c), or in Redis for a zone of a fleet
 * (ngx_http_smotp_fleet.c), so that concurrent requests are counted
 * exactly, and given back when the call comes to nothing.
 */


#include "ngx_http_smotp_limit.h"
#include "ngx_http_smotp_client.h"
#include "ngx_http_smotp_fleet.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_prefix.h"
#include "ngx_http_smotp_zone.h"


#define NGX_HTTP_SMOTP_PERIOD_MIN    ((ngx_msec_t) 1000)
#define NGX_HTTP_SMOTP_PERIOD_MAX    ((ngx_msec_t) 30 * 86400 * 1000)

/* how long a send's phone is kept for a resend of its id: past any OTP */
#define NGX_HTTP_SMOTP_RECORD_TTL    ((ngx_msec_t) 3600 * 1000)


/*
 * A key that is one of the module's own variables alone, read from the
 * request's context as the variable's handler reads it (nothing, where
 * the variable is not found), without nginx's variables in between
 */

typedef void (*ngx_http_smotp_limit_get_pt)(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);

typedef struct {
    ngx_str_t                    name;
    ngx_http_smotp_limit_get_pt  get;
} ngx_http_smotp_limit_own_t;


/*
 * One check: an smotp_limit, or what smotp_resend_interval and
 * smotp_verify_attempts make of theirs when a location is merged (a count
 * of one a period on $smotp_phone, a tally on $smotp_request_id)
 */

typedef struct {
    ngx_shm_zone_t             *zone;
    ngx_http_smotp_zone_kind_e  kind;

    /* what a refusal says: $smotp_limit_status, the directive logged */
    ngx_http_smotp_limit_status_e  status;
    const char                 *directive;

    /*
     * smotp_limit's key; one that is one variable alone is read as it,
     * and one of the module's own by its getter
     */
    ngx_http_complex_value_t    key;
    ngx_int_t                   index;
    ngx_http_smotp_limit_get_pt  get;

    ngx_uint_t                  count;
    ngx_msec_t                  period;

    /* "3/10m", "resend", "attempts": the entries' name and the log's */
    ngx_str_t                   rate;
    ngx_http_smotp_zone_name_t  name;

    /* in a Redis zone: kind, count and period, as the script takes them */
    ngx_str_t                   resp;

    /* what a request's hold of it starts as, but for its text and name */
    ngx_http_smotp_hold_t       hold;
} ngx_http_smotp_limit_t;


static ngx_int_t ngx_http_smotp_limit_checks(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *conf);
static ngx_int_t ngx_http_smotp_limit_fleet(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *conf);
static ngx_int_t ngx_http_smotp_limit_taken(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_int_t rc, ngx_uint_t refused,
    ngx_msec_t wait);
static ngx_int_t ngx_http_smotp_limit_fallback(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_limit_release_local(ngx_http_smotp_ctx_t *ctx);
static void ngx_http_smotp_limit_drop(ngx_http_smotp_ctx_t *ctx,
    ngx_uint_t remote);
static ngx_int_t ngx_http_smotp_limit_of(ngx_conf_t *cf,
    ngx_array_t *checks, ngx_shm_zone_t *zone, ngx_http_smotp_zone_kind_e kind,
    ngx_http_smotp_limit_status_e status, char *directive, char *id,
    char *variable, ngx_uint_t count, ngx_msec_t period);
static ngx_int_t ngx_http_smotp_limit_refuse(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_limit_t *limit,
    ngx_msec_t wait);
static ngx_shm_zone_t *ngx_http_smotp_limit_zone(ngx_conf_t *cf,
    ngx_str_t *value);
static ngx_int_t ngx_http_smotp_limit_rate(ngx_str_t *value,
    ngx_uint_t *count, ngx_msec_t *period);
static ngx_int_t ngx_http_smotp_limit_variable(ngx_conf_t *cf,
    ngx_http_smotp_limit_t *limit, ngx_str_t *value);
static ngx_int_t ngx_http_smotp_limit_index(ngx_conf_t *cf,
    ngx_http_smotp_limit_t *limit, ngx_str_t *name);
static void ngx_http_smotp_limit_phone(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);
static void ngx_http_smotp_limit_prefix(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);
static void ngx_http_smotp_limit_net(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);
static void ngx_http_smotp_limit_request_id(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);
static void ngx_http_smotp_limit_record(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
static ngx_int_t ngx_http_smotp_limit_recall(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
static uint64_t *ngx_http_smotp_limit_text(ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_limit_t *limit);
static ngx_int_t ngx_http_smotp_limit_key(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_limit_t *limit, ngx_str_t *key);


static ngx_str_t  ngx_http_smotp_limit_statuses[] = {
    ngx_null_string,
    ngx_string("passed"),
    ngx_string("limited"),
    ngx_string("cooldown"),
    ngx_string("attempts")
};

/* smotp_limit zone=name key=value rate=N/period */

char *
ngx_http_smotp_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t                         *value, s;
    ngx_uint_t                         i;
    ngx_http_smotp_limit_t            *limit;
    ngx_http_compile_complex_value_t   ccv;

    if (slcf->limits == NULL) {
        slcf->limits = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_smotp_limit_t));
        if (slcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    limit = ngx_array_push(slcf->limits);
    if (limit == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(limit, sizeof(ngx_http_smotp_limit_t));

    limit->kind = NGX_HTTP_SMOTP_ZONE_LIMIT;
    limit->status = NGX_HTTP_SMOTP_LIMIT_LIMITED;
    limit->directive = "smotp_limit";

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            limit->zone = ngx_http_smotp_limit_zone(cf, &value[i]);
            if (limit->zone == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "key=", 4) == 0
            && value[i].len > 4)
        {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

            ccv.cf = cf;
            ccv.value = &s;
            ccv.complex_value = &limit->key;

            if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            if (ngx_http_smotp_limit_variable(cf, limit, &s) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            limit->rate.data = value[i].data + 5;
            limit->rate.len = value[i].len - 5;

            if (ngx_http_smotp_limit_rate(&limit->rate, &limit->count,
                                          &limit->period)
                != NGX_OK)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid rate \"%V\" in \"%V\" "
                                   "directive: a count and a period from "
                                   "1s to 30d are expected, such as "
                                   "\"3/10m\" or \"5000/d\"",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (limit->zone == NULL || limit->key.value.data == NULL
        || limit->count == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs zone=, key= and rate=", &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The index of the variable that is the whole key ("$smotp_phone"), or
 * NGX_DECLINED for any other key (a constant, text around a variable)
 */

static ngx_int_t
ngx_http_smotp_limit_variable(ngx_conf_t *cf, ngx_http_smotp_limit_t *limit,
    ngx_str_t *value)
{
    u_char     *p, *last;
    ngx_str_t   name;

    limit->index = NGX_DECLINED;

    if (value->len < 2 || value->data[0] != '$') {
        return NGX_OK;
    }

    last = value->data + value->len;

    for (p = value->data + 1; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return NGX_OK;
        }
    }

    name.data = value->data + 1;
    name.len = value->len - 1;

    return ngx_http_smotp_limit_index(cf, limit, &name);
}


/* the variable's index, and its getter if it is one of the module's own */

static ngx_int_t
ngx_http_smotp_limit_index(ngx_conf_t *cf, ngx_http_smotp_limit_t *limit,
    ngx_str_t *name)
{
    ngx_http_smotp_limit_own_t  *own;

    static ngx_http_smotp_limit_own_t  owns[] = {
        { ngx_string("smotp_phone"), ngx_http_smotp_limit_phone },
        { ngx_string("smotp_phone_prefix"), ngx_http_smotp_limit_prefix },
        { ngx_string("smotp_client_net"), ngx_http_smotp_limit_net },
        { ngx_string("smotp_request_id"), ngx_http_smotp_limit_request_id },
        { ngx_null_string, NULL }
    };

    limit->index = ngx_http_get_variable_index(cf, name);

    if (limit->index == NGX_ERROR) {
        return NGX_ERROR;
    }

    for (own = owns; own->get; own++) {
        if (own->name.len == name->len
            && ngx_strncasecmp(own->name.data, name->data, name->len) == 0)
        {
            limit->get = own->get;
            break;
        }
    }

    return NGX_OK;
}


/* N/period: "3/10m", "20/h", "5000/d"; a unit alone is one of it */

static ngx_int_t
ngx_http_smotp_limit_rate(ngx_str_t *value, ngx_uint_t *count,
    ngx_msec_t *period)
{
    u_char     *slash;
    ngx_int_t   n;
    ngx_str_t   p;
    ngx_msec_t  ms;
    u_char      buf[16];

    slash = ngx_strlchr(value->data, value->data + value->len, '/');

    if (slash == NULL || slash == value->data) {
        return NGX_ERROR;
    }

    n = ngx_atoi(value->data, slash - value->data);

    if (n == NGX_ERROR || n == 0 || n > 1000000) {
        return NGX_ERROR;
    }

    p.data = slash + 1;
    p.len = value->data + value->len - p.data;

    if (p.len == 0 || p.len > sizeof(buf) - 1) {
        return NGX_ERROR;
    }

    if (p.data[0] < '0' || p.data[0] > '9') {
        buf[0] = '1';
        ngx_memcpy(buf + 1, p.data, p.len);
        p.data = buf;
        p.len++;
    }

    ms = ngx_parse_time(&p, 0);

    if (ms == (ngx_msec_t) NGX_ERROR
        || ms < NGX_HTTP_SMOTP_PERIOD_MIN || ms > NGX_HTTP_SMOTP_PERIOD_MAX)
    {
        return NGX_ERROR;
    }

    *count = n;
    *period = ms;

    return NGX_OK;
}


static ngx_shm_zone_t *
ngx_http_smotp_limit_zone(ngx_conf_t *cf, ngx_str_t *value)
{
    ngx_str_t  name;

    name.data = value->data + 5;
    name.len = value->len - 5;

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": a zone name is "
                           "expected", value);
        return NULL;
    }

    return ngx_http_smotp_zone_find(cf, &name);
}


/* smotp_resend_interval time [zone=name] */

char *
ngx_http_smotp_resend_interval(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t   *value;
    ngx_msec_t   ms;

    if (slcf->resend_interval != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ms = ngx_parse_time(&value[1], 0);

    if (ms == (ngx_msec_t) NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "a time is expected", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->resend_interval = ms;

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[2].data, "zone=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive",
                           &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->resend_zone = ngx_http_smotp_limit_zone(cf, &value[2]);

    return slcf->resend_zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/* smotp_verify_attempts zone=name N */

char *
ngx_http_smotp_verify_attempts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (slcf->attempts_zone != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive: "
                           "zone=name is expected", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    n = ngx_atoi(value[2].data, value[2].len);

    if (n == NGX_ERROR || n == 0 || n > 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "a number from 1 to 1000 is expected",
                           &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->attempts = n;
    slcf->attempts_zone = ngx_http_smotp_limit_zone(cf, &value[1]);

    return slcf->attempts_zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/*
 * The limits a location inherits, and the zones they name checked to be
 * defined: nginx merges locations once the whole http{} block is read,
 * so an smotp_zone anywhere in it counts
 */

char *
ngx_http_smotp_limit_merge(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *prev,
    ngx_http_smotp_loc_conf_t *conf)
{
    ngx_uint_t               i;
    ngx_shm_zone_t          *zone;
    ngx_http_smotp_limit_t  *limit;

    if (conf->limits == NULL) {
        conf->limits = prev->limits;
    }

    /* a time and its zone, a count and its zone: inherited together */

    if (conf->resend_interval == NGX_CONF_UNSET_MSEC) {
        conf->resend_zone = prev->resend_zone;
        conf->resend_interval = (prev->resend_interval == NGX_CONF_UNSET_MSEC)
                                ? 0 : prev->resend_interval;
    }

    if (conf->attempts_zone == NGX_CONF_UNSET_PTR) {
        conf->attempts = prev->attempts;
        conf->attempts_zone = (prev->attempts_zone == NGX_CONF_UNSET_PTR)
                              ? NULL : prev->attempts_zone;
    }

    limit = conf->limits ? conf->limits->elts : NULL;

    for (i = 0; conf->limits && i < conf->limits->nelts; i++) {
        if (limit[i].zone->data == NULL) {
            zone = limit[i].zone;
            goto unknown;
        }
    }

    if (conf->resend_interval && conf->resend_zone == NULL) {

        if (limit == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"smotp_resend_interval\" needs a zone: "
                               "give it zone=, or an smotp_limit in the "
                               "same place");
            return NGX_CONF_ERROR;
        }

        conf->resend_zone = limit[0].zone;
    }

    zone = conf->resend_zone;

    if (zone && zone->data == NULL) {
        goto unknown;
    }

    zone = conf->attempts_zone;

    if (zone && zone->data == NULL) {
        goto unknown;
    }

    if (ngx_http_smotp_limit_checks(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

unknown:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown smotp_zone \"%V\"", &zone->shm.name);

    return NGX_CONF_ERROR;
}


/*
 * The location's checks, in the order a request meets them: the wrong
 * codes of a verify's request, the gap since a phone's last send, then
 * every smotp_limit
 */

static ngx_int_t
ngx_http_smotp_limit_checks(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *conf)
{
    ngx_uint_t               i, n, attempts;
    ngx_http_smotp_limit_t  *limit, **check;

    /* wrong codes are counted where codes are taken: not by a resend */

    attempts = conf->attempts_zone
               && conf->endpoint == &ngx_http_smotp_verify_endpoint;

    n = (conf->limits ? conf->limits->nelts : 0) + attempts
        + (conf->resend_interval != 0);

    if (n == 0) {
        conf->checks = NULL;
        return NGX_OK;
    }

    conf->checks = ngx_array_create(cf->pool, n,
                                    sizeof(ngx_http_smotp_limit_t *));
    if (conf->checks == NULL) {
        return NGX_ERROR;
    }

    if (attempts
        && ngx_http_smotp_limit_of(cf, conf->checks, conf->attempts_zone,
                                   NGX_HTTP_SMOTP_ZONE_TALLY,
                                   NGX_HTTP_SMOTP_LIMIT_ATTEMPTS,
                                   "smotp_verify_attempts", "attempts",
                                   "smotp_request_id", conf->attempts, 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->resend_interval
        && ngx_http_smotp_limit_of(cf, conf->checks, conf->resend_zone,
                                   NGX_HTTP_SMOTP_ZONE_LIMIT,
                                   NGX_HTTP_SMOTP_LIMIT_COOLDOWN,
                                   "smotp_resend_interval", "resend",
                                   "smotp_phone", 1, conf->resend_interval)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    limit = conf->limits ? conf->limits->elts : NULL;

    for (i = 0; conf->limits && i < conf->limits->nelts; i++) {
        check = ngx_array_push(conf->checks);
        if (check == NULL) {
            return NGX_ERROR;
        }

        *check = &limit[i];
    }

    check = conf->checks->elts;

    for (i = 0; i < conf->checks->nelts; i++) {
        limit = check[i];

        /* a resend recalls its send's phone from the zones it counts in */

        if (conf->endpoint == &ngx_http_smotp_resend_endpoint) {
            ngx_http_smotp_zone_recalled(limit->zone);
        }

        limit->hold.zone = limit->zone;
        limit->hold.kind = limit->kind;
        limit->hold.period = limit->period;
        limit->hold.limit = limit->count;
        limit->hold.remote = (ngx_http_smotp_zone_remote(limit->zone) != NULL);
        limit->hold.resp = &limit->resp;
        limit->hold.data = limit;
    }

    return ngx_http_smotp_limit_fleet(cf, conf);
}


/*
 * A location's counts in Redis: of one zone (one call takes them all),
 * as many as a call takes.  A resend there needs no record of its send:
 * redis= needs a secret, so its requestId is a handle that holds the
 * phone.
 */

static ngx_int_t
ngx_http_smotp_limit_fleet(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *conf)
{
    ngx_uint_t                i, n;
    ngx_shm_zone_t           *zone;
    ngx_http_smotp_limit_t  **check;

    if (conf->endpoint == NULL) {
        return NGX_OK;
    }

    check = conf->checks->elts;
    zone = NULL;
    n = 0;

    for (i = 0; i < conf->checks->nelts; i++) {

        if (ngx_http_smotp_zone_remote(check[i]->zone) == NULL) {
            continue;
        }

        if (zone && zone != check[i]->zone) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the limits of a location may be in one "
                               "smotp_zone with redis= only: \"%V\" and "
                               "\"%V\" are two", &zone->shm.name,
                               &check[i]->zone->shm.name);
            return NGX_ERROR;
        }

        zone = check[i]->zone;
        n++;

        if (check[i]->resp.len == 0
            && ngx_http_smotp_fleet_args(cf->pool, &check[i]->resp,
                                         check[i]->kind, check[i]->count,
                                         check[i]->period)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (zone == NULL) {
        return NGX_OK;
    }

    if (n > NGX_HTTP_SMOTP_FLEET_HOLDS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "at most %d limits of a location may be in "
                           "smotp_zone \"%V\" with redis=",
                           NGX_HTTP_SMOTP_FLEET_HOLDS, &zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A check that is not an smotp_limit, added to the checks: its key is one
 * of the module's variables
 */

static ngx_int_t
ngx_http_smotp_limit_of(ngx_conf_t *cf, ngx_array_t *checks,
    ngx_shm_zone_t *zone, ngx_http_smotp_zone_kind_e kind,
    ngx_http_smotp_limit_status_e status, char *directive, char *id,
    char *variable, ngx_uint_t count, ngx_msec_t period)
{
    ngx_str_t                name;
    ngx_http_smotp_limit_t  *limit, **check;

    limit = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_limit_t));
    if (limit == NULL) {
        return NGX_ERROR;
    }

    name.data = (u_char *) variable;
    name.len = ngx_strlen(variable);

    if (ngx_http_smotp_limit_index(cf, limit, &name) != NGX_OK) {
        return NGX_ERROR;
    }

    limit->zone = zone;
    limit->kind = kind;
    limit->status = status;
    limit->directive = directive;
    limit->count = count;
    limit->period = period;
    limit->rate.data = (u_char *) id;
    limit->rate.len = ngx_strlen(id);

    check = ngx_array_push(checks);
    if (check == NULL) {
        return NGX_ERROR;
    }

    *check = limit;

    return NGX_OK;
}


/*
 * NGX_OK when every limit lets the request through (its counts taken),
 * else the refusal's status with ctx->error set, no count kept; NGX_AGAIN
 * while counts are taken in Redis: the request is posted when they are
 * back, and ngx_http_smotp_limit_resume() answers then
 */

ngx_int_t
ngx_http_smotp_limit_check(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    uint64_t                   *text;
    ngx_int_t                   rc;
    ngx_str_t                   key;
    ngx_uint_t                  i, refused, remote;
    ngx_msec_t                  wait;
    ngx_http_smotp_hold_t      *hold;
    ngx_http_smotp_limit_t    **check, *limit;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->checks == NULL) {
        return NGX_OK;
    }

    /* a resend names no phone: its send recorded it */

    if (ctx->endpoint->sends && ctx->phone.len == 0
        && ngx_http_smotp_limit_recall(r, ctx, slcf) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "smotp %V: request %V is not in the limits' zones: "
                      "refused", &ctx->endpoint->name, &ctx->request_id);

        ngx_str_set(&ctx->error, "requestId is not known: send a new OTP");
        return NGX_HTTP_NOT_FOUND;
    }

    if (ngx_array_init(&ctx->holds, r->pool, slcf->checks->nelts,
                       sizeof(ngx_http_smotp_hold_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    check = slcf->checks->elts;
    remote = 0;

    for (i = 0; i < slcf->checks->nelts; i++) {
        limit = check[i];

        /* a variable a check before read in the zone is hashed already */

        text = ngx_http_smotp_limit_text(ctx, limit);

        if (text == NULL) {

            if (ngx_http_smotp_limit_key(r, ctx, limit, &key) != NGX_OK) {
                goto failed;
            }

            /* an empty key is no count, as with limit_req */

            if (key.len == 0) {
                continue;
            }
        }

        /* never more holds than checks: room made above */

        hold = (ngx_http_smotp_hold_t *) ctx->holds.elts + ctx->holds.nelts++;

        *hold = limit->hold;

        hold->text = text ? *text
                          : ngx_http_smotp_zone_text(limit->zone, &key);
        hold->hash = ngx_http_smotp_zone_name_of(limit->zone, &limit->name,
                                                 limit->kind, &limit->rate,
                                                 hold->text);
        remote += hold->remote;
    }

    rc = ngx_http_smotp_zone_reserve(&ctx->holds, 0, &refused, &wait);

    if (rc != NGX_OK || remote == 0) {
        return ngx_http_smotp_limit_taken(r, ctx, rc, refused, wait);
    }

    /* the fleet's counts, in Redis: the request waits for them */

    if (ngx_http_smotp_fleet_reserve(r, ctx) == NGX_DONE) {
        return NGX_AGAIN;
    }

    return ngx_http_smotp_limit_fallback(r, ctx);

failed:

    return ngx_http_smotp_limit_taken(r, ctx, NGX_ERROR, 0, 0);
}


/*
 * The counts in Redis are back (ctx->fleet_rc): the request goes on as
 * ngx_http_smotp_limit_check() would have answered
 */

ngx_int_t
ngx_http_smotp_limit_resume(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    if (ctx->fleet_rc == NGX_OK) {
        return ngx_http_smotp_limit_taken(r, ctx, NGX_OK, 0, 0);
    }

    if (ctx->fleet_rc == NGX_BUSY) {

        /* the shared memory's counts, taken before, are given back */

        ngx_http_smotp_limit_release_local(ctx);

        return ngx_http_smotp_limit_taken(r, ctx, NGX_BUSY,
                                          ctx->fleet_refused, ctx->fleet_wait);
    }

    return ngx_http_smotp_limit_fallback(r, ctx);
}


/*
 * Redis failed: the zone's on_error says what its counts become.  With
 * "local" the zone's own shared memory takes them; with "allow" the
 * request goes uncounted by them; with "deny" it is refused.
 */

static ngx_int_t
ngx_http_smotp_limit_fallback(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, refused;
    ngx_msec_t                     wait;
    ngx_http_smotp_hold_t         *hold;
    ngx_http_smotp_zone_remote_t  *remote;

    hold = ctx->holds.elts;
    remote = NULL;

    for (i = 0; i < ctx->holds.nelts; i++) {
        if (hold[i].remote) {
            remote = ngx_http_smotp_zone_remote(hold[i].zone);
            break;
        }
    }

    switch (remote->on_error) {

    case NGX_HTTP_SMOTP_ZONE_ON_ERROR_ALLOW:
        ngx_http_smotp_limit_drop(ctx, 1);
        return ngx_http_smotp_limit_taken(r, ctx, NGX_OK, 0, 0);

    case NGX_HTTP_SMOTP_ZONE_ON_ERROR_DENY:
        ngx_http_smotp_limit_release_local(ctx);
        return ngx_http_smotp_limit_taken(r, ctx, NGX_ERROR, 0, 0);
    }

    rc = ngx_http_smotp_zone_reserve(&ctx->holds, 1, &refused, &wait);

    if (rc != NGX_OK) {
        ngx_http_smotp_limit_release_local(ctx);
        return ngx_http_smotp_limit_taken(r, ctx, rc, refused, wait);
    }

    /* now counts of the shared memory: given back there, if need be */

    for (i = 0; i < ctx->holds.nelts; i++) {
        hold[i].remote = 0;
    }

    return ngx_http_smotp_limit_taken(r, ctx, NGX_OK, 0, 0);
}


/* the shared memory's counts of the request given back */

static void
ngx_http_smotp_limit_release_local(ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t              i;
    ngx_http_smotp_hold_t  *hold;

    hold = ctx->holds.elts;

    for (i = 0; i < ctx->holds.nelts; i++) {
        if (!hold[i].remote) {
            ngx_http_smotp_zone_release(&hold[i]);
        }
    }
}


/* the holds of one side forgotten: they were never taken */

static void
ngx_http_smotp_limit_drop(ngx_http_smotp_ctx_t *ctx, ngx_uint_t remote)
{
    ngx_uint_t              i, n;
    ngx_http_smotp_hold_t  *hold;

    hold = ctx->holds.elts;
    n = 0;

    for (i = 0; i < ctx->holds.nelts; i++) {
        if (hold[i].remote != remote) {
            hold[n++] = hold[i];
        }
    }

    ctx->holds.nelts = n;
}


/*
 * What the reserve said, as the request's answer: NGX_OK, or a refusal
 * with none of its counts kept
 */

static ngx_int_t
ngx_http_smotp_limit_taken(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_int_t rc, ngx_uint_t refused, ngx_msec_t wait)
{
    ngx_http_smotp_hold_t   *hold;
    ngx_http_smotp_limit_t  *limit;

    if (rc == NGX_BUSY) {
        hold = ctx->holds.elts;
        limit = hold[refused].data;

        ctx->holds.nelts = 0;
        ctx->limit_status = limit->status;

        return ngx_http_smotp_limit_refuse(r, ctx, limit, wait);
    }

    if (rc != NGX_OK) {

        /* no count could be taken: the limits hold, the request is refused */

        ctx->holds.nelts = 0;

        ngx_str_set(&ctx->error, "OTP service unavailable");

        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ctx->limit_status = NGX_HTTP_SMOTP_LIMIT_PASSED;

    return NGX_OK;
}


/*
 * The hash of the key's text, if a check before this one took a count in
 * its zone for the same variable (two limits of $smotp_phone, say)
 */

static uint64_t *
ngx_http_smotp_limit_text(ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_limit_t *limit)
{
    ngx_uint_t               i;
    ngx_http_smotp_hold_t   *hold;
    ngx_http_smotp_limit_t  *taken;

    if (limit->index == NGX_DECLINED) {
        return NULL;
    }

    hold = ctx->holds.elts;

    for (i = 0; i < ctx->holds.nelts; i++) {
        taken = hold[i].data;

        if (taken->index == limit->index && hold[i].zone == limit->zone) {
            return &hold[i].text;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_smotp_limit_key(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_limit_t *limit, ngx_str_t *key)
{
    ngx_http_variable_value_t  *vv;

    if (limit->get) {
        limit->get(r, ctx, key);
        return NGX_OK;
    }

    if (limit->index == NGX_DECLINED) {
        return ngx_http_complex_value(r, &limit->key, key);
    }

    vv = ngx_http_get_flushed_variable(r, limit->index);

    if (vv == NULL) {
        return NGX_ERROR;
    }

    if (vv->not_found) {
        ngx_str_null(key);
        return NGX_OK;
    }

    key->data = vv->data;
    key->len = vv->len;

    return NGX_OK;
}


/* the module's own keys: $smotp_phone, as its variable has it */

static void
ngx_http_smotp_limit_phone(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_str_t *key)
{
    *key = ctx->phone;
}


/* $smotp_phone_prefix: the country calling code, nothing if none is */

static void
ngx_http_smotp_limit_prefix(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_str_t *key)
{
    key->data = ctx->phone.data;
    key->len = ctx->phone.len ? ngx_http_smotp_prefix_len(&ctx->phone) : 0;
}


/* $smotp_client_net: the network's bytes, not its text */

static void
ngx_http_smotp_limit_net(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_str_t *key)
{
    ngx_http_smotp_client_key(r, key);
}


static void
ngx_http_smotp_limit_request_id(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key)
{
    *key = ctx->request_id;
}


/*
 * 429 with Retry-After and "retryAfter" in whole seconds; logged once,
 * with the masked phone and the limit that refused
 */

static ngx_int_t
ngx_http_smotp_limit_refuse(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_limit_t *limit, ngx_msec_t wait)
{
    u_char  *p;
    u_char   masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];

    ctx->limit_wait = (wait + 999) / 1000;

    if (ctx->limit_wait) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->retry_after.data = p;
        ctx->retry_after.len = ngx_sprintf(p, "%ui", ctx->limit_wait) - p;
    }

    if (limit->status == NGX_HTTP_SMOTP_LIMIT_LIMITED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smotp %V: refused by %s key=%V rate=%V, phone %*s, "
                      "retry after %uis", &ctx->endpoint->name,
                      limit->directive, &limit->key.value, &limit->rate,
                      ngx_http_smotp_phone_mask(masked, &ctx->phone),
                      masked, ctx->limit_wait);

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smotp %V: refused by %s, phone %*s, request %V, "
                      "retry after %uis", &ctx->endpoint->name,
                      limit->directive,
                      ngx_http_smotp_phone_mask(masked, &ctx->phone), masked,
                      &ctx->request_id, ctx->limit_wait);
    }

    if (limit->status == NGX_HTTP_SMOTP_LIMIT_ATTEMPTS) {
        ngx_str_set(&ctx->error, "too many wrong codes: send a new one");

    } else {
        ngx_str_set(&ctx->error, "too many requests, try again later");
    }

    return NGX_HTTP_TOO_MANY_REQUESTS;
}


/*
 * The call has ended: what it counted stays counted when it made its
 * SMS (a send the API took) or was the API's own refusal (429); a right
 * code, or a request the API no longer knows, clears its wrong codes; a
 * wrong code stays one; anything else comes to nothing, and its counts
 * are given back, so that faults never lock a real visitor out
 */

void
ngx_http_smotp_limit_finish(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t              i, nclear, nrelease;
    ngx_http_smotp_hold_t  *hold;
    ngx_http_smotp_hold_t  *clear[NGX_HTTP_SMOTP_FLEET_HOLDS];
    ngx_http_smotp_hold_t  *release[NGX_HTTP_SMOTP_FLEET_HOLDS];

    hold = ctx->holds.elts;
    nclear = 0;
    nrelease = 0;

    for (i = 0; i < ctx->holds.nelts; i++) {

        if (hold[i].kind == NGX_HTTP_SMOTP_ZONE_TALLY) {

            if ((ctx->succeeded && ctx->verified)
                || ctx->api_status == NGX_HTTP_NOT_FOUND
                || ctx->api_status == 410)
            {
                if (hold[i].remote) {
                    clear[nclear++] = &hold[i];

                } else {
                    ngx_http_smotp_zone_clear(&hold[i]);
                }

                continue;
            }
        }

        if (ctx->succeeded || ctx->api_status == NGX_HTTP_TOO_MANY_REQUESTS) {
            continue;
        }

        if (hold[i].remote) {
            release[nrelease++] = &hold[i];

        } else {
            ngx_http_smotp_zone_release(&hold[i]);
        }
    }

    /* at most FLEET_HOLDS are remote: the location's merge saw to it */

    if (nclear) {
        ngx_http_smotp_fleet_release(r, ctx, clear, nclear, 1);
    }

    if (nrelease) {
        ngx_http_smotp_fleet_release(r, ctx, release, nrelease, 0);
    }

    ctx->holds.nelts = 0;

    if (ctx->succeeded && ctx->endpoint->sends && !ctx->test_number) {
        ngx_http_smotp_limit_record(r, ctx);
    }
}


/*
 * A send the API took: its request id and phone recorded in each zone of
 * the location's checks, so that a resend of the id, which names no
 * phone, counts as a send to it.  A zone with no room leaves the resend
 * refused, never uncounted.
 */

static void
ngx_http_smotp_limit_record(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                  i;
    ngx_shm_zone_t             *zone;
    ngx_http_smotp_limit_t    **check;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->checks == NULL) {
        return;
    }

    check = slcf->checks->elts;
    zone = NULL;

    for (i = 0; i < slcf->checks->nelts; i++) {

        if (check[i]->zone == zone) {
            continue;
        }

        zone = check[i]->zone;

        if (ngx_http_smotp_zone_record(zone, &ctx->request_id, &ctx->phone,
                                       NGX_HTTP_SMOTP_RECORD_TTL)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "smotp %V: request %V not recorded: a resend of "
                          "it will be refused", &ctx->endpoint->name,
                          &ctx->request_id);
        }
    }
}


static ngx_int_t
ngx_http_smotp_limit_recall(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_loc_conf_t *slcf)
{
    ngx_str_t                 phone;
    ngx_uint_t                i;
    ngx_shm_zone_t           *zone;
    ngx_http_smotp_limit_t  **check;

    phone.data = ngx_pnalloc(r->pool, NGX_HTTP_SMOTP_ZONE_RECORD_LEN);
    if (phone.data == NULL) {
        return NGX_ERROR;
    }

    check = slcf->checks->elts;
    zone = NULL;

    for (i = 0; i < slcf->checks->nelts; i++) {

        if (check[i]->zone == zone) {
            continue;
        }

        zone = check[i]->zone;

        if (ngx_http_smotp_zone_recall(zone, &ctx->request_id, &phone)
            == NGX_OK)
        {
            ctx->phone = phone;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_smotp_limit_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t             *s;
    ngx_http_smotp_ctx_t  *ctx;

    static ngx_str_t  denied = ngx_string("denied_prefix");

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_smotp_module);

    if (ctx && ctx->denied_prefix) {
        s = &denied;

    } else if (ctx && ctx->limit_status != NGX_HTTP_SMOTP_LIMIT_NONE) {
        s = &ngx_http_smotp_limit_statuses[ctx->limit_status];

    } else {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}
