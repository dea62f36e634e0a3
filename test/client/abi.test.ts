import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";

import { CLIENT_ABI_FILE, renderClientAbi } from "../../scripts/client-abi";

describe("client ABIs", function () {
  describe("src/client/abi.ts", function () {
    it("is up to date with the compiled artifacts (run `npm run client:abi` when this fails)", async function () {
      const root = path.resolve(__dirname, "../..");
      const committed = readFileSync(path.join(root, CLIENT_ABI_FILE), "utf8");
      expect(committed === (await renderClientAbi(root)), `${CLIENT_ABI_FILE} is out of date`).to.equal(true);
    });
  });
});
