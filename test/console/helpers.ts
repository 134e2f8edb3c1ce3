// A terminal on the other end of the console: types bytes, reads what the console sent.
import { Console } from "../../modules/console/console";
import { CommandRegistry } from "../../modules/console/registry";
import { decodeUtf8 } from "../../modules/console/output";

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Drain everything queued (an unlimited UART). */
export function drain(c: Console): string {
  const chunks: Uint8Array[] = [];
  while (c.queue.length) {
    const part = c.queue.peek(1 << 20);
    chunks.push(part.slice());
    c.queue.consume(part.length);
  }
  const all = new Uint8Array(chunks.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of chunks) { all.set(p, at); at += p.length; }
  return decodeUtf8(all);
}

export function makeConsole(options: ConstructorParameters<typeof Console>[1] = {}) {
  const registry = new CommandRegistry();
  const console = new Console(registry, { prompt: "> ", ...options });
  const type = (text: string) => { console.receive(bytes(text)); return drain(console); };
  return { registry, console, type, drain: () => drain(console) };
}
