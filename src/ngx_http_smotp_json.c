
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * JSON: cJSON reads what clients and the API send; the small objects the
 * module writes are put together here directly in the request's pool.
 */


#include "ngx_http_smotp_json.h"


static size_t ngx_http_smotp_utf8_char(u_char *p, size_t size);
static void ngx_http_smotp_json_cleanup(void *data);


/* what the module answers, sends the API and takes from clients */

ngx_str_t  ngx_http_smotp_json_media_type = ngx_string("application/json");


/*
 * cJSON's allocation hooks are process-wide, and another user of libcjson
 * in the same process (another module, a Lua C library) may have set its
 * own: cJSON_InitHooks() cannot say what they were, so nothing here sets
 * them.  A tree is made with the hooks in effect and deleted by a cleanup
 * of the pool it was parsed for, with the same hooks.  The strings the
 * module takes from a tree in place (the client's fields, the API's ids and
 * texts) stay valid as long as the pool's own memory: the pool runs its
 * cleanups first when it is destroyed, after the request is logged.
 */

cJSON *
ngx_http_smotp_json_parse(ngx_pool_t *pool, ngx_str_t *text)
{
    cJSON               *json;
    const char          *end, *last;
    ngx_pool_cleanup_t  *cln;

    if (text->len == 0) {
        return NULL;
    }

    /* first, so that no tree is made without a way to delete it */

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    end = NULL;

    json = cJSON_ParseWithLengthOpts((const char *) text->data, text->len,
                                     &end, 0);

    if (json == NULL) {
        /* the cleanup has no handler: it does nothing */
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

    cln->handler = ngx_http_smotp_json_cleanup;
    cln->data = json;

    return json;
}


static void
ngx_http_smotp_json_cleanup(void *data)
{
    cJSON_Delete(data);
}


/*
 * The module's answers and API requests are a few members each, so they
 * are written straight into the pool: no JSON tree.  A string member is
 * escaped in one pass into room for the worst case (every byte a \u00XX)
 * when it is short, as every string the module writes is; a plain member
 * (a checked phone number, id, code or UUID, or the API's text found to
 * have nothing to escape) is copied as it is.
 */

#define NGX_HTTP_SMOTP_JSON_SHORT  256

ngx_int_t
ngx_http_smotp_json_object(ngx_pool_t *pool,
    ngx_http_smotp_json_member_t *members, ngx_uint_t n, ngx_str_t *out)
{
    u_char                        *p;
    size_t                         len;
    ngx_uint_t                     i;
    ngx_http_smotp_json_member_t  *m;

    len = sizeof("{}") - 1;

    for (i = 0; i < n; i++) {
        m = &members[i];

        len += sizeof("\"\":,") - 1 + m->name.len;

        switch (m->type) {

        case NGX_HTTP_SMOTP_JSON_STRING:
            len += sizeof("\"\"") - 1 + m->str.len
                   + ((m->str.len <= NGX_HTTP_SMOTP_JSON_SHORT)
                      ? (sizeof("\\u001F") - 2) * m->str.len
                      : ngx_escape_json(NULL, m->str.data, m->str.len));
            break;

        case NGX_HTTP_SMOTP_JSON_PLAIN:
            len += sizeof("\"\"") - 1 + m->str.len;
            break;

        case NGX_HTTP_SMOTP_JSON_NUMBER:
            len += NGX_INT_T_LEN;
            break;

        case NGX_HTTP_SMOTP_JSON_BOOL:
            len += sizeof("false") - 1;
            break;

        default: /* NGX_HTTP_SMOTP_JSON_DECIMAL, NGX_HTTP_SMOTP_JSON_RAW */
            len += m->str.len;
        }
    }

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;
    *p++ = '{';

    for (i = 0; i < n; i++) {
        m = &members[i];

        if (i) {
            *p++ = ',';
        }

        *p++ = '"';
        p = ngx_cpymem(p, m->name.data, m->name.len);
        *p++ = '"';
        *p++ = ':';

        switch (m->type) {

        case NGX_HTTP_SMOTP_JSON_STRING:
            *p++ = '"';
            p = (u_char *) ngx_escape_json(p, m->str.data, m->str.len);
            *p++ = '"';
            break;

        case NGX_HTTP_SMOTP_JSON_PLAIN:
            *p++ = '"';
            p = ngx_cpymem(p, m->str.data, m->str.len);
            *p++ = '"';
            break;

        case NGX_HTTP_SMOTP_JSON_NUMBER:
            p = ngx_sprintf(p, "%i", m->num);
            break;

        case NGX_HTTP_SMOTP_JSON_BOOL:
            p = m->num ? ngx_cpymem(p, "true", 4) : ngx_cpymem(p, "false", 5);
            break;

        default: /* NGX_HTTP_SMOTP_JSON_DECIMAL, NGX_HTTP_SMOTP_JSON_RAW */
            p = ngx_cpymem(p, m->str.data, m->str.len);
        }
    }

    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * The text of the string member "name": NGX_OK, NGX_DECLINED when there is
 * no such member (or it is null), NGX_ABORT when it is not a string
 */

ngx_int_t
ngx_http_smotp_json_string(cJSON *obj, const char *name, u_char **text)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return NGX_DECLINED;
    }

    if (!cJSON_IsString(item)) {
        return NGX_ABORT;
    }

    *text = (u_char *) item->valuestring;

    return NGX_OK;
}


/*
 * NGX_OK with a string member made safe by ngx_http_smotp_json_text()
 * (which sets "escape", when given), NGX_DECLINED when there is no such
 * member, NGX_ABORT when it is not a string
 */

ngx_int_t
ngx_http_smotp_json_get_string(ngx_pool_t *pool, cJSON *obj, const char *name,
    ngx_str_t *value, ngx_uint_t *escape)
{
    u_char     *text;
    ngx_int_t   rc;

    rc = ngx_http_smotp_json_string(obj, name, &text);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_smotp_json_text(pool, text, value, escape);
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
 * A decimal number, such as a wallet's balance, as text to write in a JSON
 * answer as it is: NGX_OK, NGX_DECLINED when there is no such member (or
 * it is null), NGX_ABORT when it is not a number or its magnitude, once
 * rounded, is not below 10^15 (cJSON reads 1e999 as an infinity),
 * NGX_ERROR.
 *
 * A double keeps 15 significant decimal digits (DBL_DIG), so the text is
 * rounded at the 15th digit from the units' place: what the API wrote
 * with no more digits than that comes back as it was meant (250.0 is
 * "250", 0.1 "0.1", 2.5e-3 "0.0025"), with neither exponent nor trailing
 * zeros; magnitudes below 5e-15 read as 0.  No zero has a minus sign.
 */

#define NGX_HTTP_SMOTP_JSON_DIGITS      15
#define NGX_HTTP_SMOTP_JSON_NUMBER_MAX  1e15
#define NGX_HTTP_SMOTP_JSON_NUMBER_LEN                                        \
    (sizeof("-.") - 1 + NGX_HTTP_SMOTP_JSON_DIGITS)

ngx_int_t
ngx_http_smotp_json_get_number(ngx_pool_t *pool, cJSON *obj,
    const char *name, ngx_str_t *value)
{
    u_char      *p;
    cJSON       *item;
    double       d, a;
    uint64_t     n, whole, frac, scale;
    ngx_uint_t   digits, decimals, i;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return NGX_DECLINED;
    }

    if (!cJSON_IsNumber(item)) {
        return NGX_ABORT;
    }

    d = item->valuedouble;

    /* written so that a NaN fails it too */

    if (!(d > -NGX_HTTP_SMOTP_JSON_NUMBER_MAX
          && d < NGX_HTTP_SMOTP_JSON_NUMBER_MAX))
    {
        return NGX_ABORT;
    }

    a = (d < 0) ? -d : d;

    digits = 1;

    for (n = (uint64_t) a; n >= 10; n /= 10) {
        digits++;
    }

    decimals = NGX_HTTP_SMOTP_JSON_DIGITS - digits;

    scale = 1;

    for (i = 0; i < decimals; i++) {
        scale *= 10;
    }

    /* below 10^15 < 2^53: every whole number there is exact in a double */

    n = (uint64_t) (a * (double) scale + 0.5);

    whole = n / scale;
    frac = n % scale;

    /* 999999999999999.5 and over, rounded up to 16 digits */

    if (whole >= (uint64_t) NGX_HTTP_SMOTP_JSON_NUMBER_MAX) {
        return NGX_ABORT;
    }

    while (decimals && frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }

    value->data = ngx_pnalloc(pool, NGX_HTTP_SMOTP_JSON_NUMBER_LEN);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    p = value->data;

    if (d < 0 && n != 0) {
        *p++ = '-';
    }

    p = ngx_sprintf(p, "%uL", whole);

    if (decimals) {
        *p++ = '.';

        for (i = decimals; i; i--) {
            p[i - 1] = (u_char) ('0' + frac % 10);
            frac /= 10;
        }

        p += decimals;
    }

    value->len = p - value->data;

    return NGX_OK;
}


/*
 * Text from outside (the API's messages and ids, in a tree that lives as
 * long as the pool) made safe to write in a JSON answer: valid UTF-8,
 * anything else becomes "?", and at most NGX_HTTP_SMOTP_MAX_MESSAGE_LEN
 * bytes.  Text that is fine as it is, as the API's text nearly always is,
 * is used in place; only text to mend is copied.  "escape", when given,
 * is set to 1 if the text has characters that JSON escapes (control
 * characters, '"' and '\\'), found in the same pass, so that text without
 * them can be written as it is.
 */

ngx_int_t
ngx_http_smotp_json_text(ngx_pool_t *pool, u_char *text, ngx_str_t *out,
    ngx_uint_t *escape)
{
    u_char      *p, *last, *dst;
    size_t       len, n;
    ngx_uint_t   esc;

    /*
     * each byte's kind: 0 a character written as it is, 1 one that JSON
     * escapes (or the NUL that ends the text), 2 a byte of a longer UTF-8
     * character, or not a character at all
     */

    static u_char  kind[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* control */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* control */
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* " */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,  /* \\ */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* not ASCII */
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
    };

    /*
     * the text is NUL-terminated, and a NUL is never part of a character:
     * nothing past it is read
     */

    len = 0;
    esc = 0;

    while (len < NGX_HTTP_SMOTP_MAX_MESSAGE_LEN) {

        switch (kind[text[len]]) {

        case 0:
            len++;
            continue;

        case 1:
            if (text[len] == '\0') {
                break;
            }

            esc = 1;
            len++;
            continue;

        default: /* 2 */
            n = ngx_http_smotp_utf8_char(&text[len],
                                         NGX_HTTP_SMOTP_MAX_MESSAGE_LEN - len);

            if (n == 0) {
                break;
            }

            len += n;
            continue;
        }

        /* the NUL at the end, or a byte that is not part of a character */

        break;
    }

    if (len == NGX_HTTP_SMOTP_MAX_MESSAGE_LEN || text[len] == '\0') {
        out->data = text;
        out->len = len;

        if (escape) {
            *escape = esc;
        }

        return NGX_OK;
    }

    if (escape) {
        *escape = 1;
    }

    /* mended from the first byte that is not a character */

    p = &text[len];
    last = p + ngx_strnlen(p, NGX_HTTP_SMOTP_MAX_MESSAGE_LEN - len);
    len = last - text;

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst = ngx_cpymem(out->data, text, p - text);

    while (p < last) {

        if (*p < 0x80) {
            *dst++ = *p++;
            continue;
        }

        n = ngx_http_smotp_utf8_char(p, last - p);

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
 * The length of the UTF-8 character at p, within "size" bytes, or 0 when
 * it is not one (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF); nginx's ngx_utf8_decode() lets surrogates through, and lead
 * bytes F8-FF and continuation bytes C0-FF as well.
 */

static size_t
ngx_http_smotp_utf8_char(u_char *p, size_t size)
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

    if (size < n) {
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
    ngx_int_t    rc;
    ngx_uint_t   escape;

    m->name.data = (u_char *) name;
    m->name.len = ngx_strlen(name);
    m->type = type;

    if (type == NGX_HTTP_SMOTP_JSON_DECIMAL) {
        return ngx_http_smotp_json_get_number(pool, data, name, &m->str);
    }

    if (type != NGX_HTTP_SMOTP_JSON_STRING) {
        return ngx_http_smotp_json_get_count(data, name, &m->num);
    }

    rc = ngx_http_smotp_json_get_string(pool, data, name, &m->str, &escape);

    if (rc == NGX_OK && !escape) {
        m->type = NGX_HTTP_SMOTP_JSON_PLAIN;
    }

    return rc;
}
