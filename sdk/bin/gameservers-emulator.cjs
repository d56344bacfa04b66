#!/usr/bin/env node
// `gameservers-emulator`: a file that exists before the build, so that npm links it at install.
require("../../dist/sdk/emulator/bin.js");
