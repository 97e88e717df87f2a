
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_PHONE_H_INCLUDED_
#define _NGX_HTTP_SMOTP_PHONE_H_INCLUDED_


#include "ngx_http_smotp.h"


/* E.164 numbers */

#define NGX_HTTP_SMOTP_PHONE_MAX_LEN     16

ngx_int_t ngx_http_smotp_phone_valid(ngx_str_t *phone);
size_t ngx_http_smotp_phone_mask(u_char *buf, ngx_str_t *phone);


#endif /* _NGX_HTTP_SMOTP_PHONE_H_INCLUDED_ */
