// A reconnecting MQTT connection around the SDK "mqtt" module, which has none of this itself
// (../shared/moddable-platform.md §b): an instance is dead after onClose, connect never times
// out, onClose carries no reason, exceptions thrown in onReady/onMessage are swallowed, and
// publish() throws before CONNACK and after a failure.
//
// Here: one instance at a time; our own connect timeout; a new instance after capped exponential
// backoff with jitter; subscriptions remembered and sent again; the owner told when the
// connection comes and goes so it can republish; paused while Wi-Fi is down.
import type { Logger } from "../link/logger";
import type { MqttClient, MqttConstructor, MqttOptions, TimerHandle, Timers } from "./ports";
import { OFFLINE } from "./topics";
import { MARKER_RETRY_MS, ReplayGuard, SETTLE_MS } from "./replay-guard";

export interface MqttSettings {
  host: string;
  /** 0: the SDK default for the transport (1883, or 8883 with TLS). */
  port: number;
  tls: boolean;
  user: string;
  password: string;
  clientId: string;
  /** Gateway availability topic: the will publishes a retained "offline" there. */
  willTopic: string;
  /** Keep-alive; the SDK pings every ~3/4 of it and declares the link dead after 1.5 × this without a PINGRESP. */
  keepAliveMs?: number;
  connectTimeoutMs?: number;
}

export interface MqttPlatform {
  MQTT: MqttConstructor;
  /** Statistics to count into (kept across the connections of one gateway); default: new ones. */
  stats?: MqttStats;
  /** Socket class for TLS (SecureSocket); required when settings.tls is set. */
  SecureSocket?: MqttOptions["Socket"];
  /** Whether TLS can start now and its `secure` options (modules/net/tls-trust.ts TlsGate). */
  tls?: TlsPort;
  timers: Timers;
  /** [0, 1) for the backoff jitter. */
  random?: () => number;
}

export interface TlsPort {
  /** Why TLS cannot start now (clock, CA, memory), in words; undefined: go. */
  problem(): string | undefined;
  secure(): Record<string, unknown>;
}

export interface ConnectionListener {
  /** Connected (CONNACK) and subscriptions sent: publish everything retained again. */
  onOnline(): void;
  onOffline(): void;
  /** `replayed`: it came before the subscriptions were live (replay-guard): maybe a retained message. */
  onMessage(topic: string, data: ArrayBuffer, replayed: boolean): void;
}

export class MqttStats {
  connectAttempts = 0;
  connects = 0;
  connectTimeouts = 0;
  /** Connections lost after they were up. */
  disconnects = 0;
  publishes = 0;
  /** publish() threw while connected: the socket's send buffer was full ("can't write all data"); retried. */
  publishFailures = 0;
  /** Packets larger than the whole send buffer: never sendable, not sent. */
  publishesTooLarge = 0;
  messagesIn = 0;
  /** Counted by the bridge: command payloads or topics it could not accept. */
  malformedCommands = 0;
  /** Of those: payloads too long to be a command or console line, discarded without being read. */
  oversizedPayloads = 0;
  /** Commands and console lines not obeyed: they came before the subscriptions were live (retained or replayed). */
  replaysIgnored = 0;
}

const KEEP_ALIVE_MS = 30_000;
/** While TLS cannot start (clock not set, no CA): how often to look again; it costs no network. */
const TLS_RECHECK_MS = 2_000;
/** The SDK's TLS says nothing when it fails (onClose without a reason): what it may have been. */
const TLS_FAILED = "the TLS connection closed before the broker accepted the gateway; the SDK does not say why. " +
  "Check: the broker's certificate is signed by the CA shown by 'tls', it names this host in subjectAltName (DNS or IP; the common name is not read), " +
  "the broker sends its chain (mosquitto: certfile holds the broker certificate followed by the CA), it is valid at the gateway's clock, " +
  "the broker offers TLS 1.2, and the port is its TLS listener";
const CONNECT_TIMEOUT_MS = 15_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** Backoff starts over only after a connection held this long (a broker that accepts and then
 *  drops us at once must not be hammered every second). */
const STABLE_MS = 30_000;
const RETAIN = Object.freeze({ retain: true } as const);
const NO_RETAIN = Object.freeze({ retain: false } as const);

const enum State { Idle, Waiting, Connecting, Online }

/** A password alone is not sent (see #connect). */
const passwordWithoutUser = (s: MqttSettings) => !s.user && !!s.password;

export class MqttConnection {
  readonly stats: MqttStats;
  #state = State.Idle;
  #started = false;
  #paused = false;
  #client: MqttClient | undefined;
  #timer: TimerHandle | undefined;
  #failures = 0;
  readonly #subscriptions: string[] = [];
  #guard: ReplayGuard | undefined;
  #markerTimer: TimerHandle | undefined;
  /** Why TLS is not being tried (shown once per change, and by `status`); "" when it is. */
  tlsProblem = "";
  /** TLS connections that failed before CONNACK, since the last that succeeded. */
  tlsFailures = 0;
  readonly #onTimer = () => {
    try { this.timerFired(); } catch (error) { this.log.error("MQTT timer:", error); }
  };

  constructor(
    private readonly settings: MqttSettings,
    private readonly platform: MqttPlatform,
    private readonly listener: ConnectionListener,
    private readonly log: Logger,
  ) {
    this.stats = platform.stats ?? new MqttStats();
  }

  /** Connected (CONNACK seen): publishing works. Kept with the state by setState (a field, not a getter:
   *  the pump reads it several times each poll cycle). Read only. */
  online = false;
  /** Messages now are obeyed: online, and past the replay guard's marker and settle time. */
  get messagesLive(): boolean { return this.online && (this.#guard?.live ?? true); }

  private setState(state: State): void {
    this.#state = state;
    this.online = state === State.Online;
  }

  start(): void {
    if (this.#started) return;
    if (!this.settings.host) { this.log.warn("MQTT: no broker host configured"); return; }
    if (this.settings.tls && !this.platform.SecureSocket) { this.log.error("MQTT: TLS asked for but no SecureSocket given"); return; }
    if (passwordWithoutUser(this.settings)) this.log.warn("MQTT: password ignored without a user name (config set mqttUser ...)");
    this.#started = true;
    if (!this.#paused) this.connect();
  }

  /**
   * Publishes "offline" on the will topic (a clean DISCONNECT makes the broker drop the will),
   * unless `announce` is false (the topic was just cleared and must stay so).
   */
  stop(announce = true): void {
    if (!this.#started) return;
    this.#started = false;
    if (announce) this.publish(this.settings.willTopic, OFFLINE, true);
    this.drop(false);
  }

  /** Wi-Fi went down: the socket is gone with it; wait for resume() instead of retrying. */
  pause(): void {
    this.#paused = true;
    this.drop(true);
  }

  /** Wi-Fi is back: connect at once, with a fresh backoff. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#failures = 0;
    if (this.#started) this.connect();
  }

  /** Remembered and sent again after every reconnect. */
  /** Tell replays from live messages with a marker on `topic` (replay-guard). */
  guardReplays(topic: string): void {
    this.#guard = new ReplayGuard(topic);
    this.subscribe(topic);
  }

  subscribe(topic: string): void {
    if (this.#subscriptions.includes(topic)) return;
    this.#subscriptions.push(topic);
    if (this.#state === State.Online) this.sendSubscribe(topic);
  }

  /** False instead of an exception when not connected or the SDK refuses the write. */
  publish(topic: string, payload: string | ArrayBuffer, retain: boolean): boolean {
    const client = this.#client;
    if (this.#state !== State.Online || !client) return false;
    try {
      client.publish(topic, payload, retain ? RETAIN : NO_RETAIN);
      this.stats.publishes++;
      return true;
    } catch (error) {
      this.stats.publishFailures++;
      this.log.debug("MQTT publish failed:", error);
      return false;
    }
  }

  private connect(): void {
    this.clearTimer();
    const s = this.settings;
    const options: MqttOptions = {
      host: s.host,
      id: s.clientId,
      will: { topic: s.willTopic, message: OFFLINE, retain: true },
      timeout: s.keepAliveMs ?? KEEP_ALIVE_MS,
    };
    if (s.port) options.port = s.port;
    else if (s.tls) options.port = 8883;
    // MQTT 3.1.1 §3.1.2.9: no password without a user name (brokers refuse such a CONNECT)
    if (s.user) {
      options.user = s.user;
      if (s.password) options.password = s.password;
    }
    if (s.tls) {
      const problem = this.platform.tls?.problem();
      if (problem) { this.waitForTls(problem); return; }
      if (this.tlsProblem) this.log.info("MQTT TLS: ready, connecting");
      this.tlsProblem = "";
      options.Socket = this.platform.SecureSocket;
      if (this.platform.tls) options.secure = this.platform.tls.secure();
    }
    this.stats.connectAttempts++;
    this.setState(State.Connecting);
    this.#timer = this.platform.timers.set(this.#onTimer, s.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    let client: MqttClient;
    try {
      client = new this.platform.MQTT(options);
    } catch (error) {
      this.log.error("MQTT: cannot create the client:", error);
      this.retry();
      return;
    }
    this.#client = client;
    // Each body is caught here: the SDK would swallow the exception without a trace.
    client.onReady = () => {
      if (client !== this.#client) return;
      try { this.ready(); } catch (error) { this.log.error("MQTT onReady:", error); }
    };
    client.onMessage = (topic, data) => {
      if (client !== this.#client) return;
      try { this.message(topic, data); } catch (error) { this.log.error("MQTT onMessage:", error); }
    };
    // Handled on the next turn: the SDK calls onClose from inside the socket's disconnect callback,
    // and on the lin simulator a garbage collection there crashes mcsim (modSocket.c socketReadable).
    client.onClose = () => {
      if (client !== this.#client) return;
      this.platform.timers.set(() => {
        if (client !== this.#client) return;
        try { this.closed(); } catch (error) { this.log.error("MQTT onClose:", error); }
      }, 0);
    };
  }

  /** TLS cannot start yet: say why once, and look again shortly (the clock or the CA may come). */
  private waitForTls(problem: string): void {
    if (problem !== this.tlsProblem) this.log.error("MQTT TLS: " + problem);
    this.tlsProblem = problem;
    this.setState(State.Waiting);
    this.#timer = this.platform.timers.set(this.#onTimer, TLS_RECHECK_MS);
  }

  private ready(): void {
    this.clearTimer();
    this.tlsFailures = 0;
    this.setState(State.Online);
    this.stats.connects++;
    this.log.info("MQTT connected to", this.settings.host);
    this.#timer = this.platform.timers.set(this.#onTimer, STABLE_MS);
    for (let i = 0; i < this.#subscriptions.length; i++) this.sendSubscribe(this.#subscriptions[i]);
    if (this.#guard) this.sendMarker(this.#guard.restart());
    this.listener.onOnline();
  }

  private sendMarker(payload: string): void {
    const guard = this.#guard!;
    this.publish(guard.topic, payload, false);
    if (this.#markerTimer !== undefined) this.platform.timers.clear(this.#markerTimer);
    this.#markerTimer = this.platform.timers.set(() => {
      this.#markerTimer = undefined;
      if (this.#state === State.Online && !guard.markerBack) this.sendMarker(guard.marker());
    }, MARKER_RETRY_MS);
  }

  private message(topic: string, data: ArrayBuffer): void {
    this.stats.messagesIn++;
    const guard = this.#guard;
    if (guard && topic === guard.topic) {
      if (guard.markerBack) return;
      guard.markerArrived(data);
      if (!guard.markerBack) return;
      // the retry timer becomes the settle timer
      if (this.#markerTimer !== undefined) this.platform.timers.clear(this.#markerTimer);
      this.#markerTimer = this.platform.timers.set(() => { this.#markerTimer = undefined; guard.settled(); }, SETTLE_MS);
      return;
    }
    this.listener.onMessage(topic, data, guard !== undefined && !guard.live);
  }

  /** The SDK closed the instance itself (refused, broken, keep-alive timeout: it does not say). */
  private closed(): void {
    this.#client = undefined;
    const wasOnline = this.#state === State.Online;
    if (wasOnline) this.stats.disconnects++;
    this.log.warn(wasOnline ? "MQTT connection lost:" : "MQTT connect failed:", this.settings.host);
    // the whole explanation once, then a count: it repeats with every backoff step
    if (!wasOnline && this.settings.tls && this.tlsFailures++ === 0) this.log.warn("MQTT TLS: " + TLS_FAILED);
    this.retry();
    if (wasOnline) this.listener.onOffline();
  }

  private timerFired(): void {
    this.#timer = undefined; // a fired one-shot must not be cleared again
    switch (this.#state) {
      case State.Waiting:
        this.connect();
        return;
      case State.Connecting:
        this.stats.connectTimeouts++;
        this.log.warn("MQTT connect timed out:", this.settings.host);
        this.closeClient(true);
        this.retry();
        return;
      case State.Online:
        this.#failures = 0;
        return;
    }
  }

  private retry(): void {
    this.clearTimer();
    this.setState(State.Waiting);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#failures);
    if (ceiling < BACKOFF_MAX_MS) this.#failures++;
    // half fixed, half random: clients that lost the broker together do not return together
    const random = this.platform.random ?? Math.random;
    this.#timer = this.platform.timers.set(this.#onTimer, ceiling / 2 + random() * ceiling / 2);
  }

  /** Ends whatever is under way; tells the listener if we were online. */
  private drop(immediate: boolean): void {
    this.clearTimer();
    const wasOnline = this.#state === State.Online;
    this.closeClient(immediate);
    this.setState(State.Idle);
    if (!wasOnline) return;
    try { this.listener.onOffline(); } catch (error) { this.log.error("MQTT onOffline:", error); }
  }

  private closeClient(immediate: boolean): void {
    const client = this.#client;
    this.#client = undefined;
    try {
      client?.close(immediate);
    } catch (error) {
      this.log.debug("MQTT close:", error);
    }
  }

  private sendSubscribe(topic: string): void {
    try {
      this.#client?.subscribe(topic);
    } catch (error) {
      this.log.warn("MQTT subscribe failed:", error);
    }
  }

  private clearTimer(): void {
    if (this.#timer === undefined) return;
    this.platform.timers.clear(this.#timer);
    this.#timer = undefined;
  }
}
