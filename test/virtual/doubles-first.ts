// The doubles stand in for the SDK's native code: they are evaluated before the preload starts, so
// the collections they keep are not taken for the firmware's preloaded ones (preload-heap).
import "../doubles/timer";
import "../doubles/time";
import "../doubles/bleclient";
import "../doubles/btutils";
import "../doubles/mqtt";
import "../doubles/securesocket";
import "../doubles/sntp";
import "../doubles/wifi";
import "../doubles/net";
import "../doubles/preference";
import "../doubles/instrumentation";
import "../doubles/serial";
import "../doubles/mc-config";
