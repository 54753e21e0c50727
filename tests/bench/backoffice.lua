-- wrk: signed POSTs to the test back office, each with a new idempotency
-- key (the back office runs with a huge -w, so one signature serves all).
local body = '{"ref":"WRK001","service":"*786#","request":"help"}'
local ts = "1795430000"
local n = 0
-- Each wrk thread runs its own copy: a table's address tells them apart.
local me = tostring({}):gsub("table: ", "")
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Asanigw-Timestamp"] = ts
wrk.headers["X-Asanigw-Signature"] = os.getenv("BENCH_SIG")
request = function()
	n = n + 1
	wrk.headers["X-Asanigw-Idempotency-Key"] = "wrk-" .. me .. "-" ..
	    tostring(n)
	return wrk.format()
end
