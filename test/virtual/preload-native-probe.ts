// Runs inside XS: a preloaded module that calls a native function at its top level (uuid`` -> the
// native Bytes.prototype.set) fails to link (preload-heap), as xsl fails the device build.
import "./xs-setup";
import "./doubles-first";
import "./preload-heap";
import "./preload-native-probe-module";
import "./freeze-realm";
