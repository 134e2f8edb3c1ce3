// Double of the Moddable "sntp" module: the host answers with its wall clock (advanced by the
// virtual clock), or fails when the simulated network is down.
import { on, post } from "./runtime";

type Callback = (message: number, value?: number | string) => string | void;
const pending = new Map<number, SNTP>();
let nextId = 1;

export default class SNTP {
  static readonly time = 1;
  static readonly retry = 2;
  static readonly error = -1;
  #id = nextId++;
  #callback: Callback;

  constructor(options: { host: string }, callback: Callback) {
    this.#callback = callback;
    pending.set(this.#id, this);
    post("sntp.request", this.#id, options.host);
  }
  close(): void { pending.delete(this.#id); }

  static {
    on("sntp.reply", (id: number, seconds: number | null, error: string | null) => {
      const client = pending.get(id);
      if (!client) return;
      if (seconds !== null) { pending.delete(id); client.#callback(SNTP.time, seconds); return; }
      const next = client.#callback(SNTP.error, error ?? "no answer");
      if (typeof next === "string") post("sntp.request", id, next);
      else pending.delete(id);
    });
  }
}
