
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_HANDLER_H_INCLUDED_
#define _NGX_HTTP_SMOTP_HANDLER_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the content handler every endpoint uses */

ngx_int_t ngx_http_smotp_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SMOTP_HANDLER_H_INCLUDED_ */
