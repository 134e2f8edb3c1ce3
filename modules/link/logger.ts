// The logging surface the link and bridge use; the console's leveled logger implements it.
// Callers pass a constant message and one value, so nothing is formatted when the level is off.
export interface Logger {
  error(message: string, value?: unknown): void;
  warn(message: string, value?: unknown): void;
  info(message: string, value?: unknown): void;
  debug(message: string, value?: unknown): void;
}
