/** The unit project of the root jest.config.js, alone: what the mutants are tested against. */
const path = require("path");
const root = path.resolve(__dirname, "..", "..");
const unit = require(path.join(root, "jest.config.js")).projects.find((p) => p.displayName === "unit");
module.exports = { ...unit, rootDir: root };
