
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


/* the most requests whose counts one call takes */
#define NGX_HTTP_SMOTP_FLEET_BATCH  32

#define NGX_HTTP_SMOTP_FLEET_IDLE    0
#define NGX_HTTP_SMOTP_FLEET_QUEUED  1
#define NGX_HTTP_SMOTP_FLEET_SENT    2


/*
 * A worker's requests waiting for a zone's next call.  With no call of
 * the zone under way, the first of them posts the event, and once the
 * event loop's turn is done, one call carries all that came; while one
 * is under way, those that come wait for its answer, then go together
 * (FLEET_BATCH a call at most), so that concurrent requests share a
 * round trip and a load makes the batches, not a timer
 */

typedef struct {
    ngx_queue_t                    waiting;
    ngx_uint_t                     n;
    ngx_uint_t                     calls;    /* under way */
    ngx_event_t                    event;
    ngx_http_smotp_zone_remote_t  *remote;
    /* a key's RESP before its hash: "$<length>\r\n<prefix>" */
    ngx_str_t                      key;
} ngx_http_smotp_fleet_batch_t;


/* a request waiting for its counts, in its own pool */

typedef struct {
    ngx_queue_t                    queue;
    ngx_http_request_t            *request;
    ngx_http_smotp_ctx_t          *ctx;
    ngx_http_smotp_fleet_batch_t  *batch;
    ngx_uint_t                     state;
    ngx_uint_t                     n;
    ngx_http_smotp_hold_t         *holds[NGX_HTTP_SMOTP_FLEET_HOLDS];
} ngx_http_smotp_fleet_wait_t;


/*
 * A call, in the pool of the request that carries it (the first of a
 * batch): a reserve's waits, or one request's counts given back
 */

typedef struct {
    /* first: the call's handler is given it */
    ngx_http_smotp_redis_call_t    call;
    ngx_http_smotp_zone_remote_t  *remote;
    ngx_http_request_t            *carrier;
    ngx_queue_t                    waits;
    /* the command's arguments after the script's, in RESP */
    ngx_str_t                      rest;
    ngx_uint_t                     nargs;
    ngx_uint_t                     evaled;
    ngx_uint_t                     ended;    /* a reserve's, answered */
    int64_t                        values[3];
} ngx_http_smotp_fleet_call_t;


static void ngx_http_smotp_fleet_queue(ngx_http_smotp_fleet_batch_t *batch,
    ngx_http_smotp_fleet_wait_t *wait);
static void ngx_http_smotp_fleet_ended(ngx_http_smotp_fleet_call_t *fc);
static void ngx_http_smotp_fleet_send(ngx_event_t *ev);
static ngx_http_smotp_fleet_call_t *ngx_http_smotp_fleet_batch_call(
    ngx_http_smotp_fleet_batch_t *batch);
static void ngx_http_smotp_fleet_wake(ngx_http_smotp_fleet_wait_t *wait,
    ngx_http_request_t *carrier);
static void ngx_http_smotp_fleet_wait_cleanup(void *data);
static void ngx_http_smotp_fleet_call_cleanup(void *data);
static ngx_http_smotp_fleet_call_t *ngx_http_smotp_fleet_call(
    ngx_http_request_t *r, ngx_http_smotp_hold_t **holds, ngx_uint_t n,
    ngx_str_t *op);
static ngx_int_t ngx_http_smotp_fleet_command(ngx_pool_t *pool,
    ngx_http_smotp_fleet_call_t *fc);
static u_char *ngx_http_smotp_fleet_key(u_char *p,
    ngx_http_smotp_fleet_batch_t *batch, ngx_http_smotp_hold_t *hold);
static u_char *ngx_http_smotp_fleet_number(u_char *p, uint64_t n);
static ngx_int_t ngx_http_smotp_fleet_noscript(ngx_http_request_t *r,
    ngx_http_smotp_fleet_call_t *fc);
static void ngx_http_smotp_fleet_reserved(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call);
static ngx_int_t ngx_http_smotp_fleet_answer(ngx_http_smotp_fleet_call_t *fc);
static void ngx_http_smotp_fleet_released(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call);


/*
 * The script.  KEYS: the counts.  ARGV[1] the operation.  A reserve's
 * ARGV[2] is the number of requests, then for each its number of keys
 * and, a key, its kind (1 a rolling count, 2 a tally), limit and period
 * in ms; each request's counts are taken all or none, in turn, and it
 * answers {refused, wait, mark...}: 0 and a mark a key when all are
 * taken, else the first key that refused, how long until it would not,
 * and zeros.  The keys are read in one MGET and each written once at the
 * end: the keys every request shares (an address, a prefix, a budget)
 * cost a batch one read and one write, not one each request.  A release's keys come with kind, limit, period and the
 * mark their reserve answered; a clear's alone.
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
"if op == 'release' then\n"
"  for i = 1, #KEYS do\n"
"    local b = 1 + (i - 1) * 4\n"
"    local kind = tonumber(ARGV[b + 1])\n"
"    local limit = tonumber(ARGV[b + 2])\n"
"    local period = tonumber(ARGV[b + 3])\n"
"    local mark = tonumber(ARGV[b + 4])\n"
"    local v = parse(redis.call('GET', KEYS[i]))\n"
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
"  end\n"
"  return {0, 0, now}\n"
"end\n"
"local names, seen, vals, ttls = {}, {}, {}, {}\n"
"for i = 1, #KEYS do\n"
"  if not seen[KEYS[i]] then seen[KEYS[i]] = true names[#names + 1] = KEYS[i]"
" end\n"
"end\n"
"local got = redis.call('MGET', unpack(names))\n"
"for i = 1, #names do vals[names[i]] = parse(got[i]) end\n"
"local out = {}\n"
"local a, k = 3, 0\n"
"for r = 1, tonumber(ARGV[2]) do\n"
"  local n = tonumber(ARGV[a])\n"
"  a = a + 1\n"
"  local refused, wait, new = 0, 0, {}\n"
"  for i = 1, n do\n"
"    if refused == 0 then\n"
"      local kind = tonumber(ARGV[a])\n"
"      local limit = tonumber(ARGV[a + 1])\n"
"      local period = tonumber(ARGV[a + 2])\n"
"      local v = vals[KEYS[k + i]]\n"
"      local w, mark, ttl = nil, 0, 0\n"
"      if kind == 2 then\n"
"        local cur = v[1] or 0\n"
"        if cur >= limit then w = 0\n"
"        else v = {cur + 1} ttl = " NGX_HTTP_SMOTP_FLEET_TALLY_TTL " end\n"
"      elseif limit <= 8 then\n"
"        local kept = {}\n"
"        for j = 1, #v do\n"
"          if now - v[j] < period then kept[#kept + 1] = v[j] end\n"
"        end\n"
"        if #kept >= limit then w = kept[#kept - limit + 1] + period - now\n"
"        else kept[#kept + 1] = now v = kept mark = now ttl = period end\n"
"      else\n"
"        local start = now - now % period\n"
"        local m, prev, cur = v[1] or start, v[2] or 0, v[3] or 0\n"
"        if m ~= start then\n"
"          if start - m == period then prev = cur else prev = 0 end\n"
"          cur = 0 m = start\n"
"        end\n"
"        local left = period - (now - start)\n"
"        if prev * left + (cur + 1) * period > limit * period then\n"
"          if cur + 1 <= limit then\n"
"            local over = prev * left - (limit - cur - 1) * period\n"
"            w = math.floor((over + prev - 1) / prev)\n"
"          else\n"
"            w = left + math.floor((cur * period - (limit - 1) * period"
" + cur - 1) / cur)\n"
"          end\n"
"        else v = {m, prev, cur + 1} mark = m ttl = m + 2 * period - now end\n"
"      end\n"
"      if w then\n"
"        refused = i\n"
"        if w > 0 then wait = w end\n"
"      else\n"
"        new[i] = {v, ttl, mark}\n"
"      end\n"
"    end\n"
"    a = a + 3\n"
"  end\n"
"  out[#out + 1] = refused\n"
"  out[#out + 1] = wait\n"
"  for i = 1, n do\n"
"    if refused == 0 then\n"
"      vals[KEYS[k + i]] = new[i][1]\n"
"      ttls[KEYS[k + i]] = new[i][2]\n"
"      out[#out + 1] = new[i][3]\n"
"    else\n"
"      out[#out + 1] = 0\n"
"    end\n"
"  end\n"
"  k = k + n\n"
"end\n"
"for i = 1, #names do\n"
"  local key = names[i]\n"
"  if ttls[key] then\n"
"    redis.call('SET', key, table.concat(vals[key], ' '), 'PX', ttls[key])\n"
"  end\n"
"end\n"
"return out\n");


static u_char  ngx_http_smotp_fleet_sha[SHA_DIGEST_LENGTH * 2];

static ngx_str_t  ngx_http_smotp_fleet_op_reserve = ngx_string("reserve");
static ngx_str_t  ngx_http_smotp_fleet_op_release = ngx_string("release");
static ngx_str_t  ngx_http_smotp_fleet_op_clear = ngx_string("clear");

/* the longest number as a bulk string: "$20\r\n" the number "\r\n" */
#define NGX_HTTP_SMOTP_FLEET_NUMBER  (sizeof("$20\r\n\r\n") - 1 + NGX_INT64_LEN)


/*
 * postconfiguration: each Redis zone is keyed by the first line of the
 * http level's smotp_secret_file, which the fleet's servers share, and
 * gets its batch of waiting requests (each worker has its own copy)
 */

ngx_int_t
ngx_http_smotp_fleet_init(ngx_conf_t *cf)
{
    u_char                        *p;
    ngx_uint_t                     i;
    ngx_shm_zone_t               **zone;
    ngx_http_smotp_loc_conf_t     *slcf;
    ngx_http_smotp_main_conf_t    *smcf;
    ngx_http_smotp_fleet_batch_t  *batch;
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

        batch = ngx_pcalloc(cf->pool, sizeof(ngx_http_smotp_fleet_batch_t));
        if (batch == NULL) {
            return NGX_ERROR;
        }

        ngx_queue_init(&batch->waiting);
        batch->remote = remote;

        batch->key.data = ngx_pnalloc(cf->pool, NGX_HTTP_SMOTP_FLEET_NUMBER
                                                + remote->prefix.len);
        if (batch->key.data == NULL) {
            return NGX_ERROR;
        }

        p = batch->key.data;
        p = ngx_http_smotp_redis_head(p, '$', remote->prefix.len
                                              + NGX_HTTP_SMOTP_FLEET_KEY_LEN);
        p = ngx_cpymem(p, remote->prefix.data, remote->prefix.len);
        batch->key.len = p - batch->key.data;
        batch->event.handler = ngx_http_smotp_fleet_send;
        batch->event.data = batch;
        batch->event.log = &cf->cycle->new_log;

        remote->batch = batch;
    }

    SHA1(ngx_http_smotp_fleet_script.data, ngx_http_smotp_fleet_script.len,
         sha);
    ngx_hex_dump(ngx_http_smotp_fleet_sha, sha, sizeof(sha));

    return NGX_OK;
}


/*
 * The request's Redis holds, to be taken by the zone's next call: NGX_DONE
 * when the request waits for it (ctx->fleet_rc is set and the request
 * goes on when it is back), NGX_ERROR when it cannot wait
 */

ngx_int_t
ngx_http_smotp_fleet_reserve(ngx_http_request_t *r, ngx_http_smotp_ctx_t *ctx)
{
    ngx_uint_t                     i;
    ngx_pool_cleanup_t            *cln;
    ngx_http_smotp_hold_t         *hold;
    ngx_http_smotp_fleet_wait_t   *wait;
    ngx_http_smotp_zone_remote_t  *remote;

    wait = ngx_pcalloc(r->pool, sizeof(ngx_http_smotp_fleet_wait_t));
    if (wait == NULL) {
        return NGX_ERROR;
    }

    hold = ctx->holds.elts;

    for (i = 0; i < ctx->holds.nelts; i++) {
        if (hold[i].remote) {
            if (wait->n == NGX_HTTP_SMOTP_FLEET_HOLDS) {
                return NGX_ERROR;
            }

            wait->holds[wait->n++] = &hold[i];
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_smotp_fleet_wait_cleanup;
    cln->data = wait;

    remote = ngx_http_smotp_zone_remote(wait->holds[0]->zone);

    wait->request = r;
    wait->ctx = ctx;
    wait->batch = remote->batch;

    ngx_http_smotp_fleet_queue(wait->batch, wait);

    ctx->fleet_waiting = 1;

    return NGX_DONE;
}


static void
ngx_http_smotp_fleet_queue(ngx_http_smotp_fleet_batch_t *batch,
    ngx_http_smotp_fleet_wait_t *wait)
{
    ngx_queue_insert_tail(&batch->waiting, &wait->queue);
    wait->state = NGX_HTTP_SMOTP_FLEET_QUEUED;
    batch->n++;

    if (batch->calls == 0 || batch->n >= NGX_HTTP_SMOTP_FLEET_BATCH) {
        ngx_post_event(&batch->event, &ngx_posted_events);
    }
}


/* a reserve's call has ended: those that came meanwhile go now */

static void
ngx_http_smotp_fleet_ended(ngx_http_smotp_fleet_call_t *fc)
{
    ngx_http_smotp_fleet_batch_t *batch = fc->remote->batch;

    if (fc->ended) {
        return;
    }

    fc->ended = 1;
    batch->calls--;

    if (batch->n) {
        ngx_post_event(&batch->event, &ngx_posted_events);
    }
}


/*
 * The event loop's turn is over: the requests that came wait for one call
 * each FLEET_BATCH of them, carried by the first, whose connection runs
 * the subrequest; with a call under way, only a full batch goes
 */

static void
ngx_http_smotp_fleet_send(ngx_event_t *ev)
{
    ngx_http_smotp_fleet_batch_t *batch = ev->data;

    ngx_queue_t                  *q;
    ngx_connection_t             *c;
    ngx_http_smotp_fleet_wait_t  *wait;
    ngx_http_smotp_fleet_call_t  *fc;

    while (batch->n
           && (batch->calls == 0 || batch->n >= NGX_HTTP_SMOTP_FLEET_BATCH))
    {
        q = ngx_queue_head(&batch->waiting);
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);
        c = wait->request->connection;

        fc = ngx_http_smotp_fleet_batch_call(batch);

        if (fc) {
            batch->calls++;
        }

        if (fc == NULL || fc->call.command.len == 0
            || ngx_http_smotp_redis_call(fc->carrier, &batch->remote->uri,
                                         &fc->call)
               != NGX_DONE)
        {
            /* each of them goes on as when Redis fails */

            while (fc && !ngx_queue_empty(&fc->waits)) {
                q = ngx_queue_head(&fc->waits);
                wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);
                ngx_queue_remove(q);

                wait->ctx->fleet_rc = NGX_ERROR;
                ngx_http_smotp_fleet_wake(wait, NULL);
            }

            if (fc) {
                ngx_http_smotp_fleet_ended(fc);

            } else {
                ngx_queue_remove(&wait->queue);
                batch->n--;

                wait->ctx->fleet_rc = NGX_ERROR;
                ngx_http_smotp_fleet_wake(wait, NULL);
            }
        }

        ngx_http_run_posted_requests(c);
    }
}


/*
 * EVALSHA sha keys key... reserve requests (n (kind limit period)...)...,
 * for the batch's first FLEET_BATCH waits, which the call takes
 */

static ngx_http_smotp_fleet_call_t *
ngx_http_smotp_fleet_batch_call(ngx_http_smotp_fleet_batch_t *batch)
{
    u_char                        *p;
    size_t                         len;
    ngx_uint_t                     i, m, keys;
    ngx_queue_t                   *q;
    ngx_pool_cleanup_t            *cln;
    ngx_http_request_t            *r;
    ngx_http_smotp_fleet_wait_t   *wait;
    ngx_http_smotp_fleet_call_t   *fc;
    ngx_http_smotp_zone_remote_t  *remote;

    remote = batch->remote;

    q = ngx_queue_head(&batch->waiting);
    wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);
    r = wait->request;

    fc = ngx_pcalloc(r->pool, sizeof(ngx_http_smotp_fleet_call_t));
    if (fc == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    fc->carrier = r;
    fc->remote = remote;
    ngx_queue_init(&fc->waits);

    cln->handler = ngx_http_smotp_fleet_call_cleanup;
    cln->data = fc;

    /* the waits taken: from here on, they are the call's */

    m = 0;
    keys = 0;

    while (batch->n && m < NGX_HTTP_SMOTP_FLEET_BATCH) {
        q = ngx_queue_head(&batch->waiting);
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);

        ngx_queue_remove(q);
        batch->n--;

        ngx_queue_insert_tail(&fc->waits, q);
        wait->state = NGX_HTTP_SMOTP_FLEET_SENT;

        m++;
        keys += wait->n;
    }

    /* an answer's values: two a request and a mark a key */

    fc->call.nalloc = 2 * m + keys;
    fc->call.values = ngx_palloc(r->pool, fc->call.nalloc * sizeof(int64_t));
    if (fc->call.values == NULL) {
        return fc;
    }

    /* keys, then "reserve", the requests, and each one's counts */

    len = NGX_HTTP_SMOTP_FLEET_NUMBER
          + keys * (batch->key.len + NGX_HTTP_SMOTP_FLEET_KEY_LEN + 2)
          + NGX_HTTP_SMOTP_FLEET_NUMBER + ngx_http_smotp_fleet_op_reserve.len
          + NGX_HTTP_SMOTP_FLEET_NUMBER + m * NGX_HTTP_SMOTP_FLEET_NUMBER;

    for (q = ngx_queue_head(&fc->waits);
         q != ngx_queue_sentinel(&fc->waits);
         q = ngx_queue_next(q))
    {
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);

        for (i = 0; i < wait->n; i++) {
            len += wait->holds[i]->resp->len;
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return fc;
    }

    fc->rest.data = p;
    fc->nargs = 3 + keys + 2 + m + 3 * keys;

    p = ngx_http_smotp_fleet_number(p, keys);

    for (q = ngx_queue_head(&fc->waits);
         q != ngx_queue_sentinel(&fc->waits);
         q = ngx_queue_next(q))
    {
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);

        for (i = 0; i < wait->n; i++) {
            p = ngx_http_smotp_fleet_key(p, batch, wait->holds[i]);
        }
    }

    p = ngx_http_smotp_redis_bulk(p, ngx_http_smotp_fleet_op_reserve.data,
                                  ngx_http_smotp_fleet_op_reserve.len);
    p = ngx_http_smotp_fleet_number(p, m);

    for (q = ngx_queue_head(&fc->waits);
         q != ngx_queue_sentinel(&fc->waits);
         q = ngx_queue_next(q))
    {
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);

        p = ngx_http_smotp_fleet_number(p, wait->n);

        for (i = 0; i < wait->n; i++) {
            p = ngx_cpymem(p, wait->holds[i]->resp->data,
                           wait->holds[i]->resp->len);
        }
    }

    fc->rest.len = p - fc->rest.data;

    if (ngx_http_smotp_fleet_command(r->pool, fc) != NGX_OK) {
        return fc;
    }

    fc->call.handler = ngx_http_smotp_fleet_reserved;

    return fc;
}


/*
 * A request's counts are back: the carrier of the call is posted as the
 * parent of its subrequest is, any other through its connection's write
 * event, as limit_req wakes a delayed request
 */

static void
ngx_http_smotp_fleet_wake(ngx_http_smotp_fleet_wait_t *wait,
    ngx_http_request_t *carrier)
{
    wait->state = NGX_HTTP_SMOTP_FLEET_IDLE;
    wait->ctx->fleet_waiting = 0;

    if (wait->request == carrier) {
        (void) ngx_http_post_request(carrier, NULL);
        return;
    }

    ngx_post_event(wait->request->connection->write, &ngx_posted_events);
}


/* a waiting request has ended (the visitor left): it waits no more */

static void
ngx_http_smotp_fleet_wait_cleanup(void *data)
{
    ngx_http_smotp_fleet_wait_t *wait = data;

    if (wait->state == NGX_HTTP_SMOTP_FLEET_IDLE) {
        return;
    }

    ngx_queue_remove(&wait->queue);

    if (wait->state == NGX_HTTP_SMOTP_FLEET_QUEUED) {
        wait->batch->n--;
    }

    wait->state = NGX_HTTP_SMOTP_FLEET_IDLE;
}


/*
 * The request that carried a call has ended before its answer: the others
 * wait for the next call (Redis may have taken their counts already: they
 * are taken again, never left untaken)
 */

static void
ngx_http_smotp_fleet_call_cleanup(void *data)
{
    ngx_http_smotp_fleet_call_t *fc = data;

    ngx_queue_t                  *q;
    ngx_http_smotp_fleet_wait_t  *wait;

    ngx_http_smotp_fleet_ended(fc);

    while (!ngx_queue_empty(&fc->waits)) {
        q = ngx_queue_head(&fc->waits);
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);
        ngx_queue_remove(q);

        if (wait->request == fc->carrier) {
            wait->state = NGX_HTTP_SMOTP_FLEET_IDLE;
            continue;
        }

        ngx_http_smotp_fleet_queue(wait->batch, wait);
    }
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

    fc = ngx_http_smotp_fleet_call(r, holds, n,
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


/* one request's: EVALSHA sha n key... op [kind limit period mark]... */

static ngx_http_smotp_fleet_call_t *
ngx_http_smotp_fleet_call(ngx_http_request_t *r, ngx_http_smotp_hold_t **holds,
    ngx_uint_t n, ngx_str_t *op)
{
    u_char                        *p;
    size_t                         len;
    ngx_uint_t                     i, release;
    ngx_http_smotp_fleet_call_t   *fc;
    ngx_http_smotp_fleet_batch_t  *batch;
    ngx_http_smotp_zone_remote_t  *remote;

    fc = ngx_pcalloc(r->pool, sizeof(ngx_http_smotp_fleet_call_t));
    if (fc == NULL) {
        return NULL;
    }

    remote = ngx_http_smotp_zone_remote(holds[0]->zone);
    batch = remote->batch;

    release = (op == &ngx_http_smotp_fleet_op_release);

    len = NGX_HTTP_SMOTP_FLEET_NUMBER
          + n * (batch->key.len + NGX_HTTP_SMOTP_FLEET_KEY_LEN + 2)
          + NGX_HTTP_SMOTP_FLEET_NUMBER + op->len;

    for (i = 0; i < n && release; i++) {
        len += holds[i]->resp->len + NGX_HTTP_SMOTP_FLEET_NUMBER;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NULL;
    }

    fc->rest.data = p;
    fc->nargs = 3 + n + 1 + (release ? 4 * n : 0);

    p = ngx_http_smotp_fleet_number(p, n);

    for (i = 0; i < n; i++) {
        p = ngx_http_smotp_fleet_key(p, batch, holds[i]);
    }

    p = ngx_http_smotp_redis_bulk(p, op->data, op->len);

    for (i = 0; i < n && release; i++) {
        p = ngx_cpymem(p, holds[i]->resp->data, holds[i]->resp->len);
        p = ngx_http_smotp_fleet_number(p, holds[i]->mark);
    }

    fc->rest.len = p - fc->rest.data;

    fc->remote = remote;
    fc->carrier = r;
    fc->call.values = fc->values;
    fc->call.nalloc = 3;

    if (ngx_http_smotp_fleet_command(r->pool, fc) != NGX_OK) {
        return NULL;
    }

    return fc;
}


/*
 * The command: EVALSHA and the script's hash, or EVAL and the script once
 * Redis has said it does not know it, then the rest
 */

static ngx_int_t
ngx_http_smotp_fleet_command(ngx_pool_t *pool, ngx_http_smotp_fleet_call_t *fc)
{
    u_char  *p;
    size_t   len;

    len = sizeof("*\r\n") - 1 + NGX_INT_T_LEN
          + 2 * NGX_HTTP_SMOTP_FLEET_NUMBER + sizeof("EVALSHA") - 1
          + ngx_http_smotp_fleet_script.len + fc->rest.len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    fc->call.command.data = p;

    p = ngx_http_smotp_redis_head(p, '*', fc->nargs);

    if (fc->evaled) {
        p = ngx_http_smotp_redis_bulk(p, (u_char *) "EVAL", 4);
        p = ngx_http_smotp_redis_bulk(p, ngx_http_smotp_fleet_script.data,
                                      ngx_http_smotp_fleet_script.len);

    } else {
        p = ngx_http_smotp_redis_bulk(p, (u_char *) "EVALSHA", 7);
        p = ngx_http_smotp_redis_bulk(p, ngx_http_smotp_fleet_sha,
                                      sizeof(ngx_http_smotp_fleet_sha));
    }

    p = ngx_cpymem(p, fc->rest.data, fc->rest.len);

    fc->call.command.len = p - fc->call.command.data;

    return NGX_OK;
}


/*
 * A limit's kind, count and period as the script takes them, in RESP:
 * made once, when the location is read, for every request's command
 */

ngx_int_t
ngx_http_smotp_fleet_args(ngx_pool_t *pool, ngx_str_t *out, ngx_uint_t kind,
    ngx_uint_t limit, ngx_msec_t period)
{
    u_char  *p;

    p = ngx_pnalloc(pool, 3 * NGX_HTTP_SMOTP_FLEET_NUMBER);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_http_smotp_fleet_number(p, kind);
    p = ngx_http_smotp_fleet_number(p, limit);
    p = ngx_http_smotp_fleet_number(p, period);

    out->len = p - out->data;

    return NGX_OK;
}


/* a count's key: the zone's prefix and the entry's name, 16 hex digits */

static u_char *
ngx_http_smotp_fleet_key(u_char *p, ngx_http_smotp_fleet_batch_t *batch,
    ngx_http_smotp_hold_t *hold)
{
    u_char         b;
    ngx_int_t      i;
    uint64_t       v;
    static u_char  hex[] = "0123456789abcdef";

    p = ngx_cpymem(p, batch->key.data, batch->key.len);

    v = hold->hash;

    /* a byte, two digits, from the last */

    for (i = NGX_HTTP_SMOTP_FLEET_KEY_LEN - 2; i >= 0; i -= 2) {
        b = (u_char) v;
        p[i] = hex[b >> 4];
        p[i + 1] = hex[b & 0xf];
        v >>= 8;
    }

    p += NGX_HTTP_SMOTP_FLEET_KEY_LEN;

    *p++ = CR; *p++ = LF;

    return p;
}


/* a number as a bulk string */

static u_char *
ngx_http_smotp_fleet_number(u_char *p, uint64_t n)
{
    u_char  *last;
    u_char   digits[NGX_INT64_LEN];

    last = ngx_http_smotp_redis_number(digits, n);

    return ngx_http_smotp_redis_bulk(p, digits, last - digits);
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

    if (ngx_http_smotp_fleet_command(r->pool, fc) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_smotp_redis_call(r, &fc->remote->uri, &fc->call);
}


/* a batch's answer: each request gets its own and goes on */

static void
ngx_http_smotp_fleet_reserved(ngx_http_request_t *r,
    ngx_http_smotp_redis_call_t *call)
{
    ngx_http_smotp_fleet_call_t *fc = (ngx_http_smotp_fleet_call_t *) call;

    ngx_int_t                     rc;
    ngx_uint_t                    i, refused, v;
    ngx_queue_t                  *q;
    ngx_http_smotp_ctx_t         *ctx;
    ngx_http_smotp_fleet_wait_t  *wait;

    if (ngx_http_smotp_fleet_noscript(r, fc) == NGX_DONE) {
        return;
    }

    rc = ngx_http_smotp_fleet_answer(fc);

    if (rc == NGX_ERROR && call->error.len == 0) {
        ngx_str_set(&call->error, "the script's answer is not as expected");
    }

    ngx_http_smotp_fleet_state(r, fc->remote, rc == NGX_ERROR, &call->error);

    ngx_http_smotp_fleet_ended(fc);

    v = 0;

    while (!ngx_queue_empty(&fc->waits)) {
        q = ngx_queue_head(&fc->waits);
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);
        ngx_queue_remove(q);

        ctx = wait->ctx;
        ctx->fleet_rc = NGX_ERROR;

        if (rc == NGX_OK) {
            refused = (ngx_uint_t) call->values[v];

            if (refused == 0) {
                for (i = 0; i < wait->n; i++) {
                    wait->holds[i]->mark = (ngx_msec_t) call->values[v + 2 + i];
                }

                ctx->fleet_rc = NGX_OK;

            } else {
                ctx->fleet_rc = NGX_BUSY;
                ctx->fleet_refused = wait->holds[refused - 1]
                                     - (ngx_http_smotp_hold_t *) ctx->holds.elts;
                ctx->fleet_wait = (ngx_msec_t) call->values[v + 1];
            }
        }

        v += 2 + wait->n;

        ngx_http_smotp_fleet_wake(wait, r);
    }
}


/* NGX_OK when the answer is an array of what each request asked for */

static ngx_int_t
ngx_http_smotp_fleet_answer(ngx_http_smotp_fleet_call_t *fc)
{
    ngx_uint_t                    v;
    ngx_queue_t                  *q;
    ngx_http_smotp_fleet_wait_t  *wait;

    if (fc->call.rc != NGX_OK || fc->call.type != '*') {
        return NGX_ERROR;
    }

    v = 0;

    for (q = ngx_queue_head(&fc->waits);
         q != ngx_queue_sentinel(&fc->waits);
         q = ngx_queue_next(q))
    {
        wait = ngx_queue_data(q, ngx_http_smotp_fleet_wait_t, queue);

        if (v + 2 + wait->n > fc->call.nvalues
            || (uint64_t) fc->call.values[v] > wait->n)
        {
            return NGX_ERROR;
        }

        v += 2 + wait->n;
    }

    return (v == fc->call.nvalues) ? NGX_OK : NGX_ERROR;
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
