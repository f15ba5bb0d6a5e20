// `npm run orb`: writes orb/orb.yml from orb/ (TypeScript components, scripts, examples).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ORB_FILE, packageVersion, renderOrb } from "../orb/index.js";

const version = await packageVersion();
await writeFile(ORB_FILE, await renderOrb(version));
console.log(`wrote ${path.relative(process.cwd(), ORB_FILE)} (helper sam-layer@${version})`);
