// Our own declarations (not the SDK typings) for the Moddable SDK 8.2.3 "gap" constants module,
// written from observed runtime behaviour (/work/shared/moddable-platform.md §a). Deeply frozen at runtime.

declare module "gap" {
  interface Interval { readonly min: number; readonly max: number }
  const GAP: {
    readonly SCAN_FAST_INTERVAL: number;
    readonly SCAN_FAST_WINDOW: number;
    readonly SCAN_SLOW_INTERVAL1: number;
    readonly SCAN_SLOW_WINDOW1: number;
    readonly SCAN_SLOW_INTERVAL2: number;
    readonly SCAN_SLOW_WINDOW2: number;
    readonly ADV_FAST_INTERVAL1: Interval;
    readonly ADV_FAST_INTERVAL2: Interval;
    readonly ADV_SLOW_INTERVAL: Interval;
    readonly MAX_AD_LENGTH: 31;
    readonly ADType: {
      readonly FLAGS: 0x01;
      readonly INCOMPLETE_UUID16_LIST: 0x02;
      readonly COMPLETE_UUID16_LIST: 0x03;
      readonly INCOMPLETE_UUID128_LIST: 0x06;
      readonly COMPLETE_UUID128_LIST: 0x07;
      readonly SHORTENED_LOCAL_NAME: 0x08;
      readonly COMPLETE_LOCAL_NAME: 0x09;
      readonly TX_POWER_LEVEL: 0x0a;
      readonly SLAVE_CONNECTION_INTERVAL_RANGE: 0x12;
      readonly SOLICITATION_UUID16_LIST: 0x14;
      readonly SOLICITATION_UUID128_LIST: 0x15;
      readonly SERVICE_DATA_UUID16: 0x16;
      readonly PUBLIC_TARGET_ADDRESS: 0x17;
      readonly RANDOM_TARGET_ADDRESS: 0x18;
      readonly APPEARANCE: 0x19;
      readonly ADVERTISING_INTERVAL: 0x1a;
      readonly LE_BLUETOOTH_DEVICE_ADDRESS: 0x1b;
      readonly LE_ROLE: 0x1c;
      readonly SERVICE_DATA_UUID128: 0x21;
      readonly URI: 0x24;
      readonly MANUFACTURER_SPECIFIC_DATA: 0xff;
    };
    readonly ADFlag: {
      readonly LE_LIMITED_DISCOVERABLE_MODE: 0x01;
      readonly LE_GENERAL_DISCOVERABLE_MODE: 0x02;
      readonly NO_BR_EDR: 0x04;
      readonly LE_BR_EDR_CONTROLLER: 0x08;
      readonly LE_BR_EDR_HOST: 0x10;
    };
    readonly AddressType: {
      readonly PUBLIC: 0;
      readonly RANDOM: 1;
      readonly RPA_PUBLIC: 2;
      readonly RPA_RANDOM: 3;
    };
    readonly ScanFilterPolicy: {
      readonly NONE: 0;
      readonly WHITELIST: 1;
      readonly NOT_RESOLVED_DIRECTED: 2;
      readonly WHITELIST_NOT_RESOLVED_DIRECTED: 3;
    };
    readonly AdvFilterPolicy: {
      readonly NONE: 0;
      readonly WHITELIST_SCANS: 1;
      readonly WHITELIST_CONNECTIONS: 2;
      readonly WHITELIST_SCANS_CONNECTIONS: 3;
    };
  };
  export default GAP;
}
