// The deployments dashboard: renders the DeploymentTable from /api/releases.

import {
  ApiError,
  RETURN_TO_KEY,
  clearAccessToken,
  fetchReleases,
  getAccessToken,
  logout,
  readConfig,
  redirectToLogin,
  tokenSubject,
} from "harbor/api";
import { createDownloadService } from "harbor/download-service";
import { createLegacyDownloadService } from "harbor/legacy-download-service";

const config = readConfig();
const table = document.querySelector('[data-testid="deployment-table"]');
const statusLine = document.getElementById("download-status");
const errorBox = document.getElementById("download-error");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

function signedOut() {
  clearAccessToken();
  redirectToLogin();
}

const createService = config.downloadService === "legacy" ? createLegacyDownloadService : createDownloadService;
const downloads = createService({
  config,
  onStatus: (text) => {
    statusLine.textContent = text;
  },
  onError: showError,
  onUnauthorized: signedOut,
});

// Binary units, as `ls -lh` would show them.
export function formatSize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function renderFile(file) {
  const button = element("button", { type: "button", "aria-label": `Download ${file.name}` }, ["Download"]);
  button.addEventListener("click", () => {
    clearError();
    downloads.download(file);
  });
  return element(
    "li",
    {
      "data-testid": "deployment-file",
      "data-file-id": file.id,
      "data-file-role": file.role,
      "data-size-bytes": String(file.size),
      class: `file file-${file.role}`,
    },
    [
      element("span", { class: "file-name" }, [file.name]),
      " ",
      element("span", { class: "file-size" }, [formatSize(file.size)]),
      " ",
      button,
    ],
  );
}

function renderRelease(release) {
  // Each file knows the next one of its release (only an old, broken build uses it).
  release.files.forEach((file, index, files) => {
    file.neighbourId = files[(index + 1) % files.length].id;
  });
  return element("tr", { "data-testid": "deployment-row", "data-version": release.version }, [
    element("td", { "data-column": "version" }, [release.version]),
    element("td", { "data-column": "channel" }, [element("span", { class: `channel channel-${release.channel}` }, [release.channel])]),
    element("td", { "data-column": "released" }, [
      element("time", { datetime: release.released_at }, [release.released_at.slice(0, 10)]),
    ]),
    element("td", { "data-column": "files" }, [element("ul", { class: "file-list" }, release.files.map(renderFile))]),
  ]);
}

async function signOut() {
  try {
    await logout();
  } catch {
    // revoked or expired already: signing out locally is what matters
  }
  clearAccessToken();
  try {
    window.sessionStorage.removeItem(RETURN_TO_KEY);
  } catch {
    // storage unavailable
  }
  location.replace("/login");
}

async function main() {
  const token = getAccessToken();
  if (!token) {
    redirectToLogin();
    return;
  }
  document.getElementById("current-user").textContent = `Signed in as ${tokenSubject(token) ?? "?"}`;
  document.getElementById("sign-out").addEventListener("click", signOut);
  try {
    const releases = await fetchReleases();
    table.tBodies[0].replaceChildren(...releases.map(renderRelease));
    table.dataset.state = "ready";
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signedOut();
      return;
    }
    table.dataset.state = "error";
    showError(`Could not load the deployments: ${error.message}`);
  } finally {
    table.setAttribute("aria-busy", "false");
  }
}

// Handy from the browser console and for tests that want to look inside.
window.harbor = Object.freeze({ build: config.build, config, downloads });

main();
