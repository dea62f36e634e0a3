/**
 * Generates `src/client/abi.ts` (the ABIs the TypeScript client uses, `as const` for viem's type inference) from
 * the compiled Hardhat artifacts. Run `npm run client:abi` after changing a contract's interface; the file is
 * committed, and `test/client/abi.test.ts` fails when it is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { format, resolveConfig } from "prettier";

/** The generated file, relative to the repository root. */
export const CLIENT_ABI_FILE = "src/client/abi.ts";

/** What the client, the paymaster service and the tasks call and decode of one contract. */
interface AbiSelection {
  /** Artifact path under `artifacts/`. */
  artifact: string;
  functions: readonly string[];
  events: readonly string[];
  /** Every custom error is kept: reverts are decoded against the ABI (inherited OpenZeppelin errors included). */
}

/** Exported constant name → the artifact and the functions and events kept. */
export const CLIENT_ABI_SOURCES: Readonly<Record<string, AbiSelection>> = {
  creditPaymasterAbi: {
    artifact: "contracts/paymaster/CreditPaymaster.sol/CreditPaymaster.json",
    functions: [
      "MAX_MARKUP_BPS",
      "config",
      "deposit",
      "entryPoint",
      "entryPointVersion",
      "getDeposit",
      "ledger",
      "owner",
      "pendingOwner",
      "policyApprovalDigest",
      "postOpGasFloor",
      "priceAdapter",
      "setConfig",
      "setGuardian",
      "setPaused",
      "validatePaymasterUserOp",
      "withdrawTo",
    ],
    events: ["GuardianSet", "PausedSet", "PriceRefreshFailed"],
  },
  creditLedgerAbi: {
    artifact: "contracts/credit/CreditLedger.sol/CreditLedger.json",
    functions: [
      "DEFAULT_ADMIN_ROLE",
      "ISSUER_ROLE",
      "adapter",
      "allowance",
      "balanceOf",
      "balanceOfCredits",
      "buyCredits",
      "buyCreditsWithToken",
      "createPolicy",
      "creditBreakdown",
      "ethDestination",
      "grant",
      "hasRole",
      "isSpender",
      "issuerCap",
      "minPurchase",
      "paused",
      "policy",
      "policyCount",
      "policyUsage",
      "createPolicy",
      "updatePolicy",
      "setPolicyStatus",
      "recoveredTo",
      "remainingAllowance",
      "remainingIssuance",
      "revokeAllowance",
      "setAllowance",
      "setIssuerCap",
      "setPolicyStatus",
      "spendableCredits",
      "totalBurned",
      "totalExpired",
      "totalIssued",
      "totalRevoked",
      "treasury",
      "updatePolicy",
    ],
    events: [
      "AllowanceRevoked",
      "AllowanceSet",
      "CreditsExpired",
      "CreditsGranted",
      "CreditsPurchased",
      "CreditsSpent",
      "GrantRevoked",
      "IssuerCapSet",
      "PolicySet",
      "PolicyStatusSet",
      "RecoveryExecuted",
      "SpenderAdded",
      "SpenderRemoved",
    ],
  },
  priceAdapterAbi: {
    artifact: "contracts/oracle/PriceAdapter.sol/PriceAdapter.json",
    functions: [
      "cachedPrice",
      "isStablecoin",
      "primaryFeed",
      "refreshAndQuoteStablecoin",
      "refreshAndQuoteWei",
      "refreshCachedPrice",
      "weiForCredits",
    ],
    events: ["CachedPriceRefreshed"],
  },
  creditsGovernorAbi: {
    artifact: "contracts/governance/CreditsGovernor.sol/CreditsGovernor.json",
    functions: [
      "CLOCK_MODE",
      "castVote",
      "castVoteWithReason",
      "clock",
      "execute",
      "getProposalId",
      "getVotes",
      "hasVoted",
      "proposalDeadline",
      "proposalEta",
      "proposalSnapshot",
      "proposalThreshold",
      "proposalVotes",
      "propose",
      "queue",
      "quorum",
      "state",
      "timelock",
    ],
    events: ["ProposalCanceled", "ProposalCreated", "ProposalExecuted", "ProposalQueued", "VoteCast"],
  },
  timelockControllerAbi: {
    artifact: "@openzeppelin/contracts/governance/TimelockController.sol/TimelockController.json",
    functions: ["getMinDelay", "isOperationDone", "isOperationReady"],
    events: [],
  },
};

interface AbiItem {
  type: string;
  name?: string;
}

/** The items of `abi` that `selection` keeps, in the artifact's order; fails on a name the ABI lacks. */
function select(abi: readonly AbiItem[], selection: AbiSelection, contract: string): AbiItem[] {
  for (const [type, names] of [
    ["function", selection.functions],
    ["event", selection.events],
  ] as const) {
    for (const name of names) {
      if (!abi.some((item) => item.type === type && item.name === name)) {
        throw new Error(`${contract} has no ${type} ${name} (scripts/client-abi.ts lists it)`);
      }
    }
  }
  return abi.filter(
    (item) =>
      item.type === "error" ||
      (item.type === "function" && selection.functions.includes(item.name ?? "")) ||
      (item.type === "event" && selection.events.includes(item.name ?? "")),
  );
}

interface Artifact {
  contractName: string;
  sourceName: string;
  abi: AbiItem[];
}

function readArtifact(root: string, relative: string): Artifact {
  const file = path.join(root, "artifacts", relative);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`${file} is missing: run \`npx hardhat compile\` first`);
  }
  return JSON.parse(text) as Artifact;
}

/** The prettier-formatted content of `src/client/abi.ts` for the artifacts under `root`. */
export async function renderClientAbi(root: string): Promise<string> {
  const parts = [
    "// Generated by `npm run client:abi` (scripts/client-abi.ts) from the compiled artifacts. Do not edit.",
    "",
  ];
  for (const [name, selection] of Object.entries(CLIENT_ABI_SOURCES)) {
    const artifact = readArtifact(root, selection.artifact);
    parts.push(
      `/** What the client, the service and the tasks use of the ABI of \`${artifact.contractName}\` ` +
        `(${artifact.sourceName}): the functions and events listed in scripts/client-abi.ts, every error. */`,
    );
    const abi = select(artifact.abi, selection, artifact.contractName);
    parts.push(`export const ${name} = ${JSON.stringify(abi)} as const;`, "");
  }
  const target = path.join(root, CLIENT_ABI_FILE);
  const options = (await resolveConfig(target)) ?? {};
  return format(parts.join("\n"), { ...options, filepath: target });
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, "..");
  const content = await renderClientAbi(root);
  writeFileSync(path.join(root, CLIENT_ABI_FILE), content);
  console.log(`wrote ${CLIENT_ABI_FILE} (${Object.keys(CLIENT_ABI_SOURCES).join(", ")})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
