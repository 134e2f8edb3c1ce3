// Our own declaration (not the SDK typings) of the Moddable "sntp" module, written from its
// observed behaviour: one request per instance, retried a few times, then reported.
declare module "sntp" {
  export interface SNTPOptions {
    /** NTP server name (resolved through DNS). */
    host: string;
  }
  /**
   * message SNTP.time: `value` is seconds since 1970. SNTP.retry: no answer yet, trying again.
   * SNTP.error: `value` is a message; returning another host name tries that one instead.
   */
  export type SNTPCallback = (message: number, value?: number | string) => string | void;

  export default class SNTP {
    constructor(options: SNTPOptions, callback: SNTPCallback);
    close(): void;
    static readonly time: 1;
    static readonly retry: 2;
    static readonly error: -1;
  }
}
