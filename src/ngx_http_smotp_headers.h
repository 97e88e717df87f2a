
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_HEADERS_H_INCLUDED_
#define _NGX_HTTP_SMOTP_HEADERS_H_INCLUDED_


#include "ngx_http_smotp.h"


/* header lists: the client's, the API's answer's, the module's answer's */

ngx_table_elt_t *ngx_http_smotp_header_next(ngx_list_part_t **part,
    ngx_uint_t *i, ngx_str_t *name);
ngx_int_t ngx_http_smotp_add_header(ngx_http_request_t *r, char *name,
    ngx_str_t *value);


#endif /* _NGX_HTTP_SMOTP_HEADERS_H_INCLUDED_ */
