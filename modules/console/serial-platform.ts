// The only console file that touches the platform: opens UART0 with "embedded:io/serial".
// Needs $(MODDABLE)/modules/io/manifest.json in the build (manifest.json includes it).
import Serial from "embedded:io/serial";
import type { Console } from "./console";
import { SerialConsole, UART0_ESP32, type SerialPortOptions } from "./serial-console";

export function openSerialConsole(console: Console, options: Partial<SerialPortOptions> = UART0_ESP32): SerialConsole {
  return new SerialConsole(Serial, console, options);
}
