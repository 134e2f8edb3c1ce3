// What a publish costs in the ESP32's TCP send buffer. The SDK's mqtt module writes each packet
// whole to an lwIP socket whose send buffer is CONFIG_LWIP_TCP_SND_BUF_DEFAULT = 8192 bytes (the
// SDK's esp32 sdkconfig.defaults); a packet that does not fit in what is free throws
// "can't write all data" and nothing is sent. Space comes back only as the broker acknowledges.
import { utf8Length } from "../config/schema";

export const SEND_BUFFER = 8192;
/** The largest packet that can ever be written: SecureSocket (TLS) refuses one that does not fit
 *  in what is free minus 128 bytes it keeps for the TLS record (modsecuresocket.c). */
export const MAX_PACKET = SEND_BUFFER - 128;

/** Bytes of the QoS 0 PUBLISH packet mqtt.js builds: type, remaining length, topic length + topic, payload. */
export function publishBytes(topic: string, payload: string | ArrayBuffer): number {
  return packetBytes(utf8Length(topic), typeof payload === "string" ? utf8Length(payload) : payload.byteLength);
}

/** The same, from the topic's and the payload's UTF-8 lengths (a caller that keeps them). */
export function packetBytes(topicBytes: number, payloadBytes: number): number {
  const remaining = 2 + topicBytes + payloadBytes;
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4) + remaining;
}
