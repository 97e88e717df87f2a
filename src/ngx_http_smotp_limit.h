
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_LIMIT_H_INCLUDED_
#define _NGX_HTTP_SMOTP_LIMIT_H_INCLUDED_


#include "ngx_http_smotp.h"


/* what the abuse limits said of a request, for $smotp_limit_status */

typedef enum {
    NGX_HTTP_SMOTP_LIMIT_NONE = 0,
    NGX_HTTP_SMOTP_LIMIT_PASSED,
    NGX_HTTP_SMOTP_LIMIT_LIMITED,
    NGX_HTTP_SMOTP_LIMIT_COOLDOWN,
    NGX_HTTP_SMOTP_LIMIT_ATTEMPTS
} ngx_http_smotp_limit_status_e;


char *ngx_http_smotp_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_smotp_resend_interval(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_smotp_verify_attempts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_smotp_limit_merge(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *prev, ngx_http_smotp_loc_conf_t *conf);

ngx_int_t ngx_http_smotp_limit_check(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
ngx_int_t ngx_http_smotp_limit_resume(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
void ngx_http_smotp_limit_finish(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
ngx_int_t ngx_http_smotp_limit_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#endif /* _NGX_HTTP_SMOTP_LIMIT_H_INCLUDED_ */
