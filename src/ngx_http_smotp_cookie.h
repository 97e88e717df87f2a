
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_COOKIE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_COOKIE_H_INCLUDED_


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_secret.h"


/*
 * The proof of a verified phone that a verify hands the browser: a token
 * of the phone (ngx_http_smotp_secret.c), in a cookie that smotp_require
 * checks on every request to the app
 */

struct ngx_http_smotp_cookie_s {
    ngx_str_t                   name;
    time_t                      max_age;
    /* "; Path=/; HttpOnly; Secure; SameSite=Lax" and the like */
    ngx_str_t                   attributes;
};


char *ngx_http_smotp_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_smotp_cookie_issue(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_json_member_t *phone);
ngx_int_t ngx_http_smotp_cookie_clear(ngx_http_request_t *r);
ngx_int_t ngx_http_smotp_cookie_open(ngx_http_request_t *r,
    ngx_http_smotp_loc_conf_t *slcf, ngx_http_smotp_token_t *token,
    u_char *buf);


#endif /* _NGX_HTTP_SMOTP_COOKIE_H_INCLUDED_ */
