#!/usr/bin/env node
// The browser checks: sapa's tester page (/test) and Swagger UI (/swagger/)
// driven in Debian's headless Chromium through playwright-core, against a
// running server. A person's view of each page is saved as a PNG under
// target/e2e/ (or --out DIR).
//
// usage: node e2e/browser.js --url http://127.0.0.1:3000 [--sapa PATH] [--out DIR]
//
//   --url   the server's base URL (required)
//   --sapa  the `sapa` terminal client, used for "a message sent by sapa send
//           appears in the page"; without a binary that has the `send`
//           subcommand the message goes through REST POST /messages instead,
//           and the step says so
//   --out   where screenshots go (default: <repo>/target/e2e)
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { execFile } = require("node:child_process");
const { ROOT, parseArgs, Steps, check, uniq, rest, launchChromium } = require("./lib");

const USAGE = "usage: node e2e/browser.js --url URL [--sapa PATH] [--out DIR]";
const args = parseArgs(process.argv.slice(2), USAGE);
if (!args.url || args.url === true) {
  console.error(USAGE);
  process.exit(2);
}
const BASE = args.url.replace(/\/+$/, "") + "/";
const OUT = path.resolve(args.out && args.out !== true ? args.out : path.join(ROOT, "target", "e2e"));
const WAIT = 15000; // the longest any single UI condition may take

const steps = new Steps("browser");

// ------------------------------------------------------------- page helpers

/** Records what a page does that a user would care about. */
function watch(page, name) {
  const seen = { dialogs: [], foreign: [], errors: [] };
  const origin = new URL(BASE).origin;
  page.on("dialog", (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("data:") && !u.startsWith("blob:") && new URL(u).origin !== origin) seen.foreign.push(u);
  });
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("console", (m) => {
    if (process.env.SAPA_E2E_DEBUG) console.error(`[${name} console] ${m.text()}`);
  });
  return seen;
}

async function joinAs(page, username, password, room) {
  await page.goto(new URL("test", BASE).toString());
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.fill("#room", room);
  await page.click("#connect");
  await page.waitForSelector('#status[data-state="joined"]', { timeout: WAIT });
}

async function usersOf(page) {
  return page.$$eval("#users li", (els) => els.map((e) => e.dataset.username));
}

/** Waits until #users holds exactly `names` (order-insensitive). */
async function waitUsers(page, names) {
  const want = [...names].sort();
  try {
    await page.waitForFunction(
      (w) => {
        const got = [...document.querySelectorAll("#users li")].map((e) => e.dataset.username).sort();
        return JSON.stringify(got) === JSON.stringify(w);
      },
      want,
      { timeout: WAIT },
    );
  } catch (_) {
    throw new Error(`users list is ${JSON.stringify(await usersOf(page))}, expected ${JSON.stringify(want)}`);
  }
}

/** Texts of the chat messages in the log, in order. */
async function logMessages(page) {
  return page.$$eval("#log li.message", (els) =>
    els.map((e) => ({ who: e.querySelector(".who").textContent, text: e.querySelector(".text").textContent })),
  );
}

/** Waits for a message line with exactly `text` (from `who`, if given). */
async function waitMessage(page, text, who) {
  try {
    await page.waitForFunction(
      ([t, w]) =>
        [...document.querySelectorAll("#log li.message")].some(
          (e) => e.querySelector(".text").textContent === t && (!w || e.querySelector(".who").textContent === w),
        ),
      [text, who || null],
      { timeout: WAIT },
    );
  } catch (_) {
    const last = (await logMessages(page)).slice(-3).map((m) => `${m.who}: ${m.text}`);
    throw new Error(`message ${JSON.stringify(text)} never showed in the log; last lines: ${JSON.stringify(last)}`);
  }
}

/** The data-id of the log line whose text is exactly `text`. */
async function idOf(page, text) {
  const id = await page.$$eval(
    "#log li.message",
    (els, t) => {
      const e = els.find((x) => x.querySelector(".text").textContent === t);
      return e ? e.dataset.id : null;
    },
    text,
  );
  check(id, `no line with ${JSON.stringify(text)} in the log`);
  return id;
}

/** What each log line of message `id` shows. */
async function linesOf(page, id) {
  return page.$$eval(`#log li.message[data-id="${id}"]`, (els) =>
    els.map((e) => ({
      text: e.querySelector(".text").textContent,
      flag: e.querySelector(".flag").textContent,
      deleted: e.classList.contains("deleted"),
      buttons: e.querySelectorAll("button.edit, button.delete").length,
    })),
  );
}

/** Waits until message `id` is in the log and every line of it shows `want` ({text, flag, deleted}). */
async function waitLine(page, id, want, whose) {
  try {
    await page.waitForFunction(
      ([i, w]) => {
        const els = [...document.querySelectorAll(`#log li.message[data-id="${i}"]`)];
        return els.length > 0 && els.every((e) =>
          e.querySelector(".text").textContent === w.text && e.querySelector(".flag").textContent === w.flag
          && e.classList.contains("deleted") === w.deleted);
      },
      [id, want],
      { timeout: WAIT },
    );
  } catch (_) {
    throw new Error(`${whose} page shows message ${id} as ${JSON.stringify(await linesOf(page, id))}, expected ${JSON.stringify(want)}`);
  }
}

/** Waits for a line in the raw frames pane ("in" or "out") containing `needle`. */
async function waitFrame(page, dir, needle) {
  try {
    await page.waitForFunction(
      ([d, n]) => [...document.querySelectorAll(`#frames li.${d}`)].some((e) => e.textContent.includes(n)),
      [dir, needle],
      { timeout: WAIT },
    );
  } catch (_) {
    throw new Error(`the raw frames pane shows no ${dir === "in" ? "incoming" : "outgoing"} frame with ${needle}`);
  }
}

async function countFrames(page, dir, needle) {
  return page.$$eval(`#frames li.${dir}`, (els, n) => els.filter((e) => e.textContent.includes(n)).length, needle);
}

/** Search results on the page: id, room, name and text of each. */
async function resultsOf(page) {
  return page.$$eval("#search-results li", (els) =>
    els.map((e) => ({
      id: e.dataset.id,
      room: e.querySelector(".room").textContent,
      who: e.querySelector(".who").textContent,
      text: e.querySelector(".text").textContent,
      flag: e.querySelector(".flag").textContent,
    })),
  );
}

async function sendFromPage(page, text) {
  await page.fill("#message", text);
  await page.click("#send");
}

async function shot(page, file) {
  fs.mkdirSync(OUT, { recursive: true });
  const target = path.join(OUT, file);
  await page.screenshot({ path: target, fullPage: false });
  return target;
}

// ------------------------------------------------------------- sapa send

function run(cmd, argv, env, timeoutMs = 20000) {
  return new Promise((resolve) => {
    execFile(cmd, argv, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr, err }),
    );
  });
}

/** Whether `bin` exists and has a `send` subcommand. */
async function sapaCanSend(bin) {
  if (!bin || bin === true || !fs.existsSync(bin)) return false;
  const r = await run(bin, ["send", "--help"], {}, 10000);
  return r.code === 0 && /send/i.test(r.stdout + r.stderr);
}

// ------------------------------------------------------------- the checks

async function testerChecks(context) {
  const room = `e2e-${uniq()}`.slice(0, 32);
  const alice = `alice-${uniq()}`;
  const bob = `bob-${uniq()}`;
  const pw = "correct horse battery";
  const pageA = await context.newPage();
  const pageB = await context.newPage();
  const seenA = watch(pageA, alice);
  const seenB = watch(pageB, bob);
  const said = []; // chat messages in the order they were sent, for the history check

  try {
    const joinedOk = await steps.run("tester: two pages join one room as two users and see each other", async () => {
      await joinAs(pageA, alice, pw, room);
      await joinAs(pageB, bob, pw, room);
      await waitUsers(pageA, [alice, bob]);
      await waitUsers(pageB, [alice, bob]);
      // A saw B arrive as a joined line, set apart from chat messages.
      await pageA.waitForFunction(
        (b) => [...document.querySelectorAll("#log li.joined")].some((e) => e.textContent.includes(b)),
        bob,
        { timeout: WAIT },
      );
      return `${alice} and ${bob} in #${room}`;
    });
    if (!joinedOk) return;

    await steps.run("tester: a wrong password is refused and the page says why", async () => {
      const pageC = await context.newPage();
      try {
        await pageC.goto(new URL("test", BASE).toString());
        await pageC.fill("#username", alice);
        await pageC.fill("#password", "not alice's password");
        await pageC.fill("#room", room);
        await pageC.click("#connect");
        await pageC.waitForSelector('#status[data-state="error"]', { timeout: WAIT });
        const errors = await pageC.$$eval("#log li.error", (els) => els.map((e) => e.textContent));
        check(errors.some((t) => t.includes("unauthorized")), `no unauthorized line in the log: ${JSON.stringify(errors)}`);
        check(await pageC.isEnabled("#connect"), "Connect stays disabled after the refusal");
        await shot(pageC, "tester-refused.png");
      } finally {
        await pageC.close();
      }
      await waitUsers(pageA, [alice, bob]);
    });

    await steps.run("tester: messages go both ways", async () => {
      const fromA = `hello bob, this is alice ${uniq()}`;
      await sendFromPage(pageA, fromA);
      said.push(fromA);
      await waitMessage(pageB, fromA, alice);
      await waitMessage(pageA, fromA, alice);
      check((await pageA.inputValue("#message")) === "", "the message box was not cleared after sending");
      const fromB = `hi alice, bob here ${uniq()}`;
      await sendFromPage(pageB, fromB);
      said.push(fromB);
      await waitMessage(pageA, fromB, bob);
      await waitMessage(pageB, fromB, bob);
    });

    await steps.run("tester: a message sent from outside the browser appears in the page", async () => {
      const text = `from the command line ${uniq()}`;
      const carol = `carol-${uniq()}`;
      let note;
      if (await sapaCanSend(args.sapa)) {
        const r = await run(args.sapa, ["send", "--server", BASE.replace(/\/$/, ""), "--user", carol, "--room", room, text], {
          SAPA_PASSWORD: pw,
        });
        check(r.code === 0, `sapa send exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
        note = "via sapa send";
      } else {
        const reg = await rest(BASE, "POST", "users", { json: { username: carol, password: pw } });
        check(reg.status === 201, `POST /users answered ${reg.status} ${JSON.stringify(reg.body)}`);
        const post = await rest(BASE, "POST", "messages", { token: reg.body.token, json: { content: text, room } });
        check(post.status === 201, `POST /messages answered ${post.status} ${JSON.stringify(post.body)}`);
        const why = !args.sapa || args.sapa === true ? "no sapa binary given"
          : fs.existsSync(args.sapa) ? `${args.sapa} has no send subcommand` : `no sapa binary at ${args.sapa}`;
        note = `via REST POST /messages: ${why}`;
      }
      said.push(text);
      await waitMessage(pageA, text, carol);
      await waitMessage(pageB, text, carol);
      return note;
    });

    await steps.run("tester: a message containing HTML shows as text and runs nothing", async () => {
      const evil = `look <img src=x onerror=alert(1)> <b>not bold</b> ${uniq()}`;
      await sendFromPage(pageA, evil);
      said.push(evil);
      await waitMessage(pageB, evil, alice);
      await waitMessage(pageA, evil, alice);
      for (const [page, seen, who] of [[pageA, seenA, alice], [pageB, seenB, bob]]) {
        const injected = await page.$$eval("#log img, #log b, #log script", (els) => els.length);
        check(injected === 0, `${who}'s log holds ${injected} element(s) made from the message's HTML`);
        check(seen.dialogs.length === 0, `${who}'s page opened a dialog: ${seen.dialogs[0]}`);
      }
    });

    await steps.run("tester: the raw-frame box sends an invalid frame and shows the error frame", async () => {
      const before = await pageB.$$eval("#frames li.in.error", (els) => els.length);
      await pageB.fill("#raw", '{"type":"message","content":');
      await pageB.click("#send-raw");
      await pageB.waitForFunction(
        (n) => {
          const errs = [...document.querySelectorAll("#frames li.in.error")].slice(n);
          return errs.some((e) => e.textContent.includes('"invalid_json"'));
        },
        before,
        { timeout: WAIT },
      );
      await pageB.fill("#raw", '{"type":"dance"}');
      await pageB.click("#send-raw");
      await pageB.waitForFunction(
        () => [...document.querySelectorAll("#frames li.in.error")].some((e) => e.textContent.includes('"unknown_type"')),
        null,
        { timeout: WAIT },
      );
      // The error also shows in the message log, and the connection goes on working.
      await pageB.waitForSelector("#log li.error", { timeout: WAIT });
      const after = `still connected ${uniq()}`;
      await sendFromPage(pageB, after);
      said.push(after);
      await waitMessage(pageA, after, bob);
    });

    await steps.run("tester: a second room joined and left from the raw box leaves the first in place", async () => {
      const other = `${room}-2`.slice(0, 32);
      await pageB.fill("#raw", JSON.stringify({ type: "join", username: bob, room: other }));
      await pageB.click("#send-raw");
      await pageB.waitForFunction((r) => document.querySelector("#status").textContent.startsWith(`joined #${r} `), other, { timeout: WAIT });
      await waitUsers(pageB, [bob]);
      await pageB.fill("#raw", JSON.stringify({ type: "leave", room: other }));
      await pageB.click("#send-raw");
      await pageB.waitForFunction((r) => document.querySelector("#status").textContent.startsWith(`joined #${r} `), room, { timeout: WAIT });
      await waitUsers(pageB, [alice, bob]);
      const back = `back in the first room ${uniq()}`;
      await sendFromPage(pageB, back);
      said.push(back);
      await waitMessage(pageA, back, bob);
    });

    await steps.run("tester: leaving and joining again shows the history in order", async () => {
      await pageB.click("#disconnect");
      await pageB.waitForSelector('#status[data-state="disconnected"]', { timeout: WAIT });
      await waitUsers(pageA, [alice]);
      await pageA.waitForFunction(
        (b) => [...document.querySelectorAll("#log li.left")].some((e) => e.textContent.includes(b)),
        bob,
        { timeout: WAIT },
      );
      const missed = `while bob was away ${uniq()}`;
      await sendFromPage(pageA, missed);
      said.push(missed);
      await waitMessage(pageA, missed, alice);
      // Join again on a fresh page load, so only history can show old lines.
      await joinAs(pageB, bob, pw, room);
      await waitMessage(pageB, missed, alice);
      await waitUsers(pageB, [alice, bob]);
      await waitUsers(pageA, [alice, bob]);
      const texts = (await logMessages(pageB)).map((m) => m.text);
      const positions = said.map((t) => texts.indexOf(t));
      check(!positions.includes(-1), `history lacks ${JSON.stringify(said[positions.indexOf(-1)])}`);
      check(positions.every((p, i) => i === 0 || p > positions[i - 1]), `history is out of order: ${JSON.stringify(texts)}`);
      return `${said.length} messages, oldest first`;
    });

    await editDeleteSearchChecks(context, { pageA, pageB, room, alice, pw });
    await directMessageChecks({ pageA, pageB, alice });

    await steps.run("tester: loads nothing from another host, raises no script error, shows no password", async () => {
      for (const [page, seen, who] of [[pageA, seenA, alice], [pageB, seenB, bob]]) {
        check(seen.foreign.length === 0, `${who}'s page requested ${seen.foreign[0]}`);
        check(seen.errors.length === 0, `${who}'s page threw: ${seen.errors[0]}`);
        const text = await page.evaluate(() => document.body.innerText);
        check(!text.includes(pw), `${who}'s page shows the password in its text`);
      }
    });
  } finally {
    const a = await shot(pageA, "tester-alice.png").catch(() => null);
    const b = await shot(pageB, "tester-bob.png").catch(() => null);
    if (a && b) console.log(`# screenshots: ${a} ${b}`);
  }
  return { pageA, room, alice };
}

/**
 * Edit, delete and search through the page's own controls: A edits and
 * deletes a line, B watches it change; B searches for a word and finds
 * another message, never the deleted one; a later join shows both from history.
 */
async function editDeleteSearchChecks(context, { pageA, pageB, room, alice, pw }) {
  // A word no other run has used, letters only, so search finds this run's lines alone.
  const word = "zq" + uniq().replace(/[0-9]/g, (d) => "abcdefghij"[d]);
  const original = `a line with a tpyo ${uniq()}`;
  const fixed = `a line without typo, ${word} ${uniq()}`;
  const other = `another line that says ${word} too ${uniq()}`;
  const otherEdited = `another line, edited, still ${word} ${uniq()}`;
  let id = null;
  let otherId = null;
  const lineA = (i) => pageA.locator(`#log li.message[data-id="${i}"]`).first();

  const ready = await steps.run("tester: one's own lines have Edit and Delete, other people's do not", async () => {
    await sendFromPage(pageA, original);
    await waitMessage(pageA, original, alice);
    await waitMessage(pageB, original, alice);
    id = await idOf(pageA, original);
    const onA = await linesOf(pageA, id);
    check(onA.every((l) => l.buttons === 2), `alice's own line has ${onA[0].buttons} of Edit/Delete`);
    const onB = await linesOf(pageB, id);
    check(onB.every((l) => l.buttons === 0), "bob's page offers Edit/Delete on alice's line");
    const bobsOwn = await pageB.$$eval("#log li.message.mine", (els) =>
      els.map((e) => e.querySelectorAll("button.edit, button.delete").length));
    check(bobsOwn.length > 0 && bobsOwn.every((n) => n === 2), `bob's own lines have buttons ${JSON.stringify(bobsOwn)}`);
  });
  if (!ready) return;

  const edited = await steps.run("tester: Esc cancels an edit; Enter sends it and the other page shows the new text and (edited)", async () => {
    const field = lineA(id).locator("input.edit-field");
    await lineA(id).locator("button.edit").click();
    await field.waitFor({ timeout: WAIT });
    check((await field.inputValue()) === original, `the edit field holds ${JSON.stringify(await field.inputValue())}`);
    await field.press("Escape");
    await field.waitFor({ state: "detached", timeout: WAIT });
    check((await countFrames(pageA, "out", '"type":"edit"')) === 0, "Esc sent an edit frame");
    check((await linesOf(pageA, id))[0].text === original, "Esc changed the line");

    await lineA(id).locator("button.edit").click();
    await field.fill(fixed);
    await field.press("Enter");
    await waitLine(pageB, id, { text: fixed, flag: "(edited)", deleted: false }, "bob's");
    await waitLine(pageA, id, { text: fixed, flag: "(edited)", deleted: false }, "alice's");
    await waitFrame(pageA, "out", '"type":"edit"');
    await waitFrame(pageB, "in", '"type":"edited"');
  });
  if (!edited) return;

  const deleted = await steps.run("tester: Delete reaches the other page as \"message deleted\", dimmed", async () => {
    await lineA(id).locator("button.delete").click();
    await waitLine(pageB, id, { text: "message deleted", flag: "", deleted: true }, "bob's");
    await waitLine(pageA, id, { text: "message deleted", flag: "", deleted: true }, "alice's");
    check((await linesOf(pageA, id)).every((l) => l.buttons === 0), "the deleted line still offers Edit/Delete");
    const style = await pageB.$eval(`#log li.message[data-id="${id}"] .text`, (e) => getComputedStyle(e).fontStyle);
    check(style === "italic", `the deleted line is not set apart (font-style ${style})`);
    await waitFrame(pageA, "out", '"type":"delete"');
    await waitFrame(pageB, "in", '"type":"deleted"');
  });
  if (!deleted) return;

  const found = await steps.run("tester: the search box finds another message by a word, never the deleted one", async () => {
    await sendFromPage(pageA, other);
    await waitMessage(pageB, other, alice);
    otherId = await idOf(pageB, other);
    await pageB.fill("#search", word);
    await pageB.click("#search-go");
    try {
      await pageB.waitForFunction(
        (i) => [...document.querySelectorAll("#search-results li")].some((e) => e.dataset.id === i),
        otherId,
        { timeout: WAIT },
      );
    } catch (_) {
      throw new Error(`no result for ${word}; the list holds ${JSON.stringify(await resultsOf(pageB))}`);
    }
    const results = await resultsOf(pageB);
    check(!results.some((r) => r.id === id), `the deleted message is among the results: ${JSON.stringify(results)}`);
    check(results.length === 1, `expected one result for ${word}, got ${JSON.stringify(results)}`);
    const [r] = results;
    check(r.room === `#${room}` && r.who === alice && r.text === other, `the result shows ${JSON.stringify(r)}`);
    const marks = await pageB.$$eval("#search-results mark", (els) => els.map((e) => e.textContent.toLowerCase()));
    check(marks.includes(word), `the word is not highlighted (marks ${JSON.stringify(marks)})`);
    await waitFrame(pageB, "out", '"type":"search"');
    await waitFrame(pageB, "in", '"type":"search_results"');
    return `1 result for ${word}`;
  });
  if (!found) return;

  await steps.run("tester: an edit updates an open search result, and a later join shows the edit and the tombstone", async () => {
    await lineA(otherId).locator("button.edit").click();
    await lineA(otherId).locator("input.edit-field").fill(otherEdited);
    await lineA(otherId).locator("input.edit-field").press("Enter");
    await waitLine(pageB, otherId, { text: otherEdited, flag: "(edited)", deleted: false }, "bob's");
    await pageB.waitForFunction(
      ([i, t]) => [...document.querySelectorAll("#search-results li")].some((e) =>
        e.dataset.id === i && e.querySelector(".text").textContent === t && e.querySelector(".flag").textContent === "(edited)"),
      [otherId, otherEdited],
      { timeout: WAIT },
    ).catch(async () => {
      throw new Error(`the search result did not follow the edit: ${JSON.stringify(await resultsOf(pageB))}`);
    });
    // Alice on a second page: only history can show these lines there.
    const pageC = await context.newPage();
    try {
      await joinAs(pageC, alice, pw, room);
      await waitLine(pageC, id, { text: "message deleted", flag: "", deleted: true }, "a later");
      await waitLine(pageC, otherId, { text: otherEdited, flag: "(edited)", deleted: false }, "a later");
      const tomb = await linesOf(pageC, id);
      check(tomb.every((l) => l.buttons === 0), "the tombstone from history offers Edit/Delete");
      const live = await linesOf(pageC, otherId);
      check(live.every((l) => l.buttons === 2), "alice's edited line from history lacks Edit/Delete");
    } finally {
      await pageC.close();
    }
  });
}

/**
 * A direct message between the two pages: B's typing shows on A, then B
 * fills "to" with A's name and sends; A sees it in the dm: room although
 * neither page joined it, and the typing line clears.
 */
async function directMessageChecks({ pageA, pageB, alice }) {
  await steps.run("tester: typing shows on the other page, and a DM with \"to\" reaches it unjoined", async () => {
    const bob = await pageB.evaluate(() => document.querySelector("#username").value);
    await pageB.fill("#message", "");
    await pageB.type("#message", "typ");
    await pageA.waitForFunction(
      (who) => document.querySelector("#typing").textContent.includes(who + " is typing"),
      bob,
      { timeout: WAIT },
    ).catch(() => { throw new Error("the typing line never showed on the other page"); });
    const text = `a direct message ${uniq()}`;
    await pageB.fill("#to", alice);
    await sendFromPage(pageB, text);
    await waitMessage(pageA, text);
    const dmRoom = "dm:" + [alice.toLowerCase(), bob.toLowerCase()].sort().join(":");
    const line = (await logMessages(pageA)).find((m) => m.text === text);
    check(line.who === `[${dmRoom}] ${bob}`, `the DM line reads ${JSON.stringify(line)}`);
    await waitFrame(pageB, "out", '"to":');
    await pageA.waitForFunction(() => !document.querySelector("#typing").textContent.includes("is typing"), null, { timeout: WAIT })
      .catch(() => { throw new Error("the typing line stayed after the message"); });
    await pageB.fill("#to", "");
    return dmRoom;
  });
}

async function swaggerChecks(context, tester) {
  const page = await context.newPage();
  const seen = watch(page, "swagger");
  const room = tester ? tester.room : `e2e-${uniq()}`.slice(0, 32);
  let token = null;
  const opblock = (method, route) =>
    page.locator(`.opblock.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${route}"]`) }).first();

  // Expands an operation, presses "Try it out", fills the body, executes, and
  // returns the live response's status and body.
  async function tryItOut(method, route, body) {
    const op = opblock(method, route);
    await op.scrollIntoViewIfNeeded();
    if (!(await op.locator(".opblock-body").count())) await op.locator(".opblock-summary").first().click();
    await op.locator(".try-out__btn").click();
    if (body !== undefined) await op.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
    await op.locator("button.execute").click();
    const status = op.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor({ timeout: WAIT });
    const code = Number((await status.textContent()).trim().slice(0, 3));
    const text = await op.locator(".live-responses-table .response-col_description pre").first().textContent();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* keep null */ }
    return { op, code, text, json };
  }

  try {
    const rendered = await steps.run("swagger: /swagger/ renders and lists the routes", async () => {
      await page.goto(new URL("swagger/", BASE).toString());
      await page.waitForSelector(".swagger-ui .opblock", { timeout: 30000 });
      const paths = await page.$$eval(".opblock-summary-path", (els) => els.map((e) => e.dataset.path || e.textContent.trim()));
      const want = ["/users", "/sessions", "/messages", "/users/active", "/rooms", "/healthz", "/readyz", "/ws-info"];
      const missing = want.filter((w) => !paths.includes(w));
      check(missing.length === 0, `missing routes ${missing.join(", ")}; listed: ${paths.join(", ")}`);
      check(await page.locator(".btn.authorize").count(), "no Authorize button");
      return `${paths.length} operations`;
    });
    if (!rendered) return;

    const registered = await steps.run("swagger: Try it out registers a user (POST /users)", async () => {
      const r = await tryItOut("post", "/users", { username: `swag-${uniq()}`, password: "correct horse battery" });
      check(r.code === 201, `POST /users answered ${r.code}: ${r.text}`);
      check(r.json && r.json.token, `no token in the response: ${r.text}`);
      token = r.json.token;
    });
    if (!registered) return;

    const authorized = await steps.run("swagger: Authorize takes the bearer token", async () => {
      await page.locator(".btn.authorize").first().click();
      const modal = page.locator(".modal-ux");
      await modal.waitFor({ timeout: WAIT });
      await modal.locator("input").first().fill(token);
      await modal.locator(".auth-btn-wrapper .btn.authorize").click();
      await modal.locator(".auth-btn-wrapper .btn-done, .auth-btn-wrapper .btn.logout").first().waitFor({ timeout: WAIT });
      await modal.locator(".auth-btn-wrapper .btn-done, .close-modal").first().click();
      await modal.waitFor({ state: "detached", timeout: WAIT });
    });
    if (!authorized) return;

    await steps.run("swagger: Try it out sends a message (POST /messages) with the token", async () => {
      const content = `hello from swagger ${uniq()}`;
      const r = await tryItOut("post", "/messages", { content, room });
      check(r.code === 201, `POST /messages answered ${r.code}: ${r.text}`);
      check(r.json && r.json.content === content && r.json.room === room, `unexpected body ${r.text}`);
      const curl = await r.op.locator(".curl-command, .curl").first().textContent().catch(() => "");
      check(/authorization: Bearer/i.test(curl), "the request Swagger made carried no bearer token");
      const response = path.join(OUT, "swagger-post-messages.png");
      // The curl line, the request URL and the live response, without the documented ones.
      await r.op.locator(".live-responses-table").first().locator("xpath=..").screenshot({ path: response });
      console.log(`# screenshot: ${response}`);
      if (tester) {
        await waitMessage(tester.pageA, content);
        return "and it reached the tester page over the WebSocket";
      }
    });

    await steps.run("swagger: loads nothing from another host", async () => {
      check(seen.foreign.length === 0, `requested ${seen.foreign[0]}`);
    });
  } finally {
    await page.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
    const p = await shot(page, "swagger.png").catch(() => null);
    if (p) console.log(`# screenshot: ${p}`);
  }
}

async function main() {
  let browser;
  const launched = await steps.run("chromium starts headless", async () => {
    browser = await launchChromium();
    return browser.context.browser() ? browser.context.browser().version() : undefined;
  });
  if (!launched) steps.exit();
  try {
    const tester = await testerChecks(browser.context).catch((e) => {
      steps.fail("tester", e);
      return null;
    });
    await swaggerChecks(browser.context, tester).catch((e) => steps.fail("swagger", e));
  } finally {
    await browser.close();
  }
  steps.exit();
}

main().catch((e) => {
  steps.fail("unexpected error", e);
  steps.exit();
});
