/** Placeholder for the dashboard's routes (mounted at the end of indexer/src/api/index.ts); the dashboard replaces it. */
import { Hono } from "hono";

export const dashboardRoutes = new Hono();
