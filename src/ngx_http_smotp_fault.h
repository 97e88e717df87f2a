
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_FAULT_H_INCLUDED_
#define _NGX_HTTP_SMOTP_FAULT_H_INCLUDED_


#include "ngx_http_smotp.h"


/*
 * Faults made on purpose, for the tests of what no request can bring
 * about.  Only in a module built with NGX_HTTP_SMOTP_FAULTS (make
 * test-asan and make coverage build theirs so; make never does), and
 * only when the worker's environment says so (nginx's "env" directive):
 * SMOTP_FAULT_ATTEMPT=N, the N-th attempt of every call fails as if its
 * last allocation had; SMOTP_FAULT_ONE_BUCKET=1, every entry of an
 * smotp_zone is in its first bucket, so that a test knows which entries
 * share one (the zone's keyed hashes place them where no test can
 * tell).  t/019-faults.t.
 */

#if (NGX_HTTP_SMOTP_FAULTS)

static ngx_inline ngx_uint_t
ngx_http_smotp_fault_attempt(ngx_http_smotp_ctx_t *ctx)
{
    char              *value;
    static ngx_int_t   attempt = -1;

    if (attempt == -1) {
        value = getenv("SMOTP_FAULT_ATTEMPT");

        attempt = value ? ngx_atoi((u_char *) value, ngx_strlen(value)) : 0;
    }

    return attempt > 0 && ctx->attempts + 1 == (ngx_uint_t) attempt;
}


static ngx_inline ngx_uint_t
ngx_http_smotp_fault_one_bucket(void)
{
    static ngx_int_t  one = -1;

    if (one == -1) {
        one = (getenv("SMOTP_FAULT_ONE_BUCKET") != NULL);
    }

    return one;
}

#else

#define ngx_http_smotp_fault_attempt(ctx)  0
#define ngx_http_smotp_fault_one_bucket()  0

#endif


#endif /* _NGX_HTTP_SMOTP_FAULT_H_INCLUDED_ */
