import { readdirSync } from "node:fs";

/** The client's own directory (`client/`). */
export const clientDir = new URL("../", import.meta.url);

/**
 * The client's own `.js` modules, as paths relative to `client/` (`shared/api.js`, `sw.js`, …),
 * in every folder but the vendored packages and the tests.
 */
export function clientSources() {
  return readdirSync(clientDir, { recursive: true })
    .map((path) => path.split("\\").join("/"))
    .filter((path) => path.endsWith(".js") && !/^(vendor|tests|node_modules)\//.test(path))
    .sort();
}
