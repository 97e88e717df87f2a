
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * smotp_test_number: numbers for app-store reviewers and the app's own
 * end-to-end tests.  A send to one makes no API call and sends no SMS:
 * the module answers with a request id of its own, made from the number
 * (the same in every worker and after a reload), and a verify of that id
 * takes exactly the configured code.  How many are configured is said
 * at "warn" when nginx reads its configuration, so that none is left on
 * by accident.
 */


#include "ngx_http_smotp_test_number.h"
#include "ngx_http_smotp_cookie.h"
#include "ngx_http_smotp_handle.h"
#include "ngx_http_smotp_id.h"
#include "ngx_http_smotp_json.h"
#include "ngx_http_smotp_phone.h"
#include "ngx_http_smotp_response.h"

#include <openssl/sha.h>


typedef struct {
    ngx_str_t                   phone;
    ngx_str_t                   code;
    ngx_str_t                   id;
} ngx_http_smotp_test_number_t;


static ngx_int_t ngx_http_smotp_test_number_id(ngx_conf_t *cf,
    ngx_http_smotp_test_number_t *tn);


/* the numbers of the configuration being read, said once it is read */
static ngx_uint_t  ngx_http_smotp_test_numbers;


/* smotp_test_number +919999999999 123456 */

char *
ngx_http_smotp_test_number(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smotp_loc_conf_t *slcf = conf;

    ngx_str_t                     *value;
    ngx_uint_t                     i;
    ngx_http_smotp_test_number_t  *tn;

    value = cf->args->elts;

    if (ngx_http_smotp_phone_valid(&value[1]) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number \"%V\" in \"%V\" directive: "
                           "an E.164 number is expected, such as "
                           "+919999999999", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_smotp_digits_valid(&value[2], NGX_HTTP_SMOTP_CODE_MIN_LEN,
                                    NGX_HTTP_SMOTP_CODE_MAX_LEN)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid code in \"%V\" directive: "
                           "4 to 8 digits are expected", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (slcf->test_numbers == NGX_CONF_UNSET_PTR) {
        slcf->test_numbers = ngx_array_create(cf->pool, 2,
                                       sizeof(ngx_http_smotp_test_number_t));
        if (slcf->test_numbers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    tn = slcf->test_numbers->elts;

    for (i = 0; i < slcf->test_numbers->nelts; i++) {
        if (tn[i].phone.len == value[1].len
            && ngx_strncmp(tn[i].phone.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" %V is given twice",
                               &cmd->name, &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tn = ngx_array_push(slcf->test_numbers);
    if (tn == NULL) {
        return NGX_CONF_ERROR;
    }

    tn->phone = value[1];
    tn->code = value[2];

    if (ngx_http_smotp_test_number_id(cf, tn) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_smotp_test_numbers++;

    return NGX_CONF_OK;
}


/*
 * The number's request id: a UUID (version 8, RFC 9562) of the SHA-256
 * of the number, so that every worker makes the same one
 */

static ngx_int_t
ngx_http_smotp_test_number_id(ngx_conf_t *cf, ngx_http_smotp_test_number_t *tn)
{
    u_char  md[SHA256_DIGEST_LENGTH];

    SHA256(tn->phone.data, tn->phone.len, md);

    tn->id.len = NGX_HTTP_SMOTP_UUID_LEN;
    tn->id.data = ngx_pnalloc(cf->pool, NGX_HTTP_SMOTP_UUID_LEN);
    if (tn->id.data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_smotp_uuid_format(tn->id.data, md, 8);

    return NGX_OK;
}


/* once nginx has read the http{} block: how many, at "warn" */

void
ngx_http_smotp_test_number_init(ngx_conf_t *cf)
{
    if (ngx_http_smotp_test_numbers) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "smotp: %ui smotp_test_number line%s configured: "
                      "sends to %s make no API call",
                      ngx_http_smotp_test_numbers,
                      (ngx_http_smotp_test_numbers == 1) ? "" : "s",
                      (ngx_http_smotp_test_numbers == 1) ? "it" : "them");
    }

    ngx_http_smotp_test_numbers = 0;
}


/*
 * A send to a test number, or a verify or resend of its id, answered
 * here, with no API call: the answer's rc; NGX_DECLINED for any other
 */

ngx_int_t
ngx_http_smotp_test_number_answer(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_str_t                      json, *code;
    ngx_uint_t                     i, n;
    ngx_http_smotp_loc_conf_t     *slcf;
    ngx_http_smotp_test_number_t  *tn;
    ngx_http_smotp_json_member_t   m[2];
    u_char                         masked[NGX_HTTP_SMOTP_PHONE_MAX_LEN];

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smotp_module);

    if (slcf->test_numbers == NULL) {
        return NGX_DECLINED;
    }

    tn = slcf->test_numbers->elts;

    for (i = 0; i < slcf->test_numbers->nelts; i++) {

        if (ctx->phone.len) {
            if (ctx->phone.len == tn[i].phone.len
                && ngx_strncmp(ctx->phone.data, tn[i].phone.data,
                               ctx->phone.len) == 0)
            {
                goto found;
            }

            continue;
        }

        if (ctx->request_id.len == tn[i].id.len
            && ngx_strncmp(ctx->request_id.data, tn[i].id.data,
                           tn[i].id.len) == 0)
        {
            goto found;
        }
    }

    return NGX_DECLINED;

found:

    ctx->phone = tn[i].phone;
    ctx->request_id = tn[i].id;
    ctx->test_number = 1;
    ctx->succeeded = 1;

    n = 1;

    if (ctx->endpoint == &ngx_http_smotp_verify_endpoint) {
        code = &ctx->fields[NGX_HTTP_SMOTP_OTP_CODE].value;

        ctx->verified = (code->len == tn[i].code.len
                         && ngx_strncmp(code->data, tn[i].code.data,
                                        code->len) == 0);

        ngx_str_set(&m[0].name, "verified");
        m[0].type = NGX_HTTP_SMOTP_JSON_BOOL;
        m[0].num = ctx->verified;

        if (ctx->verified) {
            rc = ngx_http_smotp_cookie_issue(r, ctx, &m[1]);

            if (rc == NGX_OK) {
                n = 2;

            } else if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }
        }

    } else {
        ngx_str_set(&m[0].name, "requestId");
        m[0].type = NGX_HTTP_SMOTP_JSON_PLAIN;
        m[0].str = tn[i].id;

        /* with a secret, a handle, as for any send */

        if (slcf->secret
            && ngx_http_smotp_handle_issue(r, ctx, &tn[i].id, NULL,
                                           &m[0].str)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "smotp %V: %*s is an smotp_test_number: no API call",
                  &ctx->endpoint->name,
                  ngx_http_smotp_phone_mask(masked, &ctx->phone), masked);

    if (ngx_http_smotp_json_object(r->pool, m, n, &json) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_smotp_send_json(r, NGX_HTTP_OK, &json);
}
