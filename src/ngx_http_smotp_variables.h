
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_SMOTP_VARIABLES_H_INCLUDED_


#include "ngx_http_smotp.h"


/* the module's variables: keys of limits and maps, log_format */

ngx_int_t ngx_http_smotp_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SMOTP_VARIABLES_H_INCLUDED_ */
