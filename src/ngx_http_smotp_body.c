
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The client's request: method and headers checked before the body is
 * read, then the body (in memory or in a temporary file) parsed as JSON or
 * as an HTML form into ctx->fields.
 */


#include "ngx_http_smotp_body.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_json.h"


static ngx_int_t ngx_http_smotp_read_body(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *body);
static ngx_int_t ngx_http_smotp_parse_json(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_smotp_field_t *fields, ngx_str_t *error);
static ngx_int_t ngx_http_smotp_parse_form(ngx_pool_t *pool,
    ngx_str_t *body, ngx_http_smotp_field_t *fields, ngx_str_t *error);
static ngx_int_t ngx_http_smotp_set_field(ngx_pool_t *pool,
    ngx_http_smotp_field_t *fields, ngx_str_t *error, ngx_str_t *name,
    ngx_str_t *value, ngx_http_smotp_field_type_e type);
static ngx_int_t ngx_http_smotp_media_type(ngx_str_t *value,
    ngx_str_t *type);
static ngx_int_t ngx_http_smotp_has_nul(ngx_str_t *body);
static ngx_int_t ngx_http_smotp_has_control(ngx_str_t *body);
static ngx_int_t ngx_http_smotp_content_coded(ngx_http_request_t *r);


static ngx_str_t  ngx_http_smotp_form_media_type =
    ngx_string("application/x-www-form-urlencoded");
static ngx_str_t  ngx_http_smotp_content_encoding =
    ngx_string("Content-Encoding");
static ngx_str_t  ngx_http_smotp_identity = ngx_string("identity");


static ngx_str_t  ngx_http_smotp_field_names[] = {
    ngx_string("phoneNumber"),
    ngx_string("requestId"),
    ngx_string("otpCode")
};


ngx_int_t
ngx_http_smotp_check_request(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_loc_conf_t *slcf)
{
    ngx_str_t  *type;

    if (!(r->method & ctx->endpoint->methods)) {
        if (ngx_http_smotp_add_header(r, "Allow", &ctx->endpoint->allow)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&ctx->error, "method not allowed");
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (!ctx->endpoint->body) {
        return NGX_OK;
    }

    if (r->headers_in.content_length_n > (off_t) slcf->max_body_size) {
        ngx_str_set(&ctx->error, "request body is too large");
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (ngx_http_smotp_content_coded(r) == NGX_OK) {
        if (ngx_http_smotp_add_header(r, "Accept-Encoding",
                                      &ngx_http_smotp_identity)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&ctx->error, "Content-Encoding is not supported: "
                                 "send the body as it is");
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (r->headers_in.content_type == NULL) {
        goto unsupported;
    }

    type = &r->headers_in.content_type->value;

    if (ngx_http_smotp_media_type(type, &ngx_http_smotp_json_media_type)
        == NGX_OK)
    {
        return NGX_OK;
    }

    if (ngx_http_smotp_media_type(type, &ngx_http_smotp_form_media_type)
        == NGX_OK)
    {
        ctx->form = 1;
        return NGX_OK;
    }

unsupported:

    ngx_str_set(&ctx->error, "Content-Type must be application/json or "
                             "application/x-www-form-urlencoded");

    return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
}


/* "type" matches the media type, case-insensitively, parameters ignored */

static ngx_int_t
ngx_http_smotp_media_type(ngx_str_t *value, ngx_str_t *type)
{
    u_char  *p, *last;

    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < type->len) {
        return NGX_DECLINED;
    }

    /* the usual spelling is all lowercase: compared at once */

    if (ngx_memcmp(p, type->data, type->len) != 0
        && ngx_strncasecmp(p, type->data, type->len) != 0)
    {
        return NGX_DECLINED;
    }

    for (p += type->len; p < last; p++) {
        if (*p == ';') {
            return NGX_OK;
        }

        if (*p != ' ' && *p != '\t') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_smotp_parse_body(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_loc_conf_t *slcf)
{
    ngx_int_t  rc;
    ngx_str_t  body;

    rc = ngx_http_smotp_read_body(r, ctx, slcf, &body);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_smotp_parse_fields(r->pool, &body, ctx->form, ctx->fields,
                                       &ctx->error);
}


/*
 * The fields of a body, JSON or a form; the body is the caller's own copy
 * (a form is decoded in place), and the fields' values point into it or
 * into the JSON tree in the pool.  NGX_OK, NGX_HTTP_BAD_REQUEST with the
 * reason in "error", or NGX_ERROR.
 */

ngx_int_t
ngx_http_smotp_parse_fields(ngx_pool_t *pool, ngx_str_t *body,
    ngx_uint_t form, ngx_http_smotp_field_t *fields, ngx_str_t *error)
{
    if (body->len == 0) {
        return NGX_OK;
    }

    if (form) {
        return ngx_http_smotp_parse_form(pool, body, fields, error);
    }

    return ngx_http_smotp_parse_json(pool, body, fields, error);
}


/*
 * The body in one piece: nginx may have kept it in memory, written it to
 * a temporary file, or both (a chunked body); it is small, so the copy
 * and a read of a local file are cheap.
 */

static ngx_int_t
ngx_http_smotp_read_body(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_loc_conf_t *slcf, ngx_str_t *body)
{
    off_t         len;
    u_char       *p;
    size_t        size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > (off_t) slcf->max_body_size) {
        ngx_str_set(&ctx->error, "request body is too large");
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (len == 0) {
        return NGX_OK;
    }

    body->data = ngx_pnalloc(r->pool, (size_t) len);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (!b->in_file || b->file == NULL) {
            continue;
        }

        size = (size_t) (b->file_last - b->file_pos);

        n = ngx_read_file(b->file, p, size, b->file_pos);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if ((size_t) n != size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "smotp: read only %z of %uz bytes of the request "
                          "body from \"%V\"", n, size, &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_parse_json(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_smotp_field_t *fields, ngx_str_t *error)
{
    cJSON                        *json, *item;
    ngx_int_t                     rc;
    ngx_str_t                     name, value;
    ngx_http_smotp_field_type_e   type;

    if (ngx_http_smotp_has_nul(body) == NGX_OK) {
        ngx_str_set(error, "request body must not contain NUL "
                                 "characters");
        return NGX_HTTP_BAD_REQUEST;
    }

    json = (ngx_http_smotp_has_control(body) == NGX_OK)
           ? NULL : ngx_http_smotp_json_parse(pool, body);

    if (json == NULL) {
        ngx_str_set(error, "request body is not valid JSON");
        return NGX_HTTP_BAD_REQUEST;
    }

    if (!cJSON_IsObject(json)) {
        ngx_str_set(error, "request body must be a JSON object");
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = NGX_OK;

    for (item = json->child; item; item = item->next) {

        if (item->string == NULL) {
            continue;
        }

        name.data = (u_char *) item->string;
        name.len = ngx_strlen(item->string);

        if (cJSON_IsString(item)) {
            type = NGX_HTTP_SMOTP_STRING;
            value.data = (u_char *) item->valuestring;
            value.len = ngx_strlen(item->valuestring);

        } else {
            type = NGX_HTTP_SMOTP_OTHER;
            ngx_str_null(&value);
        }

        rc = ngx_http_smotp_set_field(pool, fields, error, &name, &value,
                                      type);
        if (rc != NGX_OK) {
            break;
        }
    }

    return rc;
}


static ngx_int_t
ngx_http_smotp_parse_form(ngx_pool_t *pool, ngx_str_t *body,
    ngx_http_smotp_field_t *fields, ngx_str_t *error)
{
    u_char     *p, *last, *amp, *eq, *dst, *src;
    ngx_int_t   rc;
    ngx_str_t   name, value;

    /* decoded in place: the body is the module's own copy */

    p = body->data;
    last = p + body->len;

    while (p < last) {

        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        name.data = p;
        name.len = (eq ? eq : amp) - p;

        if (eq) {
            value.data = eq + 1;
            value.len = amp - eq - 1;

        } else {
            value.data = amp;
            value.len = 0;
        }

        p = amp + 1;

        if (name.len == 0) {
            continue;
        }

        for (src = name.data; src < name.data + name.len; src++) {
            if (*src == '+') {
                *src = ' ';
            }
        }

        for (src = value.data; src < value.data + value.len; src++) {
            if (*src == '+') {
                *src = ' ';
            }
        }

        src = name.data;
        dst = name.data;
        ngx_unescape_uri(&dst, &src, name.len, 0);
        name.len = dst - name.data;

        src = value.data;
        dst = value.data;
        ngx_unescape_uri(&dst, &src, value.len, 0);
        value.len = dst - value.data;

        rc = ngx_http_smotp_set_field(pool, fields, error, &name, &value,
                                      NGX_HTTP_SMOTP_STRING);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_set_field(ngx_pool_t *pool, ngx_http_smotp_field_t *fields,
    ngx_str_t *error, ngx_str_t *name, ngx_str_t *value,
    ngx_http_smotp_field_type_e type)
{
    u_char                  *p;
    ngx_uint_t               i;
    ngx_http_smotp_field_t  *f;

    for (i = 0; i < NGX_HTTP_SMOTP_NFIELDS; i++) {
        if (name->len == ngx_http_smotp_field_names[i].len
            && ngx_strncmp(name->data, ngx_http_smotp_field_names[i].data,
                           name->len)
               == 0)
        {
            break;
        }
    }

    if (i == NGX_HTTP_SMOTP_NFIELDS) {
        return NGX_OK;
    }

    f = &fields[i];

    if (value->len
        && ngx_strlchr(value->data, value->data + value->len, '\0'))
    {
        ngx_str_set(error, "request body must not contain NUL "
                                 "characters");
        return NGX_HTTP_BAD_REQUEST;
    }

    if (f->type != NGX_HTTP_SMOTP_MISSING) {
        error->data = ngx_pnalloc(pool, name->len
                                        + sizeof(" is given more than once"));
        if (error->data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_sprintf(error->data, "%V is given more than once", name);
        error->len = p - error->data;

        return NGX_HTTP_BAD_REQUEST;
    }

    /* the value stays where it is: in the body's copy or cJSON's tree */

    f->type = type;
    f->value = *value;

    return NGX_OK;
}


/*
 * cJSON ends its strings at a NUL, so "+919876543210\u0000..." would pass
 * for a phone number: a NUL, raw or escaped, is refused before parsing
 */

static ngx_int_t
ngx_http_smotp_has_nul(ngx_str_t *body)
{
    u_char  *p, *last;

    /* memchr() rather than a test of each byte: backslashes are rare */

    if (memchr(body->data, '\0', body->len) != NULL) {
        return NGX_OK;
    }

    p = body->data;
    last = p + body->len;

    for ( ;; ) {
        p = memchr(p, '\\', last - p);

        if (p == NULL) {
            return NGX_DECLINED;
        }

        if (last - p >= 6 && ngx_strncmp(p + 1, "u0000", 5) == 0) {
            return NGX_OK;
        }

        /* the escaped character is not the start of another escape */

        if (last - p <= 2) {
            return NGX_DECLINED;
        }

        p += 2;
    }
}


/*
 * NGX_OK when the body has a control character other than the three that
 * JSON takes as white space (RFC 8259): cJSON would take any of them for
 * white space, and none is allowed unescaped in a string
 */

static ngx_int_t
ngx_http_smotp_has_control(ngx_str_t *body)
{
    u_char  *p, *last;

    last = body->data + body->len;

    for (p = body->data; p < last; p++) {
        if (*p < 0x20 && *p != '\t' && *p != LF && *p != CR) {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * NGX_OK when the body comes in a content coding (gzip, say), which the
 * module does not undo: read as JSON it would only be "not valid JSON".
 * nginx keeps no pointer to Content-Encoding in headers_in, so the list is
 * walked; "identity", the absence of a coding, is taken.
 */

static ngx_int_t
ngx_http_smotp_content_coded(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_smotp_header_next(&part, &i,
                                           &ngx_http_smotp_content_encoding))
           != NULL)
    {
        if (h->value.len != ngx_http_smotp_identity.len
            || ngx_strncasecmp(h->value.data, ngx_http_smotp_identity.data,
                               ngx_http_smotp_identity.len)
               != 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}
