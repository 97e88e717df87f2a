
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_METRICS_H_INCLUDED_
#define _NGX_HTTP_SMOTP_METRICS_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * Counters of every worker since nginx started, in a shared memory zone
 * of the module's own, answered by smotp_metrics in Prometheus's text
 * format: each request's result, counted once in the log phase; each
 * attempt of the API call, its outcome and its time.
 */

char *ngx_http_smotp_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_smotp_metrics_add(ngx_conf_t *cf,
    ngx_http_smotp_endpoint_t *endpoint);
char *ngx_http_smotp_metrics_merge(ngx_conf_t *cf,
    ngx_http_smotp_loc_conf_t *conf);
ngx_int_t ngx_http_smotp_metrics_init(ngx_conf_t *cf);

/* an attempt has ended (aborted: given up at the deadline) */
void ngx_http_smotp_metrics_attempt(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_uint_t aborted);

/* the request's result, the word of the metrics' "result" label, or NULL */
ngx_str_t *ngx_http_smotp_metrics_result(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);


#endif /* _NGX_HTTP_SMOTP_METRICS_H_INCLUDED_ */
