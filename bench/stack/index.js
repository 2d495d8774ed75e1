// The root stack program, unchanged: benchmarks measure `pulumi up` of exactly what users run.
module.exports = require("../../program.js");
