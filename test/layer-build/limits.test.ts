// Lambda's size limits against a layer, and the largest packages named in the messages.
import { describe, expect, it } from "vitest";
import { checkUnzipped, checkZipped, largestPackages } from "../../src/layer-build/limits.js";

const MB = 1024 * 1024;
const file = (path: string, size: number) => ({ path, type: "file" as const, size });

describe("layer size limits", () => {
  const entries = [
    { path: "python", type: "directory" as const, size: 0 },
    file("python/numpy/core/_multiarray.so", 30 * MB),
    file("python/numpy-2.1.0.dist-info/RECORD", 1 * MB),
    file("python/six.py", 0.1 * MB),
    file("python/charset_normalizer/md.so", 2 * MB),
    file("python/charset_normalizer-3.3.2.dist-info/METADATA", 0.5 * MB),
    // A private top-level folder and auditwheel's libraries go with their package's name.
    file("python/_polars_runtime_32/polars.abi3.so", 1 * MB),
    file("python/polars_runtime_32-2.1.0.dist-info/RECORD", 0.1 * MB),
    file("python/numpy.libs/libopenblas.so", 20 * MB),
    file("nodejs/node_modules/@aws-sdk/client-s3/dist/index.js", 5 * MB),
    file("nodejs/node_modules/ms/index.js", 0.01 * MB),
  ];

  it("names top-level packages, a module with its dist-info, and npm scopes", () => {
    expect(largestPackages(entries, 5)).toEqual([
      { name: "numpy", bytes: 51 * MB },
      { name: "@aws-sdk/client-s3", bytes: 5 * MB },
      { name: "charset-normalizer", bytes: 2.5 * MB },
      { name: "polars-runtime-32", bytes: 1.1 * MB },
      { name: "six", bytes: 0.1 * MB },
    ]);
  });

  it("fails at Lambda's 250 MiB unzipped, warns from 80%, and says nothing below", () => {
    const largest = largestPackages(entries, 2);
    expect(checkUnzipped(250 * MB, 250, largest).error).toBe(
      "layer is 250.0 MiB unzipped, over Lambda's 250 MiB unzipped limit (function and layers together); largest: numpy 51.0 MiB, @aws-sdk/client-s3 5.0 MiB",
    );
    expect(checkUnzipped(200 * MB, 250, largest)).toEqual({
      warnings: [
        "layer is 200.0 MiB unzipped, 80% of Lambda's 250 MiB unzipped limit (function and layers together); largest: numpy 51.0 MiB, @aws-sdk/client-s3 5.0 MiB",
      ],
    });
    expect(checkUnzipped(199 * MB, 250, largest)).toEqual({ warnings: [] });
    expect(checkUnzipped(101 * MB, 100, []).error).toBe("layer is 101.0 MiB unzipped, over the unzipped budget of 100 MiB (--max-unzipped-mb)");
  });

  it("warns past 50 MiB zipped, which only a direct upload cannot take", () => {
    expect(checkZipped(49 * MB, []).warnings).toEqual([]);
    expect(checkZipped(51 * MB, largestPackages(entries, 1)).warnings).toEqual([
      "layer zip is 51.0 MiB, over the 50 MiB limit for a direct upload: deploy it through S3 (sam package / aws cloudformation package do); largest: numpy 51.0 MiB",
    ]);
  });
});
