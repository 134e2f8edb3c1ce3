// One device's Home Assistant discovery, one message per pump turn. With `migrate` (the per-entity
// discovery of earlier versions may still be retained at the broker) it follows HA's procedure for
// moving to device-based discovery: first {"migrate_discovery":true} on every old per-entity
// topic (HA lets go of the config and keeps the entity, its id and history), then the device's
// parts (the same unique_ids take the entities over), then the old topics cleared. Without it,
// only the parts. A device that is gone sends its parts empty (HA removes every entity in them).
import type { JsonWriter } from "../protocol/json";

export interface PassPlan {
  readonly parts: number;
  partTopic(index: number): string;
  /** The part's payload, "" when it has no entity (which removes what it had), undefined: nothing to send. */
  partPayload(w: JsonWriter, index: number): ArrayBuffer | string | undefined;
  readonly oldTopics: number;
  oldTopic(index: number): string;
}

export const MIGRATE_PAYLOAD = "{\"migrate_discovery\":true}";

const enum Phase { Migrate, Parts, Clear, Done }

/** pump.send(): > 0 sent (or skipped for good), < 0 refused for now. */
export type Send = (topic: string, payload: string | ArrayBuffer) => number;

export class DiscoveryPass {
  #phase: Phase;
  #index = 0;

  constructor(private readonly plan: PassPlan, private readonly migrate: boolean, private readonly clearOld = migrate) {
    this.#phase = migrate ? Phase.Migrate : Phase.Parts;
  }

  get done(): boolean { return this.#phase === Phase.Done; }

  /** Sends the next message; its result as pump.send gives it. */
  step(w: JsonWriter, send: Send): number {
    const plan = this.plan;
    for (;;) {
      switch (this.#phase) {
        case Phase.Migrate:
          if (this.#index < plan.oldTopics) return this.sent(send(plan.oldTopic(this.#index), MIGRATE_PAYLOAD));
          this.next(Phase.Parts);
          continue;
        case Phase.Parts:
          if (this.#index < plan.parts) {
            const payload = plan.partPayload(w, this.#index);
            if (payload === undefined) { this.#index++; continue; }
            return this.sent(send(plan.partTopic(this.#index), payload));
          }
          this.next(this.clearOld ? Phase.Clear : Phase.Done);
          continue;
        case Phase.Clear:
          if (this.#index < plan.oldTopics) return this.sent(send(plan.oldTopic(this.#index), ""));
          this.next(Phase.Done);
          continue;
        case Phase.Done:
          return 1;
      }
    }
  }

  private next(phase: Phase): void {
    this.#phase = phase;
    this.#index = 0;
  }

  private sent(result: number): number {
    if (result > 0) this.#index++;
    return result;
  }
}
