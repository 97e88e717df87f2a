
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Phone numbers: E.164 validation, and the masked form that is the only
 * one allowed in a log line.
 */


#include "ngx_http_smotp_phone.h"


#define NGX_HTTP_SMOTP_PHONE_MIN_LEN     9
#define NGX_HTTP_SMOTP_PHONE_SHOW_HEAD   3
#define NGX_HTTP_SMOTP_PHONE_SHOW_TAIL   4
#define NGX_HTTP_SMOTP_PHONE_HIDE        4


/* "+", a non-zero digit, 7 to 14 more digits */

ngx_int_t
ngx_http_smotp_phone_valid(ngx_str_t *phone)
{
    size_t  i;

    if (phone->len < NGX_HTTP_SMOTP_PHONE_MIN_LEN
        || phone->len > NGX_HTTP_SMOTP_PHONE_MAX_LEN
        || phone->data[0] != '+'
        || phone->data[1] < '1' || phone->data[1] > '9')
    {
        return NGX_DECLINED;
    }

    for (i = 2; i < phone->len; i++) {
        if (phone->data[i] < '0' || phone->data[i] > '9') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * "+919876543210" is logged as "+91******3210": the "+" and two digits,
 * up to four last digits, and at least NGX_HTTP_SMOTP_PHONE_HIDE digits
 * masked whatever the length, so that the shortest numbers ("+12345678",
 * "+12****78") do not show all but two digits; buf must hold
 * NGX_HTTP_SMOTP_PHONE_MAX_LEN bytes, and phone must be valid
 */

size_t
ngx_http_smotp_phone_mask(u_char *buf, ngx_str_t *phone)
{
    size_t  i, len, tail;

    len = ngx_min(phone->len, NGX_HTTP_SMOTP_PHONE_MAX_LEN);

    tail = (len > NGX_HTTP_SMOTP_PHONE_SHOW_HEAD + NGX_HTTP_SMOTP_PHONE_HIDE)
           ? len - NGX_HTTP_SMOTP_PHONE_SHOW_HEAD - NGX_HTTP_SMOTP_PHONE_HIDE
           : 0;

    tail = ngx_min(tail, NGX_HTTP_SMOTP_PHONE_SHOW_TAIL);

    for (i = 0; i < len; i++) {
        buf[i] = (i < NGX_HTTP_SMOTP_PHONE_SHOW_HEAD || i + tail >= len)
                 ? phone->data[i] : '*';
    }

    return len;
}
