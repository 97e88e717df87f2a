
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The client's network, as the addresses one host may take: an IPv4
 * address, or an IPv6 /64, since a host is given a whole /64 and picks
 * addresses in it at will.
 */


#include "ngx_http_smotp_client.h"


#define NGX_HTTP_SMOTP_NET_LEN  (NGX_INET6_ADDRSTRLEN + sizeof("/64") - 1)


static size_t ngx_http_smotp_client_ipv4(u_char *p, u_char *a);


/*
 * The text of the client's network ("192.0.2.1", "2001:db8:1:2::/64"),
 * from the address the connection has, which the realip module may have
 * replaced; NGX_DECLINED for a client that has none (a UNIX socket)
 */

ngx_int_t
ngx_http_smotp_client_net(ngx_http_request_t *r, ngx_str_t *net)
{
    u_char     *p;
    ngx_str_t   key;
#if (NGX_HAVE_INET6)
    u_char      addr[16];
#endif

    ngx_http_smotp_client_key(r, &key);

    if (key.len == 0) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_SMOTP_NET_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    net->data = p;

    if (key.len == 4) {
        net->len = ngx_http_smotp_client_ipv4(p, key.data);
        return NGX_OK;
    }

#if (NGX_HAVE_INET6)

    /* an IPv6 /64: its first half, the rest zero */

    ngx_memcpy(addr, key.data, 8);
    ngx_memzero(addr + 8, 8);

    p += ngx_inet6_ntop(addr, p, NGX_INET6_ADDRSTRLEN);
    p = ngx_cpymem(p, "/64", sizeof("/64") - 1);

    net->len = p - net->data;
#endif

    return NGX_OK;
}


/*
 * The client's network as bytes, which a limit keyed on it hashes with
 * no text written and ngx_http_smotp_client_net() writes as text: an IPv4
 * address (4 bytes; an IPv4 client of an IPv6 socket is the IPv4 address
 * it has), the first half of an IPv6 one (8), where the connection keeps
 * them; empty for a client with no address, which no limit of it counts
 */

void
ngx_http_smotp_client_key(ngx_http_request_t *r, ngx_str_t *key)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;

        key->data = (u_char *) &sin->sin_addr;
        key->len = 4;
        return;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            key->data = &sin6->sin6_addr.s6_addr[12];
            key->len = 4;
            return;
        }

        key->data = sin6->sin6_addr.s6_addr;
        key->len = 8;
        return;
#endif

    default:
        ngx_str_null(key);
    }
}


/*
 * An IPv4 address as text, written digit by digit: ngx_inet_ntop() goes
 * through ngx_sprintf(), most of what a limit keyed on the client costs
 */

static size_t
ngx_http_smotp_client_ipv4(u_char *p, u_char *a)
{
    u_char      *start;
    ngx_uint_t   i, n;

    start = p;

    for (i = 0; i < 4; i++) {

        if (i) {
            *p++ = '.';
        }

        n = a[i];

        if (n >= 100) {
            *p++ = (u_char) ('0' + n / 100);
        }

        if (n >= 10) {
            *p++ = (u_char) ('0' + n / 10 % 10);
        }

        *p++ = (u_char) ('0' + n % 10);
    }

    return p - start;
}
