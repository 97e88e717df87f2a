
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Phone verification by SMS one-time password, against the StartMessaging
 * API, from nginx.conf.  This file holds the module's definition only:
 * directives, configuration and the module itself.  Behaviour is in src/.
 */


#include "src/ngx_http_smotp.h"
#include "src/ngx_http_smotp_cookie.h"
#include "src/ngx_http_smotp_fleet.h"
#include "src/ngx_http_smotp_handle.h"
#include "src/ngx_http_smotp_handler.h"
#include "src/ngx_http_smotp_key.h"
#include "src/ngx_http_smotp_limit.h"
#include "src/ngx_http_smotp_metrics.h"
#include "src/ngx_http_smotp_origin.h"
#include "src/ngx_http_smotp_prefix.h"
#include "src/ngx_http_smotp_redis.h"
#include "src/ngx_http_smotp_require.h"
#include "src/ngx_http_smotp_response.h"
#include "src/ngx_http_smotp_secret.h"
#include "src/ngx_http_smotp_send_field.h"
#include "src/ngx_http_smotp_subrequest.h"
#include "src/ngx_http_smotp_test_number.h"
#include "src/ngx_http_smotp_variables.h"
#include "src/ngx_http_smotp_zone.h"


static ngx_int_t ngx_http_smotp_init(ngx_conf_t *cf);
static void *ngx_http_smotp_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_smotp_create_srv_conf(ngx_conf_t *cf);
static void *ngx_http_smotp_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_smotp_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_smotp_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smotp_api_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smotp_api_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smotp_set_api_key(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *slcf, ngx_str_t *key, ngx_uint_t variables);
static char *ngx_http_smotp_api_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smotp_retry_backoff(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smotp_check_retries(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_smotp_check_time(ngx_conf_t *cf, void *post,
    void *data);


#define NGX_HTTP_SMOTP_KEY_FILE_MAX  4096
#define NGX_HTTP_SMOTP_MAX_RETRIES   10


static ngx_conf_post_t  ngx_http_smotp_retries_post =
    { ngx_http_smotp_check_retries };
static ngx_conf_post_t  ngx_http_smotp_deadline_post =
    { ngx_http_smotp_check_time };
static ngx_conf_post_t  ngx_http_smotp_handle_ttl_post =
    { ngx_http_smotp_check_time };


static ngx_command_t  ngx_http_smotp_commands[] = {

    { ngx_string("smotp_send"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_smotp_send_endpoint },

    { ngx_string("smotp_verify"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_smotp_verify_endpoint },

    { ngx_string("smotp_resend"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_smotp_resend_endpoint },

    { ngx_string("smotp_wallet"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_smotp_wallet_endpoint },

    { ngx_string("smotp_logout"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_smotp_logout_endpoint },

    { ngx_string("smotp_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smotp_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_api_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_api_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_api_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_api_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_api_location"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_api_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, api_location),
      NULL },

    { ngx_string("smotp_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("smotp_test_number"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_smotp_test_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_send_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE23,
      ngx_http_smotp_send_field,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_allowed_prefixes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_smotp_set_prefixes,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, allowed_prefixes),
      NULL },

    { ngx_string("smotp_denied_prefixes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_smotp_set_prefixes,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, denied_prefixes),
      NULL },

    { ngx_string("smotp_allowed_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_smotp_set_origins,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_retries"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, retries),
      &ngx_http_smotp_retries_post },

    { ngx_string("smotp_retry_backoff"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_smotp_retry_backoff,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_deadline"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, deadline),
      &ngx_http_smotp_deadline_post },

    { ngx_string("smotp_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_smotp_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_redis_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_redis_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_redis_password_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_redis_password_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, redis_timeout),
      &ngx_http_smotp_deadline_post },

    { ngx_string("smotp_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_smotp_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_resend_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_smotp_resend_interval,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_verify_attempts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_smotp_verify_attempts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_secret_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, secret),
      NULL },

    { ngx_string("smotp_handle_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, handle_ttl),
      &ngx_http_smotp_handle_ttl_post },

    { ngx_string("smotp_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_smotp_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smotp_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smotp_loc_conf_t, require),
      NULL },

    { ngx_string("smotp_require_redirect"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smotp_require_redirect,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_smotp_module_ctx = {
    ngx_http_smotp_add_variables,          /* preconfiguration */
    ngx_http_smotp_init,                   /* postconfiguration */

    ngx_http_smotp_create_main_conf,       /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_smotp_create_srv_conf,        /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_smotp_create_loc_conf,        /* create location configuration */
    ngx_http_smotp_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_smotp_module = {
    NGX_MODULE_V1,
    &ngx_http_smotp_module_ctx,            /* module context */
    ngx_http_smotp_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_smotp_init(ngx_conf_t *cf)
{
    ngx_int_t  rc;

    /* the capture filters of the API calls, set up last, come first */

    rc = ngx_http_smotp_filter_init(cf);

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_subrequest_init(cf);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_metrics_init(cf);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_require_init(cf);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_smotp_fleet_init(cf);
    }

    ngx_http_smotp_test_number_init(cf);

    return rc;
}


static void *
ngx_http_smotp_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_smotp_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->metrics = NULL;
     *     smcf->remote_zones = NULL;
     */

    return smcf;
}


static void *
ngx_http_smotp_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_smotp_srv_conf_t  *sscf;

    sscf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_srv_conf_t));
    if (sscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     sscf->exact = NULL;
     */

    return sscf;
}


static void *
ngx_http_smotp_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_smotp_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->endpoint = NULL;
     *     conf->location = { 0, NULL };
     *     conf->api_location = { 0, NULL };
     *     conf->api_uri = { 0, NULL };
     *     conf->limits = NULL;
     *     conf->resend_zone = NULL;
     *     conf->attempts = 0;
     *     conf->metrics = 0;
     *     conf->require_redirect = { 0, NULL };
     */

    conf->api_key = NGX_CONF_UNSET_PTR;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;
    conf->allowed_prefixes = NGX_CONF_UNSET_PTR;
    conf->denied_prefixes = NGX_CONF_UNSET_PTR;
    conf->allowed_origins = NGX_CONF_UNSET_PTR;
    conf->origin_check = NGX_CONF_UNSET;
    conf->retries = NGX_CONF_UNSET_UINT;
    conf->backoff_base = NGX_CONF_UNSET_MSEC;
    conf->backoff_max = NGX_CONF_UNSET_MSEC;
    conf->deadline = NGX_CONF_UNSET_MSEC;
    conf->resend_interval = NGX_CONF_UNSET_MSEC;
    conf->attempts_zone = NGX_CONF_UNSET_PTR;
    conf->test_numbers = NGX_CONF_UNSET_PTR;
    conf->send_fields = NGX_CONF_UNSET_PTR;
    conf->secret = NGX_CONF_UNSET_PTR;
    conf->handle_ttl = NGX_CONF_UNSET_MSEC;
    conf->cookie = NGX_CONF_UNSET_PTR;
    conf->require = NGX_CONF_UNSET;
    conf->redis_timeout = NGX_CONF_UNSET_MSEC;

    return conf;
}


static char *
ngx_http_smotp_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_smotp_loc_conf_t *prev = parent;
    ngx_http_smotp_loc_conf_t *conf = child;

    u_char                    *p;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_ptr_value(conf->api_key, prev->api_key, NULL);
    ngx_conf_merge_ptr_value(conf->test_numbers, prev->test_numbers, NULL);
    ngx_conf_merge_ptr_value(conf->send_fields, prev->send_fields, NULL);

    ngx_conf_merge_str_value(conf->api_location, prev->api_location,
                             NGX_HTTP_SMOTP_API_LOCATION);

    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              NGX_HTTP_SMOTP_MAX_BODY_SIZE);

    ngx_conf_merge_ptr_value(conf->allowed_prefixes, prev->allowed_prefixes,
                             NULL);
    ngx_conf_merge_ptr_value(conf->denied_prefixes, prev->denied_prefixes,
                             NULL);

    ngx_conf_merge_ptr_value(conf->allowed_origins, prev->allowed_origins,
                             NULL);
    ngx_conf_merge_value(conf->origin_check, prev->origin_check, 1);

    ngx_conf_merge_uint_value(conf->retries, prev->retries,
                              NGX_HTTP_SMOTP_RETRIES);

    if (conf->backoff_base == NGX_CONF_UNSET_MSEC) {
        conf->backoff_base = (prev->backoff_base == NGX_CONF_UNSET_MSEC)
                             ? NGX_HTTP_SMOTP_BACKOFF_BASE : prev->backoff_base;
        conf->backoff_max = (prev->backoff_max == NGX_CONF_UNSET_MSEC)
                            ? NGX_HTTP_SMOTP_BACKOFF_MAX : prev->backoff_max;
    }

    ngx_conf_merge_msec_value(conf->deadline, prev->deadline,
                              NGX_HTTP_SMOTP_DEADLINE);

    if (ngx_http_smotp_limit_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_smotp_metrics_merge(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->secret, prev->secret, NULL);
    ngx_conf_merge_msec_value(conf->handle_ttl, prev->handle_ttl,
                              NGX_HTTP_SMOTP_HANDLE_TTL);
    ngx_conf_merge_ptr_value(conf->cookie, prev->cookie, NULL);
    ngx_conf_merge_value(conf->require, prev->require, 0);
    ngx_conf_merge_str_value(conf->require_redirect, prev->require_redirect,
                             "");

    if (ngx_http_smotp_require_merge(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_smotp_redis_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->endpoint == NULL) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* proxy_pass or the like after smotp_send took the location over */

    if (clcf->handler != ngx_http_smotp_handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"smotp_%V\" cannot be combined with another "
                           "content handler in location \"%V\"",
                           &conf->endpoint->name, &conf->location);
        return NGX_CONF_ERROR;
    }

    /*
     * every answer here is the module's JSON: no error_page, the server's
     * or the location's own, sends a request refused in this location
     * (403 from "deny", 413 from client_max_body_size, 503 from limit_req)
     * to an HTML page elsewhere
     */

    clcf->error_pages = NULL;

    if (conf->endpoint->local) {
        return NGX_CONF_OK;
    }

    if (conf->api_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no \"smotp_api_key\" or \"smotp_api_key_file\" "
                           "is set for \"smotp_%V\" in location \"%V\"",
                           &conf->endpoint->name, &conf->location);
        return NGX_CONF_ERROR;
    }

    conf->api_uri.len = conf->api_location.len
                        + conf->endpoint->api_path.len;
    conf->api_uri.data = ngx_pnalloc(cf->pool, conf->api_uri.len);
    if (conf->api_uri.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(conf->api_uri.data, conf->api_location.data,
                   conf->api_location.len);
    ngx_memcpy(p, conf->endpoint->api_path.data,
               conf->endpoint->api_path.len);

    return NGX_CONF_OK;
}


static char *
ngx_http_smotp_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_http_smotp_exact_t     *e;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_smotp_srv_conf_t  *sscf;

    if (slcf->endpoint) {
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

    slcf->endpoint = cmd->post;
    slcf->location = clcf->name;

    clcf->handler = ngx_http_smotp_handler;

    if (ngx_http_smotp_metrics_add(cf, slcf->endpoint) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (clcf->exact_match) {
        sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_smotp_module);

        if (sscf->exact == NULL) {
            sscf->exact = ngx_array_create(cf->pool, 2,
                                           sizeof(ngx_http_smotp_exact_t));
            if (sscf->exact == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        e = ngx_array_push(sscf->exact);
        if (e == NULL) {
            return NGX_CONF_ERROR;
        }

        e->uri = clcf->name;
        e->slcf = slcf;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_smotp_api_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->api_key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_smotp_set_api_key(cf, slcf, &value[1], 1);
}


static char *
ngx_http_smotp_api_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    char             *rv;
    u_char           *buf, *p, *last;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name, key;
    ngx_file_info_t   fi;

    if (slcf->api_key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name.data);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_SMOTP_KEY_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "API key file \"%s\" is too large", name.data);
        goto done;
    }

    buf = ngx_alloc(NGX_HTTP_SMOTP_KEY_FILE_MAX + 1, cf->log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, NGX_HTTP_SMOTP_KEY_FILE_MAX + 1);
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", name.data);
        goto done;
    }

    if (n > NGX_HTTP_SMOTP_KEY_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "API key file \"%s\" is too large", name.data);
        goto done;
    }

    /* one line, with surrounding white space (a trailing newline) ignored */

    p = buf;
    last = buf + n;

    while (p < last && (*p == ' ' || *p == '\t' || *p == CR || *p == LF)) {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t'
               || last[-1] == CR || last[-1] == LF))
    {
        last--;
    }

    if (p == last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "API key file \"%s\" is empty", name.data);
        goto done;
    }

    key.len = last - p;
    key.data = ngx_pstrdup(cf->pool, &(ngx_str_t) { key.len, p });
    if (key.data == NULL) {
        goto done;
    }

    rv = ngx_http_smotp_set_api_key(cf, slcf, &key, 0);

done:

    if (buf) {
        ngx_explicit_memzero(buf, NGX_HTTP_SMOTP_KEY_FILE_MAX + 1);
        ngx_free(buf);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name.data);
    }

    return rv;
}


static char *
ngx_http_smotp_set_api_key(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *key, ngx_uint_t variables)
{
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    cv = ngx_pcalloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NGX_CONF_ERROR;
    }

    if (variables) {
        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = key;
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

    } else {
        cv->value = *key;
    }

    /* a key with variables is checked when it is evaluated */

    if (cv->lengths == NULL && ngx_http_smotp_key_valid(&cv->value) != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid API key in \"%V\" directive: it must be "
                           "one word of printable characters",
                           &((ngx_str_t *) cf->args->elts)[0]);
        return NGX_CONF_ERROR;
    }

    slcf->api_key = cv;

    return NGX_CONF_OK;
}


static char *
ngx_http_smotp_api_location(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->api_location.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "a URI starting with \"/\" is expected",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->api_location = value[1];

    /* "/_smotp_api/" and "/_smotp_api" name the same place */

    while (slcf->api_location.len > 1
           && slcf->api_location.data[slcf->api_location.len - 1] == '/')
    {
        slcf->api_location.len--;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_smotp_retry_backoff(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t   *value;
    ngx_msec_t   base, max;

    if (slcf->backoff_base != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    base = ngx_parse_time(&value[1], 0);
    max = ngx_parse_time(&value[2], 0);

    if (base == (ngx_msec_t) NGX_ERROR || max == (ngx_msec_t) NGX_ERROR
        || base == 0 || base > max)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V %V\" in \"%V\" directive: "
                           "two times, the first above zero and not larger "
                           "than the second, are expected",
                           &value[1], &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->backoff_base = base;
    slcf->backoff_max = max;

    return NGX_CONF_OK;
}


/*
 * Each attempt costs the visitor's wait and some of the request's memory:
 * a handful is all that a deadline of seconds leaves room for
 */

static char *
ngx_http_smotp_check_retries(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t *np = data;

    ngx_str_t  *value;

    if (*np <= NGX_HTTP_SMOTP_MAX_RETRIES) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive: "
                       "at most %d retries are allowed",
                       &value[1], &value[0], NGX_HTTP_SMOTP_MAX_RETRIES);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_smotp_check_time(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t *mp = data;

    ngx_str_t  *value;

    if (*mp > 0) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive: "
                       "a time above zero is expected", &value[1], &value[0]);

    return NGX_CONF_ERROR;
}
