// A preloaded module's top level as ble-central.ts had it: a service UUID made at load time.
import { uuid } from "btutils";

export const SERVICE = uuid`FF00`;
(globalThis as { __service?: unknown }).__service = SERVICE;
