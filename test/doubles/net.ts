// Double of the Moddable "net" module: Net.get() answers from the host's simulated station.
import { hostCall } from "./runtime";

const Net = {
  get(property: string, _interface?: string): string | number | undefined {
    return hostCall<string | number | undefined>("net.get", property) ?? undefined;
  },
};
export default Net;
