// The Lambda runtime and architecture a layer is built for: where the runtime looks inside the
// layer, which wheels fit it (pip platform tags from the runtime's glibc), and the environment
// markers of the target (pip evaluates markers against the machine it runs on, not --platform).
import { UserError } from "../errors.js";

export type Architecture = "x86_64" | "arm64";
export const ARCHITECTURES: readonly Architecture[] = ["x86_64", "arm64"];

/** glibc of the OS images Lambda runs each runtime on: Amazon Linux 2 has 2.26, AL2023 2.34. */
const AL2_GLIBC = 26;
const AL2023_GLIBC = 34;

const PYTHON_RUNTIMES: Record<string, number> = {
  "python3.9": AL2_GLIBC,
  "python3.10": AL2_GLIBC,
  "python3.11": AL2_GLIBC,
  "python3.12": AL2023_GLIBC,
  "python3.13": AL2023_GLIBC,
  "python3.14": AL2023_GLIBC,
};

const NODE_RUNTIMES: Record<string, number> = {
  "nodejs18.x": AL2_GLIBC,
  "nodejs20.x": AL2023_GLIBC,
  "nodejs22.x": AL2023_GLIBC,
  "nodejs24.x": AL2023_GLIBC,
};

export const RUNTIMES: readonly string[] = [...Object.keys(PYTHON_RUNTIMES), ...Object.keys(NODE_RUNTIMES)];
export const DEFAULT_PYTHON_RUNTIME = "python3.12";
export const DEFAULT_NODE_RUNTIME = "nodejs22.x";

export type Language = "python" | "nodejs";

interface TargetBase {
  runtime: string;
  architecture: Architecture;
  /** glibc minor version of the runtime's OS (2.x) */
  glibcMinor: number;
}

export interface PythonTarget extends TargetBase {
  language: "python";
  /** "3.12" */
  pythonVersion: string;
  /** the layer folder Lambda puts on sys.path: /opt/python */
  layerSubdir: "python";
  /** every `--platform` pip gets, most specific first (pip prefers earlier tags) */
  pipPlatforms: string[];
  /** uv's `--python-platform`, e.g. x86_64-manylinux_2_34 */
  uvPlatform: string;
  /** the newest manylinux glibc (2.x) a wheel may need: see wheelGlibcMinor */
  wheelGlibcMinor: number;
  /** PEP 508 marker environment of the target */
  markerEnv: Record<string, string>;
}

export interface NodeTarget extends TargetBase {
  language: "nodejs";
  nodeMajor: number;
  /** /opt/nodejs/node_modules is on NODE_PATH */
  layerSubdir: "nodejs";
  /** npm's `--cpu` value */
  npmCpu: "x64" | "arm64";
}

export type Target = PythonTarget | NodeTarget;

export function runtimeLanguage(runtime: string): Language | undefined {
  if (runtime in PYTHON_RUNTIMES) return "python";
  if (runtime in NODE_RUNTIMES) return "nodejs";
  return undefined;
}

export function resolveTarget(runtime: string, architecture: string): Target {
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw new UserError(`--architecture must be x86_64 or arm64, got: ${architecture}`, 2);
  }
  const arch = architecture as Architecture;
  const python = PYTHON_RUNTIMES[runtime];
  if (python !== undefined) {
    const pythonVersion = runtime.slice("python".length);
    return {
      language: "python",
      runtime,
      architecture: arch,
      glibcMinor: python,
      pythonVersion,
      layerSubdir: "python",
      pipPlatforms: pipPlatforms(wheelGlibcMinor(python), arch),
      uvPlatform: uvPlatform(wheelGlibcMinor(python), arch),
      wheelGlibcMinor: wheelGlibcMinor(python),
      markerEnv: markerEnv(pythonVersion, arch),
    };
  }
  const node = NODE_RUNTIMES[runtime];
  if (node !== undefined) {
    return {
      language: "nodejs",
      runtime,
      architecture: arch,
      glibcMinor: node,
      nodeMajor: Number(runtime.slice("nodejs".length, -".x".length)),
      layerSubdir: "nodejs",
      npmCpu: arch === "arm64" ? "arm64" : "x64",
    };
  }
  throw new UserError(`--runtime must be one of ${RUNTIMES.join(", ")}; got: ${runtime}`, 2);
}

/**
 * The wheel rule, the same for uv and pip: of the wheels of a pinned version, the first in
 * packaging's tag order (cpXY-cpXY, then abi3, then none; within each, the newest manylinux tag
 * first) among manylinux tags up to this glibc. uv's --python-platform knows manylinux2014 (2.17)
 * and 2.28, 2.31...2.40, not 2.26: so Amazon Linux 2 runtimes (glibc 2.26) take wheels up to
 * manylinux2014 from both installers, and AL2023 runtimes up to manylinux_2_34.
 */
export function wheelGlibcMinor(runtimeGlibcMinor: number): number {
  return runtimeGlibcMinor >= AL2023_GLIBC ? AL2023_GLIBC : 17;
}

function uvPlatform(glibcMinor: number, arch: Architecture): string {
  const machine = arch === "arm64" ? "aarch64" : "x86_64";
  return glibcMinor === 17 ? `${machine}-manylinux2014` : `${machine}-manylinux_2_${glibcMinor}`;
}

/**
 * pip takes `--platform manylinux_2_34_x86_64` literally (pip 23 expands only the legacy
 * manylinux2014/2010 aliases), so a wheel tagged only manylinux_2_28 would be refused. List every
 * tag the runtime's glibc can load instead, newest first, down to the legacy aliases.
 */
export function pipPlatforms(glibcMinor: number, arch: Architecture): string[] {
  const machine = arch === "arm64" ? "aarch64" : "x86_64";
  const tags: string[] = [];
  for (let minor = glibcMinor; minor >= 17; minor--) tags.push(`manylinux_2_${minor}_${machine}`);
  tags.push(`manylinux2014_${machine}`);
  if (machine === "x86_64") {
    tags.push("manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64");
  }
  return tags;
}

/** Lambda's patch release moves under us; markers on the patch level are rare, so x.y.0 stands in. */
function markerEnv(pythonVersion: string, arch: Architecture): Record<string, string> {
  return {
    implementation_name: "cpython",
    implementation_version: `${pythonVersion}.0`,
    os_name: "posix",
    platform_machine: arch === "arm64" ? "aarch64" : "x86_64",
    platform_python_implementation: "CPython",
    platform_release: "",
    platform_system: "Linux",
    platform_version: "",
    python_full_version: `${pythonVersion}.0`,
    python_version: pythonVersion,
    sys_platform: "linux",
  };
}

export function describeTarget(t: Target): string {
  return `${t.runtime} ${t.architecture} (glibc 2.${t.glibcMinor})`;
}
