// Shared helpers for sapa's end-to-end scripts: argument parsing, step
// reporting in the format scripts/smoke counts, waiting for a condition with
// a timeout (never sleeping), REST calls, and launching Debian's Chromium.
//
// Every check prints exactly one line: `PASS <step>` or `FAIL <step>: <why>`.
// A script exits 1 when any of its steps failed.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** The repository root (this file lives in <root>/e2e). */
const ROOT = path.resolve(__dirname, "..");

/** Parses `--name value` pairs; `--flag` alone becomes true. */
function parseArgs(argv, usage) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (!a.startsWith("--")) {
      console.error(`unexpected argument ${a}\n${usage}`);
      process.exit(2);
    }
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[key] = true;
    else { out[key] = next; i++; }
  }
  return out;
}

/** Collects step results and prints one line per step. */
class Steps {
  constructor(prefix) {
    this.prefix = prefix;
    this.passed = 0;
    this.failed = 0;
  }

  pass(name, note) {
    this.passed++;
    console.log(`PASS ${this.prefix}: ${name}${note ? ` (${note})` : ""}`);
  }

  fail(name, why) {
    this.failed++;
    const reason = String(why && why.message ? why.message : why).split("\n")[0];
    console.log(`FAIL ${this.prefix}: ${name}: ${reason}`);
  }

  /** Runs `fn`; a throw is this step's failure. Returns fn's value or undefined. */
  async run(name, fn) {
    try {
      const note = await fn();
      this.pass(name, typeof note === "string" ? note : undefined);
      return true;
    } catch (e) {
      this.fail(name, e);
      if (process.env.SAPA_E2E_DEBUG) console.error(e);
      return false;
    }
  }

  exit() {
    process.exit(this.failed > 0 ? 1 : 0);
  }
}

/** Throws with `message` unless `cond`. */
function check(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Polls `probe` until it returns a truthy value, then returns it; throws
 * `what` after `timeoutMs`. For things that have no event to wait on.
 */
async function waitFor(what, probe, timeoutMs = 10000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A short random suffix so repeated runs against one server do not collide. */
function uniq() {
  return Date.now().toString(36).slice(-5) + Math.random().toString(36).slice(2, 6);
}

/** Calls the REST API; returns {status, body} with body parsed when JSON. */
async function rest(base, method, route, { token, json } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(new URL(route, base), {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch (_) { /* not JSON: keep the text */ }
  return { status: res.status, body };
}

/** The WebSocket URL of a server given by its http(s) base URL. */
function wsUrl(base, route = "/ws") {
  const u = new URL(route, base);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/**
 * Starts Debian's Chromium through playwright-core with a fresh profile in a
 * temporary directory (Playwright refuses --user-data-dir in args). Returns
 * {context, close}. Never downloads a browser.
 */
async function launchChromium() {
  const { chromium } = require("playwright-core");
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-e2e-"));
  // Over TLS with a private CA, Chromium (whose trust store is NSS, not a
  // file) is told to accept the server's certificate, pages and WebSockets
  // alike; Node's own calls trust the CA through NODE_EXTRA_CA_CERTS.
  const insecure = !!process.env.SAPA_E2E_IGNORE_CERT_ERRORS;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    ignoreHTTPSErrors: insecure,
    args: insecure ? [...CHROMIUM_FLAGS, "--ignore-certificate-errors"] : CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    timeout: 60000,
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

module.exports = { ROOT, parseArgs, Steps, check, waitFor, uniq, rest, wsUrl, launchChromium };
