// Double of "securesocket" (SDK 8.2.3 modules/crypt/securesocket): given as the mqtt module's
// Socket option it makes the connection TLS. What the firmware can feel of it is modelled where it
// writes: the mqtt double's socket (lwip-socket.ts: 128 bytes kept for the TLS record, a record
// header per write). The handshake and certificates are the host's side (test/virtual/mqtt-world.ts).
export default class SecureSocket {}
