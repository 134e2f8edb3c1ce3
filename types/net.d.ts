// Our own declarations for the Moddable SDK 8.2.3 "net" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §c). Values are undefined while not connected.

declare module "net" {
  export type NetStringProperty = "IP" | "MAC" | "SSID" | "BSSID" | "DNS";
  export type NetNumberProperty = "RSSI" | "CHANNEL";
  const Net: {
    /** "MAC" is "aa:bb:cc:dd:ee:ff"; "IP" a dotted quad. */
    get(property: NetStringProperty, interfaceName?: string): string | undefined;
    get(property: NetNumberProperty, interfaceName?: string): number | undefined;
  };
  export default Net;
}
