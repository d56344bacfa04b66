#!/usr/bin/env node
// `gameservers`: a file that exists before the build, so that npm links it at install (npm skips
// a bin whose file is missing, and this package's own link comes before `npm run build`).
require("../../dist/sdk/cli/main.js").runProcess();
