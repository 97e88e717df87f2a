
/*
 * Copyright (C) ngx_http_smotp_module authors
 *
 * A fleet's counts: the abuse limits of a zone declared with redis= are
 * counted in Redis, shared by every server that points at it, through a
 * subrequest into the location of smotp_redis_pass.  One round trip a
 * request: a Lua script, run by EVALSHA (EVAL when Redis does not know
 * it yet), takes all of a request's counts or none, with Redis' own
 * clock, by the same rules as the shared memory (ngx_http_smotp_zone.c).
 * Entries are named by the same keyed hash, with a key the servers'
 * common secret gives, so no phone number or address reaches Redis, and
 * each key expires on its own.  When Redis fails, the zone's on_error
 * says what happens: its own shared memory counts (local), the request
 * goes uncounted (allow), or it is refused (deny).
 */


#include "ngx_http_smotp_fleet.h"
#include "ngx_http_smotp_redis.h"
#include "ngx_http_smotp_secret.h"

#include <openssl/sha.h>


/* the hash of a key, in hex, after the zone's prefix */
#define NGX_HTTP_SMOTP_FLEET_KEY_LEN  16

/* a verify's tally of wrong codes lives as long as in shared memory */
#define NGX_HTTP_SMOTP_FLEET_TALLY_TTL  "86400000"


typedef struct {
    /* first: the call's handler is given it */
    ngx_http_smotp_redis_call_t    call;
    ngx_http_smotp_zone_remote_t  *remote;
    ngx_http_smotp_ctx_t          *ctx;
    ngx_str_t                     *args;
    ngx_uint_t                     nargs;
    ngx_uint_t                     evaled;
    ngx_uint_t                     n;
    ngx_http_smotp_hold_t         *holds[NGX_HTTP_SMOTP_FLEET_HOLDS];
} ngx_http_smotp_fleet_call_t;


static ngx_http_smotp_fleet_call_t *ngx_http_smotp_fleet_call(
    ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_hold_t **holds, ngx_uint_t n, ngx_str_t *op);
static ngx_int_t ngx_http_smotp_fleet_noscript(ngx_http_request_t *r,
    ngx_http_smotp_fleet_call_t *fc);
static void ngx_http_smotp_fleet_reserved(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call);
static void ngx_http_smotp_fleet_released(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call);


/*
 * The script.  KEYS: the counts; ARGV[1] the operation, then for each
 * key its kind (1 a rolling count, 2 a tally), limit and period in ms,
 * and for a release the mark its reserve answered.  A reserve answers
 * {0, 0, now, mark...} when all are taken, else {i, wait, now} for the
 * first key that refused, none taken.
 */

static ngx_str_t  ngx_http_smotp_fleet_script = ngx_string(
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"local op = ARGV[1]\n"
"local function parse(s)\n"
"  local v = {}\n"
"  if s then for w in string.gmatch(s, '%d+') do v[#v + 1] = tonumber(w) end"
" end\n"
"  return v\n"
"end\n"
"if op == 'clear' then\n"
"  for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end\n"
"  return {0, 0, now}\n"
"end\n"
"local step = 3\n"
"if op == 'release' then step = 4 end\n"
"local out = {0, 0, now}\n"
"local new = {}\n"
"for i = 1, #KEYS do\n"
"  local b = 1 + (i - 1) * step\n"
"  local kind = tonumber(ARGV[b + 1])\n"
"  local limit = tonumber(ARGV[b + 2])\n"
"  local period = tonumber(ARGV[b + 3])\n"
"  local v = parse(redis.call('GET', KEYS[i]))\n"
"  if op == 'release' then\n"
"    local mark = tonumber(ARGV[b + 4])\n"
"    if kind == 2 then\n"
"      if v[1] and v[1] > 0 then v[1] = v[1] - 1 end\n"
"    elseif limit <= 8 then\n"
"      for j = 1, #v do\n"
"        if v[j] == mark then table.remove(v, j) break end\n"
"      end\n"
"    elseif v[1] then\n"
"      if v[1] == mark and v[3] > 0 then v[3] = v[3] - 1\n"
"      elseif v[1] == mark + period and v[2] > 0 then v[2] = v[2] - 1 end\n"
"    end\n"
"    if #v > 0 then\n"
"      redis.call('SET', KEYS[i], table.concat(v, ' '), 'KEEPTTL')\n"
"    else\n"
"      redis.call('DEL', KEYS[i])\n"
"    end\n"
"  else\n"
"    local wait, mark, ttl = 0, 0, 0\n"
"    if kind == 2 then\n"
"      local cur = v[1] or 0\n"
"      if cur >= limit then wait = -1\n"
"      else v = {cur + 1} ttl = " NGX_HTTP_SMOTP_FLEET_TALLY_TTL " end\n"
"    elseif limit <= 8 then\n"
"      local kept = {}\n"
"      for j = 1, #v do\n"
"        if now - v[j] < period then kept[#kept + 1] = v[j] end\n"
"      end\n"
"      if #kept >= limit then wait = kept[#kept - limit + 1] + period - now\n"
"      else kept[#kept + 1] = now v = kept mark = now ttl = period end\n"
"    else\n"
"      local start = now - now % period\n"
"      local m, prev, cur = v[1] or start, v[2] or 0, v[3] or 0\n"
"      if m ~= start then\n"
"        if start - m == period then prev = cur else prev = 0 end\n"
"        cur = 0 m = start\n"
"      end\n"
"      local left = period - (now - start)\n"
"      if prev * left + (cur + 1) * period > limit * period then\n"
"        if cur + 1 <= limit then\n"
"          local over = prev * left - (limit - cur - 1) * period\n"
"          wait = math.floor((over + prev - 1) / prev)\n"
"        else\n"
"          wait = left + math.floor((cur * period - (limit - 1) * period"
" + cur - 1) / cur)\n"
"        end\n"
"      else v = {m, prev, cur + 1} mark = m ttl = m + 2 * period - now end\n"
"    end\n"
"    if wait ~= 0 then\n"
"      if wait < 0 then wait = 0 end\n"
"      return {i, wait, now}\n"
"    end\n"
"    new[i] = {v, ttl}\n"
"    out[3 + i] = mark\n"
"  end\n"
"end\n"
"if op == 'reserve' then\n"
"  for i = 1, #KEYS do\n"
"    redis.call('SET', KEYS[i], table.concat(new[i][1], ' '), 'PX',"
" new[i][2])\n"
"  end\n"
"end\n"
"return out\n");


static u_char  ngx_http_smotp_fleet_sha[SHA_DIGEST_LENGTH * 2];

static ngx_str_t  ngx_http_smotp_fleet_op_reserve = ngx_string("reserve");
static ngx_str_t  ngx_http_smotp_fleet_op_release = ngx_string("release");
static ngx_str_t  ngx_http_smotp_fleet_op_clear = ngx_string("clear");


/*
 * postconfiguration: each Redis zone is keyed by the first line of the
 * http level's smotp_secret_file, which the fleet's servers share
 */

ngx_int_t
ngx_http_smotp_fleet_init(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_shm_zone_t               **zone;
    ngx_http_smotp_loc_conf_t     *slcf;
    ngx_http_smotp_main_conf_t    *smcf;
    ngx_http_smotp_zone_remote_t  *remote;
    u_char                         sha[SHA_DIGEST_LENGTH];

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_smotp_module);

    if (smcf->remote_zones == NULL) {
        return NGX_OK;
    }

    slcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_smotp_module);

    zone = smcf->remote_zones->elts;

    for (i = 0; i < smcf->remote_zones->nelts; i++) {
        remote = ngx_http_smotp_zone_remote(zone[i]);

        if (slcf->secret == NGX_CONF_UNSET_PTR || slcf->secret == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "smotp_zone \"%V\" with redis= needs "
                          "smotp_secret_file at the http level: its first "
                          "line names the zone's keys in Redis, the same on "
                          "every server", &remote->name);
            return NGX_ERROR;
        }

        if (ngx_http_smotp_secret_names(slcf->secret, &remote->name,
                                        remote->key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        remote->keyed = 1;
    }

    SHA1(ngx_http_smotp_fleet_script.data, ngx_http_smotp_fleet_script.len,
         sha);
    ngx_hex_dump(ngx_http_smotp_fleet_sha, sha, sizeof(sha));

    return NGX_OK;
}


/*
 * The request's Redis holds taken in one call: NGX_DONE when it is under
 * way (ctx->fleet_rc is set and the request posted when it is back),
 * NGX_ERROR when it could not be made
 */

ngx_int_t
ngx_http_smotp_fleet_reserve(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                    i, n;
    ngx_http_smotp_hold_t        *hold, *remote[NGX_HTTP_SMOTP_FLEET_HOLDS];
    ngx_http_smotp_fleet_call_t  *fc;

    hold = ctx->holds.elts;
    n = 0;

    for (i = 0; i < ctx->holds.nelts; i++) {
        if (hold[i].remote) {
            if (n == NGX_HTTP_SMOTP_FLEET_HOLDS) {
                return NGX_ERROR;
            }

            remote[n++] = &hold[i];
        }
    }

    fc = ngx_http_smotp_fleet_call(r, ctx, remote, n,
                                   &ngx_http_smotp_fleet_op_reserve);
    if (fc == NULL) {
        return NGX_ERROR;
    }

    fc->call.handler = ngx_http_smotp_fleet_reserved;

    if (ngx_http_smotp_redis_call(r, &fc->remote->uri, &fc->call)
        != NGX_DONE)
    {
        return NGX_ERROR;
    }

    ctx->fleet_waiting = 1;

    return NGX_DONE;
}


/*
 * Counts given back (a call that came to nothing) or tallies cleared (a
 * right code), after the answer: nothing waits for it
 */

void
ngx_http_smotp_fleet_release(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_hold_t **holds, ngx_uint_t n, ngx_uint_t clear)
{
    ngx_http_smotp_fleet_call_t  *fc;

    fc = ngx_http_smotp_fleet_call(r, ctx, holds, n,
                                   clear ? &ngx_http_smotp_fleet_op_clear
                                         : &ngx_http_smotp_fleet_op_release);

    if (fc) {
        fc->call.handler = ngx_http_smotp_fleet_released;

        if (ngx_http_smotp_redis_call(r, &fc->remote->uri, &fc->call)
            == NGX_DONE)
        {
            return;
        }
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smotp %V: counts not given back in Redis",
                  &ctx->endpoint->name);
}


/* the command: EVALSHA sha n key... op args... */

static ngx_http_smotp_fleet_call_t *
ngx_http_smotp_fleet_call(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx,
    ngx_http_smotp_hold_t **holds, ngx_uint_t n, ngx_str_t *op)
{
    u_char                       *p;
    ngx_str_t                    *a;
    ngx_uint_t                    i, per;
    ngx_http_smotp_zone_remote_t *remote;
    ngx_http_smotp_fleet_call_t  *fc;

    fc = ngx_pcalloc(r->pool, sizeof(ngx_http_smotp_fleet_call_t));
    if (fc == NULL) {
        return NULL;
    }

    remote = ngx_http_smotp_zone_remote(holds[0]->zone);

    per = (op == &ngx_http_smotp_fleet_op_reserve) ? 3
          : (op == &ngx_http_smotp_fleet_op_release) ? 4 : 0;

    fc->nargs = 3 + n + 1 + per * n;

    fc->args = ngx_palloc(r->pool, fc->nargs * sizeof(ngx_str_t));
    if (fc->args == NULL) {
        return NULL;
    }

    /* the numbers of all holds, each at most 4 of NGX_INT64_LEN */

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN
                    + n * (remote->prefix.len + NGX_HTTP_SMOTP_FLEET_KEY_LEN
                           + 4 * NGX_INT64_LEN));
    if (p == NULL) {
        return NULL;
    }

    a = fc->args;

    ngx_str_set(&a[0], "EVALSHA");
    a[1].data = ngx_http_smotp_fleet_sha;
    a[1].len = sizeof(ngx_http_smotp_fleet_sha);

    a[2].data = p;
    p = ngx_sprintf(p, "%ui", n);
    a[2].len = p - a[2].data;

    for (i = 0; i < n; i++) {
        a[3 + i].data = p;
        p = ngx_cpymem(p, remote->prefix.data, remote->prefix.len);
        p = ngx_sprintf(p, "%016uxL", holds[i]->hash);
        a[3 + i].len = p - a[3 + i].data;

        fc->holds[i] = holds[i];
    }

    a += 3 + n;
    *a++ = *op;

    for (i = 0; i < n && per; i++) {
        a[0].data = p;
        p = ngx_sprintf(p, "%ui", (ngx_uint_t) holds[i]->kind);
        a[0].len = p - a[0].data;

        a[1].data = p;
        p = ngx_sprintf(p, "%ui", holds[i]->limit);
        a[1].len = p - a[1].data;

        a[2].data = p;
        p = ngx_sprintf(p, "%M", holds[i]->period);
        a[2].len = p - a[2].data;

        if (per == 4) {
            a[3].data = p;
            p = ngx_sprintf(p, "%M", holds[i]->mark);
            a[3].len = p - a[3].data;
        }

        a += per;
    }

    fc->n = n;
    fc->remote = remote;
    fc->ctx = ctx;

    if (ngx_http_smotp_redis_command(r->pool, &fc->call.command, fc->nargs,
                                     fc->args)
        != NGX_OK)
    {
        return NULL;
    }

    return fc;
}


/*
 * Redis does not have the script (a restart, SCRIPT FLUSH, another
 * Redis): the same call again with EVAL, which also keeps it there.
 * NGX_DONE when that call is under way.
 */

static ngx_int_t
ngx_http_smotp_fleet_noscript(ngx_http_request_t *r,
    ngx_http_smotp_fleet_call_t *fc)
{
    if (fc->evaled || fc->call.rc == NGX_OK
        || fc->call.error.len < sizeof("NOSCRIPT") - 1
        || ngx_strncmp(fc->call.error.data, "NOSCRIPT", 8) != 0)
    {
        return NGX_DECLINED;
    }

    fc->evaled = 1;

    ngx_str_set(&fc->args[0], "EVAL");
    fc->args[1] = ngx_http_smotp_fleet_script;

    if (ngx_http_smotp_redis_command(r->pool, &fc->call.command, fc->nargs,
                                     fc->args)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_smotp_redis_call(r, &fc->remote->uri, &fc->call);
}


static void
ngx_http_smotp_fleet_reserved(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call)
{
    ngx_http_smotp_fleet_call_t *fc = (ngx_http_smotp_fleet_call_t *) call;

    ngx_uint_t             i, refused;
    ngx_http_smotp_ctx_t  *ctx;

    if (ngx_http_smotp_fleet_noscript(r, fc) == NGX_DONE) {
        return;
    }

    ctx = fc->ctx;
    ctx->fleet_waiting = 0;
    ctx->fleet_rc = NGX_ERROR;

    if (call->rc == NGX_OK && call->type == '*' && call->nvalues >= 3) {
        refused = (ngx_uint_t) call->values[0];

        if (refused == 0 && call->nvalues == 3 + fc->n) {
            for (i = 0; i < fc->n; i++) {
                fc->holds[i]->mark = (ngx_msec_t) call->values[3 + i];
            }

            ctx->fleet_rc = NGX_OK;

        } else if (refused >= 1 && refused <= fc->n) {
            ctx->fleet_rc = NGX_BUSY;
            ctx->fleet_refused = fc->holds[refused - 1]
                                 - (ngx_http_smotp_hold_t *) ctx->holds.elts;
            ctx->fleet_wait = (ngx_msec_t) call->values[1];
        }

    }

    if (ctx->fleet_rc == NGX_ERROR && call->error.len == 0) {
        ngx_str_set(&call->error, "the script's answer is not as expected");
    }

    ngx_http_smotp_fleet_state(r, fc->remote, ctx->fleet_rc == NGX_ERROR,
                               &call->error);

    (void) ngx_http_post_request(r, NULL);
}


static void
ngx_http_smotp_fleet_released(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call)
{
    ngx_http_smotp_fleet_call_t *fc = (ngx_http_smotp_fleet_call_t *) call;

    if (ngx_http_smotp_fleet_noscript(r, fc) == NGX_DONE) {
        return;
    }

    ngx_http_smotp_fleet_state(r, fc->remote, call->rc != NGX_OK,
                               &call->error);
}


/*
 * Redis failing or answering again: said once, by the first worker to
 * see the switch, not once a request
 */

void
ngx_http_smotp_fleet_state(ngx_http_request_t *r,
    ngx_http_smotp_zone_remote_t *remote, ngx_uint_t down, ngx_str_t *why)
{
    static const char  *policies[] = {
        "counting in this server's shared memory until it answers",
        "letting requests through uncounted until it answers",
        "refusing requests with 503 until it answers"
    };

    if (down) {
        if (ngx_atomic_cmp_set(remote->down, 0, 1)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "smotp_zone \"%V\": Redis failed at \"%V\" (%V): "
                          "%s (on_error)", &remote->name, &remote->uri, why,
                          policies[remote->on_error]);

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "smotp_zone \"%V\": Redis still failing (%V)",
                          &remote->name, why);
        }

        return;
    }

    if (*remote->down && ngx_atomic_cmp_set(remote->down, 1, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "smotp_zone \"%V\": Redis at \"%V\" answers again: "
                      "the counts are kept there", &remote->name,
                      &remote->uri);
    }
}
