// Double of the Moddable "net" module on ESP32 (modules/network/net/esp/modNet.c). Net.get() needs
// a network interface: before Wi-Fi is initialised (wifi.ts: connect, mode, scan) there is none,
// and every property, "MAC" included, is undefined. "MAC" is upper-case hex with colons
// (twoHex() in modNet.c); "IP", "SSID" and "RSSI" exist only while the station is connected.
import { hostCall } from "./runtime";
import { stationUp } from "./wifi";

const Net = {
  get(property: string, _interface?: string): string | number | undefined {
    if (!stationUp()) return undefined;
    return hostCall<string | number | undefined>("net.get", String(property)) ?? undefined;
  },
};
export default Net;
