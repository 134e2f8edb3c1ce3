// The measuring image: the same as xs-entry, with main run on request (globalThis.startMain), so the
// host can measure the heap between the preloaded image (flash on a device) and what main creates
// (RAM), and with the compute meter charged by zone (firmware or doubles, xs-zones).
import "./xs-image";
import "./xs-zones";
import { post, errorText } from "../doubles/runtime";

(globalThis as { startMain?: () => void }).startMain = () => {
  // main throwing aborts a device at boot: reported as fatal, like an exception in any event
  import("../../main").catch((error: unknown) => post("fatal", "main", errorText(error)));
};
