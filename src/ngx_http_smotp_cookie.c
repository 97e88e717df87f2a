
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_cookie, and the cookie itself: set by a verify that proved a
 * phone, cleared by smotp_logout, read by smotp_require.  Its value is a
 * token of the phone, of when it was verified and until when the proof
 * holds; it is always HttpOnly.
 */


#include "ngx_http_smotp_cookie.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_phone.h"


#define NGX_HTTP_SMOTP_COOKIE_MAX_AGE  (30 * 86400)


static ngx_int_t ngx_http_smotp_cookie_set(ngx_http_request_t *r,
    ngx_http_smotp_cookie_t *cookie, ngx_str_t *value, time_t max_age);
static ngx_int_t ngx_http_smotp_cookie_find(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_smotp_cookie_pair(ngx_str_t *line, ngx_str_t *name,
    ngx_str_t *value);
static ngx_int_t ngx_http_smotp_cookie_token_char(u_char c);


static ngx_http_smotp_cookie_t  ngx_http_smotp_cookie_default = {
    ngx_string("smotp"),
    NGX_HTTP_SMOTP_COOKIE_MAX_AGE,
    ngx_string("; Path=/; HttpOnly; Secure; SameSite=Lax")
};


/*
 * smotp_cookie name [max_age=time] [domain=name] [path=path]
 *              [samesite=strict|lax|none] [secure=on|off]
 */

char *
ngx_http_smotp_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    u_char                   *p;
    size_t                    len;
    time_t                    max_age;
    ngx_str_t                *value, domain, path, samesite, s;
    ngx_uint_t                i, secure;
    ngx_http_smotp_cookie_t  *cookie;

    if (slcf->cookie != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < value[1].len; i++) {
        if (ngx_http_smotp_cookie_token_char(value[1].data[i]) != NGX_OK) {
            break;
        }
    }

    if (value[1].len == 0 || i < value[1].len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid cookie name \"%V\" in \"%V\" directive",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    max_age = NGX_HTTP_SMOTP_COOKIE_MAX_AGE;
    ngx_str_null(&domain);
    ngx_str_set(&path, "/");
    ngx_str_set(&samesite, "Lax");
    secure = 1;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            max_age = ngx_parse_time(&s, 1);

            if (max_age == (time_t) NGX_ERROR || max_age == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            domain.data = value[i].data + 7;
            domain.len = value[i].len - 7;

            if (domain.len == 0
                || ngx_strlchr(domain.data, domain.data + domain.len, ';'))
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            path.data = value[i].data + 5;
            path.len = value[i].len - 5;

            if (path.len == 0 || path.data[0] != '/'
                || ngx_strlchr(path.data, path.data + path.len, ';'))
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=strict") == 0) {
            ngx_str_set(&samesite, "Strict");
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=lax") == 0) {
            ngx_str_set(&samesite, "Lax");
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=none") == 0) {
            ngx_str_set(&samesite, "None");
            continue;
        }

        if (ngx_strcmp(value[i].data, "secure=on") == 0) {
            secure = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "secure=off") == 0) {
            secure = 0;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (!secure && samesite.data[0] == 'N') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": browsers refuse a \"samesite=none\" "
                           "cookie that is not \"secure\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    cookie = ngx_palloc(cf->pool, sizeof(ngx_http_smotp_cookie_t));
    if (cookie == NULL) {
        return NGX_CONF_ERROR;
    }

    cookie->name = value[1];
    cookie->max_age = max_age;

    len = sizeof("; Domain=") - 1 + domain.len
          + sizeof("; Path=") - 1 + path.len
          + sizeof("; HttpOnly; Secure; SameSite=") - 1 + samesite.len;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    cookie->attributes.data = p;

    if (domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &domain);
    }

    p = ngx_sprintf(p, "; Path=%V; HttpOnly", &path);

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    p = ngx_sprintf(p, "; SameSite=%V", &samesite);

    cookie->attributes.len = p - cookie->attributes.data;

    slcf->cookie = cookie;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive",
                       &value[i], &cmd->name);

    return NGX_CONF_ERROR;
}


/*
 * A verify proved the phone: the cookie set, and the masked phone for the
 * answer; NGX_DECLINED without a secret
 */

ngx_int_t
ngx_http_smotp_cookie_issue(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_json_member_t *phone)
{
    size_t                      len;
    ngx_str_t                   value;
    ngx_http_smotp_token_t      token;
    ngx_http_smotp_cookie_t    *cookie;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->secret == NULL || ctx->phone.len == 0) {
        return NGX_DECLINED;
    }

    cookie = slcf->cookie ? slcf->cookie : &ngx_http_smotp_cookie_default;

    token.kind = NGX_HTTP_SMOTP_TOKEN_COOKIE;
    token.issued = ngx_time();
    token.expires = token.issued + cookie->max_age;
    token.plain = ctx->phone;

    if (ngx_http_smotp_token_seal(r->pool, slcf->secret, &token, &value,
                                  r->connection->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_smotp_cookie_set(r, cookie, &value, cookie->max_age)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    phone->str.data = ngx_pnalloc(r->pool, NGX_HTTP_SMOTP_PHONE_MAX_LEN);
    if (phone->str.data == NULL) {
        return NGX_ERROR;
    }

    len = ngx_http_smotp_phone_mask(phone->str.data, &ctx->phone);

    ngx_str_set(&phone->name, "phone");
    phone->type = NGX_HTTP_SMOTP_JSON_PLAIN;
    phone->str.len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_smotp_cookie_clear(ngx_http_request_t *r)
{
    ngx_str_t                   empty;
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    ngx_str_null(&empty);

    return ngx_http_smotp_cookie_set(r, slcf->cookie ? slcf->cookie
                                          : &ngx_http_smotp_cookie_default,
                                     &empty, 0);
}


static ngx_int_t
ngx_http_smotp_cookie_set(ngx_http_request_t *r,
    ngx_http_smotp_cookie_t *cookie, ngx_str_t *value, time_t max_age)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   header;

    len = cookie->name.len + 1 + value->len
          + sizeof("; Max-Age=") - 1 + NGX_TIME_T_LEN
          + cookie->attributes.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    header.data = p;

    p = ngx_sprintf(p, "%V=%V; Max-Age=%T%V", &cookie->name, value, max_age,
                    &cookie->attributes);

    header.len = p - header.data;

    return ngx_http_smotp_add_header(r, "Set-Cookie", &header);
}


/*
 * The request's cookie, opened: NGX_OK with the phone in buf
 * (NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX bytes), NGX_DECLINED for no cookie or
 * one not valid, NGX_ERROR
 */

ngx_int_t
ngx_http_smotp_cookie_open(ngx_http_request_t *r,
    ngx_http_smotp_loc_conf_t *slcf, ngx_http_smotp_token_t *token,
    u_char *buf)
{
    ngx_int_t                 rc;
    ngx_str_t                 value;
    ngx_http_smotp_cookie_t  *cookie;

    if (slcf->secret == NULL) {
        return NGX_DECLINED;
    }

    cookie = slcf->cookie ? slcf->cookie : &ngx_http_smotp_cookie_default;

    if (ngx_http_smotp_cookie_find(r, &cookie->name, &value) != NGX_OK) {
        return NGX_DECLINED;
    }

    token->kind = NGX_HTTP_SMOTP_TOKEN_COOKIE;

    rc = ngx_http_smotp_token_open(slcf->secret, &value, token, buf,
                                   r->connection->log);
    if (rc != NGX_OK) {
        return rc;
    }

    /* a remembered cookie was a phone when it was first opened */

    if (token->seen) {
        return NGX_OK;
    }

    if (token->plain.len > NGX_HTTP_SMOTP_PHONE_MAX_LEN
        || ngx_http_smotp_phone_valid(&token->plain) != NGX_OK)
    {
        ngx_http_smotp_token_forget(slcf->secret, &value);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The value of the first cookie of that name in the request's Cookie
 * lines.  Not ngx_http_parse_multi_header_lines(): it looks at every
 * byte, where this looks at the start of each pair and lets memchr()
 * find the next, and the gate does it on every request
 */

static ngx_int_t
ngx_http_smotp_cookie_find(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
#if (nginx_version >= 1023000)

    ngx_table_elt_t  *h;

    for (h = r->headers_in.cookie; h; h = h->next) {
        if (ngx_http_smotp_cookie_pair(&h->value, name, value) == NGX_OK) {
            return NGX_OK;
        }
    }

#else

    ngx_uint_t         i;
    ngx_table_elt_t  **h;

    h = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (ngx_http_smotp_cookie_pair(&h[i]->value, name, value) == NGX_OK)
        {
            return NGX_OK;
        }
    }

#endif

    return NGX_DECLINED;
}


/*
 * One Cookie line, "a=1; name=value; b=2" (RFC 6265, 5.4): the name
 * matched as it was set, case and all, the value up to the next ";"
 * without the blanks around it
 */

static ngx_int_t
ngx_http_smotp_cookie_pair(ngx_str_t *line, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char  *p, *end, *last;

    p = line->data;
    end = p + line->len;

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if ((size_t) (end - p) > name->len
            && p[name->len] == '='
            && ngx_memcmp(p, name->data, name->len) == 0)
        {
            p += name->len + 1;

            last = memchr(p, ';', end - p);
            if (last == NULL) {
                last = end;
            }

            while (p < last && (*p == ' ' || *p == '\t')) {
                p++;
            }

            while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
                last--;
            }

            value->data = p;
            value->len = last - p;

            return NGX_OK;
        }

        p = memchr(p, ';', end - p);
        if (p == NULL) {
            break;
        }

        p++;
    }

    return NGX_DECLINED;
}


/* RFC 6265's cookie-name: a token */

static ngx_int_t
ngx_http_smotp_cookie_token_char(u_char c)
{
    if (c <= 0x20 || c >= 0x7f) {
        return NGX_ERROR;
    }

    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';':
    case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
    case '=': case '{': case '}':
        return NGX_ERROR;
    }

    return NGX_OK;
}
