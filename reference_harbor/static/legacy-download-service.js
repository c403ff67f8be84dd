// The old download service, from before the redirect path existed: every file is
// fetched whole by script and saved from a blob: URL, so nothing appears until the
// last byte has arrived. Kept because an old frontend build still ships it
// (the `legacy-download-service` fault serves that build).

import { fetchFileContent } from "harbor/api";

export function createLegacyDownloadService({ doc = document, onStatus = () => {}, onError = () => {} } = {}) {
  async function download(file) {
    try {
      onStatus(`Fetching ${file.name}…`);
      const blob = await (await fetchFileContent(file.id)).blob();
      const link = doc.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = file.name;
      doc.body.append(link);
      link.click();
      link.remove();
      onStatus(`Saved ${file.name}.`);
    } catch (error) {
      onError(`Could not download ${file.name}: ${error.message}`);
    }
  }
  return Object.freeze({ download, selectStrategy: () => "proxy", debug: false });
}
