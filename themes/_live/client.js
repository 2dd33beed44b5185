// The live preview's client: applies server-sent updates to the page in place.
(() => {
  const state = { server: null, version: 0, messages: 0 };
  window.__nfLive = state;
  const overlay = () => {
    let box = document.getElementById("nf-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "nf-overlay";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    return box;
  };
  const showError = (text) => {
    const box = overlay();
    box.textContent = text;
    box.hidden = !text;
  };
  const build = (key, html) => {
    const template = document.createElement("template");
    template.innerHTML = html;
    const wrapper = document.createElement("div");
    wrapper.className = "nf-seg";
    wrapper.dataset.seg = key;
    wrapper.appendChild(template.content);
    return wrapper;
  };
  const patch = (segments) => {
    const main = document.querySelector(".nf-main");
    const have = new Map();
    for (const el of main.querySelectorAll(":scope > .nf-seg")) have.set(el.dataset.seg, el);
    if (segments.some(([key, html]) => html === null && !have.has(key))) return false;
    let previous = null;
    for (const [key, html] of segments) {
      let el = have.get(key);
      if (el) have.delete(key);
      else el = build(key, html);
      const expected = previous ? previous.nextSibling : main.firstChild;
      if (el !== expected) main.insertBefore(el, expected);
      previous = el;
    }
    for (const el of have.values()) el.remove();
    return true;
  };
  const swap = (selector, html) => {
    const current = document.querySelector(selector);
    if (current && html && current.outerHTML !== html) current.outerHTML = html;
    else if (current && !html) current.remove();
    else if (!current && html && selector === "nav.nf-toc") {
      document.querySelector(".nf-main").insertAdjacentHTML("beforebegin", html);
    }
  };
  const apply = (message) => {
    if (message.server !== state.server) { state.server = message.server; state.version = 0; }
    if (message.version < state.version) return;
    if (message.segments && !patch(message.segments)) { resync(); return; }
    state.version = message.version;
    state.messages += 1;
    showError(message.error || "");
    if (message.chrome) {
      swap("header.nf-header", message.chrome.header);
      swap("nav.nf-toc", message.chrome.nav);
      swap("footer.nf-footer", message.chrome.footer);
      document.querySelector(".nf-page")?.classList.toggle("nf-has-toc", !!message.chrome.nav);
    }
    if (typeof message.css === "string" && message.css) {
      const style = document.querySelector("head style");
      if (style && style.textContent !== message.css) style.textContent = message.css;
    }
  };
  const resync = () => fetch("/state").then((r) => r.json()).then(apply);
  const connect = () => {
    const events = new EventSource("/events");
    events.onmessage = (event) => apply(JSON.parse(event.data));
    // Leaving the page ends the stream at once, and with it the server's thread for it.
    window.addEventListener("pagehide", () => events.close(), { once: true });
  };
  window.addEventListener("DOMContentLoaded", connect);
  // A page restored from the back/forward cache had its stream closed: open a new one.
  window.addEventListener("pageshow", (event) => { if (event.persisted) connect(); });
})();
