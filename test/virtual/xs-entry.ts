// The virtual device's firmware image for XS: the preloaded image (xs-image), then main.
import "./xs-image";
import "../../main";
