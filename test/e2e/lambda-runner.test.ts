// The function runner (test/support/lambda-runner.ts) against functions and layers created through
// the Lambda API of the local endpoint: code and layers come back from the endpoint, sys.path and
// NODE_PATH are Lambda's, the machine's own packages are invisible, errors look like Lambda's.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsJson } from "../support/aws.js";
import { scratchDir } from "../support/app-copy.js";
import { invokeFunction } from "../support/lambda-runner.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { run } from "../support/run.js";

const ROLE = "arn:aws:iam::123456789012:role/lambda-runner-test";

describe("lambda-runner: a deployed function's code and layers, run on the runtime's interpreter", () => {
  let moto: MotoServer;
  let work: string;

  /** Zip a folder of files ({relative path: content}) with Info-ZIP; returns the zip's path. */
  async function zipOf(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(work, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await run("zip", ["-q", "-r", "-X", `../${name}.zip`, "."], { cwd: dir });
    return join(work, `${name}.zip`);
  }

  async function publishLayer(name: string, files: Record<string, string>): Promise<string> {
    const zip = await zipOf(`layer-${name}`, files);
    const out = await awsJson<{ LayerVersionArn: string }>(moto.env, ["lambda", "publish-layer-version", "--layer-name", name, "--zip-file", `fileb://${zip}`]);
    return out.LayerVersionArn;
  }

  async function createFunction(name: string, runtime: string, handler: string, files: Record<string, string>, layers: string[]): Promise<void> {
    const zip = await zipOf(`fn-${name}`, files);
    // Through S3, as SAM and CloudFormation deploy code.
    await aws(moto.env, ["s3", "cp", zip, `s3://runner-code/${name}.zip`]);
    await aws(moto.env, [
      "lambda",
      "create-function",
      "--function-name",
      name,
      "--runtime",
      runtime,
      "--handler",
      handler,
      "--role",
      ROLE,
      "--code",
      `S3Bucket=runner-code,S3Key=${name}.zip`,
      "--environment",
      "Variables={GREETING=hello}",
      ...(layers.length ? ["--layers", ...layers] : []),
    ]);
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = await scratchDir("lambda-runner");
    await aws(moto.env, ["s3", "mb", "s3://runner-code"]);
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
    await aws(moto.env, ["iam", "create-role", "--role-name", "lambda-runner-test", "--assume-role-policy-document", JSON.stringify(trust)]);
  });

  afterAll(async () => {
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("python3.12: task root, then the layer's site-packages, then /opt/python; nothing of the machine's", async () => {
    const first = await publishLayer("py-first", {
      "python/shared.py": "WHO = 'first layer, python/'\n",
      "python/lib/python3.12/site-packages/shared.py": "WHO = 'first layer, site-packages'\n",
      "python/only_in_opt.py": "WHO = 'opt'\n",
    });
    const second = await publishLayer("py-second", { "python/overridden.py": "WHO = 'second layer'\n" });
    await createFunction(
      "py-fn",
      "python3.12",
      "app/main.handler",
      {
        "app/__init__.py": "",
        "app/main.py": [
          "import os, sys",
          "import shared, only_in_opt, overridden",
          "def handler(event, context):",
          "    try:",
          "        import pip",
          "        machine = 'visible'",
          "    except ImportError:",
          "        machine = 'invisible'",
          "    print('log line')",
          "    return {'statusCode': 200, 'shared': shared.WHO, 'opt': only_in_opt.WHO, 'overridden': overridden.WHO,",
          "            'machine': machine, 'python': '%d.%d' % sys.version_info[:2], 'event': event,",
          "            'greeting': os.environ['GREETING'], 'name': context.function_name,",
          "            'remaining': context.get_remaining_time_in_millis() > 0}",
          "",
        ].join("\n"),
      },
      [first, second],
    );
    const out = await invokeFunction(moto.env, "py-fn", { answer: 42 });
    expect(out.functionError).toBeUndefined();
    expect(out.response).toEqual({
      statusCode: 200,
      shared: "first layer, site-packages",
      opt: "opt",
      overridden: "second layer",
      machine: "invisible",
      python: "3.12",
      event: { answer: 42 },
      greeting: "hello",
      name: "py-fn",
      remaining: true,
    });
    expect(out.stdout).toBe("log line\n");
  });

  it("python: a module that fails to import is Runtime.ImportModuleError, as Lambda reports it", async () => {
    await createFunction("py-broken", "python3.12", "broken.handler", { "broken.py": "import not_in_any_layer\n" }, []);
    const out = await invokeFunction(moto.env, "py-broken");
    expect(out.functionError).toBe("Unhandled");
    expect(out.response).toMatchObject({
      errorType: "Runtime.ImportModuleError",
      errorMessage: "Unable to import module 'broken': No module named 'not_in_any_layer'",
    });
  });

  it("nodejs20.x: CommonJS and ESM handlers; packages from /opt/nodejs/node20/node_modules before /opt/nodejs/node_modules", async () => {
    const layer = await publishLayer("node-libs", {
      "nodejs/node_modules/greet/index.js": "module.exports = (n) => `hello ${n} from node_modules`;\n",
      "nodejs/node_modules/plain/index.js": "module.exports = 'plain';\n",
      "nodejs/node20/node_modules/greet/index.js": "module.exports = (n) => `hello ${n} from node20`;\n",
    });
    await createFunction(
      "node-cjs",
      "nodejs20.x",
      "index.handler",
      {
        "index.js":
          "const greet = require('greet'); const plain = require('plain');\nexports.handler = async (event) => ({ statusCode: 200, body: greet(event.name) + ' ' + plain });\n",
      },
      [layer],
    );
    const cjs = await invokeFunction(moto.env, "node-cjs", { name: "cjs" });
    expect(cjs.response).toEqual({ statusCode: 200, body: "hello cjs from node20 plain" });

    await createFunction(
      "node-esm",
      "nodejs20.x",
      "src/app.handler",
      {
        "src/app.mjs":
          "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const handler = (event, context, callback) => callback(null, { statusCode: 200, body: require('greet')('esm'), fn: context.functionName });\n",
      },
      [layer],
    );
    const esm = await invokeFunction(moto.env, "node-esm");
    expect(esm.response).toEqual({ statusCode: 200, body: "hello esm from node20", fn: "node-esm" });
  });
});
