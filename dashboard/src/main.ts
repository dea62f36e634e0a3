/**
 * The dashboard's entry point: a hash router over three views, `#/sponsor[/address]`, `#/dao`, `#/user[/address]`.
 * When a view has rendered, `<body data-ready="<view>">` says so (the browser test waits for it).
 */
import { api } from "./api";
import type { ApiExportList } from "./api";
import { h } from "./dom";
import { formatTime, setExplorer } from "./format";
import { daoView } from "./views/dao";
import { exportsSection } from "./views/common";
import { sponsorView } from "./views/sponsor";
import { userView } from "./views/user";

type View = "sponsor" | "dao" | "user";

function route(): { view: View; address: string | undefined } {
  const [, name, address] = location.hash.split("/");
  const view: View = name === "dao" || name === "user" ? name : "sponsor";
  return { view, address: address === undefined || address === "" ? undefined : address };
}

let exportList: ApiExportList | undefined;
let rendering = 0;

async function render(): Promise<void> {
  const ticket = ++rendering;
  const app = document.getElementById("app");
  if (app === null) return;
  const { view, address } = route();
  delete document.body.dataset.ready;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    link.classList.toggle("active", link.dataset.view === view);
  }
  let content: HTMLElement[];
  try {
    const status = await api.status();
    setExplorer(status.explorer);
    const block = status.indexedBlock;
    const network = document.getElementById("network");
    if (network !== null) {
      network.textContent =
        `chain ${status.chainId} · deployment ${status.deploymentId} · ` +
        (block === null ? "indexing…" : `indexed to block ${block.number} (${formatTime(block.timestamp)})`);
    }
    exportList ??= await api.exports().catch(() => undefined);
    content =
      view === "dao"
        ? await daoView()
        : view === "user"
          ? await userView(address)
          : await sponsorView(address);
    content.push(exportsSection(exportList));
  } catch (error) {
    content = [
      h(
        "p",
        { class: "error" },
        `Could not load the ${view} view: ${error instanceof Error ? error.message : String(error)}`,
      ),
    ];
  }
  if (ticket !== rendering) return;
  app.replaceChildren(...content);
  document.body.dataset.ready = view;
}

window.addEventListener("hashchange", () => void render());
void render();
