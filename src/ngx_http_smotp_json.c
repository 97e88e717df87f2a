
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * JSON: cJSON reads what clients and the API send; the small objects the
 * module writes are put together here directly in the request's pool.
 */


#include "ngx_http_smotp.h"


static size_t ngx_http_smotp_utf8_char(u_char *p, u_char *last);


/* a whole text, one JSON value, nothing but white space after it */

cJSON *
ngx_http_smotp_json_parse(ngx_str_t *text)
{
    cJSON       *json;
    const char  *end, *last;

    if (text->len == 0) {
        return NULL;
    }

    end = NULL;

    json = cJSON_ParseWithLengthOpts((const char *) text->data, text->len,
                                     &end, 0);
    if (json == NULL) {
        return NULL;
    }

    last = (const char *) text->data + text->len;

    while (end && end < last
           && (*end == ' ' || *end == '\t' || *end == CR || *end == LF))
    {
        end++;
    }

    if (end != last) {
        cJSON_Delete(json);
        return NULL;
    }

    return json;
}


ngx_int_t
ngx_http_smotp_json_object(ngx_pool_t *pool,
    ngx_http_smotp_json_member_t *members, ngx_uint_t n, ngx_str_t *out)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = sizeof("{}") - 1;

    for (i = 0; i < n; i++) {
        len += sizeof("\"\":,") - 1 + members[i].name.len;

        switch (members[i].type) {

        case NGX_HTTP_SMOTP_JSON_STRING:
            len += sizeof("\"\"") - 1 + members[i].str.len
                   + ngx_escape_json(NULL, members[i].str.data,
                                     members[i].str.len);
            break;

        case NGX_HTTP_SMOTP_JSON_NUMBER:
            len += NGX_INT_T_LEN;
            break;

        default: /* NGX_HTTP_SMOTP_JSON_BOOL */
            len += sizeof("false") - 1;
        }
    }

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;
    *p++ = '{';

    for (i = 0; i < n; i++) {

        if (i) {
            *p++ = ',';
        }

        *p++ = '"';
        p = ngx_cpymem(p, members[i].name.data, members[i].name.len);
        *p++ = '"';
        *p++ = ':';

        switch (members[i].type) {

        case NGX_HTTP_SMOTP_JSON_STRING:
            *p++ = '"';
            p = (u_char *) ngx_escape_json(p, members[i].str.data,
                                           members[i].str.len);
            *p++ = '"';
            break;

        case NGX_HTTP_SMOTP_JSON_NUMBER:
            p = ngx_sprintf(p, "%i", members[i].num);
            break;

        default: /* NGX_HTTP_SMOTP_JSON_BOOL */
            p = members[i].num ? ngx_cpymem(p, "true", 4)
                               : ngx_cpymem(p, "false", 5);
        }
    }

    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * NGX_OK with a copy of a string member, NGX_DECLINED when there is no
 * such member, NGX_ABORT when it is not a string
 */

ngx_int_t
ngx_http_smotp_json_get_string(ngx_pool_t *pool, cJSON *obj, const char *name,
    ngx_str_t *value)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return NGX_DECLINED;
    }

    if (!cJSON_IsString(item)) {
        return NGX_ABORT;
    }

    return ngx_http_smotp_json_text(pool, (u_char *) item->valuestring,
                                    value);
}


/* a whole number of things, such as attempts left */

ngx_int_t
ngx_http_smotp_json_get_count(cJSON *obj, const char *name, ngx_int_t *value)
{
    cJSON  *item;
    double  d;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return NGX_DECLINED;
    }

    if (!cJSON_IsNumber(item)) {
        return NGX_ABORT;
    }

    d = item->valuedouble;

    if (d < 0 || d > 1000000 || d != (double) (ngx_int_t) d) {
        return NGX_ABORT;
    }

    *value = (ngx_int_t) d;

    return NGX_OK;
}


/*
 * A copy of text from outside (the API's messages and ids) that is safe to
 * write in a JSON answer: valid UTF-8, anything else becomes "?", and at
 * most NGX_HTTP_SMOTP_MAX_MESSAGE_LEN bytes.
 */

ngx_int_t
ngx_http_smotp_json_text(ngx_pool_t *pool, u_char *text, ngx_str_t *out)
{
    u_char  *p, *last, *dst;
    size_t   len, n;

    len = ngx_min(ngx_strlen(text), NGX_HTTP_SMOTP_MAX_MESSAGE_LEN);

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst = out->data;
    p = text;
    last = text + len;

    while (p < last) {

        if (*p < 0x80) {
            *dst++ = *p++;
            continue;
        }

        n = ngx_http_smotp_utf8_char(p, last);

        if (n == 0) {
            *dst++ = '?';
            p++;
            continue;
        }

        dst = ngx_cpymem(dst, p, n);
        p += n;
    }

    out->len = dst - out->data;

    return NGX_OK;
}


/*
 * The length of the UTF-8 character at p, or 0 when it is not one
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF);
 * nginx's ngx_utf8_decode() lets surrogates through, and lead bytes
 * F8-FF and continuation bytes C0-FF as well.
 */

static size_t
ngx_http_smotp_utf8_char(u_char *p, u_char *last)
{
    size_t    n, i;
    uint32_t  u, min;

    if (*p >= 0xc2 && *p <= 0xdf) {
        n = 2;
        u = *p & 0x1f;
        min = 0x80;

    } else if (*p >= 0xe0 && *p <= 0xef) {
        n = 3;
        u = *p & 0x0f;
        min = 0x800;

    } else if (*p >= 0xf0 && *p <= 0xf4) {
        n = 4;
        u = *p & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        u = (u << 6) | (p[i] & 0x3f);
    }

    if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
        return 0;
    }

    return n;
}


/*
 * A member of the visitor's answer copied from the API's data: NGX_OK with
 * "m" filled in, NGX_DECLINED when the API left it out, NGX_ABORT when it
 * is not of the type expected, NGX_ERROR
 */

ngx_int_t
ngx_http_smotp_json_member(ngx_pool_t *pool, cJSON *data, char *name,
    ngx_http_smotp_json_type_e type, ngx_http_smotp_json_member_t *m)
{
    ngx_int_t  rc;

    m->name.data = (u_char *) name;
    m->name.len = ngx_strlen(name);
    m->type = type;

    if (type == NGX_HTTP_SMOTP_JSON_STRING) {
        rc = ngx_http_smotp_json_get_string(pool, data, name, &m->str);

    } else {
        rc = ngx_http_smotp_json_get_count(data, name, &m->num);
    }

    return rc;
}
