module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary", "json"],
  configureYulOptimizer: true,
  mocha: { timeout: 300000 },
};
