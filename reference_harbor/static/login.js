// The sign-in form: POST /api/auth/login, keep the access token, go to the dashboard.

import { ApiError, RETURN_TO_KEY, login, storeAccessToken } from "harbor/api";

const form = document.getElementById("login-form");
const submitButton = form.querySelector('button[type="submit"]');
const errorBox = document.getElementById("login-error");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

// Only ever return to the dashboard (no open redirect through sessionStorage).
function takeReturnTo() {
  let target = null;
  try {
    target = window.sessionStorage.getItem(RETURN_TO_KEY);
    window.sessionStorage.removeItem(RETURN_TO_KEY);
  } catch {
    // storage unavailable
  }
  return target && /^\/dashboard(?:[?#]|$)/.test(target) ? target : "/dashboard";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  errorBox.textContent = "";
  submitButton.disabled = true;
  try {
    const grant = await login(form.username.value.trim(), form.password.value);
    storeAccessToken(grant.access_token);
    location.assign(takeReturnTo());
  } catch (error) {
    submitButton.disabled = false;
    if (error instanceof ApiError && error.status === 401) {
      showError("Wrong username or password");
    } else {
      showError(`Sign-in failed: ${error.message}`);
    }
  }
});

// The button ships disabled so it cannot submit before this module runs.
submitButton.disabled = false;
