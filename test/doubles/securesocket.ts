// Double of "securesocket": only its presence matters to the mqtt double (TLS requested).
export default class SecureSocket {}
