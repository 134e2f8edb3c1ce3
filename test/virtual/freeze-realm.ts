// Side-effect module: freezes the realm like a device build at this point of the import order.
import { freezeLikeDeviceBuild } from "./device-realm";
import { endPreload } from "./preload-heap";

endPreload();
freezeLikeDeviceBuild();
