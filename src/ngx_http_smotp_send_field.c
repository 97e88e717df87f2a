
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_send_field: fields the API accepts, added to the body of a send
 * (a DLT template, the placeholders of a message), so that operators
 * follow the API without a new release of the module.  A dot in a name
 * makes a nested object: "variables.appName" is {"variables":
 * {"appName": ...}}.  The fields are kept as a tree made when nginx reads
 * its configuration; a send walks it once.
 */


#include "ngx_http_smotp_send_field.h"
#include "ngx_http_smotp_json.h"


#define NGX_HTTP_SMOTP_FIELD_DEPTH     4
#define NGX_HTTP_SMOTP_FIELD_NAME_LEN  64


typedef enum {
    NGX_HTTP_SMOTP_FIELD_STRING = 0,
    NGX_HTTP_SMOTP_FIELD_NUMBER,
    NGX_HTTP_SMOTP_FIELD_BOOLEAN,
    NGX_HTTP_SMOTP_FIELD_OBJECT
} ngx_http_smotp_field_kind_e;


/* a field: a value, or an object of fields */

typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    full;          /* with its parents' names */
    ngx_http_smotp_field_kind_e  kind;
    ngx_http_complex_value_t     value;
    ngx_array_t                 *fields;        /* an object's */
} ngx_http_smotp_send_field_t;


static ngx_int_t ngx_http_smotp_send_field_name(ngx_str_t *name);
static ngx_int_t ngx_http_smotp_send_field_check(
    ngx_http_smotp_field_kind_e kind, ngx_str_t *value);
static ngx_int_t ngx_http_smotp_send_field_object(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_array_t *fields,
    ngx_http_smotp_json_member_t *first, ngx_uint_t nfirst, ngx_str_t *out);


/* the names the module sets itself */

static ngx_str_t  ngx_http_smotp_send_field_own[] = {
    ngx_string("phoneNumber"),
    ngx_string("idempotencyKey")
};


static ngx_str_t  ngx_http_smotp_send_field_kinds[] = {
    ngx_string("type=string"),
    ngx_string("type=number"),
    ngx_string("type=boolean")
};


/* smotp_send_field name value [type=string|number|boolean] */

char *
ngx_http_smotp_send_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    u_char                             *p, *last, *dot;
    ngx_str_t                          *value, seg;
    ngx_uint_t                          i;
    ngx_array_t                       **fields;
    ngx_http_smotp_field_kind_e         kind;
    ngx_http_smotp_send_field_t        *f;
    ngx_http_compile_complex_value_t    ccv;

    value = cf->args->elts;

    if (ngx_http_smotp_send_field_name(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid field name \"%V\" in \"%V\" directive: "
                           "names of letters, digits, \"_\" and \"-\" "
                           "joined by \".\" are expected, %d deep and %d "
                           "characters at most", &value[1], &cmd->name,
                           NGX_HTTP_SMOTP_FIELD_DEPTH,
                           NGX_HTTP_SMOTP_FIELD_NAME_LEN);
        return NGX_CONF_ERROR;
    }

    kind = NGX_HTTP_SMOTP_FIELD_STRING;

    if (cf->args->nelts == 4) {
        for (i = 0; i < 3; i++) {
            if (value[3].len == ngx_http_smotp_send_field_kinds[i].len
                && ngx_strncmp(value[3].data,
                               ngx_http_smotp_send_field_kinds[i].data,
                               value[3].len)
                   == 0)
            {
                break;
            }
        }

        if (i == 3) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\" "
                               "directive: type=string, type=number or "
                               "type=boolean is expected",
                               &value[3], &cmd->name);
            return NGX_CONF_ERROR;
        }

        kind = (ngx_http_smotp_field_kind_e) i;
    }

    /* the name's first part is where the module's own fields are */

    dot = ngx_strlchr(value[1].data, value[1].data + value[1].len, '.');
    seg.data = value[1].data;
    seg.len = (dot ? dot : value[1].data + value[1].len) - value[1].data;

    for (i = 0; i < 2; i++) {
        if (seg.len == ngx_http_smotp_send_field_own[i].len
            && ngx_strncmp(seg.data, ngx_http_smotp_send_field_own[i].data,
                           seg.len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" cannot set \"%V\": the module sets "
                               "it itself", &cmd->name, &seg);
            return NGX_CONF_ERROR;
        }
    }

    /* down the tree, an object made for each part but the last */

    if (slcf->send_fields == NGX_CONF_UNSET_PTR) {
        slcf->send_fields = NULL;
    }

    fields = &slcf->send_fields;
    p = value[1].data;
    last = value[1].data + value[1].len;

    for ( ;; ) {

        dot = ngx_strlchr(p, last, '.');

        seg.data = p;
        seg.len = (dot ? dot : last) - p;

        if (*fields == NULL) {
            *fields = ngx_array_create(cf->pool, 2,
                                       sizeof(ngx_http_smotp_send_field_t));
            if (*fields == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        f = (*fields)->elts;

        for (i = 0; i < (*fields)->nelts; i++) {
            if (f[i].name.len == seg.len
                && ngx_strncmp(f[i].name.data, seg.data, seg.len) == 0)
            {
                break;
            }
        }

        if (i < (*fields)->nelts) {

            if (dot == NULL || f[i].kind != NGX_HTTP_SMOTP_FIELD_OBJECT) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" \"%V\" clashes with \"%V\", "
                                   "given before", &cmd->name, &value[1],
                                   &f[i].full);
                return NGX_CONF_ERROR;
            }

            f = &f[i];

        } else {
            f = ngx_array_push(*fields);
            if (f == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memzero(f, sizeof(ngx_http_smotp_send_field_t));

            f->name = seg;
            f->full.data = value[1].data;
            f->full.len = seg.data + seg.len - value[1].data;
            f->kind = dot ? NGX_HTTP_SMOTP_FIELD_OBJECT : kind;
        }

        if (dot == NULL) {
            break;
        }

        fields = &f->fields;
        p = dot + 1;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &f->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (f->value.lengths == NULL
        && ngx_http_smotp_send_field_check(kind, &value[2]) != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" of \"%V\" in \"%V\" "
                           "directive: a %s is expected", &value[2],
                           &value[1], &cmd->name,
                           (kind == NGX_HTTP_SMOTP_FIELD_STRING)
                           ? "UTF-8 text"
                           : (kind == NGX_HTTP_SMOTP_FIELD_NUMBER)
                             ? "JSON number" : "\"true\" or \"false\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* parts of [A-Za-z0-9_-]+ joined by ".", not too deep, not too long */

static ngx_int_t
ngx_http_smotp_send_field_name(ngx_str_t *name)
{
    u_char      ch;
    size_t      i, seg;
    ngx_uint_t  depth;

    if (name->len == 0 || name->len > NGX_HTTP_SMOTP_FIELD_NAME_LEN) {
        return NGX_DECLINED;
    }

    depth = 1;
    seg = 0;

    for (i = 0; i < name->len; i++) {
        ch = name->data[i];

        if (ch == '.') {
            if (seg == 0 || ++depth > NGX_HTTP_SMOTP_FIELD_DEPTH) {
                return NGX_DECLINED;
            }

            seg = 0;
            continue;
        }

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
        {
            return NGX_DECLINED;
        }

        seg++;
    }

    return (seg == 0) ? NGX_DECLINED : NGX_OK;
}


/* a value that can be written as the field's kind */

static ngx_int_t
ngx_http_smotp_send_field_check(ngx_http_smotp_field_kind_e kind,
    ngx_str_t *value)
{
    u_char  *p, *last;

    p = value->data;
    last = p + value->len;

    switch (kind) {

    case NGX_HTTP_SMOTP_FIELD_STRING:

        while (p < last) {
            if (*p < 0x80) {
                p++;
                continue;
            }

            if (ngx_utf8_decode(&p, last - p) > 0x10ffff) {
                return NGX_DECLINED;
            }
        }

        return NGX_OK;

    case NGX_HTTP_SMOTP_FIELD_BOOLEAN:

        if ((value->len == 4 && ngx_strncmp(p, "true", 4) == 0)
            || (value->len == 5 && ngx_strncmp(p, "false", 5) == 0))
        {
            return NGX_OK;
        }

        return NGX_DECLINED;

    default: /* NGX_HTTP_SMOTP_FIELD_NUMBER */
        break;
    }

    /* JSON's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

    if (p < last && *p == '-') {
        p++;
    }

    if (p == last || *p < '0' || *p > '9') {
        return NGX_DECLINED;
    }

    if (*p++ != '0') {
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && *p == '.') {
        if (++p == last || *p < '0' || *p > '9') {
            return NGX_DECLINED;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == last || *p < '0' || *p > '9') {
            return NGX_DECLINED;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    return (p == last) ? NGX_OK : NGX_DECLINED;
}


/*
 * The send's body: the module's own members, then the location's fields.
 * A field whose value comes out empty is left out, as proxy_set_header
 * leaves out a header, and so is an object left with no field.  A value
 * from a variable that cannot be written as its kind is the client's
 * doing (variables carry the request): 400, the field named in the log.
 */

ngx_int_t
ngx_http_smotp_send_field_body(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_json_member_t *own,
    ngx_uint_t n, ngx_str_t *body)
{
    ngx_http_smotp_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->send_fields == NULL) {
        return ngx_http_smotp_json_object(r->pool, own, n, body);
    }

    return ngx_http_smotp_send_field_object(r, ctx, slcf->send_fields, own,
                                            n, body);
}


static ngx_int_t
ngx_http_smotp_send_field_object(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_array_t *fields,
    ngx_http_smotp_json_member_t *first, ngx_uint_t nfirst, ngx_str_t *out)
{
    ngx_int_t                      rc;
    ngx_str_t                      value;
    ngx_uint_t                     i, n;
    ngx_http_smotp_send_field_t   *f;
    ngx_http_smotp_json_member_t  *m;

    m = ngx_palloc(r->pool, (nfirst + fields->nelts)
                            * sizeof(ngx_http_smotp_json_member_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    for (n = 0; n < nfirst; n++) {
        m[n] = first[n];
    }

    f = fields->elts;

    for (i = 0; i < fields->nelts; i++) {

        if (f[i].kind == NGX_HTTP_SMOTP_FIELD_OBJECT) {
            rc = ngx_http_smotp_send_field_object(r, ctx, f[i].fields, NULL,
                                                  0, &value);
            if (rc != NGX_OK) {
                return rc;
            }

            if (value.len == sizeof("{}") - 1) {
                continue;
            }

            m[n].type = NGX_HTTP_SMOTP_JSON_RAW;

        } else {
            if (ngx_http_complex_value(r, &f[i].value, &value) != NGX_OK) {
                return NGX_ERROR;
            }

            if (value.len == 0) {
                continue;
            }

            if (f[i].value.lengths
                && ngx_http_smotp_send_field_check(f[i].kind, &value)
                   != NGX_OK)
            {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "smotp send: the value of smotp_send_field "
                              "\"%V\" is not a %s", &f[i].full,
                              (f[i].kind == NGX_HTTP_SMOTP_FIELD_STRING)
                              ? "UTF-8 text"
                              : (f[i].kind == NGX_HTTP_SMOTP_FIELD_NUMBER)
                                ? "JSON number" : "\"true\" or \"false\"");

                ngx_str_set(&ctx->error, "the request carries a value the "
                                         "API does not take");
                return NGX_HTTP_BAD_REQUEST;
            }

            m[n].type = (f[i].kind == NGX_HTTP_SMOTP_FIELD_STRING)
                        ? NGX_HTTP_SMOTP_JSON_STRING : NGX_HTTP_SMOTP_JSON_RAW;
        }

        m[n].name = f[i].name;
        m[n].str = value;
        n++;
    }

    return ngx_http_smotp_json_object(r->pool, m, n, out);
}
