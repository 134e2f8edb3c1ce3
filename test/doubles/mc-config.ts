// Double of "mc/config": the build's config, as the host's virtual device was "built" with.
// As with mcconfig, values given on the command line arrive as strings.
import { hostCall } from "./runtime";

const config = Object.freeze(hostCall<Record<string, unknown>>("config") ?? {});
export default config;
