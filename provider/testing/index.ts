export { runOffline } from "./offline.js";
export type { OfflineOptions, OfflineResource, OfflineResourceEvent, OfflineRun } from "./options.js";
export { HostError, type InitFailure, ProviderHost, UNKNOWN, urnOf } from "./provider-host.js";
