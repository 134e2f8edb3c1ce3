// A real MQTT broker (aedes) in this process, and a real MQTT.js client as the consumer side
// (Home Assistant, a user's script). The broker can be stopped and started again on the same port.
import net from "node:net";
import { once } from "node:events";
import { Aedes } from "aedes";
import { connect, type MqttClient } from "./mqtt-client";

export class Broker {
  port = 0;
  #aedes: Aedes | undefined;
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();

  /** Listens on 127.0.0.1, on a free port the first time and on the same one after a restart. */
  async start(): Promise<void> {
    const aedes = await Aedes.createBroker();
    // aedes drops a message to a subscriber whose broker counter is lower than one it already
    // delivered (client.js dedupe, meant for brokers in a cluster); a will and the first publish of
    // the reconnected client can reach the consumer in the other order, and the publish is lost. A
    // single broker has nothing to dedupe: without a broker id, packets are never dropped
    // (mosquitto, which the virtual-device tests use, has no such step).
    (aedes as unknown as { id: string }).id = "";
    // aedes forwards a retained message only once its store has resolved, a promise later, so a later
    // message that is not retained overtakes it, even on the same topic. MQTT 3.1.1 §4.6 makes every
    // topic ordered, and mosquitto keeps the order: the in-memory store is done at once, so say so.
    const persistence = (aedes as unknown as { persistence: { storeRetained(packet: unknown): Promise<void> } }).persistence;
    const storeRetained = persistence.storeRetained.bind(persistence);
    persistence.storeRetained = (packet) => {
      storeRetained(packet).catch(() => undefined);
      return { then(done: () => void) { done(); return this; } } as unknown as Promise<void>;
    };
    const server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as net.AddressInfo).port;
    this.#aedes = aedes;
    this.#server = server;
  }

  /** Every client's connection cut (a network blip): the broker and its retained messages stay. */
  dropClients(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Gone at once, retained messages and all, as a crashed broker would be. */
  async stop(): Promise<void> {
    const aedes = this.#aedes, server = this.#server;
    this.#aedes = this.#server = undefined;
    if (!aedes || !server) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface Received { topic: string; text: string; retain: boolean }

/** The consumer: subscribes to everything and lets tests wait for what they expect. */
export class Consumer {
  readonly messages: Received[] = [];
  #waiters: Array<() => void> = [];

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.messages.push({ topic, text: payload.toString(), retain: packet.retain });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(port: number, topics = ["#"]): Promise<Consumer> {
    const client = connect({ host: "127.0.0.1", port, protocolVersion: 4, reconnectPeriod: 100, clientId: "consumer-" + Math.random().toString(16).slice(2) });
    const consumer = new Consumer(client);
    await new Promise((resolve) => client.once("connect", resolve));
    await client.subscribeAsync(topics);
    client.on("connect", () => void client.subscribeAsync(topics)); // after a broker restart
    return consumer;
  }

  publish(topic: string, payload: string, retain = false): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: 0, retain });
  }

  on(topic: string): Received[] { return this.messages.filter((m) => m.topic === topic); }

  last(topic: string): Received | undefined { return this.on(topic).at(-1); }

  lastJson(topic: string): any {
    const m = this.last(topic);
    if (!m) throw new Error("nothing received on " + topic);
    return JSON.parse(m.text);
  }

  /** Resolves with the first message from now on (or already received, with `since`) that matches. */
  async waitFor(match: (m: Received) => boolean, timeoutMs = 3000, since = this.messages.length): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(since).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  waitForTopic(topic: string, timeoutMs?: number, since?: number): Promise<Received> {
    return this.waitFor((m) => m.topic === topic, timeoutMs, since);
  }

  clear(): void { this.messages.length = 0; }

  async close(): Promise<void> { await this.client.endAsync(true); }
}
