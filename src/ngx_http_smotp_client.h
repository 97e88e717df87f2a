
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_CLIENT_H_INCLUDED_
#define _NGX_HTTP_SMOTP_CLIENT_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the client's network: what one host holds, the key of a limit */

ngx_int_t ngx_http_smotp_client_net(ngx_http_request_t *r, ngx_str_t *net);
void ngx_http_smotp_client_key(ngx_http_request_t *r, ngx_str_t *key);


#endif /* _NGX_HTTP_SMOTP_CLIENT_H_INCLUDED_ */
