-- wrk script: whole multi-hop USSD sessions against POST /ussd, the way
-- Africa's Talking sends them (form fields sessionId, serviceCode,
-- phoneNumber, networkCode, text; text is every input so far joined by
-- '*', empty on the first hop).  Run by scripts/bench:
--
--   wrk -t2 -c64 -d10s --latency -s tests/bench/sessions.lua \
--       http://127.0.0.1:PORT/ussd -- plans=training check=screens
--
-- Script arguments (after "--"), all optional:
--   plans=a,b      which entries of PLANS to play, in turn (default training)
--   check=screens  every answer must be a screen of the plans played and
--                  no error message (for asanigw; the default)
--   check=prefix   only "CON " / "END " (for the reference server)
--   pool=N         sessions in play per thread (default 1024), see below
--
-- Why a pool: wrk 4.1 calls request() and response() per thread and does
-- not say which connection (and so which session) a response belongs to.
-- Each thread therefore keeps POOL sessions and hands out their hops round
-- robin: a session's next hop leaves POOL requests after its previous one,
-- long after that one was answered, since each connection has at most one
-- request in flight.  Should a hop ever overtake its predecessor anyway,
-- the gateway answers with an error screen and check=screens counts it.
--
-- done() prints one line scripts/bench parses:
--   sessions.lua: responses=N bad=B unexpected=U sessions=S
-- bad: not 200, or the body does not start with "CON " or "END ";
-- unexpected: a well-formed answer that is not a screen of the walk;
-- sessions: walks played to their last hop.

-- The walks, as the successive values of `text`.  They follow
-- menus/asani.menu; only confirm_yes reaches a submit screen.
PLANS = {
	-- language: English; main menu: Training & jobs information (an end
	-- screen of four pages), then "98" to each following page.
	training = { "", "1", "1*3", "1*3*98", "1*3*98*98", "1*3*98*98*98" },

	-- Request help: food, Lahore, CNIC ending 1234, confirm: No (back to
	-- the main menu, nothing submitted); then About (two pages).
	help_no = { "", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*1234",
		"1*1*1*1*1234*2", "1*1*1*1*1234*2*4",
		"1*1*1*1*1234*2*4*98" },

	-- The same seven hops to the confirm screen, answered Yes (a submit:
	-- the request goes into the outbox) or No (back to the main menu).
	-- scripts/bench-outbox weighs one against the other.
	confirm_yes = { "", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*1234",
		"1*1*1*1*1234*1" },
	confirm_no = { "", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*1234",
		"1*1*1*1*1234*2" },

	-- A dial and nothing more: every request starts a new session, which
	-- stays live until it expires (scripts/bench's memory mode).
	dial = { "" },
}

-- Lua patterns; a gateway answer must match one of them (check=screens).
SCREENS = {
	"^CON Asani Exchange\nLanguage",	-- language
	"^CON Asani Exchange%. How can we help you%?\n",	-- main
	"^CON What help do you need%?\n",	-- category
	"^CON Select your district:\n",		-- district
	"^CON Enter the last 4 digits of your CNIC:", -- cnic
	"^CON Request food help in Lahore%? CNIC ending 1234\n", -- confirm
	"^CON [^\n]*\n98 More\n?$",		-- a page of training / about
	"^END ",				-- their last page
}

-- Plain substrings no answer of these walks may contain: the built-in
-- messages of a session gone wrong.
ERRORS = {
	"Invalid choice", "Invalid entry", "Please enter exactly",
	"session has expired", "Service busy", "could not record",
	"not available",
}

SERVICE_CODE = "*786#"
NETWORK_CODE = "63902"

local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", c:byte())
	end))
end

-- Runs in the main Lua state, once per thread.
local threads = {}

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

-- Everything below runs in each thread's own Lua state.

responses, bad, unexpected, sessions = 0, 0, 0, 0
sample = ""			-- the first wrong answer, for done()

local check = "screens"
local plan_names = { "training" }
local pool_size = 1024
local pool = {}			-- sessions in play
local next_slot = 1
local next_plan = 1
local serial = 0
local service = urlencode(SERVICE_CODE)

local function split(s)
	local t = {}
	for name in s:gmatch("[^,]+") do
		table.insert(t, name)
	end
	return t
end

local function new_session()
	local name = plan_names[next_plan]

	next_plan = next_plan % #plan_names + 1
	serial = serial + 1
	return {
		id = string.format("b%d-%x-%08x", tid, serial,
		    math.random(0, 0x7fffffff)),
		msisdn = string.format("92300%07d", math.random(0, 9999999)),
		texts = PLANS[name],
		hop = 1,
		last = #PLANS[name],	-- hops to play
	}
end

function init(args)
	for _, a in ipairs(args) do
		local k, v = a:match("^(%w+)=(.*)$")
		if k == "plans" then
			plan_names = split(v)
		elseif k == "check" and (v == "screens" or v == "prefix") then
			check = v
		elseif k == "pool" and tonumber(v) and tonumber(v) >= 1 then
			pool_size = math.floor(tonumber(v))
		else
			error("sessions.lua: unknown argument " .. a)
		end
	end
	for _, name in ipairs(plan_names) do
		if PLANS[name] == nil then
			error("sessions.lua: no plan named " .. name)
		end
	end
	math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(
	    os.clock() * 1e6))
	-- The first session of each slot hangs up after a random number of
	-- hops, as subscribers do; from then on the slots are out of step and
	-- every hop of the walk is in the mix at any moment.
	for i = 1, pool_size do
		pool[i] = new_session()
		pool[i].last = math.random(1, pool[i].last)
	end
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local function hop_body(s, text)
	return "sessionId=" .. urlencode(s.id) ..
	    "&serviceCode=" .. service ..
	    "&phoneNumber=" .. s.msisdn ..
	    "&networkCode=" .. NETWORK_CODE ..
	    "&text=" .. urlencode(text)
end

-- wrk calls the first thread's request() once before the run to inspect
-- the request, and never sends that one.  So every thread's first request
-- is the first hop of a throwaway session (the language screen): harmless
-- whether it is sent or not, where a real hop lost this way would leave
-- its session a hop behind ("session has expired").
local first = true

function request()
	local s = pool[next_slot]
	local body

	if first then
		first = false
		return wrk.format(nil, nil, nil, hop_body(new_session(), ""))
	end
	body = hop_body(s, s.texts[s.hop])
	if s.hop == s.last then
		pool[next_slot] = new_session()
		if s.last == #s.texts then
			sessions = sessions + 1
		end
	else
		s.hop = s.hop + 1
	end
	next_slot = next_slot % pool_size + 1
	return wrk.format(nil, nil, nil, body)
end

local function is_screen(body)
	for _, e in ipairs(ERRORS) do
		if body:find(e, 1, true) then
			return false
		end
	end
	for _, p in ipairs(SCREENS) do
		if body:find(p) then
			return true
		end
	end
	return false
end

function response(status, headers, body)
	local head = body:sub(1, 4)

	responses = responses + 1
	if status ~= 200 or (head ~= "CON " and head ~= "END ") then
		bad = bad + 1
	elseif check == "screens" and not is_screen(body) then
		unexpected = unexpected + 1
	else
		return
	end
	if sample == "" then
		sample = string.format("%d %q", status, body:sub(1, 120))
	end
end

-- Main Lua state again.
function done(summary, latency, requests)
	local r, b, u, s = 0, 0, 0, 0

	for _, t in ipairs(threads) do
		r = r + t:get("responses")
		b = b + t:get("bad")
		u = u + t:get("unexpected")
		s = s + t:get("sessions")
		if t:get("sample") ~= "" then
			io.write("sessions.lua: thread ", t:get("tid"),
			    " first wrong answer: ", t:get("sample"), "\n")
		end
	end
	io.write(string.format(
	    "sessions.lua: responses=%d bad=%d unexpected=%d sessions=%d\n",
	    r, b, u, s))
end
