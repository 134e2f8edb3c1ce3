// MQTT topic names. Built once per gateway and per BMS, so publishing and matching incoming
// messages are plain string compares with no concatenation per message.

export const ONLINE = "online";
export const OFFLINE = "offline";
/** A BMS's availability while its link is released to another central (the JBD app). */
export const RELEASED = "released";

/** Topics of the gateway itself. */
export class GatewayTopics {
  /** "online" / "offline", retained; "offline" is the broker's will. */
  readonly availability: string;
  /** MQTT statistics and uptime, periodically. */
  readonly diag: string;
  /** Commands this gateway cannot place (unknown BMS): another gateway may own that BMS, so the
   *  answer goes here rather than on that BMS's result topic. */
  readonly error: string;
  /** Console command lines in, answers out. */
  readonly console: string;
  readonly consoleOut: string;
  /** The marker that tells retained and replayed messages from live ones (replay-guard). */
  readonly sync: string;
  /** One subscription for every MOS command, known BMS or not, so unknown ones can be answered. */
  readonly commands: string;
  /** The same for link releases. */
  readonly releaseCommands: string;
  /** The same for maintenance functions. */
  readonly maintenanceCommands: string;
  /** The bank of packs (the `bank` setting): its reading (retained) and availability (not retained). */
  readonly bankState: string;
  readonly bankAvailability: string;

  constructor(readonly prefix: string, readonly id: string) {
    const base = prefix + "/" + id;
    this.availability = base + "/availability";
    this.diag = base + "/diag";
    this.error = base + "/error";
    this.console = base + "/console";
    this.consoleOut = base + "/console/out";
    this.sync = base + "/sync";
    this.commands = prefix + "/+/mos/+/set";
    this.releaseCommands = prefix + "/+/release/set";
    this.maintenanceCommands = prefix + "/+/maintenance/set";
    this.bankState = base + "/bank/state";
    this.bankAvailability = base + "/bank/availability";
  }
}

/** Topics of one BMS, under its id (configured name or MAC). */
export class BmsTopics {
  readonly availability: string;
  readonly state: string;
  readonly info: string;
  readonly diag: string;
  readonly chargeSet: string;
  readonly dischargeSet: string;
  readonly result: string;
  /** Minutes to release the link for (or "off"). */
  readonly releaseSet: string;
  /** A maintenance function to run (capacity, protection, counters). */
  readonly maintenanceSet: string;
  /** The pack's settings (retained; also the backup document); requests under it: /read, /set, /restore. */
  readonly settings: string;

  constructor(prefix: string, readonly id: string) {
    const base = prefix + "/" + id;
    this.availability = base + "/availability";
    this.state = base + "/state";
    this.info = base + "/info";
    this.diag = base + "/diag";
    this.chargeSet = base + "/mos/charge/set";
    this.dischargeSet = base + "/mos/discharge/set";
    this.result = base + "/mos/result";
    this.releaseSet = base + "/release/set";
    this.maintenanceSet = base + "/maintenance/set";
    this.settings = base + "/settings";
  }

  /** What came of a release command: made when one comes (rare), not kept. */
  releaseResult(): string { return this.releaseSet.slice(0, -3) + "result"; }

  /** What came of a maintenance request: made when one comes (rare), not kept. */
  maintenanceResult(): string { return this.maintenanceSet.slice(0, -3) + "result"; }
}

/** "<prefix>/<id>/mos/<fet>/set" taken apart; `fet` is whatever the sender wrote there. */
export interface CommandTopic {
  readonly id: string;
  readonly fet: string;
}

/**
 * Splits a command topic that matched no known BMS, to say what was wrong. Only for that rare
 * path: known topics are matched by comparing with the prebuilt strings.
 */
export function parseCommandTopic(prefix: string, topic: string): CommandTopic | undefined {
  const start = prefix.length + 1;
  if (topic.length <= start || !topic.startsWith(prefix) || topic.charCodeAt(prefix.length) !== 0x2f) return undefined;
  const idEnd = topic.indexOf("/", start);
  if (idEnd <= start || !topic.startsWith("/mos/", idEnd)) return undefined;
  const fetStart = idEnd + 5;
  const fetEnd = topic.indexOf("/", fetStart);
  if (fetEnd <= fetStart || topic.length !== fetEnd + 4 || !topic.endsWith("/set")) return undefined;
  return { id: topic.slice(start, idEnd), fet: topic.slice(fetStart, fetEnd) };
}
