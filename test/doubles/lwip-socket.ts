// The part of an lwIP TCP socket (SDK 8.2.3 modules/network/socket/lwip/modSocket.c, xs_socket_write)
// that the mqtt module's callers can feel on an ESP32:
// - a send buffer of CONFIG_LWIP_TCP_SND_BUF_DEFAULT (8192 bytes in the SDK's esp32 sdkconfig.defaults);
//   a write that needs more than is free throws "can't write all data" and writes nothing;
// - space comes back only as the peer acknowledges (the host world says when: "acked");
// - once the socket has failed (lwIP's error or the peer's FIN is pending but not yet delivered to
//   JavaScript) every write returns silently and sends nothing.
// Not modelled: the ERR_MEM busy-wait when lwIP runs out of segments (TCP_SND_QUEUELEN), which
// only delays; writes from flash (the SDK copies them through a 128-byte buffer).

/** CONFIG_LWIP_TCP_SND_BUF_DEFAULT in build/devices/esp32/xsProj-esp32/sdkconfig.defaults. */
export const TCP_SND_BUF = 8192;

/** SecureSocket (modsecuresocket.c xs_securesocket_write) keeps this much free for the TLS record. */
export const TLS_RESERVE = 128;
/** What one TLS 1.2 AES-128-GCM record adds on the wire: header 5, explicit nonce 8, tag 16. */
export const TLS_RECORD_OVERHEAD = 29;

export class LwipSendBuffer {
  free = TCP_SND_BUF;
  /** kPendingError / kPendingDisconnect set: writes are dropped without a word. */
  failed = false;
  /** Bytes dropped because the socket had failed (for tests). */
  dropped = 0;

  /** TLS: the payload bytes of each record not yet acknowledged, in order (its overhead goes with it). */
  readonly #records: number[] = [];
  /** Bytes acknowledged of the first records not yet whole. */
  #ackedOfRecords = 0;

  /** `tls`: written through SecureSocket, which refuses what does not fit in free - 128 and adds a record header. */
  constructor(private readonly tls = false) {}

  /** True when the bytes were queued, false when silently dropped; throws when they do not fit. */
  write(bytes: number): boolean {
    if (this.failed) { this.dropped += bytes; return false; }
    const available = this.tls ? Math.max(0, this.free - TLS_RESERVE) : this.free;
    if (bytes > available) throw new Error("can't write all data");
    this.free -= this.tls ? bytes + TLS_RECORD_OVERHEAD : bytes;
    if (this.tls) this.#records.push(bytes);
    return true;
  }

  /**
   * The peer acknowledged `bytes` of what was written (the host world counts the MQTT packets, whole
   * and in order). Through TLS each record's header and tag were on the wire too, and come back with it.
   */
  acked(bytes: number): void {
    let freed = bytes;
    if (this.tls) {
      this.#ackedOfRecords += bytes;
      while (this.#records.length && this.#ackedOfRecords >= this.#records[0]) {
        this.#ackedOfRecords -= this.#records.shift()!;
        freed += TLS_RECORD_OVERHEAD;
      }
    }
    this.free = Math.min(TCP_SND_BUF, this.free + freed);
  }
}
