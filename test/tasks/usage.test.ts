import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";

import type { ApiSponsors, ApiStatus, ApiTotals } from "../../indexer/api-types";
import { expectTaskError, runTask } from "../helpers/tasks";

const status: ApiStatus = {
  chainId: 31337,
  deploymentId: "demo",
  contracts: {
    ledger: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    adapter: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
    governor: null,
    timelock: null,
  },
  paymasters: [],
  explorer: null,
  indexedBlock: { number: "48", timestamp: 1_796_562_951 },
};
const totals: ApiTotals = {
  totalIssued: "1000000000",
  totalBurned: "129442",
  totalExpired: "0",
  totalRevoked: "5",
  totalPurchased: "0",
  totalGranted: "1000000000",
  operations: 1,
  wei: "41092503926488",
  usdIssued: "1000.000000",
  usdBurned: "0.129442",
};
const sponsors: ApiSponsors = {
  sponsors: [
    {
      address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      credits: "129442",
      usd: "0.129442",
      wei: "41092503926488",
      operations: 1,
      policies: 1,
      allowances: 0,
    },
  ],
};

describe("task credits:usage", function () {
  let server: http.Server;
  let url: string;
  before(async function () {
    // The indexer's API, answering canned figures.
    const routes: Record<string, unknown> = {
      "/api/status": status,
      "/api/totals": totals,
      "/api/sponsors": sponsors,
    };
    server = http.createServer((req, res) => {
      const body = routes[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(body ?? { error: `no route ${req.url}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(function () {
    server.close();
  });

  it("prints the ledger's totals and the sponsors from the API, amounts in credits and USD", async function () {
    const { result, lines } = await runTask<Record<string, unknown>>("credits:usage", { indexerUrl: url });
    expect(result).to.deep.equal({ status, totals, sponsors });
    expect(lines).to.deep.equal([
      'Chain 31337, deployment "demo", block 48',
      "  issued      1000 credits ($1000.000000)",
      "  burned      0.129442 credits ($0.129442)",
      "  expired     0 credits",
      "  revoked     0.000005 credits",
      "  operations  1",
      "  sponsor 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC: 0.129442 credits ($0.129442), 1 operations",
    ]);
  });

  it("says how to start the indexer when its API does not answer", async function () {
    await expectTaskError(
      "credits:usage",
      { indexerUrl: "http://127.0.0.1:1" },
      "Cannot reach the indexer at http://127.0.0.1:1: start it with `npm run indexer -- --network <name>`, or pass --indexer-url",
    );
  });

  it("passes the API's error on (HTTP status and message)", async function () {
    await expectTaskError(
      "credits:usage",
      { indexerUrl: url, user: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
      "The indexer answered 404 for /api/users/0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC: no route /api/users/0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    );
  });
});

describe("task indexer", function () {
  it("refuses Hardhat's in-process network, naming the fix", async function () {
    await expectTaskError(
      "indexer",
      {},
      'The indexer reads a node over HTTP; "hardhat" is Hardhat\'s in-process network. Start `npx hardhat node` and pass --network localhost (or a live network)',
    );
  });
});
