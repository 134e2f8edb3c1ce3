// The RAM bench: the whole firmware on the XS engine with N simulated BMS, a real broker (aedes)
// and Home Assistant discovery on, measured from inside the engine.
//
// What a device build keeps in RAM is measured as the heap beyond the preloaded image: the
// measuring image (xs-entry-staged) stops before main, the host takes a heap snapshot (xsnap
// collects garbage, then writes every live slot and chunk: test/xs/heap-snapshot.ts) and that
// baseline holds what flash holds on a device (built-ins, code, the preloaded modules' objects).
// Everything later (main's objects, links, connections, buffers, the doubles' stand-ins for
// the SDK's own objects) is RAM. The compute meter is split by zone (test/doubles/meter-zone.ts),
// so the firmware's per-cycle work is counted without the doubles'.
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";
import { deviceChunkBytes, esp32ChunkBytes, heapDifference, readHeapSnapshot, type HeapFigures } from "../xs/heap-snapshot";

export interface RamFigures {
  bms: number;
  /** The preloaded image (flash on a device): slots and chunk bytes on this 64-bit engine. */
  image: { slots: number; chunkBytes: number };
  /** Live beyond the image after a collection, all BMS connected and read, MQTT up, discovery done. */
  steady: HeapFigures;
  /** Of steady.chunkBytes, what a device holds in RAM: all but bytecode (deviceChunkBytes). */
  steadyDeviceChunkBytes: number;
  /** The same sized for a 32-bit ESP32 (an estimate from the layout: esp32ChunkBytes). */
  steadyEsp32ChunkBytes: number;
  /** Across the broker's return (discovery, availability and state republished for every pack). */
  republish: {
    /** Highest live heap at any delivery boundary (collected), beyond the image; chunks without bytecode. */
    liveSlots: number; liveChunkBytes: number;
    /** Highest heap inside a delivery, garbage not yet collected (xsnap counts each slot allocated). */
    slotsWithinDelivery: number;
    /** Discovery configs and states the broker received in the window. */
    discoveryPublished: number; statesPublished: number;
  };
  perPollCycle: {
    cycles: number;
    /** The firmware's own compute units per cycle and BMS (zone meter, zone-switch overhead taken out). */
    firmwareCompute: number;
    /** The doubles' and the host bridge's compute units per cycle and BMS (not the firmware's). */
    doublesCompute: number;
    /** Slots allocated per cycle and BMS, firmware and doubles together (an upper bound on the firmware's). */
    slotsAllocated: number;
    /** Of those, the host bridge's (each delivery's JSON in and out, measured on an empty delivery): not the SDK's, not ours. */
    hostBridgeSlots: number;
    /**
     * The firmware's own, from a second window with the doubles' work in deliveries of its own
     * (test/doubles/apart.ts): the deliveries that run firmware (its notification callbacks, its
     * timers), less the host bridge's share. Still an upper bound: a timer delivery includes the
     * timer double's dispatch (and mqtt.js's keep-alive), a call into a double its synchronous part.
     */
    firmwareSlotsApart: number;
    /** The SDK doubles' in that window (notification objects, the host's copies of writes and publishes). */
    doublesSlotsApart: number;
  };
}

const STEADY_AFTER_MS = 90_000;
const CYCLE_WINDOW_MS = 300_000;
const APART_WINDOW_MS = 120_000;
const REPUBLISH_WINDOW_MS = 30_000;

export async function measureRam(bmsCount: number, seed = 1): Promise<RamFigures> {
  const heap = await heapRun(bmsCount, seed);
  const compute = await computeRun(bmsCount, seed);
  return { bms: bmsCount, ...heap, perPollCycle: { ...heap.perPollCycle, ...compute } };
}

interface Installation {
  broker: Broker; consumer: Consumer; transport: XsTransport; device: Scenario["device"]; ids: string[];
  states(): number; close(): Promise<void>;
}

/** A real broker, its consumer, and the firmware on the measuring image, up and read (90 s). */
async function install(bmsCount: number, seed: number, transport: XsTransport): Promise<Installation> {
  const broker = new Broker();
  await broker.start();
  const consumer = await Consumer.connect(broker.port);
  const scenario = createScenario({ clock: new VirtualClock(), transport, broker: { host: "127.0.0.1", port: broker.port }, bmsCount, seed });
  const device = scenario.device;
  // counted where the firmware publishes (virtual time), not where the broker delivers (real I/O,
  // which lags under load at the end of a window)
  let statesPublished = 0;
  device.mqtt.onPublish = (topic) => { if (topic.endsWith("/state")) statesPublished++; };
  const close = async () => { transport.afterDelivery = undefined; await device.close(); await consumer.close(); await broker.stop(); };
  try {
    await device.boot();
    await device.run(STEADY_AFTER_MS);
    if (scenario.ids.some((id) => !consumer.last(`jbd/${id}/state`))) throw new Error("not every BMS was read: " + device.serialOutput);
  } catch (error) { await close(); throw error; }
  // states published = completed poll cycles (one state per cycle and BMS)
  return { broker, consumer, transport, device, ids: scenario.ids, close, states: () => statesPublished };
}

/** Heap figures, on the staged image without zones (their wrappers would allocate). */
async function heapRun(bmsCount: number, seed: number): Promise<Omit<RamFigures, "bms" | "perPollCycle"> & { perPollCycle: Pick<RamFigures["perPollCycle"], "slotsAllocated" | "hostBridgeSlots" | "firmwareSlotsApart" | "doublesSlotsApart"> }> {
  let image: HeapFigures | undefined;
  const transport = new XsTransport(async (worker) => { image = readHeapSnapshot(await worker.snapshot()); });
  const { broker, consumer, device, states, close } = await install(bmsCount, seed, transport);
  try {
    const steady = heapDifference(image!, readHeapSnapshot(await transport.worker!.snapshot()));

    // Slots allocated per poll cycle: a collection before every delivery, xsnap's count after it.
    let slotsAllocated = 0, collected = 0, deliveries = 0;
    const perDelivery = await emptyDeliverySlots(transport, device.uptimeMs);
    transport.afterDelivery = async (kind, meter) => {
      if (kind === "host.gc") { collected = meter.currentHeapCount; return; }
      deliveries++;
      slotsAllocated += Math.max(0, meter.currentHeapCount - collected);
      await transport.liveSlots(device.uptimeMs); // collect, so the next delivery starts from live
    };
    await transport.liveSlots(device.uptimeMs);
    const statesBefore = states();
    await device.run(CYCLE_WINDOW_MS);
    transport.afterDelivery = undefined;
    const cycles = states() - statesBefore;

    // The same again with the doubles' work apart: whose allocations are whose.
    let firmwareApart = 0, doublesApart = 0;
    // a deferred callback's delivery costs the harness more than an empty one (its listener is called): measured, taken out
    const perFire = await emptyDeliverySlots(transport, device.uptimeMs, "host.fire");
    await transport.deliver(device.uptimeMs, "host.apart", [true]);
    transport.afterDelivery = async (kind, meter, ops) => {
      if (kind === "host.gc") { collected = meter.currentHeapCount; return; }
      const slots = Math.max(0, meter.currentHeapCount - collected - (kind === "host.fire" ? perFire : perDelivery));
      // a "timer" delivery is the firmware's when it ran a one-shot the firmware set (the timer double
      // says so); a double's own timer (mqtt.js's batch, keep-alive) hands the firmware's callbacks on to
      // a "host.fire" delivery of their own
      const firmware = kind === "host.fire" || (kind === "timer" && ops.some((op) => op[0] === "host.firmware"));
      if (firmware) firmwareApart += slots; else doublesApart += slots;
      await transport.liveSlots(device.uptimeMs);
    };
    await transport.liveSlots(device.uptimeMs);
    const statesApart = states();
    await device.run(APART_WINDOW_MS);
    transport.afterDelivery = undefined;
    await transport.deliver(device.uptimeMs, "host.apart", [false]);
    const cyclesApart = states() - statesApart;

    // Broker restart: the gateway reconnects and republishes everything.
    let liveSlots = 0, liveChunkBytes = 0, slotsWithinDelivery = 0;
    const seenBefore = consumer.messages.length;
    transport.afterDelivery = async (kind, meter) => {
      if (kind === "host.gc") return;
      slotsWithinDelivery = Math.max(slotsWithinDelivery, meter.currentHeapCount - image!.slots);
      const live = heapDifference(image!, readHeapSnapshot(await transport.worker!.snapshot()));
      liveSlots = Math.max(liveSlots, live.slots);
      liveChunkBytes = Math.max(liveChunkBytes, deviceChunkBytes(live));
    };
    await broker.stop();
    await broker.start();
    await device.run(REPUBLISH_WINDOW_MS);
    transport.afterDelivery = undefined;
    const window = consumer.messages.slice(seenBefore);
    return {
      image: { slots: image!.slots, chunkBytes: image!.chunkBytes },
      steady,
      steadyDeviceChunkBytes: deviceChunkBytes(steady),
      steadyEsp32ChunkBytes: esp32ChunkBytes(steady),
      republish: {
        liveSlots, liveChunkBytes, slotsWithinDelivery,
        discoveryPublished: window.filter((m) => m.topic.startsWith("homeassistant/") && m.text !== "").length,
        statesPublished: window.filter((m) => m.topic.endsWith("/state")).length,
      },
      perPollCycle: {
        slotsAllocated: cycles ? Math.round(slotsAllocated / cycles) : 0,
        hostBridgeSlots: cycles ? Math.round(deliveries * perDelivery / cycles) : 0,
        firmwareSlotsApart: cyclesApart ? Math.round(firmwareApart / cyclesApart) : 0,
        doublesSlotsApart: cyclesApart ? Math.round(doublesApart / cyclesApart) : 0,
      },
    };
  } finally {
    await close();
  }
}

/** Compute per poll cycle, on the zoned image: the firmware's units apart from the doubles'. */
async function computeRun(bmsCount: number, seed: number): Promise<Pick<RamFigures["perPollCycle"], "cycles" | "firmwareCompute" | "doublesCompute">> {
  const transport = new XsTransport(undefined, true);
  const { device, states, close } = await install(bmsCount, seed, transport);
  try {
    const zoneFigures = async () => {
      const ops = await transport.deliver(device.uptimeMs, "host.zones", []);
      return ops.find((op) => op[0] === "zones")![1] as { firmwareUnits: number; fires: number; calls: number };
    };
    const overhead = await zoneOverhead(transport, device.uptimeMs);
    const zoneBefore = await zoneFigures(), computeBefore = device.compute, statesBefore = states();
    await device.run(CYCLE_WINDOW_MS);
    const zoneAfter = await zoneFigures();
    const cycles = states() - statesBefore;
    const firmware = zoneAfter.firmwareUnits - zoneBefore.firmwareUnits - (zoneAfter.fires - zoneBefore.fires) * overhead.perFire -
      (zoneAfter.calls - zoneBefore.calls) * overhead.perCall;
    const total = device.compute - computeBefore;
    return {
      cycles,
      firmwareCompute: cycles ? Math.round(firmware / cycles) : 0,
      doublesCompute: cycles ? Math.round((total - firmware) / cycles) : 0,
    };
  } finally {
    await close();
  }
}

/** Compute units the zone bookkeeping charges to the firmware per fire() and per zoned call it makes. */
async function zoneOverhead(transport: XsTransport, time: number): Promise<{ perFire: number; perCall: number }> {
  const ops = await transport.deliver(time, "host.zoneOverhead", [1000]);
  return ops.find((op) => op[0] === "zoneOverhead")![1] as { perFire: number; perCall: number };
}

/** Slots one delivery that nothing listens to allocates: the host bridge's JSON in and out (xs-setup). */
async function emptyDeliverySlots(transport: XsTransport, time: number, kind = "host.nothing"): Promise<number> {
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const live = await transport.liveSlots(time);
    await transport.deliver(time, kind, []);
    total += transport.meter!.currentHeapCount - live;
  }
  return total / 5;
}
