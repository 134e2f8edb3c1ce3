// The measuring image with the compute meter charged by zone (xs-zones): for compute figures only.
import "./xs-zones";
import "./xs-entry-staged";
