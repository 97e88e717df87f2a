
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_secret_file, and the tokens its secrets seal.  Every line of the
 * file is a secret; the first seals, every one opens, so that a secret is
 * rotated by adding a new first line and dropping the old one later.
 * From each secret HKDF-SHA256 derives a signing key, an encryption key
 * and a key id.  A token is
 *
 *     version (1) kind (1) key id (4) issued (8) expires (8) IV (16)
 *     AES-256-CTR(plaintext) HMAC-SHA256(all that comes before)
 *
 * in base64url: the MAC is checked before anything is decrypted, in
 * constant time.  Servers with one secret file share nothing else.
 */


#include "ngx_http_smotp_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>


#define NGX_HTTP_SMOTP_SECRET_MIN       32
#define NGX_HTTP_SMOTP_SECRET_FILE_MAX  16384

#define NGX_HTTP_SMOTP_TOKEN_VERSION    1
#define NGX_HTTP_SMOTP_KEY_ID_LEN       4
#define NGX_HTTP_SMOTP_TOKEN_HEADER     22
#define NGX_HTTP_SMOTP_TOKEN_IV         16
#define NGX_HTTP_SMOTP_TOKEN_MAC        32
#define NGX_HTTP_SMOTP_TOKEN_MAX                                              \
    (NGX_HTTP_SMOTP_TOKEN_HEADER + NGX_HTTP_SMOTP_TOKEN_IV                    \
     + NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX + NGX_HTTP_SMOTP_TOKEN_MAC)
#define NGX_HTTP_SMOTP_TOKEN_MIN                                              \
    (NGX_HTTP_SMOTP_TOKEN_HEADER + NGX_HTTP_SMOTP_TOKEN_IV + 1                \
     + NGX_HTTP_SMOTP_TOKEN_MAC)

#define NGX_HTTP_SMOTP_HMAC_BLOCK       64

/* the tokens a worker remembers having opened: cookies, by their size */
#define NGX_HTTP_SMOTP_TOKEN_SEEN_BITS  7
#define NGX_HTTP_SMOTP_TOKEN_SEEN       (1 << NGX_HTTP_SMOTP_TOKEN_SEEN_BITS)
#define NGX_HTTP_SMOTP_TOKEN_SEEN_TEXT  128
#define NGX_HTTP_SMOTP_TOKEN_SEEN_PLAIN 32


/*
 * A secret's keys, ready: the HMAC's inner and outer hashes have taken
 * the padded key already, and the cipher has its key schedule, so that
 * a token costs two hash copies and an IV
 */

typedef struct {
    u_char                      id[NGX_HTTP_SMOTP_KEY_ID_LEN];
    EVP_MD_CTX                 *inner;
    EVP_MD_CTX                 *outer;
    EVP_CIPHER_CTX             *cipher;
} ngx_http_smotp_secret_key_t;


/*
 * A token opened and found valid, remembered by the worker that opened
 * it (each worker has its copy of the configuration's memory), so that
 * the cookie a visitor sends with every request costs its HMAC and
 * decryption once: a token is taken from here only if its whole text is
 * the one remembered, compared in constant time, and not expired
 */

typedef struct {
    time_t                      issued;
    time_t                      expires;
    u_char                      kind;
    u_char                      len;
    u_char                      plain_len;
    u_char                      text[NGX_HTTP_SMOTP_TOKEN_SEEN_TEXT];
    u_char                      plain[NGX_HTTP_SMOTP_TOKEN_SEEN_PLAIN];
} ngx_http_smotp_token_seen_t;


struct ngx_http_smotp_secret_s {
    ngx_array_t                 keys;     /* of ngx_http_smotp_secret_key_t */
    /* the first line's, naming the counts of a fleet (a Redis zone) */
    u_char                      names[32];
    EVP_MD_CTX                 *md;       /* the one being computed */
    ngx_http_smotp_token_seen_t  seen[NGX_HTTP_SMOTP_TOKEN_SEEN];
};


static ngx_int_t ngx_http_smotp_secret_read(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *text);
static ngx_int_t ngx_http_smotp_secret_decode(ngx_str_t *line, u_char *out,
    size_t *len);
static ngx_int_t ngx_http_smotp_secret_derive(ngx_http_smotp_secret_t *secret,
    u_char *s, size_t len);
static EVP_MD_CTX *ngx_http_smotp_secret_pad(u_char *key, u_char pad);
static void ngx_http_smotp_secret_cleanup(void *data);
static ngx_int_t ngx_http_smotp_token_mac(ngx_http_smotp_secret_t *secret,
    ngx_http_smotp_secret_key_t *key, u_char *data, size_t len, u_char *mac);
static void ngx_http_smotp_put64(u_char *p, uint64_t v);
static uint64_t ngx_http_smotp_get64(u_char *p);
static ngx_http_smotp_token_seen_t *ngx_http_smotp_token_seen(
    ngx_http_smotp_secret_t *secret, ngx_str_t *in);
static ngx_int_t ngx_http_smotp_same(u_char *a, u_char *b, size_t len);


/* smotp_secret_file path */

char *
ngx_http_smotp_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_secret_t  **sp = (ngx_http_smotp_secret_t **)
                                       ((char *) conf + cmd->offset);

    char                     *rv;
    u_char                   *p, *last, *eol;
    size_t                    len;
    ngx_str_t                *value, name, text, line;
    ngx_uint_t                n;
    ngx_pool_cleanup_t       *cln;
    ngx_http_smotp_secret_t  *secret;
    u_char                    bytes[NGX_HTTP_SMOTP_SECRET_FILE_MAX];

    if (*sp != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    secret = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_secret_t));
    if (secret == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(&secret->keys, cf->pool, 2,
                       sizeof(ngx_http_smotp_secret_key_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_smotp_secret_cleanup;
    cln->data = secret;

    secret->md = EVP_MD_CTX_new();
    if (secret->md == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_smotp_secret_read(cf, &name, &text) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;

    p = text.data;
    last = p + text.len;

    for (n = 1; p < last; n++, p = eol + 1) {

        eol = ngx_strlchr(p, last, LF);
        if (eol == NULL) {
            eol = last;
        }

        line.data = p;
        line.len = eol - p;

        while (line.len && (line.data[0] == ' ' || line.data[0] == '\t')) {
            line.data++;
            line.len--;
        }

        while (line.len
               && (line.data[line.len - 1] == ' '
                   || line.data[line.len - 1] == '\t'
                   || line.data[line.len - 1] == CR))
        {
            line.len--;
        }

        if (line.len == 0 || line.data[0] == '#') {
            continue;
        }

        len = 0;
        (void) ngx_http_smotp_secret_decode(&line, bytes, &len);

        if (len < NGX_HTTP_SMOTP_SECRET_MIN) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" file \"%s\": line %ui holds %uz bytes, "
                               "at least %d are needed (make one with "
                               "\"openssl rand -hex 32\")",
                               &cmd->name, name.data, n, len,
                               NGX_HTTP_SMOTP_SECRET_MIN);
            goto done;
        }

        if (ngx_http_smotp_secret_derive(secret, bytes, len) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": deriving the keys failed",
                               &cmd->name);
            goto done;
        }
    }

    if (secret->keys.nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" file \"%s\" holds no secret",
                           &cmd->name, name.data);
        goto done;
    }

    *sp = secret;
    rv = NGX_CONF_OK;

done:

    ngx_explicit_memzero(bytes, sizeof(bytes));
    ngx_explicit_memzero(text.data, text.len);

    return rv;
}


/* the file's text, in the configuration's pool, at most 16k */

static ngx_int_t
ngx_http_smotp_secret_read(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *text)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name->data);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name->data);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_SMOTP_SECRET_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%s\" is too large", name->data);
        goto done;
    }

    text->data = ngx_pnalloc(cf->pool, NGX_HTTP_SMOTP_SECRET_FILE_MAX + 1);
    if (text->data == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, text->data, NGX_HTTP_SMOTP_SECRET_FILE_MAX + 1);
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", name->data);
        goto done;
    }

    if (n > NGX_HTTP_SMOTP_SECRET_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%s\" is too large", name->data);
        ngx_explicit_memzero(text->data, n);
        goto done;
    }

    text->len = n;
    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rc;
}


/*
 * A line's bytes: hex digits of an even count are hex, base64 (or
 * base64url) characters are base64, anything else is taken as it is
 */

static ngx_int_t
ngx_http_smotp_secret_decode(ngx_str_t *line, u_char *out, size_t *len)
{
    u_char      c;
    size_t      i;
    ngx_int_t   hex, url, std, d;
    ngx_str_t   dst;

    hex = (line->len % 2 == 0);
    url = 0;
    std = 0;

    for (i = 0; i < line->len; i++) {
        c = line->data[i];

        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
        {
            continue;
        }

        hex = 0;

        if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            || (c == '=' && i + 2 >= line->len))
        {
            continue;
        }

        if (c == '+' || c == '/') {
            std = 1;
            continue;
        }

        if (c == '-' || c == '_') {
            url = 1;
            continue;
        }

        std = url = 1;
        break;
    }

    if (hex) {
        for (i = 0; i < line->len; i += 2) {
            d = ngx_hextoi(&line->data[i], 2);
            out[i / 2] = (u_char) d;
        }

        *len = line->len / 2;
        return NGX_OK;
    }

    if (!(std && url)) {
        dst.data = out;

        if ((url ? ngx_decode_base64url(&dst, line)
                 : ngx_decode_base64(&dst, line))
            == NGX_OK)
        {
            *len = dst.len;
            return NGX_OK;
        }
    }

    ngx_memcpy(out, line->data, line->len);
    *len = line->len;

    return NGX_OK;
}


/*
 * HKDF-SHA256 (RFC 5869) with one block of output each:
 * PRK = HMAC("smotp v1", secret), key = HMAC(PRK, info | 0x01)
 */

static ngx_int_t
ngx_http_smotp_secret_derive(ngx_http_smotp_secret_t *secret, u_char *s,
    size_t len)
{
    u_char                       *info;
    ngx_uint_t                    i;
    unsigned int                  n;
    ngx_http_smotp_secret_key_t  *key;
    u_char                        prk[EVP_MAX_MD_SIZE];
    u_char                        okm[4][EVP_MAX_MD_SIZE];
    u_char                        in[32];

    static const char  *infos[] = {
        "smotp sign", "smotp encrypt", "smotp key id", "smotp names"
    };

    if (HMAC(EVP_sha256(), "smotp v1", sizeof("smotp v1") - 1, s, len,
             prk, &n)
        == NULL)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < 4; i++) {
        info = ngx_cpymem(in, infos[i], ngx_strlen(infos[i]));
        *info++ = 0x01;

        if (HMAC(EVP_sha256(), prk, n, in, info - in, okm[i], NULL) == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (secret->keys.nelts == 0) {
        ngx_memcpy(secret->names, okm[3], sizeof(secret->names));
    }

    key = ngx_array_push(&secret->keys);
    if (key == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(key, sizeof(ngx_http_smotp_secret_key_t));
    ngx_memcpy(key->id, okm[2], NGX_HTTP_SMOTP_KEY_ID_LEN);

    key->inner = ngx_http_smotp_secret_pad(okm[0], 0x36);
    key->outer = ngx_http_smotp_secret_pad(okm[0], 0x5c);
    key->cipher = EVP_CIPHER_CTX_new();

    if (key->inner == NULL || key->outer == NULL || key->cipher == NULL
        || EVP_EncryptInit_ex(key->cipher, EVP_aes_256_ctr(), NULL, okm[1],
                              NULL)
           != 1)
    {
        ngx_explicit_memzero(okm, sizeof(okm));
        ngx_explicit_memzero(prk, sizeof(prk));
        return NGX_ERROR;
    }

    ngx_explicit_memzero(okm, sizeof(okm));
    ngx_explicit_memzero(prk, sizeof(prk));

    return NGX_OK;
}


/*
 * The key that names the entries of a Redis zone, the same on every
 * server of the file's first line: HMAC(names key, zone name), 16 bytes
 */

ngx_int_t
ngx_http_smotp_secret_names(ngx_http_smotp_secret_t *secret, ngx_str_t *name,
    u_char *out)
{
    u_char  mac[EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), secret->names, sizeof(secret->names), name->data,
             name->len, mac, NULL)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(out, mac, 16);
    ngx_explicit_memzero(mac, sizeof(mac));

    return NGX_OK;
}


/* a SHA-256 that has taken the 32-byte key padded with ipad or opad */

static EVP_MD_CTX *
ngx_http_smotp_secret_pad(u_char *key, u_char pad)
{
    ngx_uint_t   i;
    EVP_MD_CTX  *md;
    u_char       block[NGX_HTTP_SMOTP_HMAC_BLOCK];

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NULL;
    }

    for (i = 0; i < NGX_HTTP_SMOTP_HMAC_BLOCK; i++) {
        block[i] = ((i < 32) ? key[i] : 0) ^ pad;
    }

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(md, block, sizeof(block)) != 1)
    {
        EVP_MD_CTX_free(md);
        md = NULL;
    }

    ngx_explicit_memzero(block, sizeof(block));

    return md;
}


static void
ngx_http_smotp_secret_cleanup(void *data)
{
    ngx_http_smotp_secret_t *secret = data;

    ngx_uint_t                    i;
    ngx_http_smotp_secret_key_t  *key;

    key = secret->keys.elts;

    for (i = 0; i < secret->keys.nelts; i++) {
        EVP_MD_CTX_free(key[i].inner);
        EVP_MD_CTX_free(key[i].outer);
        EVP_CIPHER_CTX_free(key[i].cipher);
    }

    EVP_MD_CTX_free(secret->md);
}


/* a token of the first secret, in base64url, in the pool */

ngx_int_t
ngx_http_smotp_token_seal(ngx_pool_t *pool, ngx_http_smotp_secret_t *secret,
    ngx_http_smotp_token_t *token, ngx_str_t *out, ngx_log_t *log)
{
    int                           n;
    u_char                       *p;
    ngx_str_t                     raw;
    ngx_http_smotp_secret_key_t  *key;
    u_char                        buf[NGX_HTTP_SMOTP_TOKEN_MAX];

    if (token->plain.len == 0
        || token->plain.len > NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX)
    {
        return NGX_ERROR;
    }

    key = secret->keys.elts;

    p = buf;
    *p++ = NGX_HTTP_SMOTP_TOKEN_VERSION;
    *p++ = token->kind;
    p = ngx_cpymem(p, key->id, NGX_HTTP_SMOTP_KEY_ID_LEN);
    ngx_http_smotp_put64(p, token->issued);
    ngx_http_smotp_put64(p + 8, token->expires);
    p += 16;

    if (RAND_bytes(p, NGX_HTTP_SMOTP_TOKEN_IV) != 1) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "smotp: RAND_bytes() failed");
        return NGX_ERROR;
    }

    if (EVP_EncryptInit_ex(key->cipher, NULL, NULL, NULL, p) != 1) {
        goto failed;
    }

    p += NGX_HTTP_SMOTP_TOKEN_IV;

    if (EVP_EncryptUpdate(key->cipher, p, &n, token->plain.data,
                          (int) token->plain.len)
        != 1)
    {
        goto failed;
    }

    p += n;

    if (ngx_http_smotp_token_mac(secret, key, buf, p - buf, p) != NGX_OK) {
        goto failed;
    }

    raw.data = buf;
    raw.len = p + NGX_HTTP_SMOTP_TOKEN_MAC - buf;

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(raw.len));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64url(out, &raw);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ERR, log, 0, "smotp: sealing a token failed");

    return NGX_ERROR;
}


/*
 * A token of one of the secrets, of the kind asked for, not expired:
 * NGX_OK with its plaintext in buf (NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX bytes),
 * NGX_DECLINED for anything else, NGX_ERROR if OpenSSL fails
 */

ngx_int_t
ngx_http_smotp_token_open(ngx_http_smotp_secret_t *secret, ngx_str_t *in,
    ngx_http_smotp_token_t *token, u_char *buf, ngx_log_t *log)
{
    int                           n;
    size_t                        len;
    ngx_str_t                     raw;
    ngx_uint_t                    i;
    ngx_http_smotp_secret_key_t  *key;
    ngx_http_smotp_token_seen_t  *seen;
    u_char                        mac[EVP_MAX_MD_SIZE];
    u_char                        bytes[NGX_HTTP_SMOTP_TOKEN_MAX + 3];

    if (in->len > ngx_base64_encoded_length(NGX_HTTP_SMOTP_TOKEN_MAX)) {
        goto invalid;
    }

    token->seen = 0;

    seen = ngx_http_smotp_token_seen(secret, in);

    if (seen && seen->len == in->len && seen->kind == token->kind
        && seen->expires > ngx_time()
        && ngx_http_smotp_same(seen->text, in->data, in->len))
    {
        token->issued = seen->issued;
        token->expires = seen->expires;
        ngx_memcpy(buf, seen->plain, seen->plain_len);

        token->plain.data = buf;
        token->plain.len = seen->plain_len;
        token->seen = 1;

        return NGX_OK;
    }

    raw.data = bytes;

    if (ngx_decode_base64url(&raw, in) != NGX_OK
        || raw.len < NGX_HTTP_SMOTP_TOKEN_MIN
        || raw.len > NGX_HTTP_SMOTP_TOKEN_MAX
        || bytes[0] != NGX_HTTP_SMOTP_TOKEN_VERSION
        || bytes[1] != token->kind)
    {
        goto invalid;
    }

    key = secret->keys.elts;

    for (i = 0; i < secret->keys.nelts; i++) {
        if (ngx_memcmp(key[i].id, &bytes[2], NGX_HTTP_SMOTP_KEY_ID_LEN) == 0)
        {
            break;
        }
    }

    if (i == secret->keys.nelts) {
        goto invalid;
    }

    len = raw.len - NGX_HTTP_SMOTP_TOKEN_MAC;

    if (ngx_http_smotp_token_mac(secret, &key[i], bytes, len, mac) != NGX_OK)
    {
        goto failed;
    }

    if (CRYPTO_memcmp(mac, bytes + len, NGX_HTTP_SMOTP_TOKEN_MAC) != 0) {
        goto invalid;
    }

    token->issued = (time_t) ngx_http_smotp_get64(&bytes[6]);
    token->expires = (time_t) ngx_http_smotp_get64(&bytes[14]);

    if (token->expires <= ngx_time()) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0, "smotp token: expired");
        return NGX_DECLINED;
    }

    if (EVP_EncryptInit_ex(key[i].cipher, NULL, NULL, NULL,
                           &bytes[NGX_HTTP_SMOTP_TOKEN_HEADER])
        != 1)
    {
        goto failed;
    }

    len -= NGX_HTTP_SMOTP_TOKEN_HEADER + NGX_HTTP_SMOTP_TOKEN_IV;

    if (EVP_EncryptUpdate(key[i].cipher, buf, &n,
                          &bytes[NGX_HTTP_SMOTP_TOKEN_HEADER
                                 + NGX_HTTP_SMOTP_TOKEN_IV],
                          (int) len)
        != 1)
    {
        goto failed;
    }

    token->plain.data = buf;
    token->plain.len = n;

    if (seen && (size_t) n <= NGX_HTTP_SMOTP_TOKEN_SEEN_PLAIN) {
        seen->issued = token->issued;
        seen->expires = token->expires;
        seen->kind = token->kind;
        seen->len = (u_char) in->len;
        seen->plain_len = (u_char) n;
        ngx_memcpy(seen->text, in->data, in->len);
        ngx_memcpy(seen->plain, buf, n);
    }

    return NGX_OK;

invalid:

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0, "smotp token: not valid");

    return NGX_DECLINED;

failed:

    ngx_log_error(NGX_LOG_ERR, log, 0, "smotp: opening a token failed");

    return NGX_ERROR;
}


/*
 * A token its caller refuses for what it holds (a cookie whose plaintext
 * is not a phone) is not remembered: the next time, it is opened and
 * refused again
 */

void
ngx_http_smotp_token_forget(ngx_http_smotp_secret_t *secret, ngx_str_t *in)
{
    ngx_http_smotp_token_seen_t  *seen;

    seen = ngx_http_smotp_token_seen(secret, in);

    if (seen && seen->len == in->len
        && ngx_http_smotp_same(seen->text, in->data, in->len))
    {
        seen->len = 0;
    }
}


/* HMAC-SHA256 from the key's padded hashes */

static ngx_int_t
ngx_http_smotp_token_mac(ngx_http_smotp_secret_t *secret,
    ngx_http_smotp_secret_key_t *key, u_char *data, size_t len, u_char *mac)
{
    unsigned int  n;

    if (EVP_MD_CTX_copy_ex(secret->md, key->inner) != 1
        || EVP_DigestUpdate(secret->md, data, len) != 1
        || EVP_DigestFinal_ex(secret->md, mac, &n) != 1
        || EVP_MD_CTX_copy_ex(secret->md, key->outer) != 1
        || EVP_DigestUpdate(secret->md, mac, n) != 1
        || EVP_DigestFinal_ex(secret->md, mac, &n) != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The slot of a token's text in the worker's memory of opened tokens, or
 * NULL for a text of a size it does not keep: by its last eight
 * characters, a genuine token's MAC, multiplied by 2^64 over the golden
 * ratio; texts made to share a slot only push each other out
 */

static ngx_http_smotp_token_seen_t *
ngx_http_smotp_token_seen(ngx_http_smotp_secret_t *secret, ngx_str_t *in)
{
    uint64_t  tail;

    if (in->len < sizeof(uint64_t)
        || in->len > NGX_HTTP_SMOTP_TOKEN_SEEN_TEXT)
    {
        return NULL;
    }

    ngx_memcpy(&tail, in->data + in->len - sizeof(uint64_t),
               sizeof(uint64_t));

    return &secret->seen[(tail * 0x9e3779b97f4a7c15ULL)
                         >> (64 - NGX_HTTP_SMOTP_TOKEN_SEEN_BITS)];
}


/*
 * Whether a and b hold the same len bytes, in a time that depends on len
 * alone: what differs is gathered eight bytes at a time, not looked at
 * until the end (CRYPTO_memcmp() takes a byte at a time, and a cookie's
 * text is the gate's every request)
 */

static ngx_int_t
ngx_http_smotp_same(u_char *a, u_char *b, size_t len)
{
    uint64_t  x, y, diff;

    diff = 0;

    while (len >= sizeof(uint64_t)) {
        ngx_memcpy(&x, a, sizeof(uint64_t));
        ngx_memcpy(&y, b, sizeof(uint64_t));

        diff |= x ^ y;

        a += sizeof(uint64_t);
        b += sizeof(uint64_t);
        len -= sizeof(uint64_t);
    }

    while (len--) {
        diff |= *a++ ^ *b++;
    }

    return diff == 0;
}


static void
ngx_http_smotp_put64(u_char *p, uint64_t v)
{
    ngx_int_t  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (u_char) v;
        v >>= 8;
    }
}


static uint64_t
ngx_http_smotp_get64(u_char *p)
{
    uint64_t    v;
    ngx_uint_t  i;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}
