/**
 * Builds the dashboard's browser bundle with esbuild (installed with Ponder): dashboard/src/main.ts and chart.js
 * into dashboard/dist/app.js, next to index.html and style.css. Everything the page loads is served by the
 * indexer's API server (dashboard/routes.ts): no CDN at run time. dashboard/dist/ is not kept in git.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";

/** The dashboard's sources and its built output, under the repository root. */
export function dashboardPaths(root: string): { source: string; dist: string } {
  return { source: path.join(root, "dashboard", "src"), dist: path.join(root, "dashboard", "dist") };
}

/** Bundles the dashboard into `dashboard/dist/` under `root`; returns that directory. */
export async function buildDashboard(root: string): Promise<string> {
  const { source, dist } = dashboardPaths(root);
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [path.join(source, "main.ts")],
    outfile: path.join(dist, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
  });
  for (const file of ["index.html", "style.css"])
    copyFileSync(path.join(source, file), path.join(dist, file));
  return dist;
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  buildDashboard(root).then(
    (dist) => console.log(`dashboard built in ${path.relative(process.cwd(), dist) || "."}`),
    (error: unknown) => {
      console.error(`dashboard build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
