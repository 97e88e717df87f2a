
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_ORIGIN_H_INCLUDED_
#define _NGX_HTTP_SMOTP_ORIGIN_H_INCLUDED_


#include "ngx_http_smotp.h"


/* cross-site requests: a form or a script of another site refused */

ngx_int_t ngx_http_smotp_check_origin(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
char *ngx_http_smotp_set_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_SMOTP_ORIGIN_H_INCLUDED_ */
