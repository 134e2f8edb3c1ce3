// Shared by the bank's tests: a member pack made from real frames, and the bank's reading as the
// bridge would publish it.
import type { Bank } from "../../modules/bridge/bank";
import { JsonWriter } from "../../modules/protocol/json";
import { FakeBms, SP04S034, type Pack } from "./fake-bms";
import { nodeClock } from "./helpers";

export function bankMember(id: string, frames: Pack = SP04S034, online = true): FakeBms {
  const bms = new FakeBms(id, "Battery " + id, undefined, nodeClock).load(frames);
  bms.online = online;
  return bms;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function bankFigures(bank: Bank): any {
  const w = new JsonWriter();
  bank.write(w);
  return JSON.parse(w.text);
}
