
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_TEST_NUMBER_H_INCLUDED_
#define _NGX_HTTP_SMOTP_TEST_NUMBER_H_INCLUDED_


#include "ngx_http_smotp.h"


char *ngx_http_smotp_test_number(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_smotp_test_number_init(ngx_conf_t *cf);
ngx_int_t ngx_http_smotp_test_number_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


#endif /* _NGX_HTTP_SMOTP_TEST_NUMBER_H_INCLUDED_ */
