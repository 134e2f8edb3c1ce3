// The doubles stand in for the SDK's native code: they are evaluated before the preload starts, so
// the collections they keep are not taken for the firmware's preloaded ones (preload-heap).
import "./double-apis";
import "../doubles/mc-config";
