export { type OfflineOptions, type OfflineResource, type OfflineResourceEvent, type OfflineRun, runOffline } from "./offline.js";
export { HostError, type InitFailure, ProviderHost, UNKNOWN, urnOf } from "./provider-host.js";
