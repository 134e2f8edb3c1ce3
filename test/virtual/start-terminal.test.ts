// npm start in a real terminal (a pseudo-terminal made by util-linux `script`): the MQTT echo and
// the host's notes never tear the line the user is typing; the prompt and the partial line are
// drawn again below them, as the device's console does for its own log lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Broker } from "../lib/broker";
import { SharedTerminal } from "../../scripts/lib/terminal";
import { startGateway, waitSessionGone, killSession } from "./start-harness";

/** The screen a terminal shows for this output: CR, LF, BS, erase-line; other sequences ignored. */
export function screen(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0, col = 0;
  for (let i = 0; i < output.length; i++) {
    const c = output[i];
    if (c === "\x1b") {
      const m = /^\x1b\[([0-9;?]*)([@-~])/.exec(output.slice(i, i + 16));
      if (m) {
        if (m[2] === "K") rows[row].length = Math.min(rows[row].length, col);
        i += m[0].length - 1;
      }
      continue;
    }
    if (c === "\r") { col = 0; continue; }
    if (c === "\n") { row++; rows[row] ??= []; continue; } // line feed only: the column stays
    if (c === "\b") { col = Math.max(0, col - 1); continue; }
    if (c < " ") continue;
    while (rows[row].length < col) rows[row].push(" ");
    rows[row][col++] = c;
  }
  return rows.map((r) => r.join(""));
}

test("screen(): the little terminal used below", () => {
  assert.deepEqual(screen("jbd> st\b \ba\r\x1b[Kmqtt x\r\njbd> sa"), ["mqtt x", "jbd> sa"]);
  assert.deepEqual(screen("\x1b[36mab\x1b[0m\r\ncd\nef"), ["ab", "cd", "  ef"]); // LF alone keeps the column
});

test("host lines keep the device's current line (unit: a terminal, and a pipe)", () => {
  let out = "";
  const tty = new SharedTerminal({ write: (t) => { out += t; } }, true);
  tty.serial("banner\r\njbd> ");
  tty.line("[virtual] note");
  tty.serial("st");
  tty.line("mqtt jbd/house/state {}");
  tty.serial("\x07"); // a refused key rings once, not again on each redraw
  tty.line("mqtt two");
  assert.deepEqual(screen(out), ["banner", "[virtual] note", "mqtt jbd/house/state {}", "mqtt two", "jbd> st"]);
  assert.equal(out.split("\x07").length, 2);
  let piped = "";
  const pipe = new SharedTerminal({ write: (t) => { piped += t; } }, false);
  pipe.serial("jbd> ");
  pipe.line("mqtt x");
  pipe.last("[virtual] stopped");
  assert.equal(piped, "jbd> \nmqtt x\njbd> \n[virtual] stopped\n");
});

const noScript = spawnSync("script", ["--version"]).error ? "util-linux script is not installed" : undefined;

test("in a terminal: MQTT lines arriving while a command is half typed leave it whole", { skip: noScript, timeout: 150_000 }, async () => {
  const broker = new Broker();
  await broker.start();
  const gw = startGateway([], { command: ["script", "-qfec", `npm start -- --broker mqtt://127.0.0.1:${broker.port}`, "/dev/null"] });
  try {
    await gw.waitForOutput(/mqtt jbd\/house\/state \{/);
    const typedAt = gw.output().length;
    gw.child.stdin!.write("sta");
    // the device echoed it, then at least one more reading crossed MQTT while the line was open
    await gw.waitForOutput(new RegExp(`^[\\s\\S]{${typedAt}}[\\s\\S]*sta[\\s\\S]*mqtt jbd/house/state \\{`));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the redraw that follows it
    let rows = screen(gw.output()).filter((r) => r.trim());
    assert.equal(rows.at(-1), "jbd> sta", rows.slice(-6).join("\n"));
    assert.ok(!rows.some((r) => /^jbd> sta.+/.test(r)), `a torn line:\n${rows.filter((r) => /^jbd> sta/.test(r)).join("\n")}`);
    // the device still holds the partial line: finishing it runs the command
    const finishedAt = gw.output().length;
    gw.child.stdin!.write("tus\r");
    await gw.waitForOutput(new RegExp(`^[\\s\\S]{${finishedAt}}[\\s\\S]*uptime `));
    rows = screen(gw.output());
    const at = rows.indexOf("jbd> status");
    assert.ok(at >= 0 && rows.slice(at + 1).some((r) => r.startsWith("uptime ")), rows.slice(-12).join("\n"));
    gw.child.stdin!.write("\x03"); // Ctrl-C in raw mode
    await gw.waitForOutput(/stopped \(Ctrl-C\)/);
    await gw.exited;
    await waitSessionGone(gw.sid);
  } finally {
    killSession(gw.sid);
    await broker.stop();
  }
});
