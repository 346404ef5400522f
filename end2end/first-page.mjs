// Time until a first page is interactive, in Debian's Chromium over an emulated slow link,
// with a cold cache. Prints figures; asserts nothing about time. Run by scripts/first-page.sh,
// which builds the release, starts it, and passes its address:
//   node first-page.mjs BASE_URL PASSWORD [RUNS]
//
// "Interactive" is the moment the browser's client has started: it sets `data-hydrated` on
// <body> once every control works (the end-to-end tests wait for the same mark). A MutationObserver
// added before any page script notes `performance.now()` at that moment, i.e. milliseconds
// since the navigation started.
import { chromium } from "@playwright/test";

const [base, password, runsArg] = process.argv.slice(2);
if (!base || !password) {
  console.error("usage: node first-page.mjs BASE_URL PASSWORD [RUNS]");
  process.exit(2);
}
const runs = Number(runsArg ?? 3);

// 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up (bytes per second for CDP).
const slowLink = {
  offline: false,
  latency: 150,
  downloadThroughput: 1_600_000 / 8,
  uploadThroughput: 750_000 / 8,
};

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});

/** One cold visit: a fresh context (empty cache and cookies), signed in first if asked. */
async function visit(path, email) {
  const context = await browser.newContext({ baseURL: base });
  if (email) {
    // Signing in through the API request context sets the cookie without touching the
    // browser's HTTP cache, so the page visit below still starts cold.
    const answer = await context.request.post("/api/sign_in", {
      form: { email, password },
      headers: { Origin: base },
      maxRedirects: 0,
    });
    if (answer.status() >= 400) throw new Error(`sign-in as ${email}: ${answer.status()}`);
  }
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`${path}: console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`${path}: ${error.message}`));
  await page.addInitScript(() => {
    const note = () => {
      if (document.body?.getAttribute("data-hydrated") === "true" && !window.__interactiveAt) {
        window.__interactiveAt = performance.now();
      }
    };
    new MutationObserver(note).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-hydrated"],
    });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  await cdp.send("Network.emulateNetworkConditions", slowLink);
  const urls = new Map();
  let bytes = 0;
  let wasmBytes = 0;
  const wasmFiles = new Set();
  cdp.on("Network.responseReceived", (event) => urls.set(event.requestId, event.response.url));
  cdp.on("Network.loadingFinished", (event) => {
    bytes += event.encodedDataLength;
    const url = urls.get(event.requestId) ?? "";
    if (url.endsWith(".wasm")) {
      wasmBytes += event.encodedDataLength;
      wasmFiles.add(url.split("/").pop());
    }
  });
  await page.goto(path, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__interactiveAt !== undefined, null, {
    timeout: 120_000,
    polling: 50,
  });
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      interactive: window.__interactiveAt,
      html: nav ? nav.responseEnd : NaN,
    };
  });
  if (new URL(page.url()).pathname !== path) {
    throw new Error(`asked for ${path}, landed on ${page.url()}`);
  }
  await context.close();
  return { ...timing, bytes, wasmBytes, wasmFiles: wasmFiles.size };
}

/** What the pages said went wrong (a hydration error shows here), printed after the figures. */
const problems = [];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const pages = [
  { path: "/sign-in", email: null, who: "a visitor" },
  { path: "/projects", email: "mia@example.com", who: "a member" },
  { path: "/settings/impersonation", email: "mia@example.com", who: "a member" },
  { path: "/admin/users", email: "ada@example.com", who: "an administrator" },
];

console.log(
  `Chromium, cold cache, ${slowLink.latency} ms latency, ${slowLink.downloadThroughput * 8 / 1e6} Mbit/s down, ` +
    `${slowLink.uploadThroughput * 8 / 1e3} kbit/s up; median of ${runs} visits`,
);
console.log("| page | interactive after | HTML done | bytes over the wire | of which wasm (files) |");
console.log("|---|---|---|---|---|");
for (const { path, email, who } of pages) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await visit(path, email));
  const m = (key) => median(results.map((r) => r[key]));
  const all = results.map((r) => (r.interactive / 1000).toFixed(2)).join(", ");
  console.log(
    `| \`${path}\` (${who}) | ${(m("interactive") / 1000).toFixed(2)} s (${all}) | ${(m("html") / 1000).toFixed(2)} s | ` +
      `${m("bytes").toLocaleString("en")} | ${m("wasmBytes").toLocaleString("en")} (${m("wasmFiles")}) |`,
  );
}
await browser.close();
for (const problem of new Set(problems)) console.error(problem);
