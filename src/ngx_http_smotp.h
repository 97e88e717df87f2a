
/*
 * Copyright (C) ngx_http_smotp_module authors
 */


#ifndef _NGX_HTTP_SMOTP_H_INCLUDED_
#define _NGX_HTTP_SMOTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cjson/cJSON.h>


#define NGX_HTTP_SMOTP_VERSION           "0.10.0"
#define NGX_HTTP_SMOTP_API_LOCATION      "/_smotp_api"
#define NGX_HTTP_SMOTP_MAX_BODY_SIZE     4096
#define NGX_HTTP_SMOTP_UUID_LEN          36
#define NGX_HTTP_SMOTP_MAX_ID_LEN        128
#define NGX_HTTP_SMOTP_MAX_IDEM_KEY_LEN  255
#define NGX_HTTP_SMOTP_MAX_MESSAGE_LEN   200
#define NGX_HTTP_SMOTP_CODE_MIN_LEN      4
#define NGX_HTTP_SMOTP_CODE_MAX_LEN      8
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


typedef struct ngx_http_smotp_ctx_s     ngx_http_smotp_ctx_t;
typedef struct ngx_http_smotp_secret_s  ngx_http_smotp_secret_t;
typedef struct ngx_http_smotp_cookie_s  ngx_http_smotp_cookie_t;


/*
 * An endpoint is one kind of call: what the client must send, which API
 * path it reaches with which method, and how the API's data becomes the
 * client's answer.  Every handler shares the body reading, the API call
 * and the error paths.
 */

typedef struct {
    ngx_str_t                   name;

    /* the client's request: its methods, and whether it has a body */
    ngx_uint_t                  methods;
    ngx_str_t                   allow;
    ngx_uint_t                  body;

    /* the API call */
    ngx_uint_t                  api_method;
    ngx_str_t                   api_method_name;
    ngx_str_t                   api_path;

    /* may a call the API received be made again (an idempotent send) */
    ngx_uint_t                  idempotent;

    /* does it bill an SMS: the limits count it as a send to its phone */
    ngx_uint_t                  sends;

    /*
     * validates ctx->fields and writes ctx->api_body (empty for a call
     * without a body); NGX_OK or a status
     */
    ngx_int_t                 (*prepare)(ngx_http_request_t *r,
                                         ngx_http_smotp_ctx_t *ctx);

    /*
     * writes the client's answer from the API's "data" object: NGX_OK,
     * NGX_HTTP_BAD_GATEWAY for data not as expected, or NGX_ERROR
     */
    ngx_int_t                 (*answer)(ngx_http_request_t *r,
                                        ngx_http_smotp_ctx_t *ctx,
                                        cJSON *data, ngx_str_t *json);

    /*
     * after an answer was made from the API's data, before it is sent:
     * what a success leaves behind (a log line, a count); may be NULL
     */
    void                      (*done)(ngx_http_request_t *r,
                                      ngx_http_smotp_ctx_t *ctx);

    /*
     * an endpoint with no API call (a logout) answers here instead, and
     * needs no API key; NULL for the others
     */
    ngx_int_t                 (*local)(ngx_http_request_t *r,
                                       ngx_http_smotp_ctx_t *ctx);
} ngx_http_smotp_endpoint_t;


typedef struct {
    ngx_http_smotp_endpoint_t  *endpoint;
    ngx_str_t                   location;
    ngx_http_complex_value_t   *api_key;
    ngx_str_t                   api_location;
    /* api_location and the endpoint's API path: the subrequest's URI */
    ngx_str_t                   api_uri;
    size_t                      max_body_size;
    ngx_array_t                *allowed_prefixes;    /* of ngx_str_t */
    ngx_array_t                *denied_prefixes;     /* of ngx_str_t */
    ngx_array_t                *allowed_origins;     /* of ngx_str_t */
    ngx_flag_t                  origin_check;
    ngx_uint_t                  retries;
    ngx_msec_t                  backoff_base;
    ngx_msec_t                  backoff_max;
    ngx_msec_t                  deadline;

    /* abuse limits (ngx_http_smotp_limit.c) */
    ngx_array_t                *limits;
    ngx_shm_zone_t             *resend_zone;
    ngx_msec_t                  resend_interval;
    ngx_shm_zone_t             *attempts_zone;
    ngx_uint_t                  attempts;
    /* all of them that apply, in the order they are checked */
    ngx_array_t                *checks;

    /* smotp_test_number (ngx_http_smotp_test_number.c) */
    ngx_array_t                *test_numbers;

    /* smotp_send_field (ngx_http_smotp_send_field.c): a tree of fields */
    ngx_array_t                *send_fields;

    /* smotp_metrics (ngx_http_smotp_metrics.c), of this location only */
    ngx_flag_t                  metrics;

    /* handles, the cookie and the gate (ngx_http_smotp_secret.c...) */
    ngx_http_smotp_secret_t    *secret;
    ngx_msec_t                  handle_ttl;
    ngx_http_smotp_cookie_t    *cookie;
    ngx_flag_t                  require;
    ngx_str_t                   require_redirect;

    /* smotp_redis_pass (ngx_http_smotp_redis.c) */
    ngx_http_upstream_conf_t   *redis;
    ngx_msec_t                  redis_timeout;
    ngx_str_t                   redis_auth;     /* the AUTH command, RESP */
} ngx_http_smotp_loc_conf_t;


typedef struct {
    /* the counters' zone (ngx_http_smotp_metrics.c), with any endpoint */
    ngx_shm_zone_t             *metrics;
    /* the smotp_zone ... redis= zones, keyed at postconfiguration */
    ngx_array_t                *remote_zones;
} ngx_http_smotp_main_conf_t;


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
    /* when the last attempt started, and all attempts' time so far */
    ngx_msec_t                  api_start;
    ngx_msec_t                  api_time;
    ngx_event_t                 retry_ev;
    ngx_event_t                 deadline_ev;

    /* what the last attempt came back with */
    ngx_int_t                   api_rc;
    ngx_uint_t                  api_status;
    ngx_buf_t                  *api_buf;
    ngx_str_t                   api_answer;
    ngx_str_t                   retry_after;

    ngx_str_t                   error;

    /* smotp_require's refusal: a sign-in page to go to, or none for 401 */
    ngx_str_t                   redirect;

    /* the abuse limits' reservations, and what they said */
    ngx_array_t                 holds;
    ngx_uint_t                  limit_status;
    ngx_uint_t                  limit_wait;

    /* the reservation in Redis (ngx_http_smotp_fleet.c), once it is back */
    ngx_int_t                   fleet_rc;
    ngx_uint_t                  fleet_refused;
    ngx_msec_t                  fleet_wait;

    unsigned                    form:1;
    unsigned                    denied_prefix:1;
    unsigned                    verified:1;
    unsigned                    test_number:1;
    unsigned                    succeeded:1;
    unsigned                    api_request_sent:1;
    unsigned                    api_complete:1;
    unsigned                    api_too_big:1;
    unsigned                    api_proxied:1;
    unsigned                    api_redirected:1;
    unsigned                    responded:1;
    unsigned                    replaced:1;
    unsigned                    replacement_sent:1;
    unsigned                    gate:1;
    unsigned                    fleet_waiting:1;
};


extern ngx_module_t                ngx_http_smotp_module;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_send_endpoint;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_verify_endpoint;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_wallet_endpoint;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_resend_endpoint;
extern ngx_http_smotp_endpoint_t   ngx_http_smotp_logout_endpoint;


#endif /* _NGX_HTTP_SMOTP_H_INCLUDED_ */
