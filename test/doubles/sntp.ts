// Double of the Moddable "sntp" module: modules/network/sntp/sntp.js over a UDP socket. The DNS
// server, the NTP servers and the network are on the host. Kept from sntp.js:
// - a 5 s repeating timer from construction: each tick counts a try down (5 per host), sends the
//   request again and calls back SNTP.retry; when the tries run out, SNTP.error
//   "no response from SNTP server";
// - each host is resolved first: failure is SNTP.error "cannot resolve <host>"; a resolution that
//   completes after close() is ignored;
// - on SNTP.error, a host name returned by the callback starts over with that host on the same
//   socket (timer rescheduled); anything else makes it close() itself;
// - on a reply it closes itself (from inside the socket's read callback), then calls back
//   SNTP.time with seconds since 1970;
// - close() and the other internal steps go through `this`, so a subclass sees them.
// Kept from the Linux simulator's socket (modules/network/socket/lin/modSocket.c), the strictest
// of the platforms: a UDP socket gets a "connected" message one service tick (20 ms, then 1 ms to
// deliver) after it is made; a datagram is posted as a message on one tick and read on delivery.
// The socket is freed on close(); a message still queued for it then runs on freed memory and
// mcsim crashes: reported as fatal. That includes a close inside the socket's own read callback:
// the datagram stays in the kernel until its message is delivered, so a JS turn longer than one
// 20 ms tick (the gateway publishing, say) lets the next tick post a second readable message for
// the same datagram, which then runs on the freed socket. close() on a closed socket throws
// "close on closed socket".
import { fire } from "./meter-zone";
import { on, post } from "./runtime";
import Timer, { type TimerId } from "./timer";

type Callback = (message: number, value?: number | string) => string | void;
const sockets = new Map<number, SNTP>();
let nextId = 1;

export default class SNTP {
  static readonly time = 1;
  static readonly retry = 2;
  static readonly error = -1;
  readonly #id = nextId++;
  #callback: Callback;
  #retry = 0;
  #timer: TimerId | undefined;
  #address: string | undefined;
  /** The socket's host data is gone (closed). */
  #freed = false;
  /** Messages the socket layer has posted for this socket and not yet delivered. */
  #queued = 0;
  /** Inside the socket's read callback. */
  #reading = false;

  constructor(options: { host: string }, callback: Callback) {
    // new Socket({kind: "UDP"})
    sockets.set(this.#id, this);
    this.#queued++; // its "connected" message
    post("udp.open", this.#id);
    this.#callback = callback;
    this.#timer = Timer.repeat(() => {
      if (!--this.#retry) { this.failed("no response from SNTP server"); return; }
      this.write();
      fire(this.#callback, this, SNTP.retry);
    }, 5000);
    this.start(options.host);
  }

  start(host: string): void {
    this.#retry = 5;
    post("sntp.resolve", this.#id, String(host));
  }

  failed(message: string): void {
    const host = fire(this.#callback, this, SNTP.error, message);
    if (host) {
      Timer.schedule(this.#timer!, 5000, 5000);
      this.start(host);
    } else {
      this.close();
    }
  }

  write(): void {
    if (!this.#address) return;
    if (this.#freed) return; // sntp.js catches "write on closed socket" and traces it
    post("sntp.write", this.#id, this.#address);
  }

  close(): void {
    Timer.clear(this.#timer);
    this.#timer = undefined;
    // Socket.prototype.close (lin: xs_socket_close)
    if (this.#freed) throw new Error("close on closed socket");
    this.#freed = true;
    sockets.delete(this.#id);
    if (this.#queued > 0) {
      post("fatal", "sntp", `use after free: UDP socket closed with ${this.#queued} message(s) still queued for it ` +
        "(modules/network/socket/lin/modSocket.c: socketConnected / socketReadable run on the freed record; mcsim crashes)");
    } else if (this.#reading) {
      post("fatal", "sntp", "use after free: UDP socket closed inside its own read callback (modules/network/socket/lin/modSocket.c: " +
        "the next service tick posts the unread datagram again and socketReadable runs on the freed record; mcsim crashes)");
    }
    post("udp.close", this.#id);
  }

  /** The socket's callback (Socket.connected 1, Socket.readable 2); sntp.js only handles readable. */
  callback(message: number, value?: number): void {
    if (message !== 2) return;
    if (value !== 48) { this.failed("unexpected SNTP packet length"); return; }
    this.close();
    fire(this.#callback, this, SNTP.time, this.#seconds);
  }

  #seconds = 0;

  static {
    on("udp.connected", (id: number) => {
      const socket = sockets.get(id);
      if (!socket) return; // freed: the fatal was reported at close()
      socket.#queued--;
      socket.callback(1);
    });
    // the service tick saw a datagram and posted its message
    on("udp.posted", (id: number) => {
      const socket = sockets.get(id);
      if (socket) socket.#queued++;
    });
    on("udp.readable", (id: number, seconds: number, length = 48) => {
      const socket = sockets.get(id);
      if (!socket) return;
      socket.#queued--;
      socket.#seconds = seconds;
      socket.#reading = true;
      try { socket.callback(2, length); } finally { socket.#reading = false; }
    });
    on("sntp.resolved", (id: number, host: string, address: string | null) => {
      const socket = sockets.get(id);
      if (!socket || !socket.#timer) return; // resolution completed after SNTP closed
      if (address) {
        socket.#address = address;
        socket.write();
        Timer.schedule(socket.#timer, 5000, 5000);
      } else {
        socket.failed("cannot resolve " + host);
      }
    });
  }
}
