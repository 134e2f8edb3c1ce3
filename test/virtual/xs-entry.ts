// The virtual device's firmware image for XS: host wiring first, then the real main.
import "./xs-setup";
import "../../main";
