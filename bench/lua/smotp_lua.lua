-- smotp_send and smotp_verify as an nginx user would write them in Lua
-- (OpenResty style, with Debian's libnginx-mod-http-lua and lua-cjson):
-- the same checks, the same API calls and the same answers as the
-- module, for the benchmark's second variant.
--
--   location = /lua/send   { content_by_lua_block { require("smotp_lua").send() } }
--   location = /lua/verify { content_by_lua_block { require("smotp_lua").verify() } }
--   location /_lua_api/ { internal; proxy_pass ...; proxy_set_header X-API-Key ...; }

local cjson = require "cjson.safe"

local ngx = ngx
local type = type
local tonumber = tonumber
local str_find = string.find
local str_sub = string.sub
local str_lower = string.lower
local str_rep = string.rep
local str_gsub = string.gsub
local str_format = string.format
local str_byte = string.byte

local API = "/_lua_api"
local MAX_BODY = 4096

-- set once, in init_by_lua_block: require("smotp_lua").api_key = "..."
local _M = { api_key = "" }


local function answer(status, obj)
    local body = cjson.encode(obj)

    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.header["Content-Length"] = #body
    ngx.print(body)

    return ngx.exit(status >= 300 and status or ngx.OK)
end


local function fail(status, message)
    return answer(status, { error = message })
end


local function is_media_type(value, want)
    value = str_lower(value)

    local s, e = str_find(value, want, 1, true)

    return s == 1 and (e == #value or str_find(value, "^%s*;", e + 1) ~= nil)
end


-- the client's fields: JSON object or HTML form; nil, status, message on
-- failure

local function read_fields()
    if ngx.req.get_method() ~= "POST" then
        ngx.header["Allow"] = "POST"
        return nil, 405, "method not allowed"
    end

    local ct = ngx.var.content_type
    local form

    if ct and is_media_type(ct, "application/json") then
        form = false

    elseif ct and is_media_type(ct, "application/x-www-form-urlencoded") then
        form = true

    else
        return nil, 415, "Content-Type must be application/json or "
                         .. "application/x-www-form-urlencoded"
    end

    ngx.req.read_body()

    if form then
        return ngx.req.get_post_args(10) or {}
    end

    local body = ngx.req.get_body_data()

    if body == nil then
        local file = ngx.req.get_body_file()

        if file == nil then
            return {}
        end

        local f = io.open(file, "rb")
        body = f:read("*a")
        f:close()
    end

    if #body > MAX_BODY then
        return nil, 413, "request body is too large"
    end

    if str_find(body, "\0", 1, true) or str_find(body, "\\u0000", 1, true) then
        return nil, 400, "request body must not contain NUL characters"
    end

    local json = cjson.decode(body)

    if json == nil then
        return nil, 400, "request body is not valid JSON"
    end

    if type(json) ~= "table" or json[1] ~= nil then
        return nil, 400, "request body must be a JSON object"
    end

    return json
end


local function uuid4()
    -- $request_id: 16 random bytes from nginx, in hex
    local h = ngx.var.request_id
    local v = tonumber(str_sub(h, 17, 17), 16) % 4 + 1

    return str_sub(h, 1, 8) .. "-" .. str_sub(h, 9, 12) .. "-4"
           .. str_sub(h, 14, 16) .. "-" .. str_sub("89ab", v, v)
           .. str_sub(h, 18, 20) .. "-" .. str_sub(h, 21, 32)
end


local function idempotency_key(phone)
    local client = ngx.var.http_idempotency_key

    if client == nil then
        return uuid4()
    end

    if not str_find(client, "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-"
                            .. "%x%x%x%x%x%x%x%x%x%x%x%x$")
    then
        return nil, "Idempotency-Key must be a UUID"
    end

    -- the same client key for another phone or account is another send
    local mac = ngx.hmac_sha1(_M.api_key, "smotp-idempotency\0" .. phone
                                          .. "\0" .. str_lower(client))
    local h = str_gsub(mac, ".", function(c)
        return str_format("%02x", str_byte(c))
    end)

    return str_sub(h, 1, 8) .. "-" .. str_sub(h, 9, 12) .. "-4"
           .. str_sub(h, 14, 16) .. "-8" .. str_sub(h, 18, 20) .. "-"
           .. str_sub(h, 21, 32)
end


local function id_valid(id)
    return type(id) == "string" and #id > 0 and #id <= 128
           and str_find(id, "^[%w%-_.:]+$") ~= nil
end


local function count(v)
    if v == nil or v == cjson.null then
        return nil
    end

    if type(v) ~= "number" or v < 0 or v > 1000000 or v % 1 ~= 0 then
        return false
    end

    return v
end


local function mask(phone)
    return str_sub(phone, 1, 3) .. str_rep("*", #phone - 7)
           .. str_sub(phone, -4)
end


-- POST the body to the API; the API's "data" object, or nil after an
-- error answer has been sent

local function call_api(path, body)
    local res = ngx.location.capture(API .. path, {
        method = ngx.HTTP_POST,
        body = body,
    })

    if res.truncated or res.status == 0 then
        ngx.log(ngx.ERR, "smotp: the API call failed")
        return nil, fail(502, "OTP service unreachable")
    end

    local status = res.status

    if status == 504 then
        return nil, fail(504, "OTP service timed out")
    end

    local json = cjson.decode(res.body)

    if status < 200 or status >= 300 then
        if status == 400 or status == 404 or status == 409 or status == 410
           or status == 422
        then
            local msg = type(json) == "table"
                        and (json.message or json.error)

            if type(msg) ~= "string" then
                msg = status == 404 and "OTP request not found"
                      or status == 410 and "OTP request expired"
                      or "rejected by OTP service"
            end

            return nil, fail(status, msg)
        end

        if status == 429 then
            return nil, fail(429, "too many requests, try again later")
        end

        if status == 401 or status == 402 or status == 403 then
            ngx.log(ngx.ERR, "smotp: the API refused the call (", status, ")")
            return nil, fail(503, "OTP service unavailable")
        end

        return nil, fail(502, "OTP service error")
    end

    local data = type(json) == "table" and json.data

    if type(data) ~= "table" then
        return nil, fail(502, "unexpected answer from OTP service")
    end

    return data
end


function _M.send()
    local fields, status, message = read_fields()

    if fields == nil then
        return fail(status, message)
    end

    local phone = fields.phoneNumber

    if phone == nil then
        return fail(400, "phoneNumber is required")
    end

    if type(phone) ~= "string" or #phone < 9 or #phone > 16
       or not str_find(phone, "^%+[1-9]%d+$")
    then
        return fail(400, "phoneNumber must be in E.164 format: \"+\", the "
                         .. "country code and the number, such as "
                         .. "+919876543210")
    end

    local key, err = idempotency_key(phone)

    if key == nil then
        return fail(400, err)
    end

    local data = call_api("/otp/send", cjson.encode({
        phoneNumber = phone,
        idempotencyKey = key,
    }))

    if data == nil then
        return
    end

    local id = data.requestId

    if id == nil then
        id = data.otpRequestId
    end

    local attempts = count(data.attemptsLeft)
    local expires = data.expiresAt

    if not id_valid(id) or attempts == false
       or (expires ~= nil and type(expires) ~= "string")
    then
        return fail(502, "unexpected answer from OTP service")
    end

    ngx.log(ngx.INFO, "smotp send: OTP sent to ", mask(phone), ", request ",
            id)

    return answer(200, {
        requestId = id,
        expiresAt = expires,
        attemptsLeft = attempts,
    })
end


function _M.verify()
    local fields, status, message = read_fields()

    if fields == nil then
        return fail(status, message)
    end

    local id, code = fields.requestId, fields.otpCode

    if id == nil or code == nil then
        return fail(400, "requestId and otpCode are required")
    end

    if not id_valid(id) then
        return fail(400, "requestId must be the id that sending the OTP "
                         .. "returned")
    end

    if type(code) ~= "string" or #code < 4 or #code > 8
       or not str_find(code, "^%d+$")
    then
        return fail(400, "otpCode must be a string of 4 to 8 digits")
    end

    local data = call_api("/otp/verify", cjson.encode({
        requestId = id,
        otpCode = code,
    }))

    if data == nil then
        return
    end

    local attempts = count(data.attemptsLeft)

    if type(data.verified) ~= "boolean" or attempts == false then
        return fail(502, "unexpected answer from OTP service")
    end

    ngx.log(ngx.INFO, "smotp verify: request ", id,
            data.verified and " verified" or " not verified")

    return answer(200, {
        verified = data.verified,
        attemptsLeft = attempts,
    })
end


return _M
