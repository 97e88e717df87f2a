
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_JSON_H_INCLUDED_
#define _NGX_HTTP_SMOTP_JSON_H_INCLUDED_


#include "ngx_http_smotp.h"


/* JSON: reading the API's answers, writing small JSON objects */

extern ngx_str_t  ngx_http_smotp_json_media_type;    /* application/json */

typedef enum {
    NGX_HTTP_SMOTP_JSON_STRING = 0,
    /* a string checked to have nothing that JSON escapes */
    NGX_HTTP_SMOTP_JSON_PLAIN,
    NGX_HTTP_SMOTP_JSON_NUMBER,
    /* str: a number's text, from ngx_http_smotp_json_get_number() */
    NGX_HTTP_SMOTP_JSON_DECIMAL,
    NGX_HTTP_SMOTP_JSON_BOOL,
    /* str: JSON text written as it is (a literal, an object) */
    NGX_HTTP_SMOTP_JSON_RAW
} ngx_http_smotp_json_type_e;


typedef struct {
    ngx_str_t                   name;
    ngx_http_smotp_json_type_e  type;
    ngx_str_t                   str;
    ngx_int_t                   num;
} ngx_http_smotp_json_member_t;


cJSON *ngx_http_smotp_json_parse(ngx_pool_t *pool, ngx_str_t *text);
ngx_int_t ngx_http_smotp_json_object(ngx_pool_t *pool,
    ngx_http_smotp_json_member_t *members, ngx_uint_t n, ngx_str_t *out);
ngx_int_t ngx_http_smotp_json_get_string(ngx_pool_t *pool, cJSON *obj,
    const char *name, ngx_str_t *value, ngx_uint_t *escape);
ngx_int_t ngx_http_smotp_json_string(cJSON *obj, const char *name,
    u_char **text);
ngx_int_t ngx_http_smotp_json_get_count(cJSON *obj, const char *name,
    ngx_int_t *value);
ngx_int_t ngx_http_smotp_json_get_number(ngx_pool_t *pool, cJSON *obj,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_smotp_json_text(ngx_pool_t *pool, u_char *text,
    ngx_str_t *out, ngx_uint_t *escape);
ngx_int_t ngx_http_smotp_json_member(ngx_pool_t *pool, cJSON *data,
    char *name, ngx_http_smotp_json_type_e type,
    ngx_http_smotp_json_member_t *m);


#endif /* _NGX_HTTP_SMOTP_JSON_H_INCLUDED_ */
