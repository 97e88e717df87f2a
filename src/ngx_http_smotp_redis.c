
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_redis_pass: an upstream handler speaking RESP to Redis, as
 * ngx_http_memcached_module speaks memcached, so that upstream{},
 * keepalive and resolve are nginx's own.  It answers only the module's
 * own in-memory subrequests: each carries one command, written by the
 * caller, and gets its reply parsed back (an integer, an array of
 * integers, a bulk string or an error).  With smotp_redis_password_file
 * an AUTH goes before the command in the same write, one round trip.
 */


#include "ngx_http_smotp_redis.h"
#include "ngx_http_smotp_response.h"


#define NGX_HTTP_SMOTP_REDIS_TIMEOUT     1000
#define NGX_HTTP_SMOTP_REDIS_PASSWORD_MAX  512
#define NGX_HTTP_SMOTP_REDIS_BULK_MAX    512


static ngx_int_t ngx_http_smotp_redis_handler(ngx_http_request_t *r);
static ngx_http_smotp_redis_call_t *ngx_http_smotp_redis_call_of(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_redis_create_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_redis_reinit_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_smotp_redis_process_header(ngx_http_request_t *r);
static u_char *ngx_http_smotp_redis_reply(u_char *p, u_char *last,
    ngx_http_smotp_redis_call_t *call, ngx_uint_t keep);
static u_char *ngx_http_smotp_redis_line(u_char *p, u_char *last,
    ngx_str_t *line);
static u_char *ngx_http_smotp_redis_integer(u_char *p, u_char *last,
    ngx_int_t *value);
static void ngx_http_smotp_redis_abort_request(ngx_http_request_t *r);
static void ngx_http_smotp_redis_finalize_request(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_smotp_redis_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);


/* the end of a reply not yet read, and one that breaks the protocol */
#define NGX_HTTP_SMOTP_REDIS_AGAIN    ((u_char *) -1)


/* smotp_redis_pass upstream | host:port */

char *
ngx_http_smotp_redis_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t                 *value;
    ngx_url_t                  u;
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->redis) {
        return "is duplicate";
    }

    if (slcf->endpoint) {
        return "cannot be in a location of smotp_send, smotp_verify and "
               "the other endpoints";
    }

    slcf->redis = ngx_pcalloc(cf->pool, sizeof(ngx_http_upstream_conf_t));
    if (slcf->redis == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.no_resolve = 1;

    slcf->redis->upstream = ngx_http_upstream_add(cf, &u, 0);
    if (slcf->redis->upstream == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    clcf->handler = ngx_http_smotp_redis_handler;

    if (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/') {
        clcf->auto_redirect = 1;
    }

    return NGX_CONF_OK;
}


/*
 * smotp_redis_password_file path: "password" (Redis' requirepass) or
 * "user password" (an ACL user of Redis 6 and later) on its first line;
 * it is sent in the AUTH before each command and never logged
 */

char *
ngx_http_smotp_redis_password_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    u_char     *p, *last, *space;
    ssize_t     n;
    ngx_fd_t    fd;
    ngx_str_t  *value, name, args[3];
    u_char      buf[NGX_HTTP_SMOTP_REDIS_PASSWORD_MAX + 1];

    if (slcf->redis_auth.data) {
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

    n = ngx_read_fd(fd, buf, sizeof(buf));

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", name.data);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name.data);
    }

    if (n == -1) {
        return NGX_CONF_ERROR;
    }

    if (n > NGX_HTTP_SMOTP_REDIS_PASSWORD_MAX) {
        ngx_explicit_memzero(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" is too large", name.data);
        return NGX_CONF_ERROR;
    }

    /* the first line, without its end and the blanks around it */

    p = buf;
    last = ngx_strlchr(buf, buf + n, LF);
    if (last == NULL) {
        last = buf + n;
    }

    while (last > p && (last[-1] == CR || last[-1] == ' '
                        || last[-1] == '\t'))
    {
        last--;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == last) {
        ngx_explicit_memzero(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "password file \"%s\" has no password on its "
                           "first line", name.data);
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&args[0], "AUTH");

    space = ngx_strlchr(p, last, ' ');

    if (space) {
        args[1].data = p;
        args[1].len = space - p;

        for (p = space; p < last && *p == ' '; p++) {
            /* void */
        }

        args[2].data = p;
        args[2].len = last - p;

    } else {
        args[1].data = p;
        args[1].len = last - p;
    }

    n = ngx_http_smotp_redis_command(cf->pool, &slcf->redis_auth,
                                     space ? 3 : 2, args);

    ngx_explicit_memzero(buf, sizeof(buf));

    if (n != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_smotp_redis_merge(ngx_conf_t *cf, ngx_http_smotp_loc_conf_t *prev,
    ngx_http_smotp_loc_conf_t *conf)
{
    ngx_http_upstream_conf_t  *u;

    ngx_conf_merge_msec_value(conf->redis_timeout, prev->redis_timeout,
                              NGX_HTTP_SMOTP_REDIS_TIMEOUT);

    if (conf->redis_auth.data == NULL) {
        conf->redis_auth = prev->redis_auth;
    }

    u = conf->redis;

    if (u == NULL) {
        return NGX_CONF_OK;
    }

    /*
     * a command is never sent twice: one Redis may have run it when the
     * answer was lost, and a count taken twice is a visitor refused
     */

    u->connect_timeout = conf->redis_timeout;
    u->send_timeout = conf->redis_timeout;
    u->read_timeout = conf->redis_timeout;
    u->next_upstream = NGX_CONF_BITMASK_SET|NGX_HTTP_UPSTREAM_FT_OFF;
    u->next_upstream_tries = 1;
    u->buffer_size = NGX_HTTP_SMOTP_REDIS_BUFFER;
    u->local = NULL;
    u->intercept_errors = 1;

#if (nginx_version >= 1015006)
    u->socket_keepalive = 0;
#endif

    return NGX_CONF_OK;
}


/* a command in RESP: an array of bulk strings */

ngx_int_t
ngx_http_smotp_redis_command(ngx_pool_t *pool, ngx_str_t *out, ngx_uint_t n,
    ngx_str_t *args)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = sizeof("*\r\n") - 1 + NGX_INT_T_LEN;

    for (i = 0; i < n; i++) {
        len += sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + args[i].len;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_http_smotp_redis_head(p, '*', n);

    for (i = 0; i < n; i++) {
        p = ngx_http_smotp_redis_bulk(p, args[i].data, args[i].len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* a RESP length line: '*' and an array's size, or '$' and a bulk's */

u_char *
ngx_http_smotp_redis_head(u_char *p, u_char type, uint64_t n)
{
    *p++ = type;
    p = ngx_http_smotp_redis_number(p, n);
    *p++ = CR; *p++ = LF;

    return p;
}


/* a bulk string of RESP */

u_char *
ngx_http_smotp_redis_bulk(u_char *p, u_char *data, size_t len)
{
    p = ngx_http_smotp_redis_head(p, '$', len);
    p = ngx_cpymem(p, data, len);
    *p++ = CR; *p++ = LF;

    return p;
}


/*
 * n in decimal: what ngx_sprintf()'s "%uL" writes, without its reading
 * of a format (a batch's command has a few numbers for each count)
 */

u_char *
ngx_http_smotp_redis_number(u_char *p, uint64_t n)
{
    u_char  *q;
    u_char   digits[NGX_INT64_LEN];

    q = digits + NGX_INT64_LEN;

    do {
        *--q = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return ngx_cpymem(p, q, digits + NGX_INT64_LEN - q);
}


/*
 * The call made: a subrequest into "uri", the location of
 * smotp_redis_pass, run in memory and in the background (the request
 * goes on when its handler posts it, or has ended when a count is given
 * back after the answer); NGX_DONE when it is under way
 */

ngx_int_t
ngx_http_smotp_redis_call(ngx_http_request_t *r, ngx_str_t *uri,
    ngx_http_smotp_redis_call_t *call)
{
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_smotp_redis_done;
    ps->data = call;

    call->rc = NGX_ERROR;
    call->done = 0;
    call->type = 0;
    call->nvalues = 0;
    ngx_str_null(&call->error);
    ngx_str_null(&call->bulk);

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->method = NGX_HTTP_GET;
    sr->header_only = 1;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_smotp_redis_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_smotp_redis_call_t *call = data;

    if (call->done) {
        return NGX_OK;
    }

    call->done = 1;

    if (rc != NGX_OK || sr->upstream == NULL || call->type == 0) {
        call->rc = NGX_ERROR;

        if (call->error.len == 0) {
            if (rc == NGX_HTTP_GATEWAY_TIME_OUT) {
                ngx_str_set(&call->error, "timed out");

            } else if (sr->upstream == NULL) {
                ngx_str_set(&call->error, "not a smotp_redis_pass location");

            } else {
                ngx_str_set(&call->error, "no answer");
            }
        }
    }

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        /* the visitor left: the request ends without this */
        return rc;
    }

    if (call->handler) {
        call->handler(sr->main, call);
    }

    return NGX_OK;
}


/* the call of a subrequest made by ngx_http_smotp_redis_call() */

static ngx_http_smotp_redis_call_t *
ngx_http_smotp_redis_call_of(ngx_http_request_t *r)
{
    if (r == r->main || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_smotp_redis_done)
    {
        return NULL;
    }

    return r->post_subrequest->data;
}


static ngx_int_t
ngx_http_smotp_redis_handler(ngx_http_request_t *r)
{
    ngx_str_t                     text;
    ngx_http_upstream_t          *u;
    ngx_http_smotp_loc_conf_t    *slcf;
    ngx_http_smotp_redis_call_t  *call;

    call = ngx_http_smotp_redis_call_of(r);

    if (call == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp_redis_pass takes only the module's own "
                      "subrequests: make its location internal");

        ngx_str_set(&text, "not found");
        return ngx_http_smotp_send_error(r, NGX_HTTP_NOT_FOUND, &text);
    }

    if (ngx_http_upstream_create(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    u = r->upstream;

    ngx_str_set(&u->schema, "redis://");
    u->output.tag = (ngx_buf_tag_t) &ngx_http_smotp_module;

    u->conf = slcf->redis;

    u->create_request = ngx_http_smotp_redis_create_request;
    u->reinit_request = ngx_http_smotp_redis_reinit_request;
    u->process_header = ngx_http_smotp_redis_process_header;
    u->abort_request = ngx_http_smotp_redis_abort_request;
    u->finalize_request = ngx_http_smotp_redis_finalize_request;

    /*
     * no input filter: the subrequest is header_only, and nginx ends the
     * upstream once the header (here, all the replies) is read
     */

    call->auth = (slcf->redis_auth.len != 0);
    call->auth_failed = 0;

    r->main->count++;

    ngx_http_upstream_init(r);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_smotp_redis_create_request(ngx_http_request_t *r)
{
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl, **ll;
    ngx_http_smotp_loc_conf_t    *slcf;
    ngx_http_smotp_redis_call_t  *call;
    ngx_str_t                    *part[2];
    ngx_uint_t                    i;

    call = ngx_http_smotp_redis_call_of(r);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    part[0] = &slcf->redis_auth;
    part[1] = &call->command;

    ll = &r->upstream->request_bufs;

    for (i = call->auth ? 0 : 1; i < 2; i++) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = part[i]->data;
        b->last = part[i]->data + part[i]->len;
        b->memory = 1;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_redis_reinit_request(ngx_http_request_t *r)
{
    ngx_http_smotp_redis_call_t  *call;

    call = ngx_http_smotp_redis_call_of(r);

    call->type = 0;
    call->nvalues = 0;
    call->auth_failed = 0;
    ngx_str_null(&call->error);

    return NGX_OK;
}


/*
 * The replies, once all are in the buffer: the AUTH's (when sent), then
 * the command's.  The status is 200 for any reply Redis gave, errors
 * included: those are the call's own, not the upstream's.
 */

static ngx_int_t
ngx_http_smotp_redis_process_header(ngx_http_request_t *r)
{
    u_char                       *p;
    ngx_buf_t                    *b;
    ngx_http_upstream_t          *u;
    ngx_http_smotp_redis_call_t  *call;

    u = r->upstream;
    b = &u->buffer;
    call = ngx_http_smotp_redis_call_of(r);

    p = b->pos;

    if (call->auth) {
        p = ngx_http_smotp_redis_reply(p, b->last, call, 0);

        if (p == NGX_HTTP_SMOTP_REDIS_AGAIN) {
            return NGX_AGAIN;
        }

        if (p == NULL) {
            goto invalid;
        }

        if (call->type == '-') {
            call->auth_failed = 1;
        }
    }

    p = ngx_http_smotp_redis_reply(p, b->last, call, !call->auth_failed);

    if (p == NGX_HTTP_SMOTP_REDIS_AGAIN) {
        call->type = 0;
        return NGX_AGAIN;
    }

    if (p == NULL) {
        goto invalid;
    }

    call->rc = (call->type == '-' || call->auth_failed) ? NGX_ERROR : NGX_OK;

    b->pos = p;

    u->headers_in.status_n = NGX_HTTP_OK;
    u->state->status = NGX_HTTP_OK;
    u->headers_in.content_length_n = 0;

    /* nothing more was sent: the connection may serve the next call */

    u->keepalive = (p == b->last);

    return NGX_OK;

invalid:

    call->type = 0;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smotp redis: the reply is not RESP as expected");

    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
}


/*
 * One reply from p: the position after it, AGAIN when it is not all in
 * yet, NULL when it is not RESP or not of a kind the module asks for.
 * With "keep", its values are kept in the call (an error's text always
 * is, the first one).
 */

static u_char *
ngx_http_smotp_redis_reply(u_char *p, u_char *last,
    ngx_http_smotp_redis_call_t *call, ngx_uint_t keep)
{
    u_char     type;
    ngx_int_t  n, i, v;
    ngx_str_t  line;

    p = ngx_http_smotp_redis_line(p, last, &line);

    if (p == NULL || p == NGX_HTTP_SMOTP_REDIS_AGAIN) {
        return p;
    }

    type = line.data[0];
    line.data++;
    line.len--;

    call->type = type;

    switch (type) {

    case '+':
        return p;

    case '-':
        if (call->error.len == 0) {
            call->error = line;
        }

        return p;

    case ':':
        v = ngx_atoi(line.data, line.len);

        if (v == NGX_ERROR) {
            return NULL;
        }

        if (keep && call->nalloc) {
            call->values[0] = v;
            call->nvalues = 1;
        }

        return p;

    case '$':
        if (line.len == 2 && line.data[0] == '-' && line.data[1] == '1') {
            /* nil: no such key */
            call->type = '_';

            return p;
        }

        n = ngx_atoi(line.data, line.len);

        if (n == NGX_ERROR || n > NGX_HTTP_SMOTP_REDIS_BULK_MAX) {
            return NULL;
        }

        if (last - p < n + 2) {
            return NGX_HTTP_SMOTP_REDIS_AGAIN;
        }

        if (p[n] != CR || p[n + 1] != LF) {
            return NULL;
        }

        if (keep) {
            call->bulk.data = p;
            call->bulk.len = n;
        }

        return p + n + 2;

    case '*':
        n = ngx_atoi(line.data, line.len);

        if (n == NGX_ERROR || (ngx_uint_t) n > call->nalloc) {
            return NULL;
        }

        for (i = 0; i < n; i++) {
            p = ngx_http_smotp_redis_integer(p, last, &v);

            if (p == NULL || p == NGX_HTTP_SMOTP_REDIS_AGAIN) {
                return p;
            }

            if (keep) {
                call->values[i] = v;
            }
        }

        if (keep) {
            call->nvalues = n;
        }

        call->type = '*';

        return p;
    }

    return NULL;
}


/*
 * An array's integer, ":digits\r\n", read as it comes (a batch's answer
 * has hundreds), of at most 18 digits: AGAIN while it is not all in,
 * NULL for anything else
 */

static u_char *
ngx_http_smotp_redis_integer(u_char *p, u_char *last, ngx_int_t *value)
{
    u_char     *start;
    ngx_int_t   v;

    if (p == last) {
        return NGX_HTTP_SMOTP_REDIS_AGAIN;
    }

    if (*p++ != ':') {
        return NULL;
    }

    start = p;
    v = 0;

    while (p < last && *p >= '0' && *p <= '9') {

        if (p - start == 18) {
            return NULL;
        }

        v = v * 10 + (*p++ - '0');
    }

    if (last - p < 2) {
        return NGX_HTTP_SMOTP_REDIS_AGAIN;
    }

    if (p == start || p[0] != CR || p[1] != LF) {
        return NULL;
    }

    *value = v;

    return p + 2;
}


/* a line to its CRLF, not empty: AGAIN while it is not all in */

static u_char *
ngx_http_smotp_redis_line(u_char *p, u_char *last, ngx_str_t *line)
{
    u_char  *lf;

    lf = ngx_strlchr(p, last, LF);

    if (lf == NULL) {
        return (last - p > 256) ? NULL : NGX_HTTP_SMOTP_REDIS_AGAIN;
    }

    if (lf - p < 2 || lf[-1] != CR) {
        return NULL;
    }

    line->data = p;
    line->len = lf - 1 - p;

    return lf + 1;
}


static void
ngx_http_smotp_redis_abort_request(ngx_http_request_t *r)
{
    return;
}


static void
ngx_http_smotp_redis_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
{
    return;
}
