
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_PREFIX_H_INCLUDED_
#define _NGX_HTTP_SMOTP_PREFIX_H_INCLUDED_


#include "ngx_http_smotp.h"


/* a phone number's country code, and the prefixes allowed an SMS */

size_t ngx_http_smotp_prefix_len(ngx_str_t *phone);
ngx_int_t ngx_http_smotp_prefix_allowed(ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *phone);
char *ngx_http_smotp_set_prefixes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_SMOTP_PREFIX_H_INCLUDED_ */
