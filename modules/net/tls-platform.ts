// The SDK side of the broker CA: its own NVS domain (so `config reset` keeps it) and the build's
// resource certs/mqtt-ca.der, which mcconfig adds when the user has put the file there.
import Instrumentation from "instrumentation";
import Preference from "preference";
import Resource from "Resource";
import type { TrustPlatform } from "./tls-trust";

const DOMAIN = "jbd-tls";
const KEY = "ca";
/** Not ca<N>.der: those names belong to the SDK's index of public roots (ssl_cert.js findCert). */
const BUILT_IN = "mqtt-ca.der";

export const platformTrust: TrustPlatform = Object.freeze({
  readFlash: () => {
    const value = Preference.get(DOMAIN, KEY);
    return value instanceof ArrayBuffer ? value : undefined;
  },
  writeFlash: (der: ArrayBuffer) => Preference.set(DOMAIN, KEY, der),
  eraseFlash: () => Preference.delete(DOMAIN, KEY),
  // a Resource is a read-only host buffer in flash: the SDK's TLS takes it as a certificate as is
  builtIn: () => (Resource.exists(BUILT_IN) ? (new Resource(BUILT_IN) as unknown as ArrayBuffer) : undefined),
});

/** Free system memory where the build reports it (-d and -i device builds), else undefined. The
 *  lin simulator knows the name but always answers 0 (only the device ports fill it in): a device
 *  with 0 bytes free would not be running this, so 0 counts as "not reported". */
export function systemFreeMemory(): number | undefined {
  const index = Instrumentation.map("System Free Memory");
  const free = index === undefined ? undefined : Instrumentation.get(index);
  return free ? free : undefined;
}
