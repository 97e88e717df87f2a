
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_require: the gate, in the access phase as auth_request's is, so
 * that it composes with satisfy, allow and deny.  A request with a valid
 * cookie goes on; any other is answered 401, or sent to the sign-in page
 * of smotp_require_redirect with its own local path as "next".  The
 * refusal is the module's JSON: the response filter writes it over the
 * page nginx makes for the 401.
 */


#include "ngx_http_smotp_require.h"
#include "ngx_http_smotp_cookie.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_response.h"


static ngx_int_t ngx_http_smotp_require_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_require_refuse(ngx_http_request_t *r,
    ngx_http_smotp_loc_conf_t *slcf);


static ngx_str_t   ngx_http_smotp_verified_phone =
    ngx_string("smotp_verified_phone");

static ngx_int_t   ngx_http_smotp_verified_phone_index;

/* a location of the configuration being read has smotp_require on */
static ngx_uint_t  ngx_http_smotp_require_used;


/* smotp_require_redirect /signin/ */

char *
ngx_http_smotp_require_redirect(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->require_redirect.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/'
        || (value[1].len > 1
            && (value[1].data[1] == '/' || value[1].data[1] == '\\'))
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '#'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive: "
                           "a local path starting with \"/\" is expected",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->require_redirect = value[1];

    return NGX_CONF_OK;
}


char *
ngx_http_smotp_require_merge(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *conf)
{
    if (!conf->require) {
        return NGX_CONF_OK;
    }

    if (conf->secret == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"smotp_require\" needs \"smotp_secret_file\": "
                           "the cookie it checks is sealed by its secret");
        return NGX_CONF_ERROR;
    }

    ngx_http_smotp_require_used = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_smotp_require_init(ngx_conf_t *cf)
{
    ngx_int_t                   index;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (!ngx_http_smotp_require_used) {
        return NGX_OK;
    }

    ngx_http_smotp_require_used = 0;

    index = ngx_http_get_variable_index(cf, &ngx_http_smotp_verified_phone);
    if (index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_smotp_verified_phone_index = index;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_smotp_require_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_require_handler(ngx_http_request_t *r)
{
    ngx_http_variable_value_t  *vv;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (!slcf->require) {
        return NGX_DECLINED;
    }

    /* the variable opens the cookie, once a request */

    vv = ngx_http_get_indexed_variable(r, ngx_http_smotp_verified_phone_index);
    if (vv == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!vv->not_found) {
        return NGX_OK;
    }

    return ngx_http_smotp_require_refuse(r, slcf);
}


/*
 * A 401 for the response filter to answer in JSON, or a redirect of a
 * page's GET to the sign-in page with the page's own path to come back
 * to: only ever a path of this server, never "//host"
 */

static ngx_int_t
ngx_http_smotp_require_refuse(ngx_http_request_t *r,
    ngx_http_smotp_loc_conf_t *slcf)
{
    u_char                *p;
    size_t                 len;
    uintptr_t              escape, args;
    ngx_str_t             *uri;
    ngx_http_smotp_ctx_t  *ctx;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smotp require: no valid cookie");

    ctx = ngx_http_smotp_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->gate = 1;
    ngx_str_set(&ctx->error, "phone verification required");

    if (slcf->require_redirect.len == 0
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
    {
        return NGX_HTTP_UNAUTHORIZED;
    }

    uri = &r->uri;

    if (uri->len == 0 || uri->data[0] != '/'
        || (uri->len > 1 && (uri->data[1] == '/' || uri->data[1] == '\\')))
    {
        ctx->redirect = slcf->require_redirect;
        return NGX_HTTP_UNAUTHORIZED;
    }

    escape = ngx_escape_uri(NULL, uri->data, uri->len, NGX_ESCAPE_ARGS);
    args = r->args.len ? ngx_escape_uri(NULL, r->args.data, r->args.len,
                                        NGX_ESCAPE_ARGS)
                       : 0;

    len = slcf->require_redirect.len + sizeof("?next=") - 1
          + uri->len + 2 * escape
          + (r->args.len ? sizeof("%3F") - 1 + r->args.len + 2 * args : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->redirect.data = p;

    p = ngx_cpymem(p, slcf->require_redirect.data,
                   slcf->require_redirect.len);

    *p++ = ngx_strlchr(slcf->require_redirect.data,
                       slcf->require_redirect.data
                       + slcf->require_redirect.len, '?')
           ? '&' : '?';

    p = ngx_cpymem(p, "next=", sizeof("next=") - 1);
    p = (u_char *) ngx_escape_uri(p, uri->data, uri->len, NGX_ESCAPE_ARGS);

    if (r->args.len) {
        p = ngx_cpymem(p, "%3F", sizeof("%3F") - 1);
        p = (u_char *) ngx_escape_uri(p, r->args.data, r->args.len,
                                      NGX_ESCAPE_ARGS);
    }

    ctx->redirect.len = p - ctx->redirect.data;

    return NGX_HTTP_UNAUTHORIZED;
}


/*
 * The phone of the request's valid cookie, or (data 1) when it was
 * verified, "2026-12-02T13:05:09Z"; not found without one
 */

ngx_int_t
ngx_http_smotp_verified_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_tm_t                    tm;
    ngx_int_t                   rc;
    ngx_http_smotp_token_t      token;
    ngx_http_smotp_loc_conf_t  *slcf;
    u_char                      buf[NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX];

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    rc = ngx_http_smotp_cookie_open(r, slcf, &token, buf);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == 0) {
        v->data = ngx_pnalloc(r->pool, token.plain.len);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_cpymem(v->data, token.plain.data, token.plain.len)
                 - v->data;

    } else {
        v->data = ngx_pnalloc(r->pool, sizeof("1970-01-01T00:00:00Z") - 1);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        ngx_gmtime(token.issued, &tm);

        v->len = ngx_sprintf(v->data, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                             tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                             tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec)
                 - v->data;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
