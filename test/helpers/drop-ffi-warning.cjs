// Preloaded into vitest's workers by `npm test` (`--execArgv=--require=...`). Pulumi's closure
// serializer requires every built-in module (@pulumi/pulumi runtime/closure/createClosure.js), and
// on Node.js 26 loading `node:ffi` prints "ExperimentalWarning: FFI is an experimental feature".
// Nothing here uses FFI: that one warning is dropped; every other warning still prints.
"use strict";
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === "string" ? warning : warning?.message;
  if (typeof text === "string" && text.startsWith("FFI is an experimental feature")) return;
  return emitWarning.call(this, warning, ...rest);
};
