/** Re-exported for the e2e run: the deployment on a separate node lives in scripts/lib/deploy-node.ts. */
export * from "../../scripts/lib/deploy-node";
