// Runs a deployed Lambda function the way Lambda would, without Docker: its code and each of its
// layer versions are downloaded back from the endpoint (`get-function` -> Code.Location,
// `get-layer-version` -> Content.Location; moto-launcher.py patch 6 makes both downloadable), laid
// out in temp folders standing in for /var/task and /opt, and the configured `Handler` is called
// with an event and a context on an interpreter of the function's runtime (`python3.X` on PATH; for
// nodejs runtimes `node` of the same major). The answer has the shape of Lambda's Invoke API: the
// handler's return value, or an error payload with `functionError: "Unhandled"`.
//
// What it sets up as Lambda does:
// - Python: sys.path is the task root, /opt/python/lib/python3.X/site-packages, /opt/python (the
//   order of the runtime's bootstrap.py), then the interpreter's standard library only: the
//   interpreter runs isolated (-I: no PYTHON* variables, no user site; -S: no site-packages), so
//   nothing installed on this machine is importable. A handler module that fails to import gives
//   `Runtime.ImportModuleError` "Unable to import module '<m>': <error>", as Lambda does.
// - Node.js: NODE_PATH is /opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:/var/task (the
//   runtime's value, its own /var/runtime folders aside); the handler file is `<module>.js`, `.mjs`
//   or `.cjs`, loaded with import() (so ESM and CommonJS handlers both work), async or callback.
// - Layers are unzipped in the function's order into one /opt (a later layer overwrites an
//   earlier one's files); /opt/bin is on PATH and /opt/lib on LD_LIBRARY_PATH.
// - Environment: the function's own variables plus Lambda's reserved ones (AWS_LAMBDA_FUNCTION_NAME,
//   LAMBDA_TASK_ROOT, _HANDLER, AWS_REGION, AWS_EXECUTION_ENV, TZ=UTC...), the endpoint's dummy
//   credentials; nothing else of this machine's environment. The function's Timeout is enforced.
//
// What it does NOT emulate (do not read more into a passing invocation than this):
// - The real paths: code runs from temp folders, not /var/task and /opt; code that hard-codes
//   those paths, or reads LAMBDA_TASK_ROOT expecting /var/task, sees the stand-ins.
// - The runtime's own packages: boto3/botocore (Python) and the AWS SDK v3 (Node.js) that Lambda
//   ships are not there; a function that relies on them without packaging them fails here.
// - Amazon Linux: the machine's OS, glibc and CPU architecture run the code. An arm64 function's
//   native extensions cannot load on x86_64 (pure-Python/JS code runs either way); .pth files in
//   the layer are not processed (Lambda's bootstrap does not call site.addsitedir either).
// - Memory limits, /tmp size, concurrency, warm starts (every call is a cold start in a new
//   process), the runtime API, extensions, X-Ray, CloudWatch logs (stdout/stderr are returned).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsJson } from "./aws.js";
import { run } from "./run.js";

export interface Invocation {
  /** The handler's return value (JSON round trip), or Lambda's error payload. */
  response: unknown;
  /** "Unhandled" when the handler (or its module's import) failed, as the Invoke API says. */
  functionError?: "Unhandled";
  stdout: string;
  stderr: string;
}

export interface InvokeOptions {
  /** Interpreter to use instead of `python3.X` / `node` from PATH (it must be the runtime's version). */
  interpreter?: string;
}

interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Handler: string;
  Timeout?: number;
  MemorySize?: number;
  Version?: string;
  Layers?: { Arn: string }[];
  Environment?: { Variables?: Record<string, string> };
}

/** Invoke a deployed function on this machine; `env` is the endpoint's (test/support/moto.ts). */
export async function invokeFunction(env: NodeJS.ProcessEnv, functionName: string, event: unknown = {}, options: InvokeOptions = {}): Promise<Invocation> {
  const fn = await awsJson<{ Configuration: FunctionConfiguration; Code: { Location?: string } }>(env, [
    "lambda",
    "get-function",
    "--function-name",
    functionName,
  ]);
  const config = fn.Configuration;
  if (!fn.Code.Location) throw new Error(`${functionName}: get-function gave no Code.Location (an image function?)`);
  const root = await mkdtemp(join(tmpdir(), "sam-layer-lambda-"));
  try {
    const task = join(root, "var/task");
    const opt = join(root, "opt");
    await mkdir(task, { recursive: true });
    await mkdir(opt, { recursive: true });
    await unzipUrl(fn.Code.Location, task, root, `${functionName} code`);
    for (const layer of config.Layers ?? []) {
      const { name, version } = parseLayerVersionArn(layer.Arn);
      const content = await awsJson<{ Content: { Location: string } }>(env, [
        "lambda",
        "get-layer-version",
        "--layer-name",
        name,
        "--version-number",
        String(version),
      ]);
      await unzipUrl(content.Content.Location, opt, root, layer.Arn);
    }
    const runtime = config.Runtime;
    const lambdaEnv = lambdaEnvironment(env, config, task, opt);
    const timeoutMs = (config.Timeout ?? 3) * 1000;
    if (/^python3\.\d+$/.test(runtime)) {
      const python = await realExecutable(options.interpreter ?? runtime, ["-c", "import sys; print(sys.executable)"], env, runtime);
      return await invokePython(runtime, python, task, opt, config, event, lambdaEnv, root, timeoutMs);
    }
    const node = /^nodejs(\d+)\.x$/.exec(runtime);
    if (node) {
      const nodeBin = await realExecutable(options.interpreter ?? "node", ["-p", "process.execPath"], env, runtime);
      return await invokeNode(Number(node[1]), nodeBin, task, opt, config, event, lambdaEnv, root, timeoutMs);
    }
    throw new Error(`${functionName}: runtime ${runtime} is not supported by the test runner (python3.X and nodejsNN.x are)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The interpreter's own path, found with the caller's PATH and environment: the function's process
 * gets Lambda's environment, in which a launcher such as a pyenv shim (it needs PYENV_VERSION and
 * pyenv on PATH) would not work.
 */
async function realExecutable(command: string, probe: string[], env: NodeJS.ProcessEnv, runtime: string): Promise<string> {
  try {
    return (await run(command, probe, { env })).stdout.trim();
  } catch (err) {
    throw new Error(`no interpreter for ${runtime}: ${command} did not run (${(err as Error).message.split("\n").slice(-1)[0]})`);
  }
}

/** "arn:aws:lambda:us-east-1:123456789012:layer:name:7" -> { name, version: 7 } */
export function parseLayerVersionArn(arn: string): { name: string; version: number } {
  const match = /:layer:([^:]+):(\d+)$/.exec(arn);
  if (!match) throw new Error(`not a layer version ARN: ${arn}`);
  return { name: match[1]!, version: Number(match[2]) };
}

async function unzipUrl(url: string, into: string, scratch: string, what: string): Promise<void> {
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`${what}: downloading ${url} answered ${answer.status}`);
  const zip = join(scratch, "download.zip");
  await writeFile(zip, Buffer.from(await answer.arrayBuffer()));
  // -o: a later layer overwrites an earlier one's files, as in /opt.
  await run("unzip", ["-q", "-o", zip, "-d", into]);
  await rm(zip);
}

function lambdaEnvironment(env: NodeJS.ProcessEnv, config: FunctionConfiguration, task: string, opt: string): NodeJS.ProcessEnv {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  return {
    ...config.Environment?.Variables,
    PATH: `${join(opt, "bin")}:/usr/local/bin:/usr/bin:/bin`,
    LD_LIBRARY_PATH: `${join(task, "lib")}:${join(opt, "lib")}`,
    LANG: "en_US.UTF-8",
    TZ: "UTC",
    HOME: task,
    LAMBDA_TASK_ROOT: task,
    LAMBDA_RUNTIME_DIR: task,
    _HANDLER: config.Handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.Runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: config.FunctionName,
    AWS_LAMBDA_FUNCTION_VERSION: config.Version ?? "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.MemorySize ?? 128),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN,
  };
}

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message} (is an interpreter of the function's runtime on PATH?)`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

// The Python side: lay out sys.path, import the handler's module, call it with a context, write
// {"response": ...} or {"error": ...} to the result file (stdout stays the function's own).
const PYTHON_BOOTSTRAP = String.raw`
import importlib, json, os, sys, time, traceback, uuid
task, opt, handler, result_file, deadline_ms, expected = sys.argv[1:7]
if "%d.%d" % sys.version_info[:2] != expected:
    sys.exit("lambda-runner: %s is Python %d.%d, not %s" % (sys.executable, *sys.version_info[:2], expected))
stdlib = [p for p in sys.path if p]
sys.path[:] = [task, os.path.join(opt, "python/lib/python%s/site-packages" % expected), os.path.join(opt, "python")] + stdlib
os.chdir(task)

class Context:
    def __init__(self):
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["SAM_LAYER_FUNCTION_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
    def get_remaining_time_in_millis(self):
        return max(0, int(float(deadline_ms) - time.time() * 1000))

def error(kind, message, tb=None):
    return {"errorMessage": message, "errorType": kind, "requestId": "", "stackTrace": traceback.format_list(traceback.extract_tb(tb)) if tb else []}

def write(obj):
    with open(result_file, "w") as f:
        json.dump(obj, f)

module_name, _, function_name = handler.rpartition(".")
try:
    module = importlib.import_module(module_name.replace("/", "."))
except Exception as e:
    write({"error": error("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))})
    sys.exit(0)
fn = getattr(module, function_name, None)
if fn is None:
    write({"error": error("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))})
    sys.exit(0)
try:
    event = json.loads(os.environ["SAM_LAYER_EVENT"])
    write({"response": fn(event, Context())})
except Exception as e:
    write({"error": error(type(e).__name__, str(e), e.__traceback__)})
`;

async function invokePython(
  runtime: string,
  interpreter: string,
  task: string,
  opt: string,
  config: FunctionConfiguration,
  event: unknown,
  env: NodeJS.ProcessEnv,
  root: string,
  timeoutMs: number,
): Promise<Invocation> {
  const resultFile = join(root, "result.json");
  const expected = runtime.slice("python".length);
  const deadline = Date.now() + timeoutMs;
  const child = await runChild(
    interpreter,
    ["-I", "-S", "-B", "-c", PYTHON_BOOTSTRAP, task, opt, config.Handler, resultFile, String(deadline), expected],
    { ...env, SAM_LAYER_EVENT: JSON.stringify(event), SAM_LAYER_FUNCTION_ARN: config.FunctionArn },
    task,
    timeoutMs,
  );
  return await collect(child, resultFile, interpreter, config);
}

// The Node.js side, an ES module: find <module>.js/.mjs/.cjs, import() it, call the handler (a
// promise or a callback), write the result file.
const NODE_BOOTSTRAP = String.raw`
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { randomUUID } from "node:crypto";
const [task, handler, resultFile, deadlineMs, expected] = process.argv.slice(2);
if (process.versions.node.split(".")[0] !== expected) {
  console.error("lambda-runner: node " + process.versions.node + " is not Node.js " + expected);
  process.exit(1);
}
const write = (obj) => writeFileSync(resultFile, JSON.stringify(obj));
const error = (errorType, e) => ({ errorType, errorMessage: e instanceof Error ? e.message : String(e), trace: e instanceof Error ? String(e.stack).split("\n") : [] });
const dot = handler.lastIndexOf(".");
const modulePath = handler.slice(0, dot);
const fnName = handler.slice(dot + 1);
const file = [".js", ".mjs", ".cjs"].map((ext) => join(task, modulePath + ext)).find((f) => existsSync(f));
if (!file) {
  write({ error: { errorType: "Runtime.ImportModuleError", errorMessage: "Error: Cannot find module '" + modulePath + "'", trace: [] } });
  process.exit(0);
}
let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (e) {
  write({ error: error("Runtime.ImportModuleError", e) });
  process.exit(0);
}
const fn = mod[fnName] ?? mod.default?.[fnName];
if (typeof fn !== "function") {
  write({ error: { errorType: "Runtime.HandlerNotFound", errorMessage: modulePath + "." + fnName + " is undefined or not exported", trace: [] } });
  process.exit(0);
}
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: process.env.SAM_LAYER_FUNCTION_ARN,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: randomUUID(),
  logGroupName: "/aws/lambda/" + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: "local",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, Number(deadlineMs) - Date.now()),
};
const event = JSON.parse(process.env.SAM_LAYER_EVENT);
try {
  const response = await new Promise((resolve, reject) => {
    const returned = fn(event, context, (err, value) => (err ? reject(err) : resolve(value)));
    if (returned && typeof returned.then === "function") returned.then(resolve, reject);
    else if (fn.length < 3) resolve(returned);
  });
  write({ response: response === undefined ? null : response });
} catch (e) {
  write({ error: error(e instanceof Error ? e.name : "Error", e) });
}
process.exit(0);
`;

async function invokeNode(
  major: number,
  interpreter: string,
  task: string,
  opt: string,
  config: FunctionConfiguration,
  event: unknown,
  env: NodeJS.ProcessEnv,
  root: string,
  timeoutMs: number,
): Promise<Invocation> {
  const resultFile = join(root, "result.json");
  const bootstrap = join(root, "bootstrap.mjs");
  await writeFile(bootstrap, NODE_BOOTSTRAP);
  // Nothing above /var/task has a package.json on Lambda, so a .js handler is CommonJS unless the
  // function's own package.json says "type": "module"; a package.json above the temp folder
  // (there may be one in /tmp) must not decide it.
  await writeFile(join(root, "var/package.json"), "{}\n");
  const nodePath = [join(opt, `nodejs/node${major}/node_modules`), join(opt, "nodejs/node_modules"), task].join(":");
  const child = await runChild(
    interpreter,
    [bootstrap, task, config.Handler, resultFile, String(Date.now() + timeoutMs), String(major)],
    { ...env, NODE_PATH: nodePath, SAM_LAYER_EVENT: JSON.stringify(event), SAM_LAYER_FUNCTION_ARN: config.FunctionArn },
    task,
    timeoutMs,
  );
  return await collect(child, resultFile, interpreter, config);
}

async function collect(child: ChildResult, resultFile: string, interpreter: string, config: FunctionConfiguration): Promise<Invocation> {
  const { stdout, stderr } = child;
  if (child.timedOut) {
    return {
      response: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${config.Timeout ?? 3} seconds` },
      functionError: "Unhandled",
      stdout,
      stderr,
    };
  }
  if (!existsSync(resultFile)) {
    // The interpreter itself failed (wrong version, crashed before the handler ran): not a
    // function error, the runner could not do its job.
    throw new Error(`${config.FunctionName}: ${interpreter} exited ${child.code} without a result: ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
  }
  const result = JSON.parse(await readFile(resultFile, "utf8")) as { response?: unknown; error?: unknown };
  if ("error" in result) return { response: result.error, functionError: "Unhandled", stdout, stderr };
  return { response: result.response, stdout, stderr };
}
