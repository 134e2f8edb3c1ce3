// The common start of the XS end-to-end tests: one BMS, the firmware in XS against a broker on
// 127.0.0.1, booted and run until it is up (15 s of virtual time), and the gateway's name.
import { VirtualClock } from "../sim/clock";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

export async function bootGatewayOnXs(brokerPort: number, seed: number, config?: Record<string, string>): Promise<{ scenario: Scenario; gateway: string }> {
  const scenario = createScenario({ clock: new VirtualClock(), transport: new XsTransport(), broker: { host: "127.0.0.1", port: brokerPort }, seed, config });
  await scenario.device.boot();
  await scenario.device.run(15_000);
  const gateway = / I gateway (\S+)/.exec(scenario.device.serialOutput)![1];
  return { scenario, gateway };
}
