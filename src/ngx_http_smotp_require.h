
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_REQUIRE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_REQUIRE_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * smotp_require: an access-phase gate in front of the app, passing a
 * request with a valid cookie of a verified phone; $smotp_verified_phone
 * and $smotp_verified_at hand the phone to the app
 */

char *ngx_http_smotp_require_redirect(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_smotp_require_merge(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *conf);
ngx_int_t ngx_http_smotp_require_init(ngx_conf_t *cf);
ngx_int_t ngx_http_smotp_verified_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#endif /* _NGX_HTTP_SMOTP_REQUIRE_H_INCLUDED_ */
