/*
 * The phone simulator's page: it renders what the gateway answers and
 * posts what is typed.  No menu logic lives here: every page, its
 * length, budget and coding come from /admin/simulator/ussd and /sms.
 */
"use strict";

(function () {
	var base = "/admin/simulator";
	var keys = { back: "0", home: "00", more: "98" };
	var session = null;	/* the simulator's session id, while open */

	function $(id) { return document.getElementById(id); }

	function showError(msg) {
		var e = $("error");
		e.textContent = msg;
		e.hidden = !msg;
	}

	/* POSTs fields as a form; resolves with the parsed JSON answer. */
	function post(path, fields) {
		return fetch(base + path, {
			method: "POST",
			credentials: "same-origin",
			headers: { "Content-Type":
			    "application/x-www-form-urlencoded; charset=utf-8" },
			body: new URLSearchParams(fields).toString()
		}).then(function (r) {
			return r.json().then(function (body) {
				if (!r.ok)
					throw new Error(body.error || r.statusText);
				return body;
			});
		});
	}

	function setOpen(open) {
		["answer", "send", "back", "home", "more", "end"].forEach(
		    function (id) { $(id).disabled = !open; });
		if (open)
			$("answer").focus();
	}

	function unitName(encoding) {
		return encoding === "GSM-7" ? "septets" : "UCS-2 units";
	}

	function render(page) {
		var screen = $("screen"), meter = $("meter");

		screen.textContent = page.text;
		screen.dir = page.dir;
		meter.textContent = page.length + " / " + page.budget + " " +
		    unitName(page.encoding) + " \u00b7 " + page.encoding +
		    " \u00b7 " + page.transport +
		    (page.end ? " \u00b7 session ended" : "");
		meter.classList.toggle("over", !page.fits);
		session = page.end ? null : page.session;
		setOpen(!page.end);
	}

	function hop(input) {
		if (session === null)
			return;
		showError("");
		post("/ussd", { msisdn: $("msisdn").value, session: session,
		    input: input, transport: $("transport").value })
		    .then(render, function (e) { showError(e.message); });
	}

	function dial(ev) {
		ev.preventDefault();
		showError("");
		session = null;
		setOpen(false);
		post("/ussd", { msisdn: $("msisdn").value,
		    service: $("service").value,
		    transport: $("transport").value })
		    .then(render, function (e) { showError(e.message); });
	}

	function send(ev) {
		var a = $("answer");

		ev.preventDefault();
		hop(a.value);
		a.value = "";
	}

	function end() {
		session = null;
		setOpen(false);
		$("screen").textContent = "Session ended. Dial to start again.";
		$("screen").dir = "auto";
		$("meter").textContent = "";
	}

	function smsItem(cls, text, dir, info) {
		var li = document.createElement("li"), span;

		li.className = cls;
		li.dir = dir;
		li.appendChild(document.createTextNode(text));
		if (info) {
			span = document.createElement("span");
			span.className = "info";
			span.dir = "ltr";
			span.textContent = info;
			li.appendChild(span);
		}
		$("sms-log").appendChild(li);
		li.scrollIntoView({ block: "nearest" });
	}

	function sms(ev) {
		var text = $("sms-text").value;

		ev.preventDefault();
		showError("");
		smsItem("sent", text, "auto", null);
		post("/sms", { msisdn: $("sms-msisdn").value,
		    service: $("sms-service").value, text: text })
		    .then(function (r) {
			smsItem("received", r.text, r.dir, r.parts +
			    (r.parts === 1 ? " part" : " parts") + " \u00b7 " +
			    r.encoding + " \u00b7 " + r.length + " " +
			    unitName(r.encoding));
			$("sms-text").value = "";
		    }, function (e) { showError(e.message); });
	}

	function configure(c) {
		var list = $("services"), sel = $("transport");

		keys = c.keys;
		$("back").textContent = "Back (" + keys.back + ")";
		$("home").textContent = "Home (" + keys.home + ")";
		$("more").textContent = "More (" + keys.more + ")";
		c.services.forEach(function (s) {
			var o = document.createElement("option");
			o.value = s.code;
			o.label = s.name + " (" + s.languages.join(", ") + ")";
			list.appendChild(o);
		});
		if (c.services.length > 0) {
			$("service").value = c.services[0].code;
			$("sms-service").value = c.services[0].code;
		}
		c.transports.forEach(function (t) {
			var o = document.createElement("option");
			o.value = t.name;
			o.textContent = t.name + ": " + t.gsm7 + " GSM-7 / " +
			    t.ucs2 + " UCS-2";
			sel.appendChild(o);
		});
		document.body.dataset.ready = "1";
	}

	document.addEventListener("DOMContentLoaded", function () {
		$("dial-form").addEventListener("submit", dial);
		$("answer-form").addEventListener("submit", send);
		$("back").addEventListener("click", function () { hop(keys.back); });
		$("home").addEventListener("click", function () { hop(keys.home); });
		$("more").addEventListener("click", function () { hop(keys.more); });
		$("end").addEventListener("click", end);
		$("sms-form").addEventListener("submit", sms);
		fetch(base + "/config", { credentials: "same-origin" })
		    .then(function (r) {
			if (!r.ok)
				throw new Error("configuration: " + r.status);
			return r.json();
		    })
		    .then(configure, function (e) { showError(e.message); });
	});
}());
