
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_SEND_FIELD_H_INCLUDED_
#define _NGX_HTTP_SMOTP_SEND_FIELD_H_INCLUDED_


#include "ngx_http_smotp.h"
#include "ngx_http_smotp_json.h"


char *ngx_http_smotp_send_field(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_smotp_send_field_body(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_json_member_t *own,
    ngx_uint_t n, ngx_str_t *body);


#endif /* _NGX_HTTP_SMOTP_SEND_FIELD_H_INCLUDED_ */
