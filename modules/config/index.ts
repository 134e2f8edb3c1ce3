// Public surface of the configuration module (pure parts; the platform adapter is ./platform).
export {
  Config, effectText, errorMessage,
  type ConfigSource, type PreferenceStore, type StoredValue, type DescribeRow, type SetResult, type Source, type ChangeListener,
} from "./config";
export {
  SETTINGS, MAX_BMS, PREFERENCE_DOMAIN, LOG_LEVELS, MASK,
  findSetting, displayValue, deriveGatewayName, normalizeMac, formatMac, globMatch, parseBmsEntry, formatBmsEntry, bmsId,
  isTopicId, utf8Length,
  type BmsEntry, type BmsService, type ConfigKey, type ConfigValues, type Effect, type LogLevelName, type Setting, type ParseResult,
} from "./schema";
