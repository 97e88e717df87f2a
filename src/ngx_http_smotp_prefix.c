
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * The prefix of a phone number: its country calling code, by the ITU-T
 * E.164 list of assigned codes, and the prefixes that smotp_allowed_prefixes
 * and smotp_denied_prefixes let receive an SMS, or not.
 */


#include "ngx_http_smotp_prefix.h"


#define NGX_HTTP_SMOTP_PREFIX_MAX_DIGITS  15


static ngx_int_t ngx_http_smotp_prefix_valid(ngx_str_t *prefix);
static ngx_int_t ngx_http_smotp_prefix_match(ngx_array_t *prefixes,
    ngx_str_t *phone);


/*
 * The country codes assigned in the "List of ITU-T Recommendation E.164
 * assigned country codes", those of global services and networks (+800,
 * +881, +882...) included, in the list's own order, which is that of the
 * codes as strings.  Spare codes and those only reserved (+875 to +877
 * and +879 for maritime and national uses, +999) are left out, as are
 * those given up: +259 (Zanzibar), +388 (the shared code of the ETNS,
 * withdrawn), +671 and +684 (Guam and American Samoa, now in +1), +969
 * (South Yemen), +997.  No code is the beginning of another, which is
 * what lets a binary search find the one a number begins with.
 */

static u_char  ngx_http_smotp_country_codes[][4] = {
    "1",
    "20",
    "211", "212", "213", "216", "218",
    "220", "221", "222", "223", "224", "225", "226", "227", "228", "229",
    "230", "231", "232", "233", "234", "235", "236", "237", "238", "239",
    "240", "241", "242", "243", "244", "245", "246", "247", "248", "249",
    "250", "251", "252", "253", "254", "255", "256", "257", "258",
    "260", "261", "262", "263", "264", "265", "266", "267", "268", "269",
    "27",
    "290", "291", "297", "298", "299",
    "30", "31", "32", "33", "34",
    "350", "351", "352", "353", "354", "355", "356", "357", "358", "359",
    "36",
    "370", "371", "372", "373", "374", "375", "376", "377", "378", "379",
    "380", "381", "382", "383", "385", "386", "387", "389",
    "39",
    "40", "41",
    "420", "421", "423",
    "43", "44", "45", "46", "47", "48", "49",
    "500", "501", "502", "503", "504", "505", "506", "507", "508", "509",
    "51", "52", "53", "54", "55", "56", "57", "58",
    "590", "591", "592", "593", "594", "595", "596", "597", "598", "599",
    "60", "61", "62", "63", "64", "65", "66",
    "670", "672", "673", "674", "675", "676", "677", "678", "679",
    "680", "681", "682", "683", "685", "686", "687", "688", "689",
    "690", "691", "692",
    "7",
    "800", "808",
    "81", "82", "84",
    "850", "852", "853", "855", "856",
    "86",
    "870", "878",
    "880", "881", "882", "883", "886", "888",
    "90", "91", "92", "93", "94", "95",
    "960", "961", "962", "963", "964", "965", "966", "967", "968",
    "970", "971", "972", "973", "974", "975", "976", "977", "979",
    "98",
    "991", "992", "993", "994", "995", "996", "998"
};


/*
 * The length of the country code that begins an E.164 number, "+"
 * included ("+1" for "+18765550100", "+971" for "+971501234567"), or 0
 * when the code is not assigned; the number must be valid (more digits
 * than any code has)
 */

size_t
ngx_http_smotp_prefix_len(ngx_str_t *phone)
{
    u_char       *code, *d;
    size_t        n;
    ngx_uint_t    i, k, first, last;

    /*
     * the codes' lengths by a number's first three digits, made on first
     * use: the codes are prefix-free and at most three digits long, so
     * "1" is the code of 100 to 199, "20" of 200 to 209, "211" of 211
     */

    static u_char      len[1000];
    static ngx_uint_t  made;

    if (!made) {
        for (i = 0; i < sizeof(ngx_http_smotp_country_codes)
                        / sizeof(ngx_http_smotp_country_codes[0]); i++)
        {
            code = ngx_http_smotp_country_codes[i];
            n = ngx_strlen(code);

            first = 0;

            for (k = 0; k < 3; k++) {
                first = first * 10 + ((k < n) ? (ngx_uint_t) (code[k] - '0')
                                              : 0);
            }

            last = first + ((n == 1) ? 99 : (n == 2) ? 9 : 0);

            for (k = first; k <= last; k++) {
                len[k] = (u_char) n;
            }
        }

        made = 1;
    }

    d = phone->data + 1;

    n = len[(d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0')];

    return n ? n + 1 : 0;
}


/*
 * NGX_OK when the number may receive an SMS: it begins with one of
 * smotp_allowed_prefixes, if any are set, and with none of
 * smotp_denied_prefixes; else NGX_DECLINED
 */

ngx_int_t
ngx_http_smotp_prefix_allowed(ngx_http_smotp_loc_conf_t *slcf,
    ngx_str_t *phone)
{
    if (slcf->allowed_prefixes
        && ngx_http_smotp_prefix_match(slcf->allowed_prefixes, phone)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (slcf->denied_prefixes
        && ngx_http_smotp_prefix_match(slcf->denied_prefixes, phone)
           == NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_smotp_prefix_match(ngx_array_t *prefixes, ngx_str_t *phone)
{
    ngx_str_t   *prefix;
    ngx_uint_t   i;

    prefix = prefixes->elts;

    for (i = 0; i < prefixes->nelts; i++) {
        if (prefix[i].len <= phone->len
            && ngx_memcmp(prefix[i].data, phone->data, prefix[i].len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* smotp_allowed_prefixes and smotp_denied_prefixes */

char *
ngx_http_smotp_set_prefixes(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *prefix;
    ngx_uint_t     i;
    ngx_array_t  **prefixes;

    prefixes = (ngx_array_t **) (p + cmd->offset);

    if (*prefixes != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *prefixes = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                 sizeof(ngx_str_t));
    if (*prefixes == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_smotp_prefix_valid(&value[i]) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" directive: "
                               "\"+\" and 1 to %d digits, the first not 0, "
                               "are expected, such as +44",
                               &value[i], &cmd->name,
                               NGX_HTTP_SMOTP_PREFIX_MAX_DIGITS);
            return NGX_CONF_ERROR;
        }

        prefix = ngx_array_push(*prefixes);
        if (prefix == NULL) {
            return NGX_CONF_ERROR;
        }

        *prefix = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * A prefix need not be a whole country code ("+4420", London), but one
 * beginning with 0 could match no number the send endpoint takes
 */

static ngx_int_t
ngx_http_smotp_prefix_valid(ngx_str_t *prefix)
{
    size_t  i;

    if (prefix->len < 2
        || prefix->len > 1 + NGX_HTTP_SMOTP_PREFIX_MAX_DIGITS
        || prefix->data[0] != '+'
        || prefix->data[1] == '0')
    {
        return NGX_DECLINED;
    }

    for (i = 1; i < prefix->len; i++) {
        if (prefix->data[i] < '0' || prefix->data[i] > '9') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
