// The virtual device's firmware image for XS up to main, in the order a device build runs it: host
// wiring, then the preloaded modules (mcconfig runs their top level at build time), then the realm
// frozen as the linker leaves it. Everything it creates is what a device build keeps in flash.
import "./xs-setup";
import "../doubles/system"; // the System global of the io manifest (System.restart)
import "./doubles-first"; // the SDK's stand-ins, made before the preload
import "./preload-heap"; // collections the preload makes are read-only afterwards
import "device:preload";
import "./freeze-realm";
