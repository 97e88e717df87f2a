
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The fuzz target: everything of the module that reads untrusted bytes,
 * called the way the module calls it, in a pool of its own (built with
 * NGX_DEBUG_PALLOC, every pool allocation is a malloc() of its own, so
 * that AddressSanitizer sees the bounds of each).  The first byte of an
 * input picks what the rest is (its value modulo 8; 5 to 7 are as 4):
 *
 *   '0'  a client's JSON body: parsed into fields, then each field checked
 *        as the endpoints check it, and the API's request written from the
 *        fields that pass
 *   '1'  a client's form body, the same way
 *   '2'  an API answer to a send: the text parsed, its "data" object made
 *        into the client's answer, its "message" and "error" into the
 *        client's error
 *   '3'  an API answer to a verify, the same way
 *   '4'  a client's requestId: opened as a handle under the target's
 *        secret (it must be refused: nobody can forge one), taken as the
 *        API's id without a secret, and sealed as a handle's plaintext
 *        then opened again (the server's own handle, with any contents)
 *
 * Answers are made twice, without a secret and with one, so that a send
 * answers a handle (which must open back to the phone and the API's id)
 * and a proved verify sets a cookie and names the phone masked.
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
#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_secret.h"

#include <stdio.h>
#include <stdlib.h>


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_fuzz_body(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_uint_t form);
static void ngx_fuzz_api(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_smotp_endpoint_t *endpoint);
static void ngx_fuzz_answer(ngx_pool_t *pool, cJSON *data,
    ngx_http_smotp_endpoint_t *endpoint, ngx_http_smotp_secret_t *secret);
static ngx_int_t ngx_fuzz_handle(ngx_pool_t *pool, ngx_str_t *json,
    ngx_str_t *handle);
static time_t ngx_fuzz_handle_expires(ngx_pool_t *pool, ngx_str_t *handle);
static void ngx_fuzz_request_id(ngx_pool_t *pool, u_char *data, size_t len);
static void ngx_fuzz_request(ngx_http_request_t *r, ngx_pool_t *pool,
    ngx_http_smotp_secret_t *secret);
static void ngx_fuzz_secret_init(void);
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

/* what answer() and the handles take of a request beyond its pool */
static ngx_connection_t            ngx_fuzz_connection;
static ngx_http_smotp_loc_conf_t   ngx_fuzz_slcf;
static void                       *ngx_fuzz_loc_conf[1];
static ngx_http_smotp_secret_t    *ngx_fuzz_secret;
static ngx_cycle_t                 ngx_fuzz_cycle;

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

    ngx_fuzz_secret_init();

    return 0;
}


/*
 * The secret of the target's handles, read by smotp_secret_file's own
 * handler from a file made for it, and the location configuration the
 * module's functions find as theirs
 */

static void
ngx_fuzz_secret_init(void)
{
    int               fd;
    char              name[] = "/tmp/smotp-fuzz-secret-XXXXXX";
    ngx_str_t         args[2];
    ngx_conf_t        cf;
    ngx_array_t       array;
    ngx_cycle_t      *cycle;
    ngx_command_t     cmd;
    static u_char     line[] = "000102030405060708090a0b0c0d0e0f"
                               "101112131415161718191a1b1c1d1e1f\n";

    fd = mkstemp(name);
    if (fd == -1 || write(fd, line, sizeof(line) - 1)
                    != (ssize_t) sizeof(line) - 1)
    {
        ngx_fuzz_fail("writing the secret file failed");
    }

    close(fd);

    /* kept for the process: the secret lives in its pool */

    cycle = &ngx_fuzz_cycle;

    cycle->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, &ngx_fuzz_log);
    if (cycle->pool == NULL) {
        ngx_fuzz_fail("ngx_create_pool() failed");
    }

    cycle->log = &ngx_fuzz_log;

    ngx_str_set(&args[0], "smotp_secret_file");
    args[1].data = (u_char *) name;
    args[1].len = ngx_strlen(name);

    array.elts = args;
    array.nelts = 2;

    ngx_memzero(&cf, sizeof(ngx_conf_t));
    cf.args = &array;
    cf.cycle = cycle;
    cf.pool = cycle->pool;
    cf.log = &ngx_fuzz_log;

    ngx_memzero(&cmd, sizeof(ngx_command_t));
    cmd.name = args[0];
    cmd.offset = offsetof(ngx_http_smotp_loc_conf_t, secret);

    ngx_fuzz_slcf.secret = NGX_CONF_UNSET_PTR;

    if (ngx_http_smotp_secret_file(&cf, &cmd, &ngx_fuzz_slcf) != NGX_CONF_OK)
    {
        ngx_fuzz_fail("smotp_secret_file failed");
    }

    (void) unlink(name);

    ngx_fuzz_secret = ngx_fuzz_slcf.secret;
    ngx_fuzz_slcf.handle_ttl = NGX_HTTP_SMOTP_HANDLE_TTL;

    /* the module is not initialized here: its loc_conf is the only one */

    ngx_http_smotp_module.ctx_index = 0;
    ngx_fuzz_loc_conf[0] = &ngx_fuzz_slcf;

    ngx_fuzz_connection.log = &ngx_fuzz_log;
}


/* a request of the pool, its location's secret the one given (or none) */

static void
ngx_fuzz_request(ngx_http_request_t *r, ngx_pool_t *pool,
    ngx_http_smotp_secret_t *secret)
{
    ngx_memzero(r, sizeof(ngx_http_request_t));

    r->pool = pool;
    r->connection = &ngx_fuzz_connection;
    r->loc_conf = ngx_fuzz_loc_conf;

    ngx_fuzz_slcf.secret = secret;

    if (ngx_list_init(&r->headers_out.headers, pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        ngx_fuzz_fail("ngx_list_init() failed");
    }
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

    switch (data[0] % 8) {

    case 0:
        ngx_fuzz_body(pool, copy, size, 0);
        break;

    case 1:
        ngx_fuzz_body(pool, copy, size, 1);
        break;

    case 2:
        ngx_fuzz_api(pool, copy, size, &ngx_http_smotp_send_endpoint);
        break;

    case 3:
        ngx_fuzz_api(pool, copy, size, &ngx_http_smotp_verify_endpoint);
        break;

    default: /* 4 to 7 */
        ngx_fuzz_request_id(pool, copy, size);
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

        ngx_fuzz_answer(pool, data_obj, endpoint, NULL);
        ngx_fuzz_answer(pool, data_obj, endpoint, ngx_fuzz_secret);
    }
}


/*
 * An endpoint's answer() on an API answer's data: NGX_OK with a JSON text,
 * or 502; a send's requestId the API's id, or with a secret a handle that
 * opens back to the phone and that id; a proved verify with a secret sets
 * the cookie and names the phone masked
 */

static void
ngx_fuzz_answer(ngx_pool_t *pool, cJSON *data,
    ngx_http_smotp_endpoint_t *endpoint, ngx_http_smotp_secret_t *secret)
{
    u_char                  masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];
    size_t                  len;
    time_t                  expires;
    ngx_int_t               rc;
    ngx_str_t               answer, id, phone;
    ngx_http_request_t      r;
    ngx_http_smotp_ctx_t   *ctx;
    ngx_http_smotp_field_t  field;

    ctx = ngx_pcalloc(pool, sizeof(ngx_http_smotp_ctx_t));
    if (ctx == NULL) {
        ngx_fuzz_fail("ngx_pcalloc() failed");
    }

    ctx->endpoint = endpoint;
    ngx_str_set(&ctx->phone, "+919876543210");

    ngx_fuzz_request(&r, pool, secret);

    rc = endpoint->answer(&r, ctx, data, &answer);

    if (rc == NGX_HTTP_BAD_GATEWAY) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_fuzz_fail("answer() neither NGX_OK nor 502");
    }

    ngx_fuzz_check_json(pool, &answer, NULL, NULL);

    if (endpoint == &ngx_http_smotp_send_endpoint) {

        if (ngx_http_smotp_id_valid(&ctx->request_id) != NGX_OK) {
            ngx_fuzz_fail("a send answered with an invalid request id");
        }

        if (secret == NULL) {
            ngx_fuzz_check_json(pool, &answer, "requestId", &ctx->request_id);
            return;
        }

        /* the handle the client got opens to what it sealed */

        if (ngx_fuzz_handle(pool, &answer, &field.value) != NGX_OK) {
            ngx_fuzz_fail("a send with a secret answered no handle");
        }

        id = ctx->request_id;
        phone = ctx->phone;

        field.type = NGX_HTTP_SMOTP_STRING;
        ngx_str_null(&ctx->request_id);
        ngx_str_null(&ctx->phone);

        /* its expiry, in the clear: at most the TTL, maybe already past */

        expires = ngx_fuzz_handle_expires(pool, &field.value);

        if (expires > ngx_time() + NGX_HTTP_SMOTP_HANDLE_TTL / 1000) {
            ngx_fuzz_fail("a handle that outlives smotp_handle_ttl");
        }

        rc = ngx_http_smotp_handle_request_id(&r, ctx, &field);

        if (expires <= ngx_time()) {
            if (rc != NGX_HTTP_BAD_REQUEST) {
                ngx_fuzz_fail("an expired handle opened");
            }

            return;
        }

        if (rc != NGX_OK
            || ctx->request_id.len != id.len
            || ngx_memcmp(ctx->request_id.data, id.data, id.len) != 0
            || ctx->phone.len != phone.len
            || ngx_memcmp(ctx->phone.data, phone.data, phone.len) != 0)
        {
            ngx_fuzz_fail("a send's handle does not open to its phone and "
                          "id");
        }

        return;
    }

    if (secret == NULL || !ctx->verified) {
        if (r.headers_out.headers.part.nelts != 0) {
            ngx_fuzz_fail("a cookie set without a proved phone and a secret");
        }

        return;
    }

    if (r.headers_out.headers.part.nelts != 1) {
        ngx_fuzz_fail("a proved verify with a secret set no cookie");
    }

    len = ngx_http_smotp_phone_mask(masked, &ctx->phone);
    phone.data = masked;
    phone.len = len;

    ngx_fuzz_check_json(pool, &answer, "phone", &phone);
}


/* a token's expiry, bytes 14 to 21 of its header, big-endian */

static time_t
ngx_fuzz_handle_expires(ngx_pool_t *pool, ngx_str_t *handle)
{
    uint64_t    v;
    ngx_str_t   raw;
    ngx_uint_t  i;

    raw.data = ngx_pnalloc(pool, ngx_base64_decoded_length(handle->len));
    if (raw.data == NULL) {
        ngx_fuzz_fail("ngx_pnalloc() failed");
    }

    if (ngx_decode_base64url(&raw, handle) != NGX_OK || raw.len < 22) {
        ngx_fuzz_fail("a handle not of base64url");
    }

    v = 0;

    for (i = 14; i < 22; i++) {
        v = (v << 8) | raw.data[i];
    }

    return (time_t) v;
}


/* the "requestId" string of a JSON text the module wrote */

static ngx_int_t
ngx_fuzz_handle(ngx_pool_t *pool, ngx_str_t *json, ngx_str_t *handle)
{
    cJSON  *parsed, *item;

    parsed = ngx_http_smotp_json_parse(pool, json);
    item = cJSON_GetObjectItemCaseSensitive(parsed, "requestId");

    if (!cJSON_IsString(item)) {
        return NGX_ERROR;
    }

    handle->len = ngx_strlen(item->valuestring);
    handle->data = ngx_pnalloc(pool, handle->len);
    if (handle->data == NULL) {
        ngx_fuzz_fail("ngx_pnalloc() failed");
    }

    ngx_memcpy(handle->data, item->valuestring, handle->len);

    return NGX_OK;
}


/*
 * A client's requestId: under a secret any bytes but a handle of its own
 * are refused, with a reason; without one, taken exactly when they are a
 * valid API id; and the same bytes sealed as a handle's plaintext open
 * exactly when they hold a valid phone and id, to those
 */

static void
ngx_fuzz_request_id(ngx_pool_t *pool, u_char *data, size_t len)
{
    size_t                   n;
    ngx_int_t                rc, valid;
    ngx_str_t                phone, id;
    ngx_http_request_t       r;
    ngx_http_smotp_ctx_t    *ctx;
    ngx_http_smotp_token_t   token;
    ngx_http_smotp_field_t   field;
    u_char                   plain[NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX];

    if (len == 0) {
        return;
    }

    ctx = ngx_pcalloc(pool, sizeof(ngx_http_smotp_ctx_t));
    if (ctx == NULL) {
        ngx_fuzz_fail("ngx_pcalloc() failed");
    }

    ctx->endpoint = &ngx_http_smotp_verify_endpoint;
    ngx_str_null(&phone);
    ngx_str_null(&id);

    field.type = NGX_HTTP_SMOTP_STRING;
    field.value.data = data;
    field.value.len = len;

    ngx_fuzz_request(&r, pool, ngx_fuzz_secret);

    rc = ngx_http_smotp_handle_request_id(&r, ctx, &field);

    if (rc != NGX_HTTP_BAD_REQUEST || ctx->error.len == 0) {
        ngx_fuzz_fail("bytes the target never sealed taken as a handle");
    }

    /* without a secret */

    ngx_fuzz_request(&r, pool, NULL);
    ngx_str_null(&ctx->error);

    rc = ngx_http_smotp_handle_request_id(&r, ctx, &field);
    valid = ngx_http_smotp_id_valid(&field.value);

    if ((rc == NGX_OK) != (valid == NGX_OK)
        || (rc != NGX_OK && (rc != NGX_HTTP_BAD_REQUEST
                             || ctx->error.len == 0)))
    {
        ngx_fuzz_fail("an id taken otherwise than id_valid() says");
    }

    /* the bytes as a handle's plaintext, sealed by the target */

    n = ngx_min(len, NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX);

    token.kind = NGX_HTTP_SMOTP_TOKEN_HANDLE;
    token.issued = ngx_time();
    token.expires = token.issued + 60;
    token.plain.data = data;
    token.plain.len = n;

    if (ngx_http_smotp_token_seal(pool, ngx_fuzz_secret, &token, &field.value,
                                  &ngx_fuzz_log)
        != NGX_OK)
    {
        ngx_fuzz_fail("token_seal() failed");
    }

    /* as a cookie it is of the wrong kind */

    token.kind = NGX_HTTP_SMOTP_TOKEN_COOKIE;

    if (ngx_http_smotp_token_open(ngx_fuzz_secret, &field.value, &token,
                                  plain, &ngx_fuzz_log)
        != NGX_DECLINED)
    {
        ngx_fuzz_fail("a handle opened as a cookie");
    }

    valid = 0;

    if (n >= 2 && n >= 2 + (size_t) data[0]) {
        phone.data = &data[1];
        phone.len = data[0];
        id.data = &data[1 + data[0]];
        id.len = n - 1 - data[0];

        valid = ngx_http_smotp_phone_valid(&phone) == NGX_OK
                && ngx_http_smotp_id_valid(&id) == NGX_OK;
    }

    ngx_fuzz_request(&r, pool, ngx_fuzz_secret);
    ngx_str_null(&ctx->error);
    ngx_str_null(&ctx->phone);
    ngx_str_null(&ctx->request_id);

    rc = ngx_http_smotp_handle_request_id(&r, ctx, &field);

    if (!valid) {
        if (rc != NGX_HTTP_BAD_REQUEST || ctx->error.len == 0) {
            ngx_fuzz_fail("a handle of no valid phone and id opened");
        }

        return;
    }

    if (rc != NGX_OK
        || ctx->phone.len != phone.len
        || ngx_memcmp(ctx->phone.data, phone.data, phone.len) != 0
        || ctx->request_id.len != id.len
        || ngx_memcmp(ctx->request_id.data, id.data, id.len) != 0)
    {
        ngx_fuzz_fail("a handle does not open to its phone and id");
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
