/**
 * The dashboard's routes, mounted by the indexer's API server (indexer/src/api/index.ts) beside `/api/*`:
 * `/` redirects to `/dashboard/`, which serves the page built by dashboard/build.ts (index.html, app.js,
 * style.css from dashboard/dist/). The files are read on each request, so a rebuild needs no restart.
 */
import { Hono } from "hono";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Environment variable naming the built dashboard's directory (optional: dashboard/dist by default). */
export const DASHBOARD_DIST_ENV = "DASHBOARD_DIST";

const FILES: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/**
 * Where the built dashboard is: $DASHBOARD_DIST when set, else dashboard/dist under the working directory (Ponder
 * runs in the repository's root) or its parent; undefined when it is not built.
 */
export function dashboardDist(): string | undefined {
  const given = process.env[DASHBOARD_DIST_ENV];
  const candidates =
    given !== undefined && given !== ""
      ? [given]
      : [
          path.resolve(process.cwd(), "dashboard", "dist"),
          path.resolve(process.cwd(), "..", "dashboard", "dist"),
        ];
  return candidates.find((dir) => existsSync(path.join(dir, "index.html")));
}

function serve(file: string): Response {
  const dist = dashboardDist();
  if (dist === undefined) {
    return new Response(
      "The dashboard is not built: run `npm run dashboard:build` (or `npm run dashboard`).\n",
      {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );
  }
  return new Response(readFileSync(path.join(dist, file)), {
    headers: { "content-type": FILES[file] ?? "application/octet-stream", "cache-control": "no-store" },
  });
}

export const dashboardRoutes = new Hono();
dashboardRoutes.get("/", (c) => c.redirect("/dashboard/"));
dashboardRoutes.get("/dashboard", (c) => c.redirect("/dashboard/"));
dashboardRoutes.get("/dashboard/", () => serve("index.html"));
dashboardRoutes.get("/dashboard/:file", (c) => {
  const file = c.req.param("file");
  return file in FILES ? serve(file) : c.notFound();
});

export default dashboardRoutes;
