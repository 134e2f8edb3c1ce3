// MQTT.js, the consumer-side client of our tests and of the virtual device's network.
// Imported by subpath because the bare name "mqtt" is the Moddable module (our double) here.
export * from "mqtt/index";
export { default } from "mqtt/index";
