// Which paths of a layer folder stay out of the zip.
import picomatch from "picomatch";

/**
 * Left out by default because they break determinism: pip compiles `.pyc` files with a random
 * temporary path and the source mtime baked in; Finder drops `.DS_Store` anywhere.
 */
export const PYCACHE_EXCLUDES: readonly string[] = ["__pycache__/", "*.pyc"];
export const DEFAULT_EXCLUDES: readonly string[] = [...PYCACHE_EXCLUDES, ".DS_Store"];

export type ExcludeTest = (path: string, isDirectory: boolean) => boolean;

/**
 * Globs (picomatch, dotfiles included) are matched against the posix path relative to the layer
 * folder; a glob without "/" matches the name at any depth; a trailing "/" matches folders only.
 */
export function excludeMatcher(patterns: readonly string[]): ExcludeTest {
  const tests = patterns.map((raw) => {
    const dirOnly = raw.endsWith("/");
    const pattern = dirOnly ? raw.replace(/\/+$/, "") : raw;
    const onName = !pattern.includes("/");
    return { dirOnly, onName, match: compile(pattern.replace(/^\.\//, "")) };
  });
  return (path, isDirectory) => {
    for (const t of tests) {
      if (t.dirOnly && !isDirectory) continue;
      const subject = t.onName ? path.slice(path.lastIndexOf("/") + 1) : path;
      if (t.match(subject)) return true;
    }
    return false;
  };
}

/**
 * The walk tests every path against every pattern, and the "nothing to do" check is mostly the
 * walk: plain names and `*.ext` skip the regex (same answers, a fraction of the work).
 */
function compile(pattern: string): (subject: string) => boolean {
  if (!pattern.includes("\\") && !picomatch.scan(pattern).isGlob) return (subject) => subject === pattern;
  const ext = /^\*(\.[A-Za-z0-9_-]+)$/.exec(pattern)?.[1];
  if (ext) return (subject) => subject.endsWith(ext);
  return picomatch(pattern, { dot: true });
}

export function layerExcludes(opts: { exclude?: readonly string[]; includePycache?: boolean }): string[] {
  const defaults = opts.includePycache ? DEFAULT_EXCLUDES.filter((p) => !PYCACHE_EXCLUDES.includes(p)) : DEFAULT_EXCLUDES;
  return [...defaults, ...(opts.exclude ?? [])];
}
