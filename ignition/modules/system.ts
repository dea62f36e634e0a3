/**
 * The part shared by the two full-system modules (DaoSystem, AdminSystem): the paymasters and every piece of
 * post-deploy wiring, ending with the handover to the final admin. Not a module itself: each system module
 * calls {@link buildSystem} with its own admin (the DAO's TimelockController future, or an `admin` parameter).
 *
 * Why here and not in a part module: Ignition submodules cannot receive futures, and the paymasters must be
 * CONSTRUCTED with their final owner (Ownable2Step: handing one over later needs the new owner's
 * `acceptOwnership`, i.e. a governance proposal). The ledger and the adapter are built by their part modules
 * with the deployer as temporary admin; this function wires them and hands them over.
 *
 * Final state (checked by test/deploy/modules.test.ts):
 * - PriceAdapter: DEFAULT_ADMIN_ROLE = admin.
 * - CreditLedger: DEFAULT_ADMIN_ROLE = admin; ISSUER_ROLE = admin with an issuance cap; GUARDIAN_ROLE =
 *   guardian (pause only); spenders = both paymasters; purchase ETH goes to the v0.8 paymaster's EntryPoint
 *   deposit; treasury (stablecoin proceeds) = admin.
 * - CreditPaymasterV07 / V08: owner = admin; staked (`paymasterStakeWei`, `unstakeDelaySec`) and funded
 *   (`paymasterValueWei - paymasterStakeWei`) on their EntryPoint by their constructors.
 * - The deployer holds no role anywhere and owns nothing.
 */
import type {
  AccountRuntimeValue,
  ContractFuture,
  IgnitionModuleBuilder,
  ModuleParameterRuntimeValue,
} from "@nomicfoundation/ignition-core";
import { parseEther } from "ethers";

import CreditLedgerModule from "./CreditLedger";
import { ROLES } from "./roles";

/** Canonical EntryPoint addresses (identical on every chain). */
export const CANONICAL_ENTRY_POINTS = {
  v07: "0x0000000071727De22E5E9d8BAf0edAc6f37da032",
  v08: "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
} as const;

/** `ICreditPaymaster.Config` as a parameter object (numbers fit: every field is at most 48 bits). */
export interface PaymasterConfigParameter {
  [field: string]: number | boolean;
  maxCallGasLimit: number;
  maxPreVerificationGas: number;
  maxVerificationGasLimit: number;
  maxPaymasterVerificationGasLimit: number;
  maxPaymasterPostOpGasLimit: number;
  maxFeePerGas: number;
  maxCreditsPerOp: number;
  markupBps: number;
  maxPriceAge: number;
  paused: boolean;
  maxPriorityFeePerGas: number;
  postOpGasMargin: number;
}

/** Defaults of the system parameters (the parameter files set them explicitly per network). */
export const SYSTEM_DEFAULTS = {
  entryPointV07: CANONICAL_ENTRY_POINTS.v07,
  entryPointV08: CANONICAL_ENTRY_POINTS.v08,
  paymasterConfig: {
    maxCallGasLimit: 2_000_000,
    maxPreVerificationGas: 1_000_000,
    maxVerificationGasLimit: 1_000_000,
    maxPaymasterVerificationGasLimit: 300_000,
    maxPaymasterPostOpGasLimit: 500_000,
    maxFeePerGas: 500_000_000_000,
    maxCreditsPerOp: 100_000_000,
    markupBps: 10_500,
    maxPriceAge: 3_600,
    paused: false,
    maxPriorityFeePerGas: 2_000_000_000,
    postOpGasMargin: 0,
  } satisfies PaymasterConfigParameter,
  unstakeDelaySec: 86_400,
  paymasterStakeWei: parseEther("1"),
  paymasterValueWei: parseEther("2"),
  issuerCapPerEpoch: 1_000_000_000_000,
  issuerEpochLength: 30 * 86_400,
} as const;

/** Who ends up administering the system. */
export type AdminValue =
  AccountRuntimeValue | ModuleParameterRuntimeValue<string> | ContractFuture<"TimelockController">;

/** Builds the paymasters, wires everything and hands it to `admin`; returns the system's futures. */
export function buildSystem(m: IgnitionModuleBuilder, admin: AdminValue) {
  const deployer = m.getAccount(0);
  const { ledger, adapter } = m.useModule(CreditLedgerModule);

  const entryPointV07 = m.getParameter("entryPointV07", SYSTEM_DEFAULTS.entryPointV07);
  const entryPointV08 = m.getParameter("entryPointV08", SYSTEM_DEFAULTS.entryPointV08);
  const config = m.getParameter<PaymasterConfigParameter>("paymasterConfig", SYSTEM_DEFAULTS.paymasterConfig);
  const unstakeDelay = m.getParameter("unstakeDelaySec", SYSTEM_DEFAULTS.unstakeDelaySec);
  const stake = m.getParameter("paymasterStakeWei", SYSTEM_DEFAULTS.paymasterStakeWei);
  const value = m.getParameter("paymasterValueWei", SYSTEM_DEFAULTS.paymasterValueWei);

  // Owned by `admin` from construction; stake and deposit come from `value` inside the constructor.
  const paymasterV07 = m.contract(
    "CreditPaymaster",
    [entryPointV07, ledger, adapter, admin, config, unstakeDelay, stake],
    { id: "CreditPaymasterV07", value },
  );
  const paymasterV08 = m.contract(
    "CreditPaymaster",
    [entryPointV08, ledger, adapter, admin, config, unstakeDelay, stake],
    { id: "CreditPaymasterV08", value },
  );

  // Ledger wiring, authorised by the deployer's temporary DEFAULT_ADMIN_ROLE.
  const wiring = [
    m.call(ledger, "addSpender", [paymasterV07], { id: "Ledger_addSpender_V07" }),
    m.call(ledger, "addSpender", [paymasterV08], { id: "Ledger_addSpender_V08" }),
    m.call(ledger, "setEthDestination", [entryPointV08, paymasterV08], { id: "Ledger_setEthDestination" }),
    m.call(ledger, "setTreasury", [admin], { id: "Ledger_setTreasury" }),
    m.call(ledger, "grantRole", [ROLES.ISSUER_ROLE, admin], { id: "Ledger_grantIssuer" }),
    m.call(
      ledger,
      "setIssuerCap",
      [
        admin,
        m.getParameter("issuerCapPerEpoch", SYSTEM_DEFAULTS.issuerCapPerEpoch),
        m.getParameter("issuerEpochLength", SYSTEM_DEFAULTS.issuerEpochLength),
      ],
      { id: "Ledger_setIssuerCap" },
    ),
    m.call(ledger, "grantRole", [ROLES.GUARDIAN_ROLE, m.getParameter<string>("guardian")], {
      id: "Ledger_grantGuardian",
    }),
  ];

  // Handover: the admin first, then the deployer gives up its temporary role (nothing else may follow).
  const ledgerAdmin = m.call(ledger, "grantRole", [ROLES.DEFAULT_ADMIN_ROLE, admin], {
    id: "Ledger_grantAdmin",
    after: wiring,
  });
  m.call(ledger, "renounceRole", [ROLES.DEFAULT_ADMIN_ROLE, deployer], {
    id: "Ledger_renounceAdmin",
    after: [ledgerAdmin, ...wiring],
  });
  const adapterAdmin = m.call(adapter, "grantRole", [ROLES.DEFAULT_ADMIN_ROLE, admin], {
    id: "PriceAdapter_grantAdmin",
  });
  m.call(adapter, "renounceRole", [ROLES.DEFAULT_ADMIN_ROLE, deployer], {
    id: "PriceAdapter_renounceAdmin",
    after: [adapterAdmin],
  });

  return { adapter, ledger, paymasterV07, paymasterV08 };
}
