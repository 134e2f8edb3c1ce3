// The measuring image: the same as xs-entry, with main run on request (globalThis.startMain), so the
// host can measure the heap between the preloaded image (flash on a device) and what main creates
// (RAM). Its twin xs-entry-zoned also charges the compute meter by zone (firmware or doubles); the
// zones' wrappers allocate, so heap figures come from this one.
import "./xs-image";
import { post, errorText } from "../doubles/runtime";

(globalThis as { startMain?: () => void }).startMain = () => {
  // main throwing aborts a device at boot: reported as fatal, like an exception in any event
  import("../../main").catch((error: unknown) => post("fatal", "main", errorText(error)));
};
