// What a gateway leaves behind at the broker when its topics move (another topic prefix, gateway
// name or discovery prefix, or discovery switched off): retained messages under the old names that
// nothing would ever update again. Each is cleared with an empty retained message, which deletes it
// at the broker; an empty discovery config also removes the entity from Home Assistant.
// A change of broker (host, port, TLS) clears nothing: the old broker keeps the gateway's last
// words ("offline" on its availability), and whether it is even another broker we cannot know.
import type { BridgeSettings, BrokerSettings } from "./bridge";

export interface RetirePlan {
  /** <prefix>/<gateway>/availability and /diag. */
  readonly gateway: boolean;
  /** <prefix>/<bms>/availability, /state, /info and /diag of every BMS. */
  readonly bms: boolean;
  /** The gateway device's discovery configs. */
  readonly gatewayDiscovery: boolean;
  /** Every discovery config a BMS could have had (any shape, any MOS setting). */
  readonly bmsDiscovery: boolean;
  /** The bank's reading (<prefix>/<gateway>/bank/state): the bank is gone, or its topics moved. */
  readonly bank?: boolean;
  /** The bank device's discovery config. */
  readonly bankDiscovery?: boolean;
}

export function retirePlan(old: BridgeSettings, oldBroker: BrokerSettings, next: BridgeSettings, nextBroker: BrokerSettings): RetirePlan | undefined {
  const bankGone = !!old.bank && !next.bank;
  if (old.prefix === next.prefix && old.gatewayId === next.gatewayId && old.discoveryPrefix === next.discoveryPrefix && (next.discovery || !old.discovery) && !bankGone) return undefined;
  if (oldBroker.host !== nextBroker.host || oldBroker.port !== nextBroker.port || oldBroker.tls !== nextBroker.tls) return undefined;
  const discoveryGone = old.discovery && (!next.discovery || old.discoveryPrefix !== next.discoveryPrefix);
  const gateway = old.prefix !== next.prefix || old.gatewayId !== next.gatewayId;
  const gatewayDiscovery = discoveryGone || (old.discovery && old.gatewayId !== next.gatewayId);
  return {
    gateway, bms: old.prefix !== next.prefix, gatewayDiscovery, bmsDiscovery: discoveryGone,
    bank: !!old.bank && (bankGone || gateway), bankDiscovery: !!old.bank && old.discovery && (bankGone || gatewayDiscovery),
  };
}

/** A run of topics to clear: how many, and the one at an index (made on demand, not kept). */
export type TopicGroup = readonly [count: number, topic: (index: number) => string];

/** Walks the groups one topic at a time, so the pump can clear them turn by turn. */
export class Retirement {
  #group = 0;
  #index = 0;

  constructor(private readonly groups: readonly TopicGroup[]) {}

  /** The next topic to clear; undefined once all are done. */
  current(): string | undefined {
    while (this.#group < this.groups.length && this.#index >= this.groups[this.#group][0]) { this.#group++; this.#index = 0; }
    return this.#group < this.groups.length ? this.groups[this.#group][1](this.#index) : undefined;
  }

  advance(): void { this.#index++; }
}
