// The Node peer of scripts/bench: the flagship menu's walks as a user
// would build them with npm ussd-menu-builder and a Redis session store,
// served over plain http.  Started by scripts/bench-peer:
//
//   node server.js PORT REDIS_PORT
//
// POST /ussd takes the Africa's Talking form (sessionId, serviceCode,
// phoneNumber, networkCode, text) and answers "CON ..." or "END ..." with
// the screens asanigw shows for menus/asani.menu in English, so
// tests/bench/sessions.lua checks both alike.  Each hop reads the session
// from Redis (GET) and writes it back with its TTL (SET EX): one session
// per sessionId, as JSON.  Prints "ready PORT" once it listens.
"use strict";

const http = require("http");
const { createClient } = require("redis");
const UssdMenu = require("ussd-menu-builder");

const port = Number(process.argv[2]);
const redisPort = Number(process.argv[3]);
if (!port || !redisPort) {
	console.error("usage: node server.js PORT REDIS_PORT");
	process.exit(2);
}
const SESSION_TTL_S = 180;
const redis = createClient({ socket: { host: "127.0.0.1", port: redisPort } });
redis.on("error", (err) => console.error("redis:", err.message));

const MAIN = "Asani Exchange. How can we help you?\n1. Request help\n" +
    "2. Follow my request\n3. Training & jobs information\n" +
    "4. About Asani\n0 Back 00 Home";
const TRAINING = [
	"Asani partners run free short courses: tailoring, mobile phone " +
	    "repair, electrician and solar work, plumbing, cooking, beauty " +
	    "care and computer basics.",
	"Courses last 1 to 6 months; most give a certificate and some pay " +
	    "a monthly stipend. Many districts have women-only classes.",
	"After a course, our job placement partners match you with " +
	    "employers near you, help you prepare for interviews and stay " +
	    "in touch for 3 months.",
	"To join, dial *786#, choose 1 Request help, then Vocational " +
	    "training or Job placement. Government institutes (TEVTA, " +
	    "NAVTTC) also run free courses. Asani never charges a fee.",
];
const ABOUT = [
	"Asani Exchange links families in need with donors and trusted " +
	    "partner organisations across Pakistan. This service is free.",
	"Asani will never ask you for money, a PIN or your full CNIC " +
	    "number. To ask for help, dial *786# and choose 1.",
];
const CATEGORIES = ["Food", "Clothing", "Healthcare", "Education",
	"Vocational training", "Job placement"];
const DISTRICTS = ["Lahore", "Karachi", "Islamabad", "Rawalpindi",
	"Faisalabad", "Multan", "Peshawar", "Quetta", "Hyderabad",
	"Gujranwala", "Sialkot"];

// A menu per request: ussd-menu-builder keeps the request it runs in the
// menu object, so one shared menu would mix up concurrent requests.
function buildMenu() {
	const menu = new UssdMenu();
	let session = null;	// this hop's, read by start()

	menu.sessionConfig({
		start: async (id) => {
			const raw = await redis.get("nodepeer:" + id);
			session = raw ? JSON.parse(raw) : { hops: 0 };
		},
		end: async (id) => { await redis.del("nodepeer:" + id); },
		get: async (id, key) => session[key],
		set: async (id, key, val) => {
			session[key] = val;
			await redis.set("nodepeer:" + id,
			    JSON.stringify(session), { EX: SESSION_TTL_S });
		},
	});
	// Every screen records the hop in the session, then answers.
	const screen = (name, text, end) => async () => {
		await menu.session.set("state", name);
		if (end)
			menu.end(text);
		else
			menu.con(text);
	};
	const pages = (prefix, texts) => {
		texts.forEach((text, i) => {
			const last = i === texts.length - 1;
			menu.state(prefix + i, {
				run: screen(prefix + i, last ? text :
				    text + "\n98 More", last),
				next: last ? {} : { "98": prefix + (i + 1) },
			});
		});
	};

	menu.startState({
		run: screen("language", "Asani Exchange\nLanguage / Zaban:\n" +
		    "1. English\n2. Roman Urdu\n3. اردو"),
		next: { "1": "main" },
	});
	menu.state("main", {
		run: screen("main", MAIN),
		next: { "1": "category", "3": "training0", "4": "about0" },
	});
	pages("training", TRAINING);
	pages("about", ABOUT);
	menu.state("category", {
		run: screen("category", "What help do you need?\n" +
		    CATEGORIES.map((c, i) => `${i + 1}. ${c}`).join("\n") +
		    "\n0 Back 00 Home"),
		next: { "1": "district" },
	});
	menu.state("district", {
		run: screen("district", "Select your district:\n" +
		    DISTRICTS.map((d, i) => `${i + 1}. ${d}`).join("\n") +
		    "\n98 More"),
		next: { "1": "cnic" },
	});
	menu.state("cnic", {
		run: screen("cnic", "Enter the last 4 digits of your CNIC:"),
		next: { "*^[0-9]{4}$": "confirm" },
	});
	menu.state("confirm", {
		run: async () => {
			await menu.session.set("cnic", menu.val);
			menu.con(`Request food help in Lahore? CNIC ending ` +
			    `${menu.val}\n1. Yes\n2. No`);
		},
		next: { "1": "received", "2": "main" },
	});
	menu.state("received", {
		run: screen("received", "Your request is received.", true),
	});
	return menu;
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on("data", (c) => chunks.push(c));
	req.on("end", () => {
		const form = new URLSearchParams(Buffer.concat(chunks).toString());
		const reply = (code, text) => {
			res.writeHead(code, { "Content-Type": "text/plain" });
			res.end(text);
		};
		if (req.method !== "POST" || req.url !== "/ussd")
			return reply(404, "not found\n");
		const menu = buildMenu();
		menu.on("error", (err) => reply(500, "END " + err.message));
		menu.run({
			sessionId: form.get("sessionId") || "",
			serviceCode: form.get("serviceCode") || "",
			phoneNumber: form.get("phoneNumber") || "",
			text: form.get("text") || "",
		}, (msg) => reply(200, msg));
	});
});

redis.connect().then(() => {
	server.keepAliveTimeout = 60000;
	server.listen(port, "127.0.0.1", () => console.log("ready " + port));
}).catch((err) => {
	console.error("redis:", err.message);
	process.exit(1);
});
