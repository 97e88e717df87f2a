
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Identifiers: the idempotency key of a send, request ids and codes.
 */


#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_headers.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_key.h"
#include "ngx_http_smotp_phone.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>


static ngx_int_t ngx_http_smotp_random(ngx_log_t *log, u_char *buf,
    size_t n);
static ngx_int_t ngx_http_smotp_client_key(ngx_str_t *value, u_char *key,
    size_t *len);
static ngx_int_t ngx_http_smotp_uuid_valid(ngx_str_t *s);


static ngx_str_t  ngx_http_smotp_idempotency_header =
    ngx_string("Idempotency-Key");


/*
 * Random bytes are taken from OpenSSL 64 keys at a time: one RAND_bytes()
 * call (and its fork check, a getpid() system call) is most of the cost
 * of a key.  The store belongs to one process: it is filled on first use
 * in a worker, never in the master, and filled anew when ngx_pid says that
 * this is another process than the one that filled it, so that no two
 * workers ever hand out the same bytes.  Bytes taken are wiped.
 */

#define NGX_HTTP_SMOTP_RANDOM_SIZE  (64 * 16)

static u_char     ngx_http_smotp_random_store[NGX_HTTP_SMOTP_RANDOM_SIZE];
static size_t     ngx_http_smotp_random_left;
static ngx_pid_t  ngx_http_smotp_random_pid;


/*
 * Without a client key, a random version 4 UUID: each request is a new
 * send.  With the client's own Idempotency-Key, a key derived from it,
 * the endpoint, what is sent to (the phone number of a send, the request
 * id of a resend) and the account's API key, so that a double click or a
 * client's retry sends one SMS, while the same client key for another
 * phone, another request or on another account is another send.  A client key that is a
 * UUID is the same key whatever the case of its hex digits; any other is
 * taken as it is.
 */

ngx_int_t
ngx_http_smotp_idempotency_key(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *subject, ngx_str_t *key)
{
    u_char            *p;
    size_t             len;
    ngx_str_t         *client, uuid;
    ngx_uint_t         i;
    unsigned int       md_len;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h;
    u_char             bytes[EVP_MAX_MD_SIZE];
    u_char             msg[sizeof("smotp-idempotency-resend")
                           + NGX_HTTP_SMOTP_MAX_ID_LEN + 1
                           + NGX_HTTP_SMOTP_MAX_IDEM_KEY_LEN];

    client = NULL;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_smotp_header_next(&part, &i,
                                           &ngx_http_smotp_idempotency_header))
           != NULL)
    {
        if (client) {
            ngx_str_set(&ctx->error, "Idempotency-Key is given more than "
                                     "once");
            return NGX_HTTP_BAD_REQUEST;
        }

        client = &h->value;
    }

    key->len = NGX_HTTP_SMOTP_UUID_LEN;
    key->data = ngx_pnalloc(r->pool, NGX_HTTP_SMOTP_UUID_LEN);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    if (client == NULL) {
        if (ngx_http_smotp_random(r->connection->log, bytes, 16) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_smotp_uuid_format(key->data, bytes, 4);
        return NGX_OK;
    }

    p = ngx_cpymem(msg, "smotp-idempotency-",
                   sizeof("smotp-idempotency-") - 1);
    p = ngx_cpymem(p, ctx->endpoint->name.data,
                   ngx_min(ctx->endpoint->name.len, sizeof("resend") - 1));
    *p++ = '\0';
    p = ngx_cpymem(p, subject->data,
                   ngx_min(subject->len, NGX_HTTP_SMOTP_MAX_ID_LEN));
    *p++ = '\0';

    if (ngx_http_smotp_client_key(client, p, &len) != NGX_OK) {
        ngx_str_set(&ctx->error, "Idempotency-Key must be 1 to 255 visible "
                                 "ASCII characters, bare or as a quoted "
                                 "string");
        return NGX_HTTP_BAD_REQUEST;
    }

    uuid.data = p;
    uuid.len = len;

    if (ngx_http_smotp_uuid_valid(&uuid) == NGX_OK) {
        ngx_strlow(p, p, len);
    }

    p += len;

    if (ngx_http_smotp_key_get(r, ctx) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (HMAC(EVP_sha256(), ctx->api_key.data, (int) ctx->api_key.len,
             msg, p - msg, bytes, &md_len)
        == NULL)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smotp: HMAC() failed");
        return NGX_ERROR;
    }

    ngx_http_smotp_uuid_format(key->data, bytes, 4);

    return NGX_OK;
}


/*
 * The client's key out of its header's value: visible ASCII characters
 * as they are, or a quoted string of structured fields (RFC 8941: "\\"
 * escapes only "\"" and "\\"; a space is allowed inside), the quotes and
 * escapes not part of the key.  Empty, over the maximum, controls or
 * bytes past ASCII are NGX_DECLINED.
 */

static ngx_int_t
ngx_http_smotp_client_key(ngx_str_t *value, u_char *key, size_t *len)
{
    u_char  ch, *p, *last, *k;

    p = value->data;
    last = p + value->len;
    k = key;

    if (value->len && p[0] == '"') {

        if (value->len < 2 || last[-1] != '"') {
            return NGX_DECLINED;
        }

        for (p++, last--; p < last; p++) {
            ch = *p;

            if (ch == '\\') {
                if (++p == last) {
                    return NGX_DECLINED;
                }

                ch = *p;

                if (ch != '"' && ch != '\\') {
                    return NGX_DECLINED;
                }

            } else if (ch == '"' || ch < 0x20 || ch > 0x7e) {
                return NGX_DECLINED;
            }

            if (k == key + NGX_HTTP_SMOTP_MAX_IDEM_KEY_LEN) {
                return NGX_DECLINED;
            }

            *k++ = ch;
        }

    } else {

        if (value->len > NGX_HTTP_SMOTP_MAX_IDEM_KEY_LEN) {
            return NGX_DECLINED;
        }

        for ( /* void */ ; p < last; p++) {
            ch = *p;

            if (ch <= 0x20 || ch > 0x7e) {
                return NGX_DECLINED;
            }

            *k++ = ch;
        }
    }

    *len = k - key;

    return (*len == 0) ? NGX_DECLINED : NGX_OK;
}


static ngx_int_t
ngx_http_smotp_random(ngx_log_t *log, u_char *buf, size_t n)
{
    u_char  *p;

    if (ngx_http_smotp_random_left < n
        || ngx_http_smotp_random_pid != ngx_pid)
    {
        if (RAND_bytes(ngx_http_smotp_random_store,
                       NGX_HTTP_SMOTP_RANDOM_SIZE)
            != 1)
        {
            ngx_http_smotp_random_left = 0;
            ngx_log_error(NGX_LOG_ERR, log, 0, "smotp: RAND_bytes() failed");
            return NGX_ERROR;
        }

        ngx_http_smotp_random_left = NGX_HTTP_SMOTP_RANDOM_SIZE;
        ngx_http_smotp_random_pid = ngx_pid;
    }

    p = ngx_http_smotp_random_store + NGX_HTTP_SMOTP_RANDOM_SIZE
        - ngx_http_smotp_random_left;

    ngx_memcpy(buf, p, n);
    ngx_memzero(p, n);

    ngx_http_smotp_random_left -= n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_uuid_valid(ngx_str_t *s)
{
    u_char  ch;
    size_t  i;

    if (s->len != NGX_HTTP_SMOTP_UUID_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < s->len; i++) {

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s->data[i] != '-') {
                return NGX_DECLINED;
            }

            continue;
        }

        ch = s->data[i] | 0x20;

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* 16 bytes as a UUID of that version (4: random, 8: the module's own) */

void
ngx_http_smotp_uuid_format(u_char *dst, u_char *bytes, ngx_uint_t version)
{
    u_char       b, *last;
    ngx_uint_t   g;

    static u_char      hex[] = "0123456789abcdef";
    static ngx_uint_t  groups[] = { 4, 2, 2, 2, 6 };

    bytes[6] = (u_char) ((bytes[6] & 0x0f) | (version << 4));
    bytes[8] = (bytes[8] & 0x3f) | 0x80;

    for (g = 0; g < 5; g++) {

        if (g) {
            *dst++ = '-';
        }

        for (last = bytes + groups[g]; bytes < last; bytes++) {
            b = *bytes;
            *dst++ = hex[b >> 4];
            *dst++ = hex[b & 0x0f];
        }
    }
}


/* an id the API gave out: letters, digits and "-", "_", ".", ":" */

ngx_int_t
ngx_http_smotp_id_valid(ngx_str_t *id)
{
    u_char  *p, *last;

    /* 1 for each character allowed, a row of 16 per line */

    static u_char  allowed[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,  /*  - . */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,  /* 0-9 : */
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* A-O */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,  /* P-Z _ */
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* a-o */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,  /* p-z */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    };

    if (id->len == 0 || id->len > NGX_HTTP_SMOTP_MAX_ID_LEN) {
        return NGX_DECLINED;
    }

    last = id->data + id->len;

    for (p = id->data; p < last; p++) {
        if (!allowed[*p]) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * An id the API gave, such as the OTP request's: NGX_OK with an id that
 * ngx_http_smotp_id_valid() takes, NGX_DECLINED when there is no such
 * member, NGX_ABORT when it is not a string or not a valid id.  An id is
 * ASCII, so it needs no ngx_http_smotp_json_text(): it is used in place.
 */

ngx_int_t
ngx_http_smotp_id_get(cJSON *obj, const char *name, ngx_str_t *id)
{
    u_char     *text;
    ngx_int_t   rc;

    rc = ngx_http_smotp_json_string(obj, name, &text);

    if (rc != NGX_OK) {
        return rc;
    }

    id->data = text;
    id->len = ngx_strlen(text);

    return (ngx_http_smotp_id_valid(id) == NGX_OK) ? NGX_OK : NGX_ABORT;
}


ngx_int_t
ngx_http_smotp_digits_valid(ngx_str_t *s, size_t min, size_t max)
{
    size_t  i;

    if (s->len < min || s->len > max) {
        return NGX_DECLINED;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
