// Fails unless contract coverage (test-only contracts excluded by .solcover.js) meets the bar:
// 100% of lines and at least 95% of branches.
import { readFileSync, existsSync } from "node:fs";

const path = "coverage/coverage-summary.json";
if (!existsSync(path)) {
  console.error(
    `${path} is missing: run \`npm run coverage\` (solidity-coverage with the json-summary reporter).`,
  );
  process.exit(1);
}
const { total } = JSON.parse(readFileSync(path, "utf8"));
const lines = total.lines.pct;
const branches = total.branches.pct;
console.log(`contract coverage: lines ${lines}% (need 100), branches ${branches}% (need 95)`);
if (lines < 100 || branches < 95) {
  const files = JSON.parse(readFileSync(path, "utf8"));
  for (const [file, s] of Object.entries(files)) {
    if (file === "total") continue;
    if (s.lines.pct < 100 || s.branches.pct < 95) {
      console.error(`  ${file}: lines ${s.lines.pct}%, branches ${s.branches.pct}%`);
    }
  }
  console.error("coverage below the bar");
  process.exit(1);
}
