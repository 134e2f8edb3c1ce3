// Double of the ECMA-419 `System` global that $(MODDABLE)/modules/io/manifest.json installs:
// System.restart() reboots the ESP32 at once. Here it posts "system.restart": the host applies what
// the firmware posted before it, drops what follows, and boots the firmware again (flash kept).
import { post } from "./runtime";

const System = Object.freeze({
  restart(): void { post("system.restart"); },
});

Object.defineProperty(globalThis, "System", { value: System, writable: false, enumerable: false, configurable: false });

export default System;
