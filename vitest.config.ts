import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real installs and a real AWS endpoint: generous, but bounded.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Two cores: files run two at a time; the e2e files start their own moto server each.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ["default", "junit", "json"],
    outputFile: {
      junit: "test-results/junit.xml",
      json: "test-results/results.json",
    },
  },
});
