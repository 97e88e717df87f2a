
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The fuzz target: everything of the module that reads untrusted bytes,
 * called the way the module calls it, in a pool of its own (built with
 * NGX_DEBUG_PALLOC, every pool allocation is a malloc() of its own, so
 * that AddressSanitizer sees the bounds of each).  The first byte of an
 * input picks what the rest is (its value modulo 4):
 *
 *   '0'  a client's JSON body: parsed into fields, then each field checked
 *        as the endpoints check it, and the API's request written from the
 *        fields that pass
 *   '1'  a client's form body, the same way
 *   '2'  an API answer to a send: the text parsed, its "data" object made
 *        into the client's answer, its "message" and "error" into the
 *        client's error
 *   '3'  an API answer to a verify, the same way
 *
 * Besides memory errors, undefined behaviour and leaks, it aborts when
 * the module breaks one of its promises: a parse that ends neither NGX_OK
 * nor 400, a field with a NUL, a JSON text the module writes that does
 * not parse back, holds other than valid UTF-8, or differs from what went
 * in (any field's bytes written as a JSON string; the checked phone
 * numbers, ids and codes written as they are, without escaping; every
 * number of an API answer read by json_get_number() and written as a
 * decimal), and when it touches cJSON's allocation hooks: the target sets
 * hooks of its own, as another user of libcjson in the process may, and
 * checks that every block of the module's trees and of a tree made before
 * the input ("another user's") is freed through them.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_smotp.h"
#include "ngx_http_smotp_body.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_phone.h"

#include <stdio.h>
#include <stdlib.h>


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_fuzz_body(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_uint_t form);
static void ngx_fuzz_api(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_smotp_endpoint_t *endpoint);
static void ngx_fuzz_check_json(ngx_pool_t *pool, ngx_str_t *json,
    const char *name, ngx_str_t *value);
static void ngx_fuzz_check_readback(ngx_pool_t *pool, ngx_str_t *json,
    const char *name, ngx_str_t *value);
static void ngx_fuzz_check_utf8(ngx_str_t *s, const char *what);
static void ngx_fuzz_check_numbers(ngx_pool_t *pool, cJSON *obj);
static void *ngx_fuzz_cjson_malloc(size_t size);
static void ngx_fuzz_cjson_free(void *p);
static void ngx_fuzz_fail(const char *what);
static void ngx_fuzz_log_writer(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);


static ngx_open_file_t  ngx_fuzz_log_file;
static ngx_log_t        ngx_fuzz_log;

/* blocks given out by the target's cJSON hooks and not freed through them */
static ngx_uint_t       ngx_fuzz_cjson_blocks;

/* what the hooks put before each block, to know their own */
#define NGX_FUZZ_CJSON_MAGIC   0x736d6f7470ul
#define NGX_FUZZ_CJSON_HEADER  16


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cJSON_Hooks  hooks;

    ngx_pagesize = getpagesize();
    ngx_cacheline_size = NGX_CPU_CACHE_LINE;

    ngx_time_init();

    /*
     * every level, debug included, so that the module's log lines are
     * formatted too; written nowhere
     */

    ngx_fuzz_log_file.fd = NGX_INVALID_FILE;
    ngx_fuzz_log.file = &ngx_fuzz_log_file;
    ngx_fuzz_log.log_level = NGX_LOG_DEBUG | NGX_LOG_DEBUG_ALL;
    ngx_fuzz_log.writer = ngx_fuzz_log_writer;

    /*
     * hooks of "another user" of libcjson: blocks behind a header, so that
     * a block of theirs given to free() is an invalid free to ASan, and
     * one of free()'s given to them is caught by the header
     */

    hooks.malloc_fn = ngx_fuzz_cjson_malloc;
    hooks.free_fn = ngx_fuzz_cjson_free;

    cJSON_InitHooks(&hooks);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON       *other;
    u_char      *copy;
    ngx_uint_t   blocks;
    ngx_pool_t  *pool;

    if (size == 0) {
        return 0;
    }

    /* another user's tree, made with the hooks, kept across the input */

    other = cJSON_CreateString("another user's tree");
    if (other == NULL) {
        ngx_fuzz_fail("cJSON_CreateString() failed");
    }

    blocks = ngx_fuzz_cjson_blocks;

    if (blocks == 0) {
        ngx_fuzz_fail("cJSON does not use the target's hooks");
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, &ngx_fuzz_log);
    if (pool == NULL) {
        ngx_fuzz_fail("ngx_create_pool() failed");
    }

    /* a copy of exactly its size, as the module's own copy of a body */

    size--;
    copy = NULL;

    if (size) {
        copy = ngx_pnalloc(pool, size);
        if (copy == NULL) {
            ngx_fuzz_fail("ngx_pnalloc() failed");
        }

        ngx_memcpy(copy, data + 1, size);
    }

    switch (data[0] % 4) {

    case 0:
        ngx_fuzz_body(pool, copy, size, 0);
        break;

    case 1:
        ngx_fuzz_body(pool, copy, size, 1);
        break;

    case 2:
        ngx_fuzz_api(pool, copy, size, &ngx_http_smotp_send_endpoint);
        break;

    default: /* 3 */
        ngx_fuzz_api(pool, copy, size, &ngx_http_smotp_verify_endpoint);
    }

    ngx_destroy_pool(pool);

    /* the module's trees went with the pool, through the same hooks */

    if (ngx_fuzz_cjson_blocks != blocks) {
        ngx_fuzz_fail("the module's cJSON blocks not all freed through the "
                      "hooks they came from");
    }

    cJSON_Delete(other);

    if (ngx_fuzz_cjson_blocks != 0) {
        ngx_fuzz_fail("another user's cJSON tree not freed through its "
                      "hooks: the module changed cJSON's hooks");
    }

    return 0;
}


static void
ngx_fuzz_body(ngx_pool_t *pool, u_char *data, size_t len, ngx_uint_t form)
{
    u_char                        masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];
    ngx_int_t                     rc;
    ngx_str_t                     body, error, json;
    ngx_uint_t                    i;
    ngx_http_smotp_field_t        fields[NGX_HTTP_SMOTP_NFIELDS];
    ngx_http_smotp_json_member_t  m[2];

    body.data = data;
    body.len = len;

    ngx_memzero(fields, sizeof(fields));
    ngx_str_null(&error);

    rc = ngx_http_smotp_parse_fields(pool, &body, form, fields, &error);

    if (rc == NGX_HTTP_BAD_REQUEST) {
        if (error.len == 0) {
            ngx_fuzz_fail("400 without a reason");
        }

        return;
    }

    if (rc != NGX_OK) {
        ngx_fuzz_fail("parse_fields() neither NGX_OK nor 400");
    }

    for (i = 0; i < NGX_HTTP_SMOTP_NFIELDS; i++) {

        if (fields[i].type != NGX_HTTP_SMOTP_STRING) {
            continue;
        }

        if (ngx_strlchr(fields[i].value.data,
                        fields[i].value.data + fields[i].value.len, '\0'))
        {
            ngx_fuzz_fail("a field with a NUL");
        }

        /* every check on every field: the checks take any bytes */

        if (ngx_http_smotp_phone_valid(&fields[i].value) == NGX_OK) {
            if (ngx_http_smotp_phone_mask(masked, &fields[i].value)
                != fields[i].value.len)
            {
                ngx_fuzz_fail("a masked phone of another length");
            }
        }

        (void) ngx_http_smotp_id_valid(&fields[i].value);
        (void) ngx_http_smotp_digits_valid(&fields[i].value, 4, 8);

        /* any bytes written as a JSON string read back as they were */

        ngx_str_set(&m[0].name, "value");
        m[0].type = NGX_HTTP_SMOTP_JSON_STRING;
        m[0].str = fields[i].value;

        if (ngx_http_smotp_json_object(pool, m, 1, &json) != NGX_OK) {
            ngx_fuzz_fail("json_object() failed");
        }

        ngx_fuzz_check_readback(pool, &json, "value", &m[0].str);
    }

    /* the API's request, as the endpoints' prepare() write it */

    if (fields[NGX_HTTP_SMOTP_PHONE_NUMBER].type == NGX_HTTP_SMOTP_STRING
        && ngx_http_smotp_phone_valid(&fields[NGX_HTTP_SMOTP_PHONE_NUMBER]
                                      .value)
           == NGX_OK)
    {
        ngx_str_set(&m[0].name, "phoneNumber");
        m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
        m[0].str = fields[NGX_HTTP_SMOTP_PHONE_NUMBER].value;

        if (ngx_http_smotp_json_object(pool, m, 1, &json) != NGX_OK) {
            ngx_fuzz_fail("json_object() failed");
        }

        ngx_fuzz_check_json(pool, &json, "phoneNumber", &m[0].str);
    }

    if (fields[NGX_HTTP_SMOTP_REQUEST_ID].type == NGX_HTTP_SMOTP_STRING
        && fields[NGX_HTTP_SMOTP_OTP_CODE].type == NGX_HTTP_SMOTP_STRING
        && ngx_http_smotp_id_valid(&fields[NGX_HTTP_SMOTP_REQUEST_ID].value)
           == NGX_OK
        && ngx_http_smotp_digits_valid(&fields[NGX_HTTP_SMOTP_OTP_CODE].value,
                                       4, 8)
           == NGX_OK)
    {
        ngx_str_set(&m[0].name, "requestId");
        m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
        m[0].str = fields[NGX_HTTP_SMOTP_REQUEST_ID].value;

        ngx_str_set(&m[1].name, "otpCode");
        m[1].type = NGX_HTTP_SMOTP_JSON_PLAIN;
        m[1].str = fields[NGX_HTTP_SMOTP_OTP_CODE].value;

        if (ngx_http_smotp_json_object(pool, m, 2, &json) != NGX_OK) {
            ngx_fuzz_fail("json_object() failed");
        }

        ngx_fuzz_check_json(pool, &json, "requestId", &m[0].str);
        ngx_fuzz_check_json(pool, &json, "otpCode", &m[1].str);
    }
}


static void
ngx_fuzz_api(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_smotp_endpoint_t *endpoint)
{
    cJSON                         *json, *data_obj;
    ngx_int_t                      rc;
    ngx_str_t                      text, answer, message;
    ngx_uint_t                     i;
    ngx_http_request_t             r;
    ngx_http_smotp_ctx_t          *ctx;
    ngx_http_smotp_json_member_t   m;
    static const char             *names[] = { "message", "error" };

    text.data = data;
    text.len = len;

    json = ngx_http_smotp_json_parse(pool, &text);
    if (json == NULL) {
        return;
    }

    if (!cJSON_IsObject(json)) {
        return;
    }

    /* an error's "message" or "error", written back as the client's error */

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {

        rc = ngx_http_smotp_json_get_string(pool, json, names[i], &message,
                                             NULL);

        if (rc == NGX_DECLINED || rc == NGX_ABORT) {
            continue;
        }

        if (rc != NGX_OK) {
            ngx_fuzz_fail("json_get_string() failed");
        }

        if (message.len > NGX_HTTP_SMOTP_MAX_MESSAGE_LEN) {
            ngx_fuzz_fail("a message longer than the limit");
        }

        ngx_fuzz_check_utf8(&message, "an API message");

        ngx_str_set(&m.name, "error");
        m.type = NGX_HTTP_SMOTP_JSON_STRING;
        m.str = message;

        if (ngx_http_smotp_json_object(pool, &m, 1, &answer) != NGX_OK) {
            ngx_fuzz_fail("json_object() failed");
        }

        ngx_fuzz_check_json(pool, &answer, "error", &message);
    }

    data_obj = cJSON_GetObjectItemCaseSensitive(json, "data");

    ngx_fuzz_check_numbers(pool, json);

    if (cJSON_IsObject(data_obj)) {
        ngx_fuzz_check_numbers(pool, data_obj);

        ctx = ngx_pcalloc(pool, sizeof(ngx_http_smotp_ctx_t));
        if (ctx == NULL) {
            ngx_fuzz_fail("ngx_pcalloc() failed");
        }

        ctx->endpoint = endpoint;
        ngx_str_set(&ctx->phone, "+919876543210");

        /* answer() takes of the request only its pool */

        ngx_memzero(&r, sizeof(ngx_http_request_t));
        r.pool = pool;

        rc = endpoint->answer(&r, ctx, data_obj, &answer);

        if (rc == NGX_OK) {
            ngx_fuzz_check_json(pool, &answer, NULL, NULL);

            if (endpoint == &ngx_http_smotp_send_endpoint
                && ngx_http_smotp_id_valid(&ctx->request_id) != NGX_OK)
            {
                ngx_fuzz_fail("a send answered with an invalid request id");
            }

        } else if (rc != NGX_HTTP_BAD_GATEWAY) {
            ngx_fuzz_fail("answer() neither NGX_OK nor 502");
        }
    }
}


/*
 * A JSON text the module wrote: one object that cJSON reads back, valid
 * UTF-8, and, when a member is named, that member a string equal to value.
 */

static void
ngx_fuzz_check_json(ngx_pool_t *pool, ngx_str_t *json, const char *name,
    ngx_str_t *value)
{
    ngx_fuzz_check_utf8(json, "a JSON text the module wrote");

    ngx_fuzz_check_readback(pool, json, name, value);
}


static void
ngx_fuzz_check_readback(ngx_pool_t *pool, ngx_str_t *json, const char *name,
    ngx_str_t *value)
{
    cJSON  *parsed, *item;

    parsed = ngx_http_smotp_json_parse(pool, json);

    if (!cJSON_IsObject(parsed)) {
        ngx_fuzz_fail("a JSON text the module wrote does not parse back");
    }

    if (name) {
        item = cJSON_GetObjectItemCaseSensitive(parsed, name);

        if (!cJSON_IsString(item)
            || ngx_strlen(item->valuestring) != value->len
            || ngx_memcmp(item->valuestring, value->data, value->len) != 0)
        {
            ngx_fuzz_fail("a JSON text the module wrote reads back "
                          "otherwise");
        }
    }
}


/*
 * Every member of obj read by json_get_number(): a number that rounds to
 * below 10^15 in magnitude is text of the JSON grammar with neither
 * exponent, trailing zeros nor "-0", of at most 15 digits, within the
 * rounding of its last digit of the value, and, written as a decimal
 * member, it reads back as a number; anything else is declined or refused.
 */

static void
ngx_fuzz_check_numbers(ngx_pool_t *pool, cJSON *obj)
{
    u_char                        *p, *last, *point;
    cJSON                         *item, *parsed, *back;
    double                         d, err;
    ngx_int_t                      rc;
    ngx_str_t                      text, json;
    ngx_uint_t                     digits;
    ngx_http_smotp_json_member_t   m;

    for (item = obj->child; item; item = item->next) {

        if (item->string == NULL
            || cJSON_GetObjectItemCaseSensitive(obj, item->string) != item)
        {
            continue;
        }

        rc = ngx_http_smotp_json_get_number(pool, obj, item->string, &text);

        if (rc == NGX_DECLINED) {
            if (!cJSON_IsNull(item)) {
                ngx_fuzz_fail("json_get_number() declined a member");
            }

            continue;
        }

        d = item->valuedouble;

        if (rc == NGX_ABORT) {
            if (cJSON_IsNumber(item)
                && d > -999999999999999.5 && d < 999999999999999.5)
            {
                ngx_fuzz_fail("json_get_number() refused a number in range");
            }

            continue;
        }

        if (rc != NGX_OK) {
            ngx_fuzz_fail("json_get_number() failed");
        }

        if (!cJSON_IsNumber(item)) {
            ngx_fuzz_fail("json_get_number() took what is not a number");
        }

        /* -?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?, not "-0" */

        p = text.data;
        last = p + text.len;
        point = NULL;
        digits = 0;

        if (p < last && *p == '-') {
            p++;
        }

        if (p == last || (*p == '0' && p + 1 < last && p[1] != '.')) {
            ngx_fuzz_fail("a number's text is not a JSON number");
        }

        for ( /* void */ ; p < last; p++) {
            if (*p == '.' && point == NULL && digits) {
                point = p;
                continue;
            }

            if (*p < '0' || *p > '9') {
                ngx_fuzz_fail("a number's text is not a JSON number");
            }

            digits++;
        }

        if (point && (point + 1 == last || last[-1] == '0')) {
            ngx_fuzz_fail("a number's text ends in a point or a zero");
        }

        if (digits > 15) {
            ngx_fuzz_fail("a number's text has more digits than a double");
        }

        if (text.data[0] == '-' && text.len == 2 && text.data[1] == '0') {
            ngx_fuzz_fail("a number's text is \"-0\"");
        }

        ngx_str_set(&m.name, "n");
        m.type = NGX_HTTP_SMOTP_JSON_DECIMAL;
        m.str = text;

        if (ngx_http_smotp_json_object(pool, &m, 1, &json) != NGX_OK) {
            ngx_fuzz_fail("json_object() failed");
        }

        parsed = ngx_http_smotp_json_parse(pool, &json);
        back = cJSON_GetObjectItemCaseSensitive(parsed, "n");

        if (!cJSON_IsNumber(back)) {
            ngx_fuzz_fail("a decimal member does not read back as a number");
        }

        /* half a unit of the 15th digit from the units' place, and slack */

        err = back->valuedouble - d;
        err = (err < 0) ? -err : err;

        if (err > 1e-14 + 1e-14 * ((d < 0) ? -d : d)) {
            fprintf(stderr, "smotp_fuzz: %.17g written as \"%.*s\"\n", d,
                    (int) text.len, text.data);
            ngx_fuzz_fail("a number's text is not its value");
        }
    }
}


/* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF */

static void
ngx_fuzz_check_utf8(ngx_str_t *s, const char *what)
{
    u_char    *p, *last, c;
    size_t     n, i;
    uint32_t   u, min;

    p = s->data;
    last = p + s->len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; u = c & 0x1f; min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; u = c & 0x0f; min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; u = c & 0x07; min = 0x10000;

        } else {
            goto invalid;
        }

        if ((size_t) (last - p) < n) {
            goto invalid;
        }

        for (i = 0; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                goto invalid;
            }

            u = (u << 6) | (p[i] & 0x3f);
        }

        if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
            goto invalid;
        }

        p += n;
    }

    return;

invalid:

    fprintf(stderr, "smotp_fuzz: %s is not valid UTF-8 at byte %zu: "
            "\"%.*s\"\n", what, (size_t) (p - 1 - s->data), (int) s->len,
            s->data);
    abort();
}


static void *
ngx_fuzz_cjson_malloc(size_t size)
{
    u_char  *p;

    p = malloc(NGX_FUZZ_CJSON_HEADER + size);
    if (p == NULL) {
        return NULL;
    }

    *(unsigned long *) p = NGX_FUZZ_CJSON_MAGIC;
    ngx_fuzz_cjson_blocks++;

    return p + NGX_FUZZ_CJSON_HEADER;
}


static void
ngx_fuzz_cjson_free(void *p)
{
    u_char  *block;

    if (p == NULL) {
        return;
    }

    block = (u_char *) p - NGX_FUZZ_CJSON_HEADER;

    if (*(unsigned long *) block != NGX_FUZZ_CJSON_MAGIC) {
        ngx_fuzz_fail("a block not of the target's cJSON hooks freed "
                      "through them");
    }

    *(unsigned long *) block = 0;
    ngx_fuzz_cjson_blocks--;

    free(block);
}


static void
ngx_fuzz_fail(const char *what)
{
    fprintf(stderr, "smotp_fuzz: %s\n", what);
    abort();
}


static void
ngx_fuzz_log_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf, size_t len)
{
    /* the line is formatted, that is what is tested; it goes nowhere */
}
