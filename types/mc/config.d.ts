// Our own declarations for the Moddable "mc/config" module (the manifest's merged "config" object),
// written from observed runtime behaviour (/work/shared/moddable-platform.md §d). Values from manifest JSON
// keep their JSON type; values from the mcconfig command line (key=value) are always strings.

declare module "mc/config" {
  const config: Readonly<Record<string, unknown>>;
  export default config;
}
