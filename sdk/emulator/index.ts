/**
 * The emulator's public API (`pulumi-gameservers/emulator`): every export is listed by name, and
 * what is not listed here is private. test/sdk/surface.test.ts pins the list.
 */
export { AWS_COMMERCIAL_REGIONS, type KnownRegion } from "../schemas/regions.js";
export { EmulatorOptionError } from "./option-error.js";
export { SAMPLE_CS2_CONFIGURATION } from "./sample.js";
export { DEFAULT_REGION_CAPACITY, type EmulatorConfig, EmulatorConfigPatch } from "./settings.js";
export { type EmulatorOptions, type RunningEmulator, startEmulator } from "./start.js";
