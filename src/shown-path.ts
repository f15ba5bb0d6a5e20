// How a path appears in messages and output: relative to the current folder, as the user typed it
// there (the current folder itself stays absolute rather than becoming "").
import { relative } from "node:path";

export function shownPath(path: string): string {
  return relative(process.cwd(), path) || path;
}
