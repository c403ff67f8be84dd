// The one download service every Download button goes through.
//
// Strategies:
//   redirect (intended): get a short-lived download token, then navigate a
//     hidden iframe to the download URL; the API redirects to the streaming
//     service and the browser turns the response into a download as soon as
//     the headers arrive.
//   proxy (legacy): fetch the whole body with script and save it from a
//     blob: URL; the download only starts after the last byte.
// If the redirect path ends in a page instead of a download and the status is
// 5xx (streaming service down) or unreadable, the service falls back to proxy.
//
// Behaviour switches come from the server-rendered config (#harbor-config):
// `strategyOverride` and `debug`, and the switches through which the reference
// Harbor's faults change real code paths here: `proxyAboveBytes` (a size
// threshold for proxy), `downloadEndpoint` ("v1": the old endpoint),
// `dropToken`, `tokenForNeighbour`, `fallbackToProxy` and `analyticsBeacon`.

import { ApiError, fetchFileContent, requestDownloadToken } from "harbor/api";

export const STRATEGIES = Object.freeze(["redirect", "proxy"]);

// Keep the iframe long enough for the download to have begun; removing it
// later does not cancel a download the browser already took over.
const FRAME_LIFETIME_MS = 60_000;
const BLOB_URL_LIFETIME_MS = 60_000;

export function createDownloadService({
  config = {},
  location = window.location,
  doc = document,
  onStatus = () => {},
  onError = () => {},
  onUnauthorized = () => {},
} = {}) {
  const params = new URLSearchParams(location.search);
  const debug = config.debug === true || params.get("debug") === "1";

  // One console line per step. Never pass a token or a URL containing one.
  function log(file, strategy, step, details = {}) {
    if (!debug) return;
    const fields = [`file=${file.id}`, `strategy=${strategy}`, `step=${step}`];
    for (const [key, value] of Object.entries(details)) fields.push(`${key}=${value}`);
    console.info(`[download] ${fields.join(" ")}`);
  }

  function selectStrategy(file) {
    if (STRATEGIES.includes(config.strategyOverride)) return config.strategyOverride;
    const requested = params.get("strategy");
    if (STRATEGIES.includes(requested)) return requested;
    if (typeof config.proxyAboveBytes === "number" && file.size > config.proxyAboveBytes) return "proxy";
    return "redirect";
  }

  // Where to navigate with a granted token.
  function downloadUrl(file, grant) {
    if (config.downloadEndpoint === "v1") {
      return `/api/v1/files/${encodeURIComponent(file.id)}/download?token=${encodeURIComponent(grant.token)}`;
    }
    if (config.dropToken) {
      const url = new URL(grant.download_url, location.href);
      url.searchParams.delete("token");
      return url.pathname + url.search;
    }
    if (config.tokenForNeighbour) {
      return `/api/files/${encodeURIComponent(file.id)}/download?token=${encodeURIComponent(grant.token)}`;
    }
    return grant.download_url;
  }

  // The `token-to-third-party` fault: an analytics hit on another origin that carries the
  // download URL, token included, as a careless tracking snippet would.
  function reportToAnalytics(url) {
    const otherHost = location.hostname === "localhost" ? "127.0.0.1" : "localhost";
    const hit = new URL(`${location.protocol}//${otherHost}:${location.port}/analytics/collect`);
    hit.searchParams.set("event", "download");
    hit.searchParams.set("url", new URL(url, location.href).href);
    new Image().src = hit.href;
  }

  function fail(file, strategy, error) {
    const status = error instanceof ApiError ? error.status : 0;
    log(file, strategy, "failed", { reason: error instanceof ApiError ? error.code : "error" });
    if (status === 401) {
      onUnauthorized();
      return;
    }
    onError(`Could not download ${file.name}: ${error.message}`);
  }

  // Status of the page a hidden iframe ended up showing (0 when unreadable,
  // e.g. a streaming service on another origin).
  function frameStatus(frame) {
    try {
      const [entry] = frame.contentWindow.performance.getEntriesByType("navigation");
      return entry && typeof entry.responseStatus === "number" ? entry.responseStatus : 0;
    } catch {
      return 0;
    }
  }

  function navigateHiddenFrame(url, onPageLoaded) {
    const frame = doc.createElement("iframe");
    frame.hidden = true;
    frame.tabIndex = -1;
    frame.setAttribute("aria-hidden", "true");
    frame.dataset.harborDownloadFrame = "";
    // src before insertion: an iframe inserted without src fires a `load`
    // for about:blank first, which would look like a failed download.
    frame.src = url;
    // In Chromium a navigation that becomes a download fires no `load`; if
    // `load` fires, the response was rendered as a page, i.e. it failed.
    frame.addEventListener(
      "load",
      () => {
        const status = frameStatus(frame);
        frame.remove();
        onPageLoaded(status);
      },
      { once: true },
    );
    doc.body.append(frame);
    setTimeout(() => frame.remove(), FRAME_LIFETIME_MS);
  }

  async function viaRedirect(file) {
    log(file, "redirect", "token-request");
    const grant = await requestDownloadToken(config.tokenForNeighbour && file.neighbourId ? file.neighbourId : file.id);
    log(file, "redirect", "navigate");
    if (config.analyticsBeacon) reportToAnalytics(downloadUrl(file, grant));
    navigateHiddenFrame(downloadUrl(file, grant), (status) => {
      log(file, "redirect", "frame-loaded", { status });
      if ((status === 0 || status >= 500) && config.fallbackToProxy !== false) {
        const reason = status ? `status-${status}` : "status-unknown";
        log(file, "redirect", "fallback", { from: "redirect", to: "proxy", reason });
        onStatus(`Retrying ${file.name} through the API server…`);
        viaProxy(file).catch((error) => fail(file, "proxy", error));
      } else {
        // A refused download URL is not a signed-out session: say so, stay on the page.
        log(file, "redirect", "failed", { reason: `status-${status}` });
        onError(`Could not download ${file.name}: the server answered HTTP ${status}`);
      }
    });
    onStatus(`Download of ${file.name} requested.`);
  }

  async function viaProxy(file) {
    log(file, "proxy", "fetch");
    onStatus(`Fetching ${file.name}…`);
    const response = await fetchFileContent(file.id);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = doc.createElement("a");
    link.href = url;
    link.download = file.name;
    link.hidden = true;
    doc.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), BLOB_URL_LIFETIME_MS);
    log(file, "proxy", "blob-saved", { bytes: blob.size });
    onStatus(`Saved ${file.name}.`);
  }

  const strategies = { redirect: viaRedirect, proxy: viaProxy };

  // Resolves once the download was handed to the browser (redirect) or saved
  // (proxy); failures are reported through onError/onUnauthorized.
  async function download(file) {
    const strategy = selectStrategy(file);
    log(file, strategy, "start");
    try {
      await strategies[strategy](file);
    } catch (error) {
      fail(file, strategy, error);
    }
  }

  return Object.freeze({ selectStrategy, download, debug });
}
