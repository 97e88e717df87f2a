
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * Header lists: a header looked up by name in the client's request or
 * the API's answer, and a header added to the module's answer.
 */


#include "ngx_http_smotp_headers.h"


/*
 * The next header named "name" in a list of headers (the client's request,
 * the API's answer), or NULL: "part" and "i" start at the list's first part
 * and 0, and are left past the header found, for the next call.  Headers
 * that nginx or a module has removed (hash 0) are skipped.
 */

ngx_table_elt_t *
ngx_http_smotp_header_next(ngx_list_part_t **part, ngx_uint_t *i,
    ngx_str_t *name)
{
    ngx_uint_t        n;
    ngx_list_part_t  *pt;
    ngx_table_elt_t  *h;

    pt = *part;
    h = pt->elts;

    for (n = *i; /* void */; n++) {

        if (n >= pt->nelts) {
            if (pt->next == NULL) {
                *part = pt;
                *i = n;
                return NULL;
            }

            pt = pt->next;
            h = pt->elts;
            n = 0;
        }

        if (h[n].hash != 0
            && h[n].key.len == name->len
            && ngx_strncasecmp(h[n].key.data, name->data, name->len) == 0)
        {
            *part = pt;
            *i = n + 1;
            return &h[n];
        }
    }
}


/* a header of the module's answer, such as "Allow" */

ngx_int_t
ngx_http_smotp_add_header(ngx_http_request_t *r, char *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
