// Passkeys (WebAuthn), the site's one script. The login page's "Sign in with a passkey" button
// and the security page's "Add a passkey" form are rendered hidden: this script shows them only
// where the browser can make passkeys, so without JavaScript every other form works as before.
// Each ceremony fetches its options from the server (a POST carrying the page's CSRF token in a
// header), asks the browser, and sends the answer back in the form's hidden "credential" field.
"use strict";

(function () {
  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((byte) => { binary += String.fromCharCode(byte); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map((item) => Object.assign({}, item, { id: toBytes(item.id) }));
  }

  // The words shown, from the button's or form's data-passkey-* attributes (the page's language;
  // _macros.html passkey_messages); English when an attribute is missing.
  const ENGLISH = {
    passkeyTooMany: "Too many attempts: wait a minute and try again.",
    passkeyUnavailable: "The site could not start that. Reload the page and try again.",
    passkeyCancelled: "No passkey was used (it was cancelled or timed out).",
    passkeyAlreadyHere: "This device already holds a passkey for your account.",
    passkeyFailed: "Something went wrong. Try again.",
  };

  function words(element, key) {
    return (element && element.dataset[key]) || ENGLISH[key];
  }

  async function fetchOptions(url, form, texts) {
    const token = form.querySelector('input[name="csrf_token"]').value;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    });
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.startsWith("application/json")) {
      throw new Error(words(texts, response.status === 429 ? "passkeyTooMany" : "passkeyUnavailable"));
    }
    return response.json();
  }

  function answer(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(json);
  }

  function say(form, message) {
    const status = form.querySelector("[data-passkey-status]");
    status.textContent = message;
    status.hidden = !message;
  }

  function refused(error, texts) {
    if (error && error.name === "NotAllowedError") {
      return words(texts, "passkeyCancelled");
    }
    if (error && error.name === "InvalidStateError") {
      return words(texts, "passkeyAlreadyHere");
    }
    return (error && error.message) || words(texts, "passkeyFailed");
  }

  async function ceremony(form, submitter, url, ask, texts) {
    say(form, "");
    submitter.disabled = true;
    try {
      const options = await fetchOptions(url, form, texts);
      const credential = await ask(options);
      form.querySelector('input[name="credential"]').value = answer(credential);
      submitter.disabled = false;
      form.requestSubmit(submitter);
    } catch (error) {
      submitter.disabled = false;
      say(form, refused(error, texts));
    }
  }

  function register(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials),
    });
    return navigator.credentials.create({ publicKey });
  }

  function signIn(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    });
    return navigator.credentials.get({ publicKey });
  }

  function start() {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      return;
    }
    const button = document.querySelector("[data-passkey-sign-in]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", (event) => {
        event.preventDefault();
        ceremony(button.form, button, button.dataset.passkeySignIn, signIn, button);
      });
    }
    const form = document.querySelector("form[data-passkey-register]");
    if (form) {
      form.hidden = false;
      document.querySelectorAll("[data-passkey-needs-script]").forEach((note) => { note.hidden = true; });
      form.addEventListener("submit", (event) => {
        const name = form.querySelector('input[name="name"]');
        if (!name.value.trim() || form.querySelector('input[name="credential"]').value) {
          return; // no name: the server says so; an answer: it goes to the server
        }
        event.preventDefault();
        ceremony(form, event.submitter || form.querySelector('[type="submit"]'),
          form.dataset.passkeyRegister, register, form);
      });
    }
  }

  start();
})();
