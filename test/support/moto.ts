// Starts test/support/moto-launcher.py (a patched moto server on 127.0.0.1, free port) for one test
// file and stops it by PID. `env` is what every AWS tool run against it needs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO, VENV_BIN } from "./run.js";

export const REGION = "us-east-1";

export interface MotoServer {
  endpoint: string;
  pid: number;
  /** Environment for awscli, SAM CLI and the orb's scripts: dummy credentials, region, endpoint. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const READY = /moto-launcher: listening on http:\/\/127\.0\.0\.1:(\d+) pid=(\d+)/;

export function awsEnvironment(endpoint: string, emptyConfig: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_DEFAULT_REGION: REGION,
    AWS_REGION: REGION,
    // Honoured by awscli >= 1.29 for every client, including `cloudformation package`'s S3 uploads.
    AWS_ENDPOINT_URL: endpoint,
    // Never read the developer's own AWS profile or any instance metadata. (An empty file of our
    // own, not /dev/null: a tool that writes a file atomically can replace /dev/null.)
    AWS_CONFIG_FILE: emptyConfig,
    AWS_SHARED_CREDENTIALS_FILE: emptyConfig,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    SAM_CLI_TELEMETRY: "0",
    // SAM polls stack events every 5 s by default; moto finishes at once.
    SAM_CLI_POLL_DELAY: "0.5",
  };
}

export interface StartOptions {
  /** Stock moto without the launcher's patches (to show what they fix). */
  stock?: boolean;
  timeoutMs?: number;
}

export async function startMoto({ stock = false, timeoutMs = 90_000 }: StartOptions = {}): Promise<MotoServer> {
  const launcher = [resolve(REPO, "test/support/moto-launcher.py"), ...(stock ? ["--stock"] : [])];
  const child = spawn(resolve(VENV_BIN, "python"), launcher, {
    env: { ...process.env, AWS_DEFAULT_REGION: REGION },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    // moto logs every request; keep only the recent tail for error messages.
    stderr = (stderr + chunk).slice(-4000);
  });

  const port = await new Promise<number>((resolvePort, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(new Error(`moto-launcher gave no port within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}\n${stderr.trim()}`));
    }
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`moto-launcher exited ${code} before it was ready`)));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = READY.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolvePort(Number(match[1]));
      }
    });
  });

  // moto reads the bucket of a stack's TemplateURL from the path only for "localhost" URLs, and
  // `sam deploy` passes one; localhost is 127.0.0.1 here, where the server listens.
  const endpoint = `http://localhost:${port}`;
  const answer = await fetch(`http://127.0.0.1:${port}/moto-api/data.json`);
  if (!answer.ok) throw new Error(`moto on port ${port} answered ${answer.status}`);

  const configDir = await mkdtemp(join(tmpdir(), "sam-layer-aws-config-"));
  const emptyConfig = join(configDir, "empty");
  await writeFile(emptyConfig, "");
  return {
    endpoint,
    pid: child.pid!,
    env: awsEnvironment(endpoint, emptyConfig),
    stop: async () => {
      await stopByPid(child);
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

async function stopByPid(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  process.kill(child.pid!, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null) process.kill(child.pid!, "SIGKILL");
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
