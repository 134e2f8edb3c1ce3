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

export class LwipSendBuffer {
  free = TCP_SND_BUF;
  /** kPendingError / kPendingDisconnect set: writes are dropped without a word. */
  failed = false;
  /** Bytes dropped because the socket had failed (for tests). */
  dropped = 0;

  /** True when the bytes were queued, false when silently dropped; throws when they do not fit. */
  write(bytes: number): boolean {
    if (this.failed) { this.dropped += bytes; return false; }
    if (bytes > this.free) throw new Error("can't write all data");
    this.free -= bytes;
    return true;
  }

  acked(bytes: number): void {
    this.free = Math.min(TCP_SND_BUF, this.free + bytes);
  }
}
