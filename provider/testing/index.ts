export { type OfflineOptions, type OfflineResource, type OfflineResourceEvent, type OfflineRun, runOffline } from "./offline.js";
export { HostError, type InitFailure, ProviderHost, TYPE, UNKNOWN, urnOf } from "./provider-host.js";
