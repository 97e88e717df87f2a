
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_SECRET_H_INCLUDED_
#define _NGX_HTTP_SMOTP_SECRET_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * smotp_secret_file: the keys that seal what the module hands to browsers
 * (a send's handle, the cookie of a verified phone), and the sealed token
 * itself: a header in the clear (version, kind, key id, issued, expires),
 * the plaintext under AES-256-CTR, and an HMAC-SHA256 over all of it
 */

#define NGX_HTTP_SMOTP_TOKEN_HANDLE     'h'
#define NGX_HTTP_SMOTP_TOKEN_COOKIE     'c'

/* the longest plaintext: a handle's length byte, phone and request id */
#define NGX_HTTP_SMOTP_TOKEN_PLAIN_MAX  160


typedef struct {
    u_char                      kind;
    time_t                      issued;
    time_t                      expires;
    ngx_str_t                   plain;
    /* opened before by this worker: taken from its memory of tokens */
    ngx_uint_t                  seen;
} ngx_http_smotp_token_t;


char *ngx_http_smotp_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_smotp_secret_names(ngx_http_smotp_secret_t *secret,
    ngx_str_t *name, u_char *out);
ngx_int_t ngx_http_smotp_token_seal(ngx_pool_t *pool,
    ngx_http_smotp_secret_t *secret, ngx_http_smotp_token_t *token,
    ngx_str_t *out, ngx_log_t *log);
void ngx_http_smotp_token_forget(ngx_http_smotp_secret_t *secret,
    ngx_str_t *in);
ngx_int_t ngx_http_smotp_token_open(ngx_http_smotp_secret_t *secret,
    ngx_str_t *in, ngx_http_smotp_token_t *token, u_char *buf,
    ngx_log_t *log);


#endif /* _NGX_HTTP_SMOTP_SECRET_H_INCLUDED_ */
