
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Cross-site requests.  A form or a script on any other site can make a
 * visitor's browser post to the endpoints, and spend the account's SMS on
 * numbers of its choosing.  Browsers say where a request comes from:
 * Sec-Fetch-Site, or, in older ones, Origin.  Requests that carry
 * neither do not come from a browser's page (curl, a server of yours)
 * and are not refused; those from another site are, unless
 * smotp_allowed_origins lists their origin.  This is the rule of Go's
 * net/http CrossOriginProtection, the scheme aside: TLS may end in front
 * of nginx, and the request then comes in over http.
 */


#include "ngx_http_smotp_origin.h"
#include "ngx_http_smotp_headers.h"


static void ngx_http_smotp_origin_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_smotp_origin_is_host(ngx_http_request_t *r,
    ngx_str_t *origin);
static ngx_int_t ngx_http_smotp_origin_listed(ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *origin);
static ngx_int_t ngx_http_smotp_origin_valid(ngx_str_t *origin);


static ngx_str_t  ngx_http_smotp_sec_fetch_site = ngx_string("Sec-Fetch-Site");
static ngx_str_t  ngx_http_smotp_origin_name = ngx_string("Origin");


/*
 * NGX_OK, or NGX_HTTP_FORBIDDEN for a request from another site; run
 * before the body is read, so that a refused one is never read
 */

ngx_int_t
ngx_http_smotp_check_origin(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_loc_conf_t *slcf)
{
    ngx_str_t  site, origin;

    if (!slcf->origin_check) {
        return NGX_OK;
    }

    ngx_http_smotp_origin_header(r, &ngx_http_smotp_sec_fetch_site, &site);
    ngx_http_smotp_origin_header(r, &ngx_http_smotp_origin_name, &origin);

    if (site.len) {

        /* "none": typed in the address bar, a bookmark */

        if ((site.len == sizeof("same-origin") - 1
             && ngx_strncmp(site.data, "same-origin", site.len) == 0)
            || (site.len == sizeof("none") - 1
                && ngx_strncmp(site.data, "none", site.len) == 0))
        {
            return NGX_OK;
        }

    } else if (origin.len == 0
               || ngx_http_smotp_origin_is_host(r, &origin) == NGX_OK)
    {
        return NGX_OK;
    }

    if (origin.len && ngx_http_smotp_origin_listed(slcf, &origin) == NGX_OK) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "smotp %V: cross-site request refused, Origin \"%V\", "
                  "Sec-Fetch-Site \"%V\"",
                  &ctx->endpoint->name, &origin, &site);

    ngx_str_set(&ctx->error, "cross-site requests are not accepted");

    return NGX_HTTP_FORBIDDEN;
}


/* the first header of this name; an empty one is as good as none */

static void
ngx_http_smotp_origin_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    i = 0;

    h = ngx_http_smotp_header_next(&part, &i, name);

    if (h == NULL) {
        ngx_str_null(value);
        return;
    }

    *value = h->value;
}


/*
 * An Origin of the same host and port as the request's Host (which the
 * browser sets); "null", the origin of a sandboxed frame or a file, is
 * never one
 */

static ngx_int_t
ngx_http_smotp_origin_is_host(ngx_http_request_t *r, ngx_str_t *origin)
{
    u_char     *p;
    ngx_str_t  *host;

    if (r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    host = &r->headers_in.host->value;

    p = ngx_strnstr(origin->data, "://", origin->len);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    p += 3;

    if ((size_t) (origin->data + origin->len - p) != host->len
        || ngx_strncasecmp(p, host->data, host->len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_origin_listed(ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *origin)
{
    ngx_str_t   *listed;
    ngx_uint_t   i;

    if (slcf->allowed_origins == NULL) {
        return NGX_DECLINED;
    }

    listed = slcf->allowed_origins->elts;

    for (i = 0; i < slcf->allowed_origins->nelts; i++) {
        if (listed[i].len == origin->len
            && ngx_strncasecmp(listed[i].data, origin->data, origin->len)
               == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* smotp_allowed_origins origin ... | * */

char *
ngx_http_smotp_set_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t   *value, *origin;
    ngx_uint_t   i;

    if (slcf->origin_check != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 1 && value[1].data[0] == '*'
        && cf->args->nelts == 2)
    {
        slcf->origin_check = 0;
        return NGX_CONF_OK;
    }

    slcf->allowed_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(ngx_str_t));
    if (slcf->allowed_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_smotp_origin_valid(&value[i]) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" directive: "
                               "origins such as https://example.com or "
                               "http://example.com:8080, or \"*\" alone, "
                               "are expected", &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        origin = ngx_array_push(slcf->allowed_origins);
        if (origin == NULL) {
            return NGX_CONF_ERROR;
        }

        *origin = value[i];
    }

    slcf->origin_check = 1;

    return NGX_CONF_OK;
}


/*
 * "scheme://host" or "scheme://host:port", as a browser writes an Origin:
 * no path, not even "/", no user; the host a name, an IPv4 address or an
 * IPv6 one in brackets
 */

static ngx_int_t
ngx_http_smotp_origin_valid(ngx_str_t *origin)
{
    u_char     *p, *q, *last;
    ngx_int_t   port;

    p = origin->data;
    last = p + origin->len;

    if (p == last || !isalpha(*p)) {
        return NGX_DECLINED;
    }

    while (p < last && (isalnum(*p) || *p == '+' || *p == '-' || *p == '.')) {
        p++;
    }

    if (last - p < 3 || ngx_strncmp(p, "://", 3) != 0) {
        return NGX_DECLINED;
    }

    p += 3;

    if (p < last && *p == '[') {
        for (q = p + 1; q < last && (isxdigit(*q) || *q == ':'); q++) {
            /* void */
        }

        if (q == p + 1 || q == last || *q != ']') {
            return NGX_DECLINED;
        }

        p = q + 1;

    } else {
        for (q = p; q < last && (isalnum(*q) || *q == '-' || *q == '.'); q++)
        {
            /* void */
        }

        if (q == p) {
            return NGX_DECLINED;
        }

        p = q;
    }

    if (p == last) {
        return NGX_OK;
    }

    if (*p != ':') {
        return NGX_DECLINED;
    }

    port = ngx_atoi(p + 1, last - p - 1);

    if (port < 1 || port > 65535) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}
