// The virtual device's firmware image for XS, in the order a device build runs it: host wiring,
// then the preloaded modules (mcconfig runs their top level at build time), then the realm frozen
// as the linker leaves it, then main.
import "./xs-setup";
import "../doubles/system"; // the System global of the io manifest (System.restart)
import "device:preload";
import "./freeze-realm";
import "../../main";
