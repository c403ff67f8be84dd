// Thin client for the Harbor JSON API and the browser-side session.
// Every call that needs the signed-in user goes through here, so the token
// handling lives in one place.

export const ACCESS_TOKEN_KEY = "harbor.accessToken";
// Where to go back to after signing in (sessionStorage keeps /login's URL clean).
export const RETURN_TO_KEY = "harbor.returnTo";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

// Server-side options rendered into the page (#harbor-config).
export function readConfig() {
  const element = document.getElementById("harbor-config");
  if (!element) return {};
  try {
    return JSON.parse(element.textContent || "{}");
  } catch {
    return {};
  }
}

export function getAccessToken() {
  try {
    return window.localStorage.getItem(ACCESS_TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeAccessToken(token) {
  window.localStorage.setItem(ACCESS_TOKEN_KEY, token);
}

export function clearAccessToken() {
  try {
    window.localStorage.removeItem(ACCESS_TOKEN_KEY);
  } catch {
    // storage unavailable: nothing to clear
  }
}

// The user name inside our own access token, for display only (the server
// verifies the token; this never decides anything).
export function tokenSubject(token) {
  try {
    const payload = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).sub ?? null;
  } catch {
    return null;
  }
}

export function redirectToLogin() {
  try {
    window.sessionStorage.setItem(RETURN_TO_KEY, location.pathname + location.search);
  } catch {
    // without sessionStorage the user simply lands on /dashboard
  }
  location.replace("/login");
}

function authHeaders() {
  const token = getAccessToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let message = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    code = body.error || code;
    message = body.detail || message;
  } catch {
    // not JSON: keep the generic message
  }
  return new ApiError(response.status, code, message);
}

export async function apiRequest(path, { method = "GET", json, auth = true } = {}) {
  const headers = { Accept: "application/json", ...(auth ? authHeaders() : {}) };
  const init = { method, headers, cache: "no-store" };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

export function login(username, password) {
  return apiRequest("/api/auth/login", { method: "POST", json: { username, password }, auth: false });
}

export function logout() {
  return apiRequest("/api/auth/logout", { method: "POST" });
}

export function fetchReleases() {
  return apiRequest("/api/releases");
}

export function requestDownloadToken(fileId) {
  return apiRequest(`/api/files/${encodeURIComponent(fileId)}/download-token`, { method: "POST" });
}

// The legacy path: the whole body through the API server.
export async function fetchFileContent(fileId) {
  const response = await fetch(`/api/files/${encodeURIComponent(fileId)}/content`, {
    headers: authHeaders(),
    cache: "no-store",
  });
  if (!response.ok) throw await errorFrom(response);
  return response;
}
