
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_H_INCLUDED_
#define _NGX_HTTP_SMOTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cjson/cJSON.h>


#define NGX_HTTP_SMOTP_API_LOCATION      "/_smotp_api"
#define NGX_HTTP_SMOTP_MAX_BODY_SIZE     4096
#define NGX_HTTP_SMOTP_UUID_LEN          36
#define NGX_HTTP_SMOTP_MAX_ID_LEN        128
#define NGX_HTTP_SMOTP_MAX_MESSAGE_LEN   200
#define NGX_HTTP_SMOTP_RETRIES           2
#define NGX_HTTP_SMOTP_BACKOFF_BASE      200
#define NGX_HTTP_SMOTP_BACKOFF_MAX       2000
#define NGX_HTTP_SMOTP_DEADLINE          10000


/* the fields a client may send; the order is the index into fields[] */

typedef enum {
    NGX_HTTP_SMOTP_PHONE_NUMBER = 0,
    NGX_HTTP_SMOTP_REQUEST_ID,
    NGX_HTTP_SMOTP_OTP_CODE,
    NGX_HTTP_SMOTP_NFIELDS
} ngx_http_smotp_field_e;


typedef enum {
    NGX_HTTP_SMOTP_MISSING = 0,
    NGX_HTTP_SMOTP_STRING,
    NGX_HTTP_SMOTP_OTHER
} ngx_http_smotp_field_type_e;


typedef struct {
    ngx_str_t                   value;
    ngx_http_smotp_field_type_e type;
} ngx_http_smotp_field_t;


typedef struct ngx_http_smotp_ctx_s  ngx_http_smotp_ctx_t;


/*
 * An endpoint is one kind of call: what the client must send, which API
 * path it reaches and how the API's data becomes the client's answer.
 * Every handler shares the body reading, the API call and the error paths.
 */

typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   api_path;
    ngx_uint_t                  methods;
    ngx_str_t                   allow;

    /* may a call the API received be made again (an idempotent send) */
    ngx_uint_t                  idempotent;

    /* validates ctx->fields and writes ctx->api_body; NGX_OK or a status */
    ngx_int_t                 (*prepare)(ngx_http_request_t *r,
                                         ngx_http_smotp_ctx_t *ctx);

    /*
     * writes the client's answer from the API's "data" object: NGX_OK,
     * NGX_HTTP_BAD_GATEWAY for data not as expected, or NGX_ERROR
     */
    ngx_int_t                 (*answer)(ngx_pool_t *pool,
                                        ngx_http_smotp_ctx_t *ctx,
                                        cJSON *data, ngx_str_t *json);
} ngx_http_smotp_endpoint_t;


typedef struct {
    ngx_http_smotp_endpoint_t  *endpoint;
    ngx_str_t                   location;
    ngx_http_complex_value_t   *api_key;
    ngx_str_t                   api_location;
    /* api_location and the endpoint's API path: the subrequest's URI */
    ngx_str_t                   api_uri;
    size_t                      max_body_size;
    ngx_uint_t                  retries;
    ngx_msec_t                  backoff_base;
    ngx_msec_t                  backoff_max;
    ngx_msec_t                  deadline;
} ngx_http_smotp_loc_conf_t;


/*
 * A server's exact-match smotp locations, by URI: a request nginx refuses
 * before it chooses a location (a bad Content-Length, headers too large)
 * still gets the module's JSON when it was sent to one of them.
 */

typedef struct {
    ngx_str_t                   uri;
    ngx_http_smotp_loc_conf_t  *slcf;
} ngx_http_smotp_exact_t;


typedef struct {
    ngx_array_t                *exact;    /* of ngx_http_smotp_exact_t */
} ngx_http_smotp_srv_conf_t;


/* where the API call of a request stands */

typedef enum {
    NGX_HTTP_SMOTP_API_IDLE = 0,
    NGX_HTTP_SMOTP_API_CALLING,
    NGX_HTTP_SMOTP_API_ANSWERED,
    NGX_HTTP_SMOTP_API_WAITING,
    NGX_HTTP_SMOTP_API_FINISHED
} ngx_http_smotp_api_state_e;


struct ngx_http_smotp_ctx_s {
    ngx_http_smotp_endpoint_t  *endpoint;
    ngx_http_smotp_field_t      fields[NGX_HTTP_SMOTP_NFIELDS];

    ngx_str_t                   api_key;
    ngx_str_t                   api_body;
    ngx_str_t                   phone;
    ngx_str_t                   request_id;

    /* the API call: attempts, retries, the deadline */
    ngx_http_smotp_api_state_e  api_state;
    ngx_str_t                   api_uri;
    ngx_http_request_t         *api_sr;
    ngx_uint_t                  attempts;
    ngx_msec_t                  deadline;
    ngx_event_t                 retry_ev;
    ngx_event_t                 deadline_ev;

    /* what the last attempt came back with */
    ngx_int_t                   api_rc;
    ngx_uint_t                  api_status;
    ngx_buf_t                  *api_buf;
    ngx_str_t                   api_answer;
    ngx_str_t                   retry_after;

    ngx_str_t                   error;

    unsigned                    form:1;
    unsigned                    api_request_sent:1;
    unsigned                    api_complete:1;
    unsigned                    api_too_big:1;
    unsigned                    api_proxied:1;
    unsigned                    responded:1;
    unsigned                    replaced:1;
    unsigned                    replacement_sent:1;
};


extern ngx_module_t                ngx_http_smotp_module;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_send_endpoint;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_verify_endpoint;


/* handler: the content handler every endpoint uses */
ngx_int_t ngx_http_smotp_handler(ngx_http_request_t *r);

/* body: the client's body, read and parsed into ctx->fields */
ngx_int_t ngx_http_smotp_check_request(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
ngx_int_t ngx_http_smotp_parse_body(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_http_smotp_loc_conf_t *slcf);
ngx_int_t ngx_http_smotp_parse_fields(ngx_pool_t *pool, ngx_str_t *body,
    ngx_uint_t form, ngx_http_smotp_field_t *fields, ngx_str_t *error);

/* phone: E.164 numbers */
#define NGX_HTTP_SMOTP_PHONE_MAX_LEN     16

ngx_int_t ngx_http_smotp_phone_valid(ngx_str_t *phone);
size_t ngx_http_smotp_phone_mask(u_char *buf, ngx_str_t *phone);

/* id: idempotency keys and other identifiers */
ngx_int_t ngx_http_smotp_idempotency_key(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx, ngx_str_t *key);
ngx_int_t ngx_http_smotp_id_valid(ngx_str_t *id);
ngx_int_t ngx_http_smotp_digits_valid(ngx_str_t *s, size_t min, size_t max);

/* api: the one path to the API, shared by every endpoint */
ngx_int_t ngx_http_smotp_key_valid(ngx_str_t *key);
ngx_int_t ngx_http_smotp_api_key_get(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
ngx_int_t ngx_http_smotp_api_call(ngx_http_request_t *r,
    ngx_http_smotp_ctx_t *ctx);
ngx_int_t ngx_http_smotp_api_capture_header(ngx_http_request_t *sr);
ngx_int_t ngx_http_smotp_api_capture(ngx_http_request_t *sr,
    ngx_chain_t *in);
ngx_int_t ngx_http_smotp_api_init(ngx_conf_t *cf);

/* json: reading the API's answers, writing small JSON objects */

extern ngx_str_t  ngx_http_smotp_json_media_type;    /* application/json */

typedef enum {
    NGX_HTTP_SMOTP_JSON_STRING = 0,
    /* a string checked to have nothing that JSON escapes */
    NGX_HTTP_SMOTP_JSON_PLAIN,
    NGX_HTTP_SMOTP_JSON_NUMBER,
    /* str: a number's text, from ngx_http_smotp_json_get_number() */
    NGX_HTTP_SMOTP_JSON_DECIMAL,
    NGX_HTTP_SMOTP_JSON_BOOL
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
ngx_int_t ngx_http_smotp_json_get_id(cJSON *obj, const char *name,
    ngx_str_t *id);
ngx_int_t ngx_http_smotp_json_get_count(cJSON *obj, const char *name,
    ngx_int_t *value);
ngx_int_t ngx_http_smotp_json_get_number(ngx_pool_t *pool, cJSON *obj,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_smotp_json_text(ngx_pool_t *pool, u_char *text,
    ngx_str_t *out, ngx_uint_t *escape);
ngx_int_t ngx_http_smotp_json_member(ngx_pool_t *pool, cJSON *data,
    char *name, ngx_http_smotp_json_type_e type,
    ngx_http_smotp_json_member_t *m);

/* response: every answer the module writes */
ngx_int_t ngx_http_smotp_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_smotp_send_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *message);
ngx_int_t ngx_http_smotp_filter_init(ngx_conf_t *cf);
ngx_http_smotp_ctx_t *ngx_http_smotp_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_smotp_add_header(ngx_http_request_t *r, char *name,
    ngx_str_t *value);
ngx_table_elt_t *ngx_http_smotp_header_next(ngx_list_part_t **part,
    ngx_uint_t *i, ngx_str_t *name);

/* variables */
ngx_int_t ngx_http_smotp_add_variables(ngx_conf_t *cf);


#define ngx_http_smotp_error(r, status, text)                                 \
    ngx_http_smotp_send_error_text(r, status, (u_char *) text,               \
                                   sizeof(text) - 1)

ngx_int_t ngx_http_smotp_send_error_text(ngx_http_request_t *r,
    ngx_uint_t status, u_char *text, size_t len);


#endif /* _NGX_HTTP_SMOTP_H_INCLUDED_ */
