#!/usr/bin/env node
// The tutorial's hand-testing steps, automated: a raw WebSocket client types
// the JSON frames a person would (join, then message), several clients talk
// at once, a bad frame gets an error frame, leaving and coming back shows
// the history, and GET /messages holds the same messages in order.
//
// usage: node e2e/raw-ws.js --url http://127.0.0.1:3000
"use strict";

const WebSocket = require("ws");
const { parseArgs, Steps, check, uniq, rest, wsUrl } = require("./lib");

const USAGE = "usage: node e2e/raw-ws.js --url URL";
const args = parseArgs(process.argv.slice(2), USAGE);
if (!args.url || args.url === true) {
  console.error(USAGE);
  process.exit(2);
}
const BASE = args.url.replace(/\/+$/, "") + "/";
const WAIT = 10000;
const PASSWORD = "correct horse battery";
const steps = new Steps("websocket");

/**
 * A raw client: every frame received is kept in order, and `expect` waits
 * (event-driven, with a timeout) for the next frame after the last one
 * matched that satisfies a predicate.
 */
class Client {
  static open(route = "/ws") {
    return new Promise((resolve, reject) => {
      const c = new Client(new WebSocket(wsUrl(BASE, route)));
      c.ws.once("open", () => resolve(c));
      c.ws.once("error", reject);
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.cursor = 0;
    this.waiters = new Set();
    this.closed = null;
    ws.on("message", (data) => {
      let frame;
      try { frame = JSON.parse(data.toString()); } catch (_) { frame = { type: "<not json>", text: data.toString() }; }
      this.frames.push(frame);
      for (const w of this.waiters) w();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters) w();
    });
    ws.on("error", () => {});
  }

  send(frame) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for the next frame matching `pred` (an object of fields or a function). */
  expect(what, pred, timeoutMs = WAIT) {
    const match = typeof pred === "function" ? pred : (f) => Object.entries(pred).every(([k, v]) => f[k] === v);
    return new Promise((resolve, reject) => {
      const look = () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          if (match(this.frames[i])) {
            this.cursor = i + 1;
            done();
            resolve(this.frames[i]);
            return;
          }
        }
        if (this.closed) {
          done();
          reject(new Error(`connection closed (${this.closed.code} ${this.closed.reason}) before ${what}; got ${this.recent()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${this.recent()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(look);
      };
      this.waiters.add(look);
      look();
    });
  }

  recent() {
    return this.frames.slice(-4).map((f) => JSON.stringify(f)).join(" ") || "nothing";
  }

  close() {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close(1000);
    });
  }
}

/** Joins and waits for welcome, history and presence; returns them. */
async function join(client, frame) {
  client.send({ type: "join", ...frame });
  const welcome = await client.expect("welcome", (f) => f.type === "welcome" || f.type === "error");
  check(welcome.type === "welcome", `join refused: ${JSON.stringify(welcome)}`);
  const history = await client.expect("history after welcome", { type: "history" });
  const presence = await client.expect("presence after history", { type: "presence" });
  return { welcome, history, presence };
}

async function main() {
  const opened = [];
  const open = async (route) => {
    const c = await Client.open(route);
    opened.push(c);
    return c;
  };
  const room = `smoke-${uniq()}`.slice(0, 32);
  const alice = `alice-${uniq()}`;
  const bob = `bob-${uniq()}`;
  const sent = []; // contents alice and bob sent in `room`, in order

  try {
    await steps.run("join and message as typed by hand (the tutorial's frames)", async () => {
      const c = await open("/ws");
      // Exactly what the tutorial has a person paste, plus the password.
      c.send(`{"type":"join","username":"${alice}","password":"${PASSWORD}"}`);
      const welcome = await c.expect("welcome", (f) => f.type === "welcome" || f.type === "error");
      check(welcome.type === "welcome", `join refused: ${JSON.stringify(welcome)}`);
      check(welcome.content.includes(alice), `welcome does not greet ${alice}: ${welcome.content}`);
      check(welcome.room === "general", `default room is ${welcome.room}, not general`);
      await c.expect("history", { type: "history" });
      const presence = await c.expect("presence", { type: "presence" });
      check(presence.users.includes(alice), `presence ${JSON.stringify(presence.users)} lacks ${alice}`);
      const content = `Hello, everyone! ${uniq()}`;
      c.send(`{"type":"message","username":"${alice}","content":"${content}"}`);
      const echo = await c.expect("the message back", (f) => f.type === "message" || f.type === "error");
      check(echo.type === "message", `message refused: ${JSON.stringify(echo)}`);
      check(echo.content === content && echo.username === alice && Number.isInteger(echo.id), `unexpected echo ${JSON.stringify(echo)}`);
      c.send({ type: "ping", nonce: "smoke" });
      await c.expect("pong", { type: "pong", nonce: "smoke" });
      await c.close();
    });

    let a, b;
    await steps.run("two clients in one room (/chat/{room} and /ws) see each other and each other's messages", async () => {
      a = await open(`/chat/${room}`);
      const ja = await join(a, { username: alice, password: PASSWORD });
      check(ja.welcome.room === room, `/chat/${room} joined ${ja.welcome.room}`);
      b = await open("/ws");
      const jb = await join(b, { username: bob, password: PASSWORD, room });
      check(jb.presence.users.includes(alice) && jb.presence.users.includes(bob), `presence ${JSON.stringify(jb.presence.users)}`);
      await a.expect(`joined for ${bob}`, { type: "joined", username: bob });
      const hi = `hi alice ${uniq()}`;
      b.send({ type: "message", content: hi, room });
      sent.push(hi);
      const atA = await a.expect("bob's message at alice", { type: "message", content: hi });
      const atB = await b.expect("bob's message back at bob", { type: "message", content: hi });
      check(atA.id === atB.id, `alice saw id ${atA.id}, bob saw ${atB.id}`);
    });
    if (!a || !b) return;

    await steps.run("a bad frame gets its error frame and the connection keeps working", async () => {
      a.send("{nope");
      const e1 = await a.expect("error for invalid JSON", { type: "error" });
      check(e1.code === "invalid_json", `code ${e1.code}, expected invalid_json`);
      a.send({ type: "dance" });
      const e2 = await a.expect("error for an unknown type", { type: "error" });
      check(e2.code === "unknown_type", `code ${e2.code}, expected unknown_type`);
      a.send({ type: "message", content: "   " });
      const e3 = await a.expect("error for empty content", { type: "error" });
      check(e3.code === "validation", `code ${e3.code}, expected validation`);
      const ok = `after the errors ${uniq()}`;
      a.send({ type: "message", content: ok });
      sent.push(ok);
      await a.expect("the valid message after the errors", { type: "message", content: ok });
      await b.expect("the valid message at bob", { type: "message", content: ok });
    });

    await steps.run("leave and rejoin shows the history, oldest first", async () => {
      for (let i = 1; i <= 3; i++) {
        const text = `numbered ${i} ${uniq()}`;
        a.send({ type: "message", content: text, room });
        sent.push(text);
        await a.expect(`message ${i} back`, { type: "message", content: text });
      }
      a.send({ type: "leave", room });
      await a.expect("alice's own left confirmation", { type: "left", username: alice });
      await b.expect("left for alice at bob", { type: "left", username: alice });
      const missed = `while alice was away ${uniq()}`;
      b.send({ type: "message", content: missed, room });
      sent.push(missed);
      await b.expect("bob's message back", { type: "message", content: missed });
      // Come back on the same connection...
      const again = await join(a, { username: alice, room });
      const texts = again.history.messages.map((m) => m.content);
      check(JSON.stringify(texts.slice(-sent.length)) === JSON.stringify(sent), `history ${JSON.stringify(texts)}, expected it to end with ${JSON.stringify(sent)}`);
      const ids = again.history.messages.map((m) => m.id);
      check(ids.every((id, i) => i === 0 || id > ids[i - 1]), `history ids not ascending: ${ids}`);
      // ...and after closing the socket, on a new one.
      await a.close();
      await b.expect("left for alice when her socket closed", { type: "left", username: alice });
      const fresh = await open("/ws");
      const back = await join(fresh, { username: alice, password: PASSWORD, room });
      const texts2 = back.history.messages.map((m) => m.content);
      check(JSON.stringify(texts2.slice(-sent.length)) === JSON.stringify(sent), `history on a new socket ${JSON.stringify(texts2)}`);
      await b.expect("joined for alice again", { type: "joined", username: alice });
      return `${sent.length} messages`;
    });

    await steps.run("a client's close is answered with a close frame (a clean 1000, not 1006)", async () => {
      const c = await open("/ws");
      await join(c, { username: bob, password: PASSWORD, room: `${room}-x`.slice(0, 32) });
      await c.close();
      check(c.closed.code === 1000, `the client saw close code ${c.closed.code}${c.closed.reason ? ` (${c.closed.reason})` : ""}: the server dropped the connection without answering the close`);
    });

    await steps.run("GET /messages lists the room's messages in order", async () => {
      const login = await rest(BASE, "POST", "sessions", { json: { username: alice, password: PASSWORD } });
      check(login.status === 200 && login.body.token, `POST /sessions answered ${login.status} ${JSON.stringify(login.body)}`);
      const r = await rest(BASE, "GET", `messages?room=${room}&limit=100`, { token: login.body.token });
      check(r.status === 200 && Array.isArray(r.body), `GET /messages answered ${r.status} ${JSON.stringify(r.body)}`);
      const texts = r.body.map((m) => m.content);
      check(JSON.stringify(texts) === JSON.stringify(sent), `GET /messages has ${JSON.stringify(texts)}, expected ${JSON.stringify(sent)}`);
      const ids = r.body.map((m) => m.id);
      check(ids.every((id, i) => i === 0 || id > ids[i - 1]), `ids not ascending: ${ids}`);
      return `${texts.length} messages`;
    });
  } finally {
    await Promise.all(opened.map((c) => c.close()));
  }
}

main()
  .catch((e) => steps.fail("unexpected error", e))
  .finally(() => steps.exit());
