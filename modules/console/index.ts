// Public surface of the console module (pure parts; the UART adapter is ./serial-platform).
export { Console, type ConsoleOptions } from "./console";
export { CommandRegistry, UsageError, errorText, type CommandHandler, type CommandInfo, type CommandResult } from "./registry";
export { ByteQueue, CaptureOutput, TRUNCATED, utf8Length, utf8Prefix, decodeUtf8, type Output } from "./output";
export { LineEditor, type LineEditorHost } from "./line-editor";
export { splitArgs, quoteArg, type SplitResult } from "./args";
export { Log, traceSink, formatValue, ERROR, WARN, INFO, DEBUG, LEVEL_NAMES, type LogSink, type LogOptions } from "./log";
export { SerialConsole, UART0_ESP32, type SerialConstructor, type SerialPort, type SerialPortOptions } from "./serial-console";
export { runCaptured, REMOTE_OUTPUT_LIMIT } from "./capture";
export { registerConfigCommands, registerLogCommands, applyLogLevel } from "./config-commands";
