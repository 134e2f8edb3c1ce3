// Every platform module's API as the doubles export it: what the measuring image zones
// (xs-zones) and what refuses to run while the preload loads (preload-heap).
import BLEClient, { Characteristic, Client, Descriptor, Service } from "../doubles/bleclient";
import MQTT from "../doubles/mqtt";
import Timer from "../doubles/timer";
import Serial from "../doubles/serial";
import WiFi from "../doubles/wifi";
import SNTP from "../doubles/sntp";
import Preference from "../doubles/preference";
import Net from "../doubles/net";
import Instrumentation from "../doubles/instrumentation";
import Debug from "../doubles/debug";
import Time from "../doubles/time";
import SecureSocket from "../doubles/securesocket";
import { Advertisement, Bytes } from "../doubles/btutils";
import SM from "../doubles/sm";

export const DOUBLE_APIS: readonly object[] = [BLEClient, Characteristic, Client, Descriptor, Service, MQTT, Timer, Serial,
  WiFi, SNTP, Preference, Net, Instrumentation, Debug, Time, SecureSocket, Advertisement, Bytes, SM];
