// A minimal receiver for mqtt-webhook (Node 18 or later): checks each request's Standard Webhooks signature
// with the official library (npm "standardwebhooks") and handles each webhook-id once.
//
//   npm ci
//   WEBHOOK_SECRET=whsec_... PORT=8080 node receiver.js
//
// WEBHOOK_SECRET is the endpoint's signing.secret. PORT 0 (the default) takes any free port; HOST defaults to
// 127.0.0.1. It prints one JSON line per request: {"listening":<port>} first, then {"accepted":<id>,"body":...},
// {"duplicate":<id>} or {"rejected":<id>,"reason":...}.
"use strict";

const http = require("node:http");
const { Webhook } = require("standardwebhooks");

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("set WEBHOOK_SECRET to the endpoint's signing.secret (whsec_...)");
  process.exit(2);
}
const webhook = new Webhook(secret);

// mqtt-webhook sends an event again with the same webhook-id when it cannot know whether the first request
// arrived (a timeout, a lost connection). Requests older than 5 minutes fail verification, so remembering
// the ids of the last 10 minutes is enough to handle each event once.
const REMEMBER_MS = 10 * 60 * 1000;
const seen = new Map(); // webhook-id -> when it was first accepted
setInterval(() => {
  const oldest = Date.now() - REMEMBER_MS;
  for (const [id, at] of seen) {
    if (at < oldest) seen.delete(id);
  }
}, 60 * 1000).unref();

function log(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

// Your code: one event, or an array of events when the endpoint sets batch.max_events above 1.
function handle(id, events, body) {
  log({ accepted: id, body });
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    // the signature covers the exact bytes received: verify before parsing or changing anything
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"];
    let events;
    try {
      events = webhook.verify(body, req.headers);
    } catch (e) {
      log({ rejected: id || null, reason: e.message });
      res.writeHead(401).end();
      return;
    }
    if (seen.has(id)) {
      // already handled: acknowledge, so that it is not sent again, and do nothing
      log({ duplicate: id });
      res.writeHead(200).end();
      return;
    }
    seen.set(id, Date.now());
    handle(id, events, body);
    res.writeHead(200).end();
  });
});

server.listen(Number(process.env.PORT || 0), process.env.HOST || "127.0.0.1", () => {
  log({ listening: server.address().port });
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
