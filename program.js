// The root project's program (Pulumi.yaml `main`): index.ts, compiled to bin/index.js. An edited
// index.ts or components/ is type-checked and compiled first (scripts/build.js), a type error failing
// the run as it would under ts-node; an unchanged program starts without compiling anything.
"use strict";
const { ensureBuilt } = require("./scripts/build.js");

const build = ensureBuilt();
if (build.built) console.log(`compiled index.ts and components/ (tsc) in ${build.seconds.toFixed(1)} s`);
module.exports = require("./bin/index.js");
